"""AWS throttling, 5xx and latency: everything converges, nothing is duplicated, status says what is wrong
while it lasts, and retries back off instead of hammering."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import manifests
import yaml
from kube import condition
from registry_contents import package_arns
from waiting import eventually

NAMESPACES = ["faults"]
VERSIONS = 60
THROTTLE_SECONDS = 20


def _reasons(kube: Any) -> Counter[str]:
    items = json.loads(kube.kubectl("get", "modelversions", "-n", "faults", "-o", "json").stdout)["items"]
    return Counter(
        "Ready" if condition(i).get("status") == "True" else condition(i).get("reason", "none") for i in items
    )


def test_faults_converge_without_duplicates(stack: Any, tmp_path: Any) -> None:
    kube, admin = stack.kube, stack.admin
    sm = stack.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="faults")
    eventually(lambda: admin.calls().get("sts:GetCallerIdentity"), timeout=60, what="operator started")

    # Phase 1: every CreateModelPackage throttled. Status must say so; retries must back off.
    admin.set_faults(
        [{"operation": "sagemaker:CreateModelPackage", "rate": 1.0, "error": "ThrottlingException"}]
    )
    admin.reset_calls()
    path = tmp_path / "versions.yaml"
    path.write_text(
        yaml.safe_dump_all(
            [manifests.version(f"v-{i:02d}", "faults", group_name="faults") for i in range(VERSIONS)]
        )
    )
    kube.kubectl("apply", "-f", str(path))
    seen = eventually(
        lambda: _reasons(kube).get("Throttled") and _reasons(kube),
        timeout=60,
        what="Throttled shown in status",
    )
    time.sleep(THROTTLE_SECONDS)
    throttled_calls = admin.calls("faults/").get("sagemaker:CreateModelPackage", 0)
    per_version_per_minute = throttled_calls / VERSIONS / (THROTTLE_SECONDS / 60)

    # Phase 2: 20% of every call fails (half throttling, half 5xx) with 50 ms added latency.
    admin.set_faults(
        [
            {"operation": "*", "rate": 0.1, "error": "ThrottlingException", "latencyMs": 50},
            {"operation": "*", "rate": 0.1, "error": "ServiceUnavailable"},
        ]
    )
    started = time.monotonic()
    eventually(lambda: _reasons(kube).get("Ready") == VERSIONS, timeout=600, interval=3, what="all Ready")
    converged = time.monotonic() - started
    injected = admin.faults_injected()
    admin.clear_faults()

    arns = package_arns(sm, "faults")
    print(
        f"\nstatus while throttled: {dict(seen)}; CreateModelPackage attempts while fully throttled: "
        f"{throttled_calls} for {VERSIONS} versions in {THROTTLE_SECONDS} s "
        f"({per_version_per_minute:.1f} per version per minute)"
    )
    print(
        f"with 20% faults: all {VERSIONS} Ready after {converged:.0f} s; "
        f"faults injected: {sum(injected.values())}"
        f" {dict(injected)}; versions in the registry: {len(arns)} (distinct {len(set(arns))})"
    )
    assert len(arns) == len(set(arns)) == VERSIONS
    # botocore's standard mode (5 attempts, backoff, retry quota) plus kopf's growing delay: a handful of
    # attempts per version per minute, not a tight loop.
    assert per_version_per_minute < 20
    assert sum(injected.values()) > 0
