"""The committed CRDs are exactly what the generator makes from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from registry_operator.api.crd import crd, rendered_files
from registry_operator.reconcile.catalogue import KINDS

CRDS = Path(__file__).resolve().parents[2] / "crds"


def test_committed_crds_match_the_generator() -> None:
    expected = rendered_files(KINDS, with_kustomization=True)
    committed = {p.name: p.read_text() for p in [*CRDS.glob("*.yaml"), CRDS / "Kustomization"]}
    assert set(committed) == set(expected), "run `make crds`"
    for name, content in expected.items():
        assert committed[name] == content, f"crds/{name} is stale: run `make crds`"


def _walk(node: object, path: str = "") -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    if isinstance(node, dict):
        found.append((path, node))
        for k, v in node.items():
            found.extend(_walk(v, f"{path}/{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found.extend(_walk(v, f"{path}[{i}]"))
    return found


def test_schemas_are_structural() -> None:
    for info in KINDS:
        schema = crd(info)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        for path, node in _walk(schema):
            for banned in ("$ref", "anyOf", "patternProperties", "propertyNames", "title"):
                assert banned not in node, f"{info.kind}{path} has {banned}"
            assert node.get("additionalProperties") is not False, f"{info.kind}{path}"


def test_model_version_schema_carries_the_rules_users_rely_on() -> None:
    info = next(i for i in KINDS if i.kind == "ModelVersion")
    doc = crd(info)
    version = doc["spec"]["versions"][0]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    containers = spec["properties"]["inferenceSpecification"]["properties"]["containers"]
    assert (containers["minItems"], containers["maxItems"]) == (1, 15)
    assert spec["properties"]["approvalStatus"]["enum"] == ["Approved", "Rejected", "PendingManualApproval"]
    assert spec["properties"]["deletionPolicy"]["default"] == "Retain"
    messages = [r["message"] for r in spec["x-kubernetes-validations"]]
    assert any(m.startswith("spec.inferenceSpecification is immutable") for m in messages)
    assert doc["spec"]["names"]["shortNames"] == ["mv"]
    assert doc["spec"]["names"]["categories"] == ["modelregistry"]
    assert version["subresources"] == {"status": {}}
    columns = {c["name"]: c for c in version["additionalPrinterColumns"]}
    assert {"Group", "Version", "Approval", "Ready", "Age", "ARN"} <= set(columns)
    assert columns["ARN"]["priority"] == 1
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert {
        "modelPackageArn",
        "modelPackageVersion",
        "modelPackageGroupArn",
        "approvalStatus",
        "modelPackageStatus",
        "lastSyncedTime",
        "conditions",
        "observedGeneration",
    } <= set(status)


def test_crd_files_are_valid_yaml_with_one_document() -> None:
    for path in CRDS.glob("*.yaml"):
        docs = list(yaml.safe_load_all(path.read_text()))
        assert len(docs) == 1 and docs[0]["kind"] == "CustomResourceDefinition"


def test_crds_fit_a_client_side_apply() -> None:
    """`kubectl apply` (client-side, as the install docs use it) copies the whole CRD into the
    last-applied-configuration annotation, and annotations may hold 256 KiB in all; etcd's object limit
    (1.5 MiB) is far above that."""
    for info in KINDS:
        size = len(json.dumps(crd(info), separators=(",", ":")))
        print(f"{info.kind}: {size / 1024:.0f} KiB as JSON")
        assert size < 200 * 1024, info.kind


def test_model_version_shows_its_stage() -> None:
    info = next(i for i in KINDS if i.kind == "ModelVersion")
    columns = {c["name"]: c for c in crd(info)["spec"]["versions"][0]["additionalPrinterColumns"]}
    assert columns["Stage"]["jsonPath"] == ".status.modelLifeCycle.stage"
