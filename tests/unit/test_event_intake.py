"""The intake's judgement before it asks for a run (handlers/registry_events.py): from the version as the
watch last delivered it (the package views' TrackedVersion), an event older than what the status reflects
is stale and a same-moment event that changes nothing is a duplicate, both answered without a run; a newer
one is run, and the message is deleted once the run says it is done."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from types import SimpleNamespace
from typing import Any

from registry_operator.aws.sqs import EventResult
from registry_operator.handlers.registry_events import EventIntake
from registry_operator.reconcile import model_version
from registry_operator.reconcile.claims import PackageClaim
from registry_operator.reconcile.registry_events import PackageStateChange, parse_message

ARN = "arn:aws:sagemaker:us-east-2:123456789012:model-package/g/1"
GROUP_ARN = "arn:aws:sagemaker:us-east-2:123456789012:model-package-group/g"
REFLECTED = "2026-01-01T00:00:10Z"  # status.observedRegistryTime
UID = "0f0e5d1c-uid"


def _body() -> dict[str, Any]:
    """A registered, approved ModelVersion as its status records it."""
    return {
        "apiVersion": "modelregistry.io/v1alpha1",
        "kind": "ModelVersion",
        "metadata": {"name": "v", "namespace": "ns", "uid": UID, "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"modelPackageGroupName": "g"},
        "status": {
            "modelPackageArn": ARN,
            "modelPackageGroupArn": GROUP_ARN,
            "region": "us-east-2",
            "approvalStatus": "Approved",
            "modelPackageStatus": "Completed",
            "creationTime": "2026-01-01T00:00:01Z",
            "observedRegistryTime": REFLECTED,
        },
    }


def _event(approval: str, modified: str) -> PackageStateChange:
    parsed = parse_message(
        json.dumps(
            {
                "version": "0",
                "id": f"event-{approval}-{modified}",
                "detail-type": "SageMaker Model Package State Change",
                "source": "aws.sagemaker",
                "account": "123456789012",
                "time": modified,
                "region": "us-east-2",
                "resources": [ARN],
                "detail": {
                    "ModelPackageGroupName": "g",
                    "ModelPackageVersion": 1,
                    "ModelPackageArn": ARN,
                    "CreationTime": "2026-01-01T00:00:01Z",
                    "LastModifiedTime": modified,
                    "ModelApprovalStatus": approval,
                    "ModelPackageStatus": "Completed",
                },
            }
        )
    )
    assert isinstance(parsed, PackageStateChange), parsed
    return parsed


def _intake() -> tuple[EventIntake, list[str]]:
    body = _body()
    claim = PackageClaim(UID, "ns", "v", body["metadata"]["creationTimestamp"], True)
    operator = SimpleNamespace(
        context=SimpleNamespace(claims=lambda arn: [claim] if arn == ARN else []),
        # what the watch delivered last, as the package views keep it
        package_views=SimpleNamespace(tracked_of=lambda uid: model_version.tracked(body)),
    )
    asked: list[str] = []

    def ask(key: Any, reason: str, hint: Any) -> asyncio.Future[bool]:
        asked.append(reason)
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        done.set_result(True)
        return done

    return EventIntake(operator, ask), asked  # type: ignore[arg-type]


def _judge(event: PackageStateChange) -> tuple[EventResult, list[str]]:
    intake, asked = _intake()
    return asyncio.run(intake(event)), asked


def test_a_newer_event_is_run() -> None:
    assert _judge(_event("Rejected", "2026-01-01T00:00:20Z")) == (EventResult.APPLIED, ["event"])


def test_an_event_about_a_package_nobody_holds_is_unknown() -> None:
    event = _event("Approved", "2026-01-01T00:00:20Z")
    intake, asked = _intake()
    other = dataclasses.replace(event, package_arn=ARN.replace("/g/1", "/g/2"))
    assert (asyncio.run(intake(other)), asked) == (EventResult.UNKNOWN, [])


def test_an_older_event_is_stale_without_a_run() -> None:
    assert _judge(_event("PendingManualApproval", "2026-01-01T00:00:05Z")) == (EventResult.STALE, [])


def test_the_same_change_again_is_a_duplicate_without_a_run() -> None:
    assert _judge(_event("Approved", REFLECTED)) == (EventResult.DUPLICATE, [])
