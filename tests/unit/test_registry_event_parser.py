"""The registry event parser: SQS message bodies as EventBridge delivers SageMaker's events, from the
payloads in AWS's documentation, to a typed change or the reason it is none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from registry_operator.reconcile.registry_events import (
    Freshness,
    Identity,
    PackageStateChange,
    Rejected,
    RejectReason,
    freshness,
    parse_message,
    parse_time,
    status_moves_forward,
)

# The SageMaker developer guide's example ("Events that Amazon SageMaker AI sends to Amazon EventBridge",
# model package state change), as printed: with its `source` key given twice, the second time as a list.
DOCUMENTED = (Path(__file__).parent / "data" / "sagemaker-model-package-state-change.json").read_text()
ARN = "arn:aws:sagemaker:us-east-2:123456789012:model-package/versionedmp-p-idy6c3e1fiqj/2"
AT = datetime(2021, 2, 24, 17, 0, 14, tzinfo=UTC)


def _documented(**detail: Any) -> dict[str, Any]:
    event = json.loads(DOCUMENTED)
    event["source"] = "aws.sagemaker"
    event["detail"].update(detail)
    return {k: v for k, v in event.items()}


def _parsed(event: dict[str, Any] | str) -> PackageStateChange:
    found = parse_message(event if isinstance(event, str) else json.dumps(event))
    assert isinstance(found, PackageStateChange), found
    return found


def test_the_documented_example() -> None:
    event = _parsed(DOCUMENTED)
    assert event.event_id == "844e2571-85d4-695f-b930-0153b71dcb42"
    assert (event.account, event.region, event.package_arn) == ("123456789012", "us-east-2", ARN)
    assert (event.group_name, event.version) == ("versionedmp-p-idy6c3e1fiqj", 2)
    assert (
        event.group_arn
        == "arn:aws:sagemaker:us-east-2:123456789012:model-package-group/versionedmp-p-idy6c3e1fiqj"
    )
    assert (event.approval_status, event.package_status) == ("Rejected", "Completed")
    assert event.event_time == event.last_modified_time == event.creation_time == AT
    assert (event.stage, event.stage_status, event.changed_by, event.failure_reasons) == (
        None,
        None,
        None,
        (),
    )
    assert not event.deleted


def test_stage_failure_deletion_and_who() -> None:
    staged = _parsed(
        _documented(
            ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved", "StageDescription": "go"},
            LastModifiedBy={
                "UserProfileName": "alice",
                "DomainId": "d-123",
                "IamIdentity": {"Arn": "arn:aws:sts::123456789012:assumed-role/studio/SageMaker"},
            },
            CreatedBy={"IamIdentity": {"Arn": "arn:aws:sts::123456789012:assumed-role/pipeline/x"}},
        )
    )
    assert (staged.stage, staged.stage_status) == ("Production", "Approved")
    assert staged.changed_by is not None and staged.changed_by.display() == "alice"
    created_only = _parsed(
        _documented(CreatedBy={"IamIdentity": {"Arn": "arn:aws:iam::123456789012:user/bob"}})
    )
    assert created_only.changed_by == Identity(arn="arn:aws:iam::123456789012:user/bob")

    failed = _parsed(
        _documented(
            ModelPackageStatus="Failed",
            ModelPackageStatusDetails={
                "ValidationStatuses": [
                    {"Name": "v", "Status": "Failed", "FailureReason": "the artifacts are missing"},
                    {"Name": "w", "Status": "Completed"},
                ],
                "ImageScanStatuses": [{"Name": "i", "Status": "Failed", "FailureReason": "critical CVE"}],
            },
        )
    )
    assert failed.failure_reasons == ("the artifacts are missing", "critical CVE")
    assert _parsed(_documented(ModelPackageStatus="Deleting")).deleted


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-02-24T17:00:14Z", AT),
        ("2021-02-24T17:00:14.250Z", AT.replace(microsecond=250000)),
        ("2021-02-24T19:00:14+02:00", AT),
        ("2021-02-24T17:00:14", AT),  # no zone: EventBridge times are UTC
        # the guide's other SageMaker events: epoch milliseconds as text and as a number
        ("1614186014000", AT),
        (1614186014000.0, AT),
        (1614186014, AT),
        ("yesterday", None),
        (None, None),
        (True, None),
        (-5, None),
    ],
)
def test_times(value: Any, expected: datetime | None) -> None:
    assert parse_time(value) == expected


def test_times_in_epoch_milliseconds_in_the_detail() -> None:
    event = _parsed(_documented(LastModifiedTime=1614186015000, CreationTime="1614186014000"))
    assert (event.creation_time, event.last_modified_time) == (AT, AT.replace(second=15))


def test_an_sns_notification_carrying_the_event() -> None:
    wrapped = {
        "Type": "Notification",
        "MessageId": "m",
        "TopicArn": "arn:aws:sns:us-east-2:1:t",
        "Message": DOCUMENTED,
    }
    assert _parsed(wrapped).package_arn == ARN


@pytest.mark.parametrize(
    ("body", "reason", "says"),
    [
        ("not json", RejectReason.MALFORMED, "not JSON"),
        ("[1, 2]", RejectReason.MALFORMED, "not a JSON object"),
        (b"\xff\xfe", RejectReason.MALFORMED, "not JSON"),
        # the guide's training job event, and S3's queue test message
        (
            json.dumps(
                {
                    "source": "aws.sagemaker",
                    "detail-type": "SageMaker Training Job State Change",
                    "detail": {},
                }
            ),
            RejectReason.FOREIGN,
            "Training Job",
        ),
        (
            json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
            RejectReason.FOREIGN,
            "not an EventBridge",
        ),
        (json.dumps(_documented() | {"source": "com.example.registry"}), RejectReason.FOREIGN, "com.example"),
        (json.dumps(_documented() | {"detail": "text"}), RejectReason.MALFORMED, "no detail"),
        (
            json.dumps(
                _documented(
                    ModelPackageArn="arn:aws:sagemaker:us-east-2:123456789012:model-package/unversioned"
                )
            ),
            RejectReason.MALFORMED,
            "no versioned model package ARN",
        ),
        (json.dumps(_documented(ModelPackageGroupName="another")), RejectReason.MALFORMED, "not the group"),
        (json.dumps(_documented(ModelPackageVersion=3)), RejectReason.MALFORMED, "not the version"),
        (json.dumps(_documented() | {"time": "soon"}), RejectReason.MALFORMED, "not a time"),
        (json.dumps(_documented(LastModifiedTime="later")), RejectReason.MALFORMED, "LastModifiedTime"),
    ],
)
def test_rejected(body: str | bytes, reason: RejectReason, says: str) -> None:
    found = parse_message(body)
    assert isinstance(found, Rejected), found
    assert found.reason is reason and says in found.explanation, found


def test_the_arn_may_come_from_resources_alone() -> None:
    event = _documented()
    del event["detail"]["ModelPackageArn"]
    assert _parsed(event).package_arn == ARN


@pytest.mark.parametrize(
    ("reflected", "expected"),
    [
        (datetime(2021, 2, 24, 17, 0, 13, 999000, tzinfo=UTC), Freshness.NEWER),
        # the documented times have no fraction: within the same second the event cannot tell
        (datetime(2021, 2, 24, 17, 0, 14, 700000, tzinfo=UTC), Freshness.SAME),
        (AT, Freshness.SAME),
        (datetime(2021, 2, 24, 17, 0, 15, tzinfo=UTC), Freshness.OLDER),
        (datetime(2021, 2, 24, 17, 0, 15), Freshness.OLDER),  # a naive time is UTC
        (None, Freshness.UNKNOWN),
    ],
)
def test_freshness(reflected: datetime | None, expected: Freshness) -> None:
    assert freshness(_parsed(DOCUMENTED), reflected) is expected


def test_freshness_without_last_modified_time() -> None:
    event = _documented()
    del event["detail"]["LastModifiedTime"]
    assert freshness(_parsed(event), AT) is Freshness.UNKNOWN


@pytest.mark.parametrize(
    ("reflected", "incoming", "expected"),
    [
        ("Pending", "InProgress", True),
        ("InProgress", "Failed", True),
        ("Completed", "Deleting", True),
        ("Completed", "Pending", False),
        ("Completed", "Completed", False),
        ("Completed", "Failed", False),
        (None, "Completed", None),
        ("Completed", "Exploded", None),
    ],
)
def test_status_moves_forward(reflected: str | None, incoming: str | None, expected: bool | None) -> None:
    assert status_moves_forward(reflected, incoming) is expected
