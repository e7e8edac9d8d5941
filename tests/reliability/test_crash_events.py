"""The operator SIGKILLed while registry events are in flight, and restarted each time: every approval made
in the registry still reaches status, through the messages SQS hands out again, and the queue ends empty.

The resync is at 600 s and a version is not looked at again when the operator starts (it is settled), so
nothing but the events can bring the approvals: the test checks that no ListModelPackages was made.

Kills come in waves: once the operator's poller is up, a few approvals are made with boto3 (as a
reviewer in SageMaker Studio would), and the operator is killed a moment later, while it holds their
messages (received, not yet deleted) or is applying them. Each kill is followed by a restart; the next
wave waits for the new process to poll again, so every kill hits a process that was reading.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import manifests
import pytest
from event_queues import wire
from kube import wait_ready_count
from waiting import eventually

pytestmark = pytest.mark.timeout(900)
NAMESPACES = ["crash-events"]
NS = NAMESPACES[0]
GROUP = "crash-events"
VERSIONS = 30
WAVES = 6  # one kill after each
# A message the killed process had received stays invisible for the queue's visibility timeout before SQS
# hands it out again: 30 s by default, 60 s or more as the admin docs advise. 5 s here, so that the
# redeliveries of six kills fit the test's patience; the operator applies a message in well under a
# second, so a live process never sees one it is still applying come back.
VISIBILITY_TIMEOUT_S = 5
POLLING = "reading registry events from"  # the poller's log line at the start of each life


def _approvals(kube: Any) -> dict[str, str | None]:
    items = json.loads(kube.kubectl("get", "modelversions", "-n", NS, "-o", "json").stdout)["items"]
    return {i["metadata"]["name"]: (i.get("status") or {}).get("approvalStatus") for i in items}


def _lives(log: Path) -> int:
    return log.read_text(errors="replace").count(POLLING)


def test_sigkill_while_registry_events_are_in_flight_loses_none(stack: Any) -> None:
    kube, admin, operator = stack.kube, stack.admin, stack.operator
    sm = stack.client("sagemaker")
    queue = wire(
        stack.client("sqs"),
        stack.client("events"),
        "crash-events",
        attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT_S)},
    )
    operator.config.write_text(
        "defaultRegion: us-east-2\nresyncIntervalSeconds: 600\n"
        f"eventQueues:\n  - queueUrl: {queue.url}\n"
        f"namespaces:\n  {NS}:\n    groups: ['{GROUP}']\n"
    )
    operator.restart()
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    names = [f"v-{i:02d}" for i in range(VERSIONS)]
    kube.apply([manifests.version(name, NS, group_name=GROUP) for name in names])
    wait_ready_count(kube, "modelversions", NS, VERSIONS, timeout=300, interval=1)
    delivered = sum(1 for d in admin.event_deliveries() if d["delivered"])
    assert delivered >= VERSIONS, f"the rule delivered {delivered} registration events to the queue"
    eventually(lambda: queue.depth() == 0, timeout=120, what="the registrations' events handled")
    arns = {
        i["metadata"]["name"]: i["status"]["modelPackageArn"]
        for i in json.loads(kube.kubectl("get", "modelversions", "-n", NS, "-o", "json").stdout)["items"]
    }

    rng = random.Random(20261206)
    order = names[:]
    rng.shuffle(order)
    waves = [order[i::WAVES] for i in range(WAVES)]
    calls0 = admin.calls()
    kills: list[str] = []
    lives = _lives(operator.log)
    first_approval = time.monotonic()
    last_approval = first_approval
    for number, wave in enumerate(waves, 1):
        eventually(lambda n=lives: _lives(operator.log) >= n, timeout=120, what=f"life {number} polling")
        for name in wave:
            sm.update_model_package(ModelPackageArn=arns[name], ModelApprovalStatus="Approved")
        last_approval = time.monotonic()
        time.sleep(rng.uniform(0.0, 0.4))  # somewhere inside the receiving and applying of the wave
        attributes = queue.sqs.get_queue_attributes(
            QueueUrl=queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        reflected = sum(1 for a in _approvals(kube).values() if a == "Approved")
        operator.kill()  # SIGKILL: nothing graceful, no message deleted on the way out
        kills.append(
            f"kill {number}: {reflected}/{number * len(wave)} approvals reflected; messages held by the "
            f"operator (received, not deleted) {attributes['ApproximateNumberOfMessagesNotVisible']}, "
            f"waiting {attributes['ApproximateNumberOfMessages']}"
        )
        operator.start()
        lives += 1

    eventually(
        lambda: all(a == "Approved" for a in _approvals(kube).values()),
        timeout=180,
        interval=0.2,
        what="every approval in status",
    )
    all_reflected = time.monotonic()
    eventually(lambda: queue.depth() == 0, timeout=60, what="the queue emptied")
    emptied = time.monotonic()
    calls = {k: v - calls0.get(k, 0) for k, v in admin.calls().items() if v - calls0.get(k, 0)}
    sagemaker_calls = {k: v for k, v in calls.items() if k.startswith("sagemaker:")}
    print(
        "\n" + "\n".join(kills) + f"\n{len(kills)} SIGKILLs; every approval in status "
        f"{all_reflected - last_approval:.1f} s after the last approval returned "
        f"({all_reflected - first_approval:.1f} s after the first); the queue empty "
        f"{emptied - last_approval:.1f} s after the last approval (visibility timeout "
        f"{VISIBILITY_TIMEOUT_S} s); SageMaker calls meanwhile: {sagemaker_calls}; "
        f"SQS: { ({k: v for k, v in calls.items() if k.startswith('sqs:')}) }"
    )
    assert len(kills) == WAVES
    assert sagemaker_calls.get("sagemaker:ListModelPackages", 0) == 0, "the resync brought nothing"
    assert all(a == "Approved" for a in _approvals(kube).values())
    assert {sm.describe_model_package(ModelPackageName=a)["ModelApprovalStatus"] for a in arns.values()} == {
        "Approved"
    }
