"""The API server restarted mid-run (every watch cut): the operator recovers by itself and repeats no
AWS side effect."""

from __future__ import annotations

import json
import time
from typing import Any

import manifests
import pytest
import yaml
from kube import wait_ready_count
from registry_contents import package_arns
from waiting import eventually

from registry_testbed.localcluster import cluster

NAMESPACES = ["control-plane"]
VERSIONS = 40


def test_api_server_restart_mid_run(stack: Any, tmp_path: Any) -> None:
    kube = stack.kube
    if kube.info.external:
        pytest.skip("needs the local control plane: it restarts kube-apiserver")
    sm = stack.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="cp")
    pid = stack.operator.process.proc.pid
    path = tmp_path / "v.yaml"
    path.write_text(
        yaml.safe_dump_all(
            [manifests.version(f"v-{i:02d}", "control-plane", group_name="cp") for i in range(VERSIONS)]
        )
    )
    kube.kubectl("apply", "-f", str(path))
    wait_ready_count(kube, "modelversions", "control-plane", 5, at_least=True, timeout=120)

    down_at = time.monotonic()
    ready_after = cluster.restart_apiserver(kube.info.kubeconfig.parent, downtime=5.0)
    wait_ready_count(kube, "modelversions", "control-plane", VERSIONS, timeout=300, interval=2)
    recovered = time.monotonic() - down_at

    # The watch works again: a change made after the restart is acted on.
    kube.kubectl(
        "patch",
        "mv",
        "v-00",
        "-n",
        "control-plane",
        "--type=merge",
        "-p",
        json.dumps({"spec": {"approvalStatus": "Approved"}}),
    )
    arn = kube.get("mv", "v-00", "control-plane")["status"]["modelPackageArn"]
    eventually(
        lambda: sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved",
        timeout=120,
        what="a spec change after the restart reached the registry",
    )
    arns = package_arns(sm, "cp")
    creates = stack.admin.calls("control-plane/").get("sagemaker:CreateModelPackage", 0)
    print(
        f"\nkube-apiserver down 5 s, back in {ready_after:.1f} s; all {VERSIONS} Ready {recovered:.0f} s "
        "after "
        f"the cut; operator pid unchanged: {stack.operator.process.proc.pid == pid}; versions: {len(arns)}; "
        f"CreateModelPackage calls: {creates}"
    )
    assert stack.operator.process.alive() and stack.operator.process.proc.pid == pid
    assert len(arns) == len(set(arns)) == VERSIONS
