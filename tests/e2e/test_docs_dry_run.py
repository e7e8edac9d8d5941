"""The manifests in README.md and docs/ against a real API server: every block of objects, every
kustomization, every Helm command's and every Flux Kustomization's output, applied with
`--dry-run=server` to the local control plane with the CRDs installed. The API server checks what the
schema and the CEL rules say, admission (Pod Security in the operator's namespace) included.

Objects of kinds the local control plane has no CRD for (Flux, Argo CD, the Prometheus Operator) are
skipped, saying so; tests/unit/test_docs_examples.py checks what they point at."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from docpages import ROOT, Block, Command, blocks, commands, yaml_kind
from docrender import flux_build, gitops_objects, kustomization_dir, kustomize, render_helm
from kube import Kube

pytestmark = pytest.mark.docs

BLOCKS = [b for b in blocks() if b.lang in ("yaml", "yml")]
APPROVAL_POLICY_CRD = (
    ROOT / "manifests" / "components" / "approval-policy" / "approvalpolicies.modelregistry.io.yaml"
)


def _params(selected: list[Block]) -> list[Any]:
    return [
        pytest.param(b, id=b.where, marks=[pytest.mark.skip(reason=f"{b.where}: {b.skip}")] if b.skip else [])
        for b in selected
    ]


@pytest.fixture(scope="module")
def served(kube: Kube) -> Iterator[set[str]]:
    """The apiVersions the API server serves, the optional ApprovalPolicy CRD installed too (the pages
    show ApprovalPolicies)."""
    kube.apply(APPROVAL_POLICY_CRD)
    kube.kubectl("wait", "--for=condition=Established", "-f", str(APPROVAL_POLICY_CRD), "--timeout=60s")
    yield set(kube.kubectl("api-versions").stdout.split())
    kube.kubectl("delete", "-f", str(APPROVAL_POLICY_CRD), "--wait=true")


def _own_namespaces(docs: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """The objects in namespaces of their own, so that what other tests left in `ml` (objects of the
    same names, with other immutable fields) does not decide this dry run."""
    suffix = hashlib.sha256(where.encode()).hexdigest()[:6]
    renamed = {
        n: f"{n[:50]}-docs-{suffix}"
        for n in {d["metadata"].get("namespace") for d in docs if d["kind"] != "Namespace"} - {None}
    }
    renamed |= {
        d["metadata"]["name"]: f"{d['metadata']['name'][:50]}-docs-{suffix}"
        for d in docs
        if d["kind"] == "Namespace"
    }
    out = json.loads(json.dumps(docs))
    for d in out:
        meta = d["metadata"]
        if d["kind"] == "Namespace":
            meta["name"] = renamed[meta["name"]]
        elif meta.get("namespace") in renamed:
            meta["namespace"] = renamed[meta["namespace"]]
    return out


def dry_run(kube: Kube, docs: list[dict[str, Any]], served: set[str], where: str) -> str:
    """Apply with --dry-run=server; the namespaces the objects live in are created for real first (a dry
    run of a Namespace creates nothing for the objects after it)."""
    missing = sorted({d["apiVersion"] for d in docs} - served)
    known = _own_namespaces([d for d in docs if d["apiVersion"] in served], where)
    if not known:
        pytest.skip(f"{where}: no CRD for {', '.join(missing)} on the local control plane")
    for namespace in sorted({d["metadata"].get("namespace") for d in known} - {None}):
        kube.create_namespace(namespace)
    for d in known:
        if d["kind"] == "Namespace":  # with its labels: Pod Security applies to what follows
            kube.apply(d)
    res = kube.kubectl(
        "apply",
        "--dry-run=server",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": known}),
        check=False,
    )
    assert res.returncode == 0, f"{where}: {res.stderr}"
    assert "would violate PodSecurity" not in res.stderr, f"{where}: {res.stderr}"
    return res.stdout


def _objects(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.mark.parametrize("block", _params([b for b in BLOCKS if yaml_kind(b) == "manifest"]))
def test_manifests(kube: Kube, served: set[str], block: Block) -> None:
    dry_run(kube, block.documents(), served, block.where)


@pytest.mark.parametrize("block", _params([b for b in BLOCKS if yaml_kind(b) == "kustomization"]))
def test_kustomizations(kube: Kube, served: set[str], block: Block, tmp_path: Path) -> None:
    rendered = kustomize(kustomization_dir(block, tmp_path), block.where)
    dry_run(kube, _objects(rendered), served, block.where)


@pytest.mark.parametrize(
    "block", _params([b for b in BLOCKS if yaml_kind(b) == "manifest" and not b.skip and gitops_objects(b)])
)
def test_what_flux_would_apply(kube: Kube, served: set[str], block: Block, tmp_path: Path) -> None:
    for d in gitops_objects(block):
        if d["kind"] == "Kustomization" and d["apiVersion"].startswith("kustomize.toolkit.fluxcd.io/"):
            where = f"{block.where} ({d['metadata']['name']})"
            dry_run(kube, _objects(flux_build(d, tmp_path, where)), served, where)


HELM = [c for c in commands() if c.argv[:2] in (("helm", "install"), ("helm", "upgrade")) and len(c.argv) > 3]
KUSTOMIZE = [c for c in commands() if c.argv[:2] == ("kubectl", "apply") and "-k" in c.argv]


@pytest.mark.parametrize("command", [pytest.param(c, id=c.where) for c in HELM])
def test_helm_commands(kube: Kube, served: set[str], command: Command, tmp_path: Path) -> None:
    dry_run(kube, _objects(render_helm(command, tmp_path)), served, command.where)


@pytest.mark.parametrize("command", [pytest.param(c, id=c.where) for c in KUSTOMIZE])
def test_kustomize_commands(kube: Kube, served: set[str], command: Command) -> None:
    path = command.argv[command.argv.index("-k") + 1]
    if path == ".":
        pytest.skip(f"{command.where}: the reader's own overlay, the page's kustomization block")

    dry_run(kube, _objects(kustomize(ROOT / path, command.where)), served, command.where)
