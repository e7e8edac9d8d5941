"""The Argo CD health checks of the operator's kinds, generated from their one source,
`manifests/argocd/health.lua`: the per-kind copies Argo CD's resource_customizations layout wants, and
the argocd-cm file a user applies. `registry-testbed health-checks` writes them; a unit test fails
when the committed files differ from what this renders."""

from __future__ import annotations

from pathlib import Path

import yaml

from registry_operator.api.common import GROUP
from registry_operator.api.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
ARGOCD = ROOT / "manifests" / "argocd"
SOURCE = ARGOCD / "health.lua"
CUSTOMIZATIONS = ARGOCD / "resource_customizations" / GROUP
ARGOCD_CM = ARGOCD / "argocd-cm-health.yaml"

_ARGOCD_CM_HEADER = """\
# Installs the operator's Argo CD health checks (generated from manifests/argocd/health.lua by
# `registry-testbed health-checks`; a unit test fails when it is stale). Merge it into Argo CD's config:
#   kubectl -n argocd patch configmap argocd-cm --type merge \\
#     --patch-file manifests/argocd/argocd-cm-health.yaml
# or list it under `patches:` in the kustomization that installs Argo CD.
"""


def per_kind_path(kind: str) -> Path:
    return CUSTOMIZATIONS / kind / "health.lua"


def rendered() -> dict[Path, str]:
    """Every generated file and its content."""
    source = SOURCE.read_text()
    files = {per_kind_path(info.kind): source for info in KINDS}
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
    files[ARGOCD_CM] = _ARGOCD_CM_HEADER + yaml.dump(doc, Dumper=_Literal, sort_keys=False, width=1000)
    return files


def write() -> list[Path]:
    written = []
    for path, content in rendered().items():
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            written.append(path)
    return written
