"""Two operator replicas: exactly one acts at a time, the other takes over within a bounded time when the
first is killed, and nothing is duplicated."""

from __future__ import annotations

import time
from typing import Any

import manifests
import pytest
import yaml
from http_probe import http_get
from kube import ready_names, wait_ready_count
from registry_contents import package_arns
from runner import OperatorRunner
from waiting import eventually

from registry_operator.process import leader
from registry_testbed import devstack
from registry_testbed.localcluster import cluster

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
    return runner.log.read_text(errors="replace").count("AWS sagemaker:CreateModelPackage succeeded")


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
        wait_ready_count(kube, "modelversions", "replicas", 30, timeout=180, interval=2)
        acting = [r for r in (first, second) if _registered_lines(r)]
        assert acting == [first], "exactly the first replica (the lease holder) registered versions"
        assert _holder(kube) == leader_id

        first.kill()
        killed_at = time.monotonic()
        eventually(lambda: _holder(kube) not in ("", leader_id), timeout=90, interval=0.5, what="takeover")
        takeover = time.monotonic() - killed_at
        _apply(kube, tmp_path, range(30, 45))
        wait_ready_count(kube, "modelversions", "replicas", 45, timeout=180, interval=2)
        arns = package_arns(sm, "replicas")
        creates = stack.admin.calls("replicas/").get("sagemaker:CreateModelPackage", 0)
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


def test_an_api_server_outage_longer_than_the_lease_never_leaves_two_leaders(
    stack: Any, tmp_path: Any
) -> None:
    """The leader cannot renew while kube-apiserver is down: it must stop (exit) before the standby can
    take the expired lease, never keep reconciling beside it. The standby is ready (healthy) meanwhile."""
    kube = stack.kube
    if kube.info.external:
        pytest.skip("needs the local control plane: it stops kube-apiserver")
    sm = stack.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="outage")
    first = stack.operator
    log_from = len(first.log.read_text(errors="replace"))
    first.restart()  # it may still be waiting for a lease the test before left behind
    eventually(
        lambda: "is the leader" in first.log.read_text(errors="replace")[log_from:],
        timeout=90,
        what="the first replica leading",
    )
    leader_id = _holder(kube)
    port = devstack.free_port()
    second = OperatorRunner(
        kube,
        stack.endpoint,
        tmp_path / "standby.log",
        first.config,
        [*first.extra_args, "--metrics-port", str(port)],
    )
    second.start()
    try:
        eventually(
            lambda: http_get(f"http://127.0.0.1:{port}/readyz", timeout=2)[0] == 200,
            timeout=60,
            what="the standby ready (healthy, not leading)",
        )
        assert _holder(kube) == leader_id
        cluster.restart_apiserver(kube.info.kubeconfig.parent, downtime=float(leader.LEASE_SECONDS + 5))
        # The old leader gave up its lease by ending itself; the standby leads.
        eventually(lambda: not first.process.alive(), timeout=30, what="the old leader exited")
        eventually(
            lambda: _holder(kube) not in ("", leader_id), timeout=90, what="the standby took the lease"
        )
        path = tmp_path / "after.yaml"
        path.write_text(
            yaml.safe_dump_all(
                [manifests.version(f"o-{i}", "replicas", group_name="outage") for i in range(5)]
            )
        )
        kube.kubectl("apply", "-f", str(path))
        eventually(
            lambda: {f"o-{i}" for i in range(5)} <= ready_names(kube, "modelversions", "replicas"),
            timeout=180,
            interval=2,
            what="versions applied after the outage Ready",
        )
        print(f"\nold leader exit code {first.process.proc.returncode}; new holder {_holder(kube)}")
        assert second.process is not None and second.process.alive()
    finally:
        second.stop()
        first.stop()
        first.start()  # leave the module's stack as it was for its teardown
