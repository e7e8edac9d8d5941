"""SageMaker's "SageMaker Model Package State Change" events in the embedded AWS: published for every
change made through boto3, matched by the account's EventBridge rules and delivered to their SQS queues as
AWS delivers them (the queue policy decides; disabled rules and other detail-types get nothing)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from event_queues import DETAIL_TYPE, Queue, queue_policy, rule_to, wire
from localaws_support import (
    DEFAULT_ACCOUNT,
    NO_RETRY,
    REGION,
    REGISTRY_ACCOUNT,
    REGISTRY_ROLE,
    TRAINER_ACCOUNT,
    TRAINER_ROLE,
    ClientFactory,
    inference_spec,
)

from registry_testbed.localaws.server import LocalAWS

ENVELOPE = {"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
ISO_SECOND = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture(autouse=True)
def _packages_complete_at_once(local_aws: LocalAWS) -> None:
    local_aws.admin.set_settings(packageCompletionSeconds=0)


@pytest.fixture
def sm(aws_client: ClientFactory) -> Any:
    client = aws_client("sagemaker", config=NO_RETRY)
    client.create_model_package_group(ModelPackageGroupName="Iris")
    return client


@pytest.fixture
def wired(aws_client: ClientFactory) -> Callable[..., Queue]:
    """`wired(pattern=None)`: a queue in the default account that a rule with `pattern` delivers to."""

    def make(pattern: dict[str, Any] | None = None, name: str = "registry-events") -> Queue:
        return wire(aws_client("sqs"), aws_client("events"), name, pattern)

    return make


def _register(sm: Any, **kwargs: Any) -> str:
    return str(
        sm.create_model_package(
            ModelPackageGroupName="Iris", InferenceSpecification=inference_spec(), **kwargs
        )["ModelPackageArn"]
    )


def test_create_approve_stage_delete_arrive_in_order_with_the_documented_fields(
    sm: Any, wired: Callable[..., Queue]
) -> None:
    queue = wired()
    arn = _register(sm, ModelPackageDescription="xgboost", CustomerMetadataProperties={"k": "v"})
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    time.sleep(1.1)  # the stage change falls in a later second: LastModifiedTime must show it
    sm.update_model_package(
        ModelPackageArn=arn, ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"}
    )
    sm.delete_model_package(ModelPackageName=arn)

    events = queue.events(4)
    assert len(events) == 4, events
    for event in events:
        assert set(event) == ENVELOPE
        assert (event["source"], event["detail-type"], event["version"]) == (
            "aws.sagemaker",
            DETAIL_TYPE,
            "0",
        )
        assert (event["account"], event["region"], event["resources"]) == (DEFAULT_ACCOUNT, REGION, [arn])
        assert ISO_SECOND.fullmatch(event["time"]), event["time"]
        detail = event["detail"]
        assert detail["ModelPackageArn"] == arn
        assert (detail["ModelPackageGroupName"], detail["ModelPackageVersion"]) == ("Iris", 1)
        assert detail["ModelPackageDescription"] == "xgboost"
        assert detail["InferenceSpecification"] == inference_spec()
        assert detail["CertifyForMarketplace"] is False
        assert detail["ModelPackageStatusDetails"] == {"ValidationStatuses": [], "ImageScanStatuses": []}
        assert ISO_SECOND.fullmatch(detail["CreationTime"]) and ISO_SECOND.fullmatch(
            detail["LastModifiedTime"]
        )
        # what the documented example does not carry is not published: Describe has it
        assert not {"CreatedBy", "LastModifiedBy", "ApprovalDescription", "CustomerMetadataProperties"} & set(
            detail
        )
    assert len({e["id"] for e in events}) == 4
    details = [e["detail"] for e in events]
    assert [d["ModelApprovalStatus"] for d in details] == [
        "PendingManualApproval",
        "Approved",
        "Approved",
        "Approved",
    ]
    assert [d["ModelPackageStatus"] for d in details] == ["Completed", "Completed", "Completed", "Deleting"]
    assert [d.get("ModelLifeCycle", {}).get("Stage") for d in details] == [
        None,
        None,
        "Production",
        "Production",
    ]
    assert details[0]["LastModifiedTime"] == details[0]["CreationTime"]
    assert details[2]["LastModifiedTime"] > details[1]["LastModifiedTime"]
    assert details[3]["LastModifiedTime"] == details[2]["LastModifiedTime"]  # deletion changes no field
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)


def test_status_transitions_are_published_as_the_registry_makes_them(
    local_aws: LocalAWS, sm: Any, wired: Callable[..., Queue]
) -> None:
    local_aws.admin.set_settings(packageCompletionSeconds=0.6, failPackagesInGroups=["Iris"])
    queue = wired()
    arn = _register(sm)
    events = queue.events(3)
    assert [e["detail"]["ModelPackageStatus"] for e in events] == ["Pending", "InProgress", "Failed"]
    failure = events[-1]["detail"]["ModelPackageStatusDetails"]["ValidationStatuses"][0]
    assert failure["Status"] == "Failed" and failure["FailureReason"]
    assert sm.describe_model_package(ModelPackageName=arn)["ModelPackageStatus"] == "Failed"


def test_a_package_deleted_before_it_completes_publishes_no_later_transition(
    local_aws: LocalAWS, sm: Any, wired: Callable[..., Queue]
) -> None:
    # Pending for a second, InProgress for another: the deletion comes well within the first, and the
    # receive goes on past the times of both transitions.
    local_aws.admin.set_settings(packageCompletionSeconds=2)
    queue = wired()
    sm.delete_model_package(ModelPackageName=_register(sm))
    events = queue.events(2, wait_s=3, whole_wait=True)
    assert [e["detail"]["ModelPackageStatus"] for e in events] == ["Pending", "Deleting"]


def test_no_rule_no_message(aws_client: ClientFactory, sm: Any) -> None:
    queue = Queue(aws_client("sqs"), "unwired")
    queue.allow(queue_policy(queue.arn, f"arn:aws:events:{REGION}:{DEFAULT_ACCOUNT}:rule/registry"))
    _register(sm)
    assert queue.events(0, wait_s=1.5) == []


def test_rules_match_by_pattern(sm: Any, wired: Callable[..., Queue], local_aws: LocalAWS) -> None:
    other_type = wired(
        {"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model State Change"]}, "models"
    )
    approvals = wired(
        {
            "source": ["aws.sagemaker"],
            "detail-type": [DETAIL_TYPE],
            "detail": {"ModelApprovalStatus": ["Approved"], "ModelPackageGroupName": [{"prefix": "Ir"}]},
        },
        "approvals",
    )
    not_pending = wired(
        {
            "detail-type": [DETAIL_TYPE],
            "detail": {"ModelApprovalStatus": [{"anything-but": "PendingManualApproval"}]},
        },
        "not-pending",
    )
    staged = wired({"detail": {"ModelLifeCycle": {"Stage": [{"exists": True}]}}}, "staged")
    arn = _register(sm)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    sm.update_model_package(ModelPackageArn=arn, ModelLifeCycle={"Stage": "Dev", "StageStatus": "Ok"})

    assert other_type.events(0, wait_s=1.5) == []
    assert [e["detail"]["ModelApprovalStatus"] for e in approvals.events(1)] == ["Approved"]
    assert [e["detail"]["ModelApprovalStatus"] for e in not_pending.events(3)] == [
        "Approved",
        "Rejected",
        "Rejected",
    ]
    assert [e["detail"]["ModelLifeCycle"]["Stage"] for e in staged.events(1)] == ["Dev"]
    outcomes = local_aws.admin.event_deliveries()
    assert len(outcomes) == 1 + 3 + 1 and all(o["delivered"] for o in outcomes)


def test_a_disabled_rule_delivers_nothing(
    aws_client: ClientFactory, sm: Any, wired: Callable[..., Queue]
) -> None:
    queue = wired(name="paused")
    aws_client("events").disable_rule(Name="paused-rule")
    _register(sm)
    assert queue.events(0, wait_s=1.5) == []


@pytest.mark.parametrize("policy", ["none", "other-rule", "deny"])
def test_the_queue_policy_decides_whether_eventbridge_may_send(
    aws_client: ClientFactory, sm: Any, local_aws: LocalAWS, policy: str
) -> None:
    queue = Queue(aws_client("sqs"), "guarded")
    rule = rule_to(aws_client("events"), queue)
    if policy == "other-rule":
        queue.allow(queue_policy(queue.arn, rule.replace("rule/registry", "rule/someone-else")))
    elif policy == "deny":
        allowed = json.loads(queue_policy(queue.arn, rule))
        allowed["Statement"].append(
            {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": queue.arn}
        )
        queue.allow(json.dumps(allowed))
    _register(sm)
    assert queue.events(0, wait_s=1.5) == []
    [outcome] = local_aws.admin.event_deliveries()
    assert not outcome["delivered"] and outcome["ruleArn"] == rule
    assert "policy" in outcome["reason"], outcome


def test_events_go_to_the_account_that_owns_the_package(aws_client: ClientFactory, assume: Any) -> None:
    registry, trainer = assume(REGISTRY_ROLE), assume(TRAINER_ROLE)
    registry_sm = aws_client("sagemaker", registry)
    registry_sm.create_model_package_group(ModelPackageGroupName="shared")
    group_arn = f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package-group/shared"
    registry_sm.put_model_package_group_policy(
        ModelPackageGroupName="shared",
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{TRAINER_ACCOUNT}:root"},
                        "Action": "sagemaker:CreateModelPackage",
                        "Resource": f"arn:aws:sagemaker:{REGION}:{REGISTRY_ACCOUNT}:model-package/shared/*",
                    }
                ],
            }
        ),
    )
    queues = {}
    for name, creds in (("registry", registry), ("trainer", trainer)):
        queue = Queue(aws_client("sqs", creds), "registry-events")
        queue.allow(queue_policy(queue.arn, rule_to(aws_client("events", creds), queue)))
        queues[name] = queue
    aws_client("sagemaker", trainer).create_model_package(
        ModelPackageGroupName=group_arn, InferenceSpecification=inference_spec()
    )
    [event] = queues["registry"].events(1)
    assert event["account"] == REGISTRY_ACCOUNT
    assert queues["trainer"].events(0, wait_s=1.0) == []


def test_a_queue_in_another_account_needs_an_execution_role_its_policy_allows(
    aws_client: ClientFactory, assume: Any, local_aws: LocalAWS
) -> None:
    registry, trainer = assume(REGISTRY_ROLE), assume(TRAINER_ROLE)
    role = f"arn:aws:iam::{REGISTRY_ACCOUNT}:role/eventbridge-delivery"
    queue = Queue(aws_client("sqs", trainer), "central")
    queue.allow(queue_policy(queue.arn, "", principal={"AWS": role}))
    events = aws_client("events", registry)
    rule_to(events, queue, name="without-role")
    rule_to(events, queue, name="with-role", RoleArn=role)
    sm = aws_client("sagemaker", registry)
    sm.create_model_package_group(ModelPackageGroupName="iris")
    sm.create_model_package(ModelPackageGroupName="iris", InferenceSpecification=inference_spec())
    [event] = queue.events(1)
    assert event["account"] == REGISTRY_ACCOUNT
    outcomes = {o["ruleArn"].rsplit("/", 1)[1]: o for o in local_aws.admin.event_deliveries()}
    assert outcomes["with-role"]["delivered"]
    assert not outcomes["without-role"]["delivered"] and "RoleArn" in outcomes["without-role"]["reason"]


def test_groups_and_idempotent_retries_publish_nothing(sm: Any, wired: Callable[..., Queue]) -> None:
    queue = wired()
    first = _register(sm, ClientToken="uid-1")
    assert _register(sm, ClientToken="uid-1") == first
    sm.create_model_package_group(ModelPackageGroupName="other")
    sm.delete_model_package_group(ModelPackageGroupName="other")
    assert [e["detail"]["ModelPackageArn"] for e in queue.events(1)] == [first]


def test_clients_cannot_publish_aws_sources(aws_client: ClientFactory, wired: Callable[..., Queue]) -> None:
    queue = wired({"source": ["aws.sagemaker", "com.example.registry"]})
    entry = {"DetailType": DETAIL_TYPE, "Detail": json.dumps({"ModelApprovalStatus": "Approved"})}
    answer = aws_client("events").put_events(
        Entries=[{**entry, "Source": "aws.sagemaker"}, {**entry, "Source": "com.example.registry"}]
    )
    assert answer["FailedEntryCount"] == 1
    assert answer["Entries"][0]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert "EventId" in answer["Entries"][1]
    assert [e["source"] for e in queue.events(1)] == ["com.example.registry"]


def test_a_fault_rule_makes_the_queue_unreadable(
    local_aws: LocalAWS, aws_client: ClientFactory, sm: Any, wired: Callable[..., Queue]
) -> None:
    queue = wired()
    _register(sm)
    local_aws.admin.set_faults(
        [{"operation": "sqs:ReceiveMessage", "rate": 1.0, "error": "ServiceUnavailable"}]
    )
    sqs = aws_client("sqs", config=NO_RETRY)
    with pytest.raises(ClientError) as refused:
        sqs.receive_message(QueueUrl=queue.url, WaitTimeSeconds=0)
    assert refused.value.response["Error"]["Code"] == "ServiceUnavailable"
    local_aws.admin.clear_faults()
    assert len(queue.events(1)) == 1  # the event waited in the queue


def test_setting_one_queue_attribute_keeps_the_queue_policy(
    sm: Any, wired: Callable[..., Queue], local_aws: LocalAWS
) -> None:
    """SetQueueAttributes leaves the attributes it is not given alone (SQS API reference), so a queue's
    visibility timeout set after its policy does not stop EventBridge's deliveries."""
    queue = wired()
    queue.sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"VisibilityTimeout": "5"})
    attributes = queue.sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "5" and "events.amazonaws.com" in attributes["Policy"]
    _register(sm)
    assert len(queue.events(1)) == 1
