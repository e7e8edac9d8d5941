"""SageMaker's registry events as the operator reads them: an SQS message body in, a typed
`PackageStateChange` or the reason it is not one (`Rejected`) out. Pure: no AWS calls, no clock.

The event is "SageMaker Model Package State Change" (source `aws.sagemaker`), which an EventBridge rule
delivers to a queue as the whole EventBridge event (EventBridge User Guide, "Amazon EventBridge events":
version, id, detail-type, source, account, time, region, resources, detail). Its detail is the package's
description (SageMaker developer guide, "Events that Amazon SageMaker AI sends to Amazon EventBridge",
model package state change): ModelPackageArn, ModelPackageGroupName, ModelApprovalStatus,
ModelPackageStatus, LastModifiedTime, and ModelLifeCycle when the package has a stage ("Get event
notifications for ModelLifeCycle"). SageMaker documents no model package group event.

What the parser tolerates, because AWS's own material differs:
- times as ISO 8601 text ("2021-02-24T17:00:14Z", the model package example), as epoch milliseconds
  (the guide's training job example: "1583831889050", and 1592411992203.0 in its endpoint example) or as
  epoch seconds;
- `source` as a one-element list: the guide's model package example repeats the key, the second time as
  `["aws.sagemaker"]`, and a JSON reader keeps the last one;
- the event wrapped in an SNS notification (`{"Type": "Notification", "Message": "<event>"}`), for a
  queue subscribed to a topic the rule targets.

A message that is valid JSON but another event (another source or detail-type, a test message) is
`foreign`; one that claims to be this event but lacks what the operator needs (the package ARN, a time)
is `malformed`. Both are to be counted, logged once and deleted, never retried.

Ordering: SageMaker "may send multiple events to EventBridge for each state change" (same guide) and
EventBridge does not promise order, so an event may repeat or arrive after a later one. `freshness()`
compares its LastModifiedTime with the one the status reflects, to the second (the documented times carry
no fraction): OLDER is stale and must not move status backwards; SAME is a duplicate, or a change within
the same second or one that does not touch LastModifiedTime (a status transition), which the event alone
cannot order, so re-observe (DescribeModelPackage) unless `status_moves_forward` settles it; NEWER is to
be applied.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from registry_operator.aws.facts import parse_package_arn, sagemaker_name
from registry_operator.aws.sqs import Discard

SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"
DELETING = "Deleting"
# ModelPackageStatus (ModelPackageSummary, SageMaker API reference), in the only order a package moves
# through them; Completed and Failed are both final.
PACKAGE_STATUS_RANK = {"Pending": 0, "InProgress": 1, "Completed": 2, "Failed": 2, DELETING: 3}
# Epoch values above this are milliseconds (in seconds it would be the year 5138).
_MILLIS_FROM = 1e11


class RejectReason(StrEnum):
    MALFORMED = "malformed"
    FOREIGN = "foreign"


@dataclass(frozen=True, slots=True)
class Rejected(Discard):
    """Not a model package state change the operator can use, and why (`reason` a RejectReason): the
    queue poller deletes such a message unread."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who made the change, when the event says (a UserContext: botocore sagemaker model)."""

    arn: str | None = None
    principal_id: str | None = None
    source_identity: str | None = None
    user_profile_name: str | None = None

    def display(self) -> str:
        """The name a person recognises: the Studio user profile, else the IAM identity's ARN."""
        return self.user_profile_name or self.arn or self.source_identity or self.principal_id or ""


@dataclass(frozen=True, slots=True)
class PackageStateChange:
    event_id: str
    event_time: datetime  # the envelope's `time`: when SageMaker saw the change
    account: str
    region: str
    package_arn: str
    group_name: str  # as the detail spells it; ARNs carry it lower-cased
    version: int
    approval_status: str | None
    package_status: str | None
    stage: str | None
    stage_status: str | None
    last_modified_time: datetime | None  # the package's LastModifiedTime, when the detail has it
    creation_time: datetime | None
    failure_reasons: tuple[str, ...]  # FailureReason of each failed validation or image scan
    changed_by: Identity | None  # LastModifiedBy, else CreatedBy, when the detail has them

    @property
    def deleted(self) -> bool:
        return self.package_status == DELETING

    @property
    def group_arn(self) -> str:
        arn = parse_package_arn(self.package_arn)
        assert arn is not None  # checked when parsed
        return arn.group_arn


class Freshness(StrEnum):
    NEWER = "newer"
    SAME = "same"
    OLDER = "older"
    UNKNOWN = "unknown"


def parse_message(body: str | bytes) -> PackageStateChange | Rejected:
    """An SQS message body (the EventBridge event, or an SNS notification carrying it)."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return Rejected(RejectReason.MALFORMED, f"the message is not JSON: {exc}")
    if (
        isinstance(event, dict)
        and event.get("Type") == "Notification"
        and isinstance(event.get("Message"), str)
    ):
        return parse_message(event["Message"])
    if not isinstance(event, dict):
        return Rejected(RejectReason.MALFORMED, "the message is not a JSON object")
    return parse_event(event)


def parse_event(event: Mapping[str, Any]) -> PackageStateChange | Rejected:
    """An EventBridge event, already decoded."""
    source = event.get("source")
    if isinstance(source, list) and len(source) == 1:
        source = source[0]
    detail_type = event.get("detail-type")
    if source is None and detail_type is None:
        return Rejected(RejectReason.FOREIGN, "the message is not an EventBridge event")
    if source != SOURCE or detail_type != DETAIL_TYPE:
        return Rejected(RejectReason.FOREIGN, f"an event of {source!r}, {detail_type!r}")

    def malformed(why: str) -> Rejected:
        return Rejected(RejectReason.MALFORMED, f"{DETAIL_TYPE} event {event.get('id', '?')}: {why}")

    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return malformed("no detail object")
    arn_text = detail.get("ModelPackageArn")
    resources = event.get("resources")
    if not arn_text and isinstance(resources, list) and len(resources) == 1:
        arn_text = resources[0]
    arn = parse_package_arn(str(arn_text or ""))
    if arn is None:
        return malformed(f"no versioned model package ARN (ModelPackageArn {arn_text!r})")
    group_name = detail.get("ModelPackageGroupName") or arn.group
    if not isinstance(group_name, str) or sagemaker_name(group_name) != arn.group.lower():
        return malformed(f"ModelPackageGroupName {group_name!r} is not the group of {arn_text}")
    version = detail.get("ModelPackageVersion", arn.version)
    if str(version) != str(arn.version):
        return malformed(f"ModelPackageVersion {version!r} is not the version of {arn_text}")
    event_time = parse_time(event.get("time"))
    if event_time is None:
        return malformed(f"the event time {event.get('time')!r} is not a time")
    last_modified = parse_time(detail.get("LastModifiedTime"))
    if detail.get("LastModifiedTime") is not None and last_modified is None:
        return malformed(f"LastModifiedTime {detail.get('LastModifiedTime')!r} is not a time")
    stage = detail.get("ModelLifeCycle")
    stage = stage if isinstance(stage, Mapping) else {}
    return PackageStateChange(
        event_id=str(event.get("id") or ""),
        event_time=event_time,
        account=str(event.get("account") or arn.account),
        region=str(event.get("region") or arn.region),
        package_arn=str(arn_text),
        group_name=group_name,
        version=arn.version,
        approval_status=_text(detail.get("ModelApprovalStatus")),
        package_status=_text(detail.get("ModelPackageStatus")),
        stage=_text(stage.get("Stage")),
        stage_status=_text(stage.get("StageStatus")),
        last_modified_time=last_modified,
        creation_time=parse_time(detail.get("CreationTime")),
        failure_reasons=_failure_reasons(detail.get("ModelPackageStatusDetails")),
        changed_by=_identity(detail.get("LastModifiedBy")) or _identity(detail.get("CreatedBy")),
    )


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 text, or epoch milliseconds or seconds (as numbers or numeric text), in UTC."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        value = number
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        seconds = value / 1000.0 if value >= _MILLIS_FROM else float(value)
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def freshness(event: PackageStateChange, reflected: datetime | None) -> Freshness:
    """How the event's LastModifiedTime stands to the one the status reflects, to the whole second."""
    if event.last_modified_time is None or reflected is None:
        return Freshness.UNKNOWN
    ours = math.floor(_aware(reflected).timestamp())
    theirs = math.floor(event.last_modified_time.timestamp())
    if theirs > ours:
        return Freshness.NEWER
    if theirs < ours:
        return Freshness.OLDER
    return Freshness.SAME


def status_moves_forward(reflected: str | None, incoming: str | None) -> bool | None:
    """Whether a package status would move forward (Pending, InProgress, Completed or Failed, Deleting);
    False for a step back or no move, None when either status is unknown."""
    before, after = PACKAGE_STATUS_RANK.get(reflected or ""), PACKAGE_STATUS_RANK.get(incoming or "")
    if before is None or after is None:
        return None
    return after > before


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _failure_reasons(details: Any) -> tuple[str, ...]:
    if not isinstance(details, Mapping):
        return ()
    reasons = []
    for key in ("ValidationStatuses", "ImageScanStatuses"):
        for item in details.get(key) or []:
            if isinstance(item, Mapping) and item.get("Status") == "Failed" and item.get("FailureReason"):
                reasons.append(str(item["FailureReason"]))
    return tuple(reasons)


def _identity(context: Any) -> Identity | None:
    if not isinstance(context, Mapping):
        return None
    iam = context.get("IamIdentity")
    iam = iam if isinstance(iam, Mapping) else {}
    found = Identity(
        arn=_text(iam.get("Arn")),
        principal_id=_text(iam.get("PrincipalId")),
        source_identity=_text(iam.get("SourceIdentity")),
        user_profile_name=_text(context.get("UserProfileName")),
    )
    return found if found.display() else None
