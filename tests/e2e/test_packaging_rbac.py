"""The operator as the manifests install it: a ServiceAccount holding only the base's RBAC, JSON logs
and the metrics port. Nothing it needs is forbidden, its metrics describe the run, its logs name the
object and AWS request ids.

The session's operator (admin credentials) is paused meanwhile, so exactly one operator acts.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import manifests
import pytest
import yaml
from http_probe import http_get
from kube import Kube
from prometheus_client.parser import text_string_to_metric_families
from runner import OperatorRunner
from waiting import eventually

from registry_testbed import devstack

ROOT = Path(__file__).resolve().parents[2]
OPERATOR_NS = "sagemaker-registry-operator"
RBAC_KINDS = {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@contextlib.contextmanager
def _restricted(
    kube: Kube,
    aws_endpoint: str,
    operator_config: Path,
    operator: OperatorRunner,
    tmp_path: Path,
    overlay: str,
    extra_args: list[str],
) -> Iterator[tuple[devstack.Process, str]]:
    """The operator under the ServiceAccount of an overlay, with that overlay's RBAC applied for real."""
    rendered = kube.kubectl("kustomize", str(ROOT / "manifests" / "overlays" / overlay)).stdout
    kube.apply([d for d in yaml.safe_load_all(rendered) if d and d["kind"] in RBAC_KINDS])
    token = kube.kubectl(
        "create", "token", "sagemaker-registry-operator", "-n", OPERATOR_NS, "--duration=1h"
    ).stdout.strip()
    config = yaml.safe_load(Path(kube.info.kubeconfig).read_text())
    config["users"] = [{"name": "operator", "user": {"token": token}}]
    for ctx in config["contexts"]:
        ctx["context"]["user"] = "operator"
    kubeconfig = tmp_path / "operator-kubeconfig"
    kubeconfig.write_text(json.dumps(config))
    port = devstack.free_port()
    operator.stop()  # one operator at a time
    process = devstack.start_operator(
        kubeconfig,
        aws_endpoint,
        tmp_path / "operator.log",
        ["--config", str(operator_config), "--log-format=json", f"--metrics-port={port}", *extra_args],
        {"POD_NAMESPACE": OPERATOR_NS},  # as the Deployment sets it: its record lives in its namespace
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.stop()
        operator.start()


@pytest.fixture
def restricted_operator(
    kube: Kube, aws_endpoint: str, operator_config: Path, operator: OperatorRunner, tmp_path: Path
) -> Iterator[tuple[devstack.Process, str]]:
    with _restricted(kube, aws_endpoint, operator_config, operator, tmp_path, "cluster-wide", []) as found:
        yield found


def _permission_problems(log: Path) -> list[str]:
    """kopf logs what RBAC refused (403s, "Not enough permissions ..."); nothing of that is expected."""
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [m for m in (r["message"] for r in records) if "forbidden" in m.lower() or "permission" in m]


def test_operator_with_least_privilege_rbac_metrics_and_json_logs(
    kube: Kube, namespace: str, sagemaker: Any, restricted_operator: tuple[devstack.Process, str]
) -> None:
    process, url = restricted_operator
    eventually(lambda: http_get(f"{url}/readyz")[0] == 200, timeout=30, what="/readyz answers 200")
    assert http_get(f"{url}/healthz")[0] == 200

    group = f"rbac-{namespace}"
    kube.apply(
        [
            manifests.group(group, namespace),
            manifests.version("registered", namespace, group_ref=group, approvalStatus="Approved"),
            manifests.version("mirrored", namespace, group_ref=group, deletionPolicy="Delete"),
            manifests.version(
                "refused", namespace, group_name=group, roleArn="arn:aws:iam::999999999999:role/x"
            ),
        ]
    )
    kube.wait("modelversion", "registered", namespace, timeout=90)
    kube.wait("modelversion", "refused", namespace, condition="Stalled", timeout=90)
    # the per-group resync writes status (and events) outside kopf's handlers: approve in the registry
    kube.wait("modelversion", "mirrored", namespace, timeout=90)
    mirrored = kube.get("modelversion", "mirrored", namespace)["status"]["modelPackageArn"]
    sagemaker.update_model_package(ModelPackageArn=mirrored, ModelApprovalStatus="Approved")
    kube.wait_for("modelversion", "mirrored", namespace, "jsonpath={.status.approvalStatus}=Approved", 60)
    # deletion with deletionPolicy Delete: the finalizer comes off once the version is gone from AWS
    kube.delete("modelversion", "mirrored", namespace)
    kube.wait_deleted("modelversion", "mirrored", namespace, timeout=60)

    # a scrape during the run: what it did, by kind and result, and the AWS calls behind it
    def scraped() -> dict[Any, float] | None:
        status, text = http_get(f"{url}/metrics")
        samples = _samples(text) if status == 200 else {}
        ready = _value(samples, "registry_operator_resources", kind="ModelVersion", ready="True")
        return samples if ready >= 1 else None

    samples = eventually(scraped, timeout=30, what="resources gauge shows the Ready version")
    assert _value(samples, "registry_operator_reconciles_total", kind="ModelVersion", result="ready") >= 1
    assert _value(samples, "registry_operator_reconciles_total", kind="ModelVersion", result="stalled") >= 1
    assert (
        _value(samples, "registry_operator_reconciles_total", kind="ModelPackageGroup", result="ready") >= 1
    )
    assert _value(samples, "registry_operator_reconcile_duration_seconds_count", kind="ModelVersion") >= 2
    assert (
        _value(
            samples,
            "registry_operator_aws_calls_total",
            service="sagemaker",
            operation="CreateModelPackage",
            outcome="success",
        )
        == 2
    )
    assert _value(samples, "registry_operator_resources", kind="ModelVersion", ready="False") >= 1
    assert _value(samples, "process_resident_memory_bytes") > 0
    process.stop()

    # JSON logs: every line is a JSON record; the object's namespace/name and AWS request ids are in them
    lines = [line for line in process.log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    mine = [r for r in records if r.get("object", {}).get("namespace") == namespace]
    assert any(
        r["object"]["name"] == "registered"
        and "CreateModelPackage succeeded (request id " in r["message"]
        and r["object"]["kind"] == "ModelVersion"
        for r in mine
    ), mine
    assert any(r["object"]["name"] == "refused" and "NotPermitted" in r["message"] for r in mine)
    # nothing the operator needed was forbidden: kopf says so in its log when RBAC falls short
    assert _permission_problems(process.log) == []
    assert all("severity" in r and "timestamp" in r for r in records)


def test_namespaced_overlay_rbac_is_enough_and_scopes_the_operator(
    kube: Kube, aws_endpoint: str, operator_config: Path, operator: OperatorRunner, tmp_path: Path
) -> None:
    """The namespaced overlay: a RoleBinding in `ml` only and `--namespace=ml`; nothing cluster-wide."""
    suffix = uuid.uuid4().hex[:6]
    watched, other = kube.create_namespace("ml"), kube.create_namespace(f"unwatched-{suffix}")
    kube.delete("clusterrolebinding", "sagemaker-registry-operator")  # left by the cluster-wide overlay
    with _restricted(
        kube, aws_endpoint, operator_config, operator, tmp_path, "namespaced", ["--namespace=ml"]
    ) as (process, url):
        eventually(lambda: http_get(f"{url}/readyz")[0] == 200, timeout=30, what="/readyz answers 200")
        group = f"scoped-{suffix}"
        kube.apply([manifests.group(group, watched), manifests.version(group, watched, group_ref=group)])
        kube.apply(manifests.version("ignored", other, group_name=group))
        kube.wait("modelversion", group, watched, timeout=90)
        time.sleep(3)  # ample time for a watching operator to write a status
        assert kube.get("modelversion", "ignored", other)["status"] == {"observedGeneration": -1}
        kube.delete("modelversion", "ignored", other)  # before the session's operator is back
        process.stop()
        assert _permission_problems(process.log) == []
