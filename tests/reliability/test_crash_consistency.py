"""The operator SIGKILLed at random moments while 500 ModelVersions and 5 accesses are created, and
restarted each time: exactly 500 versions in the registry, one grant per key, every statement there.

Kills come on progress, not on a clock: after a random number of versions newly registered or newly
Ready since the last start (a create replayed after a kill makes no progress), and at a random moment
within the reconciles in flight. Every life of the process makes progress by
construction, however slow the machine is; a clock-driven killer could fire again before a slow
start-up finished, and the run would never end.
"""

from __future__ import annotations

import json
import random
import threading
import time
from typing import Any

import manifests
import pytest
import yaml
from kube import ready_names, wait_ready_count
from registry_contents import package_arns

# 500 versions under repeated kills on a 2-core machine shared with other work: minutes, not seconds.
pytestmark = pytest.mark.timeout(2400)
NAMESPACES = ["crash"]
# Few workers and slow creates, so the registrations spread over many lives: a poll of the registry and
# the objects takes a second or two on a busy machine, and 32 workers would finish 500 in fewer lives.
OPERATOR_ARGS = ["--max-workers", "4"]
CREATE_LATENCY_MS = 300
VERSIONS = 500
ACCESSES = 5
MIN_KILLS = 10
# Progress between one start and the next kill: versions newly registered or newly Ready.
PROGRESS_PER_LIFE = (5, 40)
OPERATOR_CONFIG = """
defaultRegion: us-east-2
namespaces:
  crash:
    grantAccounts: ["111111111111"]
    groups: ["crash"]
    s3Buckets: ["crash-artifacts"]
    kmsKeys: ["*"]
"""


def _access(i: int, key_id: str) -> dict[str, Any]:
    return manifests.access(
        f"access-{i}",
        "crash",
        "crash",
        trainingAccountId="123456789012",
        region=None,
        training={"s3Bucket": "crash-artifacts", "s3KeyPrefix": f"model-{i}/", "kmsKeyId": key_id},
    )


def test_sigkill_during_creation_loses_and_duplicates_nothing(stack: Any, tmp_path: Any) -> None:
    kube = stack.kube
    sm, s3, kms = stack.client("sagemaker"), stack.client("s3"), stack.client("kms")
    sm.create_model_package_group(ModelPackageGroupName="crash")
    s3.create_bucket(Bucket="crash-artifacts", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
    keys = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(ACCESSES)]

    stack.admin.set_faults(
        [{"operation": "sagemaker:CreateModelPackage", "rate": 0.0, "latencyMs": CREATE_LATENCY_MS}]
    )
    rng = random.Random(20261128)
    kills = 0
    done = threading.Event()
    lives: list[float] = []

    def made() -> int:
        """Progress so far: versions registered plus versions Ready (both only grow)."""
        return len(package_arns(sm, "crash")) + len(ready_names(kube, "modelversions", "crash"))

    def killer() -> None:
        try:
            kill_on_progress()
        except Exception as exc:  # the assertions below say what is missing; the thread must not die loud
            print(f"killer stopped: {exc!r}")

    def kill_on_progress() -> None:
        nonlocal kills
        while not done.is_set() or kills < MIN_KILLS:
            started_at = time.monotonic()
            wanted = made() + rng.randint(*PROGRESS_PER_LIFE)
            while made() < wanted and not (done.is_set() and kills >= MIN_KILLS):
                if time.monotonic() - started_at > 300:
                    return  # no progress at all: the assertions below say what is missing
                time.sleep(0.25)
            time.sleep(rng.uniform(0.0, 0.3))  # somewhere inside the reconciles in flight
            stack.operator.kill()  # SIGKILL: no finalizers, no status flush, nothing graceful
            kills += 1
            lives.append(time.monotonic() - started_at)
            stack.operator.start()

    started = time.monotonic()
    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    docs = [manifests.version(f"v-{i:03d}", "crash", group_name="crash") for i in range(VERSIONS)]
    docs += [_access(i, key) for i, key in enumerate(keys)]
    for batch in range(0, len(docs), 50):
        path = tmp_path / f"batch-{batch}.yaml"
        path.write_text(yaml.safe_dump_all(docs[batch : batch + 50]))
        kube.kubectl("apply", "-f", str(path), timeout=120)
    wait_ready_count(kube, "modelversions", "crash", VERSIONS // 2, at_least=True, timeout=1200, interval=2)
    done.set()
    thread.join(timeout=120)
    wait_ready_count(kube, "modelversions", "crash", VERSIONS, timeout=1200, interval=3)
    wait_ready_count(kube, "crossaccountregistryaccesses", "crash", ACCESSES, timeout=300, interval=3)
    elapsed = time.monotonic() - started

    arns = package_arns(sm, "crash")
    items = json.loads(kube.kubectl("get", "modelversions", "-n", "crash", "-o", "json").stdout)["items"]
    in_status = {i["status"]["modelPackageArn"] for i in items}
    grants = {key: kms.list_grants(KeyId=key)["Grants"] for key in keys}
    statements = json.loads(s3.get_bucket_policy(Bucket="crash-artifacts")["Policy"])["Statement"]
    calls = stack.admin.calls("crash/")
    print(
        f"\n{kills} SIGKILLs in {elapsed:.0f} s (lives of {min(lives):.1f}-{max(lives):.1f} s); "
        f"versions in the registry: {len(arns)} (distinct {len(set(arns))}); "
        f"creates: {calls.get('sagemaker:CreateModelPackage')}; "
        f"grants per key: {sorted(len(g) for g in grants.values())}; bucket statements: {len(statements)}"
    )
    assert kills >= MIN_KILLS
    assert len(arns) == len(set(arns)) == VERSIONS  # none missing, none duplicated, counted in the registry
    assert in_status == set(arns)
    assert all(len(g) == 1 for g in grants.values())
    assert len(statements) == 2 * ACCESSES
