"""The Argo CD health checks of the operator's kinds. Their one source is
`manifests/argocd/resource_customizations/modelregistry.io/_/health.lua`: Argo CD's wildcard layout,
where a `_` in the group or kind directory matches anything, so one script (with its health_test.yaml
and testdata/<Kind>/) serves every kind of the group. Argo CD reads that layout only from the scripts
built into its binary, so users install the script with the argocd-cm file rendered here from it;
`registry-testbed health-checks` writes it, and a unit test fails when the committed file differs
from what this renders."""

from __future__ import annotations

from pathlib import Path

import yaml

from registry_operator.api.common import GROUP
from registry_operator.reconcile.catalogue import KINDS
from registry_testbed import generated

ROOT = Path(__file__).resolve().parents[2]
ARGOCD = ROOT / "manifests" / "argocd"
CUSTOMIZATIONS = ARGOCD / "resource_customizations"
HEALTH_DIR = CUSTOMIZATIONS / GROUP / "_"  # Argo CD reads `_` as `*`: modelregistry.io/*
SCRIPT = HEALTH_DIR / "health.lua"
ARGOCD_CM = ARGOCD / "argocd-cm-health.yaml"

_ARGOCD_CM_HEADER = """\
# Installs the operator's Argo CD health checks (generated from
# manifests/argocd/resource_customizations/modelregistry.io/_/health.lua, one key per kind, by
# `registry-testbed health-checks`; a unit test fails when it is stale). Merge it into Argo CD's config:
#   kubectl -n argocd patch configmap argocd-cm --type merge \\
#     --patch-file manifests/argocd/argocd-cm-health.yaml
# or list it under `patches:` in the kustomization that installs Argo CD.
"""


def rendered() -> dict[Path, str]:
    """Every generated file and its content."""
    source = SCRIPT.read_text()
    # One key per kind, not a wildcard: ConfigMap keys cannot contain `*` (only the old-style
    # `resource.customizations` blob takes `modelregistry.io/*`), and per-kind keys merge into a
    # user's argocd-cm without overwriting a `resource.customizations` blob it already has.
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "argocd-cm",
            "namespace": "argocd",
            "labels": {"app.kubernetes.io/part-of": "argocd"},
        },
        "data": {f"resource.customizations.health.{GROUP}_{info.kind}": source for info in KINDS},
    }

    class _Literal(yaml.SafeDumper):
        pass

    _Literal.add_representer(
        str,
        lambda dumper, value: dumper.represent_scalar(
            "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
        ),
    )
    return {ARGOCD_CM: _ARGOCD_CM_HEADER + yaml.dump(doc, Dumper=_Literal, sort_keys=False, width=1000)}


def write() -> list[Path]:
    return generated.write(rendered())
