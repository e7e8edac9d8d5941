"""Two operator replicas: exactly one acts at a time, the other takes over within a bounded time when the
first is killed, and nothing is duplicated."""

from __future__ import annotations

import time
from typing import Any

import manifests
import yaml
from kube import ready_names
from runner import OperatorRunner
from waiting import eventually

NAMESPACES = ["replicas"]
OPERATOR_ARGS = ["--leader-elect", "--leader-election-namespace", "replicas"]


def _holder(kube: Any) -> str:
    found = kube.try_get("lease", "sagemaker-registry-operator", "replicas")
    return ((found or {}).get("spec") or {}).get("holderIdentity", "")


def _apply(kube: Any, tmp_path: Any, names: range) -> None:
    path = tmp_path / f"v-{names.start}.yaml"
    path.write_text(
        yaml.safe_dump_all(
            [manifests.version(f"v-{i:02d}", "replicas", group_name="replicas") for i in names]
        )
    )
    kube.kubectl("apply", "-f", str(path))


def _registered_lines(runner: OperatorRunner) -> int:
    # The outcome a version registers with, as the operator logs it: "Registered: <arn> is <status>".
    return runner.log.read_text(errors="replace").count("Registered: arn:")


def test_one_acts_the_other_takes_over(stack: Any, tmp_path: Any) -> None:
    kube = stack.kube
    sm = stack.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="replicas")
    first = stack.operator
    eventually(lambda: _holder(kube), timeout=60, what="a leader")
    second = OperatorRunner(kube, stack.endpoint, tmp_path / "second.log", first.config, first.extra_args)
    second.start()
    try:
        time.sleep(3)  # let the second one try to take the lease
        leader_id = _holder(kube)
        _apply(kube, tmp_path, range(0, 30))
        eventually(
            lambda: len(ready_names(kube, "modelversions", "replicas")) == 30,
            timeout=180,
            interval=2,
            what="30 Ready",
        )
        acting = [r for r in (first, second) if _registered_lines(r)]
        assert acting == [first], "exactly the first replica (the lease holder) registered versions"
        assert _holder(kube) == leader_id

        first.kill()
        killed_at = time.monotonic()
        eventually(lambda: _holder(kube) not in ("", leader_id), timeout=90, interval=0.5, what="takeover")
        takeover = time.monotonic() - killed_at
        _apply(kube, tmp_path, range(30, 45))
        eventually(
            lambda: len(ready_names(kube, "modelversions", "replicas")) == 45,
            timeout=180,
            interval=2,
            what="45 Ready",
        )
        arns = [
            p["ModelPackageArn"]
            for page in sm.get_paginator("list_model_packages").paginate(ModelPackageGroupName="replicas")
            for p in page["ModelPackageSummaryList"]
        ]
        creates = stack.admin.calls().get("sagemaker:CreateModelPackage", 0)
        print(
            f"\nleader {leader_id} registered 30, follower registered {_registered_lines(second)} "
            f"after taking over {takeover:.1f} s after a SIGKILL of the leader (lease 15 s); "
            f"versions: {len(arns)} (distinct {len(set(arns))}); CreateModelPackage calls: {creates}"
        )
        assert len(arns) == len(set(arns)) == 45
        assert _registered_lines(second) == 15
        assert takeover < 15 + 2 * 2 + 5  # lease duration, two retry periods, and slack for a busy machine
    finally:
        second.stop()
        first.start()  # leave the module's stack as it was for its teardown
