"""Argo CD syncing the examples from git, for real: the application-controller and repo-server built
from Argo CD's Go module, the operator's health checks installed from the shipped argocd-cm file, the
shipped `iris-models` Application pointed at a git repository on disk, the operator process and the
embedded AWS. What a user sees is read from the Application objects, as `kubectl get applications`
(and the Argo CD UI) shows it; each test prints the states it observed with their times.

The tests run in order and build on each other, as a team's history of commits would.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import manifests
import pytest
import yaml
from accounts import CROSS_ACCOUNT_NAMESPACE, REGISTRY_ROLE, TRAINING_ROLE, client_as
from appwatch import AppWatch, wait_app
from gitops_health import mask_request_ids
from kube import Kube, condition
from runner import OperatorRunner
from waiting import eventually

from registry_testbed.argocd.example import EXAMPLE_PATH, shipped_application
from registry_testbed.argocd.gitrepo import GitRepo

APP = "iris-models"
ROOT = Path(__file__).resolve().parents[2]
XGBOOST = f"{EXAMPLE_PATH}/20-xgboost.yaml"
DENIED_APP = "denied-models"
DENIED_PATH = "models/denied"
REFRESH = "argocd.argoproj.io/refresh"

pytestmark = pytest.mark.timeout(900)


def _status(app: dict[str, Any]) -> dict[str, Any]:
    return app.get("status", {})


def _sync(app: dict[str, Any]) -> str:
    return _status(app).get("sync", {}).get("status", "")


def _health(app: dict[str, Any]) -> str:
    return _status(app).get("health", {}).get("status", "")


def _revision(app: dict[str, Any]) -> str:
    return _status(app).get("sync", {}).get("revision", "")


def _synced_at(app: dict[str, Any], revision: str) -> bool:
    """Synced, and to `revision` of the git repository."""
    return _revision(app) == revision and _sync(app) == "Synced"


def _resource(app: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return next((r for r in _status(app).get("resources", []) if r["kind"] == kind and r["name"] == name), {})


def _resource_health(app: dict[str, Any], kind: str, name: str) -> dict[str, str]:
    return _resource(app, kind, name).get("health", {})


def _refresh(kube: Kube, name: str, mode: str = "normal") -> None:
    """What a git webhook (or the UI's Refresh) does: ask the controller to look at git now."""
    kube.kubectl(
        "annotate", "application.argoproj.io", name, "-n", "argocd", f"{REFRESH}={mode}", "--overwrite"
    )


def _commit(kube: Kube, repo: GitRepo, app: str, message: str) -> str:
    sha = repo.commit(message)
    _refresh(kube, app)
    return sha


def _example_versions(group: str) -> list[str]:
    """The ModelVersions the example in git puts in `group` (by reference or by name)."""
    names = []
    for path in sorted((ROOT / EXAMPLE_PATH).glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            spec = (doc or {}).get("spec") or {}
            named = (spec.get("modelPackageGroupRef") or {}).get("name") or spec.get("modelPackageGroupName")
            if doc and doc.get("kind") == "ModelVersion" and named == group:
                names.append(doc["metadata"]["name"])
    return names


def _print_resources(app: dict[str, Any]) -> None:
    for r in _status(app).get("resources", []):
        health = r.get("health", {})
        health_text = f"{health.get('status', '-')}: {health.get('message', '')}"
        print(f"  {r['kind']}/{r['name']}: {r.get('status')}, {health_text}")


def test_synced_and_progressing_until_the_operator_registers_then_healthy(
    kube: Kube, apps: AppWatch, repo: GitRepo, operator: OperatorRunner, sagemaker: Any
) -> None:
    mark = apps.mark()
    kube.apply(shipped_application(APP, repo.url))

    # No operator yet: Argo CD has applied everything, and the health checks say why it is not done.
    app = wait_app(
        kube,
        APP,
        lambda a: (
            _sync(a) == "Synced"
            and _health(a) == "Progressing"
            and _resource_health(a, "ModelVersion", "iris-xgboost")
        ),
        what="Synced/Progressing",
    )
    assert _revision(app) == repo.head()
    for kind, name in (
        ("ModelPackageGroup", "iris"),
        ("ModelVersion", "iris-xgboost"),
        ("ModelVersion", "iris-pipeline"),
    ):
        assert _resource_health(app, kind, name) == {
            "status": "Progressing",
            "message": "Waiting for the operator to reconcile generation 1",
        }, (kind, name)
    print("before the operator runs:")
    _print_resources(app)

    operator.start()
    app = wait_app(
        kube, APP, lambda a: _sync(a) == "Synced" and _health(a) == "Healthy", what="Synced/Healthy"
    )
    xgboost = _resource_health(app, "ModelVersion", "iris-xgboost")
    pipeline = _resource_health(app, "ModelVersion", "iris-pipeline")
    assert xgboost["status"] == pipeline["status"] == "Healthy"
    assert re.fullmatch(r"Version \d+ of iris: PendingManualApproval \(set in git\)", xgboost["message"])
    assert re.fullmatch(
        r"Version \d+ of iris: PendingManualApproval, awaiting a reviewer's decision in SageMaker",
        pipeline["message"],
    )
    assert _resource_health(app, "ModelPackageGroup", "iris")["status"] == "Healthy"
    print("once the operator has registered:")
    _print_resources(app)

    packages = sagemaker.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"]
    assert len(packages) == len(_example_versions("iris"))  # each ModelVersion in git registered once
    states = apps.since(mark, APP)
    healths = [s.health for s in states]
    assert "Progressing" in healths and healths[-1] == "Healthy"
    apps.report(mark, "first sync, then the operator starts")


def test_stays_synced_while_the_operator_writes_status(
    kube: Kube, apps: AppWatch, running_operator: OperatorRunner, sagemaker: Any
) -> None:
    """A reviewer approves in SageMaker; the operator mirrors it into status; nothing in git changed, so
    the Application must stay Synced through those writes and after a hard refresh."""
    mark = apps.mark()
    before = kube.get("modelversion", "iris-pipeline", "ml")
    sagemaker.update_model_package(
        ModelPackageArn=before["status"]["modelPackageArn"], ModelApprovalStatus="Approved"
    )
    kube.wait_for("modelversion", "iris-pipeline", "ml", "jsonpath={.status.approvalStatus}=Approved", 120)
    after = kube.get("modelversion", "iris-pipeline", "ml")
    assert after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]

    _refresh(kube, APP, "hard")
    app = wait_app(
        kube,
        APP,
        lambda a: (
            REFRESH not in a["metadata"].get("annotations", {})
            and _resource_health(a, "ModelVersion", "iris-pipeline").get("message", "").endswith(": Approved")
        ),
        what="refreshed with the approval in its health message",
    )
    assert _sync(app) == "Synced" and _health(app) == "Healthy"
    assert all(r["status"] == "Synced" for r in _status(app)["resources"])
    seen = apps.since(mark, APP)
    assert all(s.sync == "Synced" for s in seen), [s.line() for s in seen]
    _print_resources(app)
    apps.report(mark, "approval in SageMaker mirrored to status, hard refresh")


def test_a_commit_changing_approval_syncs_and_reaches_the_registry(
    kube: Kube, apps: AppWatch, repo: GitRepo, running_operator: OperatorRunner, sagemaker: Any
) -> None:
    mark = apps.mark()
    repo.write(
        XGBOOST,
        repo.read(XGBOOST).replace("approvalStatus: PendingManualApproval", "approvalStatus: Approved"),
    )
    sha = _commit(kube, repo, APP, "Approve iris-xgboost")

    app = wait_app(
        kube,
        APP,
        lambda a: (
            _synced_at(a, sha)
            and _health(a) == "Healthy"
            and _resource_health(a, "ModelVersion", "iris-xgboost").get("message", "").endswith(": Approved")
        ),
        what=f"Synced/Healthy at {sha[:7]} with iris-xgboost Approved",
    )
    assert _status(app)["operationState"]["syncResult"]["revision"] == sha
    arn = kube.get("modelversion", "iris-xgboost", "ml")["status"]["modelPackageArn"]

    def approved() -> bool:
        return sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"

    eventually(approved, timeout=60, what="iris-xgboost Approved in the registry")
    _print_resources(app)
    apps.report(mark, f"commit {sha[:7]}: approvalStatus Approved")


def test_a_commit_with_an_invalid_spec_shows_the_api_servers_message(
    kube: Kube, apps: AppWatch, repo: GitRepo, running_operator: OperatorRunner, sagemaker: Any
) -> None:
    mark = apps.mark()
    good = repo.head()
    repo.write(XGBOOST, repo.read(XGBOOST).replace("approvalStatus: Approved", "approvalStatus: Maybe"))
    bad = _commit(kube, repo, APP, "An approval status the CRD does not allow")
    api_message = 'spec.approvalStatus: Unsupported value: "Maybe"'

    # With the shipped ServerSideDiff=true the comparison itself is a dry-run apply: the API server
    # rejects it, so the automated sync is not attempted and the condition carries the message.
    app = wait_app(
        kube,
        APP,
        lambda a: (
            _revision(a) == bad
            and any(api_message in c.get("message", "") for c in _status(a).get("conditions", []))
        ),
        what="a ComparisonError with the API server's message",
    )
    condition = next(c for c in _status(app)["conditions"] if api_message in c["message"])
    assert condition["type"] == "ComparisonError" and _sync(app) == "Unknown"
    print(f"sync {_sync(app)}, condition {condition['type']}: {condition['message']}")

    # Sync anyway (the UI's Sync button; `argocd app sync` does the same through the API): the sync
    # result names the resource and quotes the API server.
    operation = {
        "initiatedBy": {"username": "registry-testbed"},
        "sync": {"revision": bad, "syncOptions": ["ServerSideApply=true"]},
    }
    patch = json.dumps({"operation": operation})
    kube.kubectl("patch", "application.argoproj.io", APP, "-n", "argocd", "--type=merge", "-p", patch)
    app = wait_app(
        kube,
        APP,
        lambda a: (
            _status(a).get("operationState", {}).get("syncResult", {}).get("revision") == bad
            and _status(a)["operationState"].get("phase") == "Failed"
        ),
        what="the manual sync failed",
    )
    operation = _status(app)["operationState"]
    assert api_message in operation["message"]
    failed = next(r for r in operation["syncResult"]["resources"] if r["status"] == "SyncFailed")
    assert (failed["kind"], failed["name"]) == ("ModelVersion", "iris-xgboost")
    assert api_message in failed["message"]
    print(f"operation {operation['phase']}: {operation['message']}")
    print(f"  {failed['kind']}/{failed['name']} {failed['status']}: {failed['message']}")
    # The operator never saw the invalid spec: the registry still has the approval from before.
    live = kube.get("modelversion", "iris-xgboost", "ml")
    assert live["spec"]["approvalStatus"] == "Approved"
    registered = sagemaker.describe_model_package(ModelPackageName=live["status"]["modelPackageArn"])
    assert registered["ModelApprovalStatus"] == "Approved"

    repo.git("revert", "--no-edit", bad)
    fixed = repo.head()
    _refresh(kube, APP)
    wait_app(
        kube,
        APP,
        lambda a: _synced_at(a, fixed) and _health(a) == "Healthy" and not _status(a).get("conditions"),
        what=f"Synced/Healthy again at {fixed[:7]}",
    )
    assert repo.read(XGBOOST) == repo.git("show", f"{good}:{XGBOOST}") + "\n"
    apps.report(mark, f"commit {bad[:7]}: invalid spec, manual sync, revert {fixed[:7]}")


def test_a_version_whose_access_is_denied_shows_the_operators_message(
    kube: Kube, apps: AppWatch, repo: GitRepo, running_operator: OperatorRunner, aws_endpoint: str
) -> None:
    """A version registered from the training account into a registry-account group that has no
    resource policy for it: AWS denies CreateModelPackage. The operator retries (the policy may come),
    so its health check reports Progressing, with AWS's refusal as the message (docs/users/gitops.md)."""
    mark = apps.mark()
    registry = client_as(aws_endpoint, "sagemaker", REGISTRY_ROLE)
    group = registry.create_model_package_group(ModelPackageGroupName="argocd-no-policy")[
        "ModelPackageGroupArn"
    ]
    version = manifests.version("denied", CROSS_ACCOUNT_NAMESPACE, group_name=group, roleArn=TRAINING_ROLE)
    namespace = yaml_dump(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": CROSS_ACCOUNT_NAMESPACE}}
    )
    repo.write(f"{DENIED_PATH}/00-namespace.yaml", namespace)
    repo.write(f"{DENIED_PATH}/30-version.yaml", yaml_dump(version))
    sha = repo.commit("A version the registry account has not allowed")
    denied_app = shipped_application(APP, repo.url, DENIED_PATH, CROSS_ACCOUNT_NAMESPACE)
    denied_app["metadata"]["name"] = DENIED_APP
    kube.apply(denied_app)

    app = wait_app(
        kube,
        DENIED_APP,
        lambda a: (
            _synced_at(a, sha)
            and _resource_health(a, "ModelVersion", "denied").get("message", "").startswith("AccessDenied: ")
        ),
        what="Synced with AccessDenied in the version's health",
    )
    health = _resource_health(app, "ModelVersion", "denied")
    assert health["status"] == "Progressing" and _health(app) == "Progressing"
    assert "CreateModelPackage failed with AccessDeniedException" in health["message"]
    assert "is not authorized to perform: sagemaker:CreateModelPackage" in health["message"]
    ready = condition(kube.get("modelversion", "denied", CROSS_ACCOUNT_NAMESPACE))
    # Each retry is a new AWS request, so the request id may have moved on since Argo CD looked.
    assert mask_request_ids(health["message"]) == mask_request_ids(f"AccessDenied: {ready['message']}")
    print(f"health {health['status']}: {health['message']}")
    apps.report(mark, f"commit {sha[:7]}: a version whose access is denied")


def yaml_dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def test_out_of_sync_only_ever_meant_a_new_commit(apps: AppWatch) -> None:
    """Over the whole run (operator status writes, registry-side approvals, resyncs), once the
    Application was Synced at a revision it never went OutOfSync at that same revision: each OutOfSync
    was a commit not yet applied, never a diff the operator caused."""
    print("--- every Application state observed in this run ---")
    for state in apps.since(0):
        print(state.line())
    for name in (APP, DENIED_APP):
        states = apps.since(0, name)
        assert any(s.sync == "Synced" for s in states), name
        synced: set[str] = set()
        for state in states:
            if state.sync == "Synced":
                synced.add(state.revision)
            assert not (state.sync == "OutOfSync" and state.revision in synced), state.line()
