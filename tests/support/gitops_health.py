"""How Argo CD and Flux read the operator's resources: the health checks as installed by the shipped
argocd-cm file, evaluated by Argo CD itself (`argocd admin settings resource-overrides health`, the
same Lua VM and wrapping as its application-controller; the binary is built from Argo CD's Go module),
and kstatus (the library Flux uses) run as a program built from its Go module."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from registry_operator.reconcile import catalogue
from registry_testbed import health_checks
from registry_testbed.argocd.build import ensure_argocd

ROOT = Path(__file__).resolve().parents[2]
CUSTOMIZATIONS = health_checks.CUSTOMIZATIONS
HEALTH_DIR = health_checks.HEALTH_DIR
KINDS = tuple(info.kind for info in catalogue.KINDS)
ARGOCD_CM = health_checks.ARGOCD_CM
REQUEST_ID = re.compile(r"request id [0-9A-Za-z-]+")


def health_script() -> Path:
    """The one health.lua of every kind (Argo CD's wildcard directory modelregistry.io/_)."""
    return health_checks.SCRIPT


def argocd_health(obj: dict[str, Any]) -> dict[str, str]:
    """Argo CD's health of one object, with the health checks of the shipped argocd-cm file."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as resource:
        yaml.safe_dump(obj, resource)
        resource.flush()
        out = subprocess.run(
            [str(ensure_argocd().binary), "admin", "settings", "resource-overrides", "health", resource.name,
             "--argocd-cm-path", str(ARGOCD_CM)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    fields = dict(
        line.split(": ", 1) for line in out.stdout.splitlines() if line.startswith(("STATUS: ", "MESSAGE: "))
    )
    health = {"status": fields["STATUS"]}
    if fields.get("MESSAGE"):
        health["message"] = fields["MESSAGE"]
    return health


def health_tests() -> list[dict[str, Any]]:
    """The `tests:` of the one health_test.yaml (Argo CD's format: inputPath and healthStatus), every
    kind's, each inputPath `testdata/<Kind>/<file>`."""
    return yaml.safe_load((HEALTH_DIR / "health_test.yaml").read_text())["tests"]


def entry_key(entry: dict[str, Any]) -> tuple[str, str]:
    """(kind, testdata file) of a health_test.yaml entry."""
    testdata, kind, name = entry["inputPath"].split("/")
    assert testdata == "testdata", entry["inputPath"]
    return kind, name


def expected_health() -> dict[tuple[str, str], dict[str, str]]:
    """(kind, testdata file) -> the healthStatus health_test.yaml expects for it."""
    return {entry_key(entry): entry["healthStatus"] for entry in health_tests()}


def sample_path(kind: str, name: str) -> Path:
    return HEALTH_DIR / "testdata" / kind / name


def kstatus(binary: Path, objects: list[dict[str, Any]]) -> list[dict[str, str]]:
    """kstatus results (`status`: Current, InProgress, Failed, Terminating, ...) in input order."""
    out = subprocess.run(
        [str(binary)], input=json.dumps(objects), capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(out.stdout)


def mask_request_ids(text: str) -> str:
    return REQUEST_ID.sub("request id <masked>", text)


# (kind, testdata file) -> the kstatus status Flux reports for that state
KSTATUS = {
    ("ModelPackageGroup", "ready.yaml"): "Current",
    ("ModelPackageGroup", "stalled-not-permitted.yaml"): "Failed",
    ("ModelVersion", "ready-approved.yaml"): "Current",
    ("ModelVersion", "ready-pending-approval.yaml"): "Current",
    ("ModelVersion", "new.yaml"): "InProgress",
    ("ModelVersion", "generation-behind.yaml"): "InProgress",
    ("ModelVersion", "waiting-for-group.yaml"): "InProgress",
    ("ModelVersion", "access-denied.yaml"): "InProgress",
    ("ModelVersion", "stalled-not-permitted.yaml"): "Failed",
    ("CrossAccountRegistryAccess", "ready.yaml"): "Current",
    ("CrossAccountRegistryAccess", "stalled-not-permitted.yaml"): "Failed",
}
