"""The resource-policy matcher on its own, against IAM's documented evaluation rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from registry_testbed.localaws.errors import AWSError
from registry_testbed.localaws.resource_policy import Decision, evaluate, parse_policy, wildcard_match

CALLER = frozenset(
    {
        "222222222222",
        "arn:aws:iam::222222222222:root",
        "arn:aws:iam::222222222222:role/trainer",
        "arn:aws:sts::222222222222:assumed-role/trainer/session",
    }
)
PACKAGE = "arn:aws:sagemaker:us-east-2:111111111111:model-package/iris/3"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _stmt(effect: str = "Allow", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Effect": effect,
        "Principal": {"AWS": "222222222222"},
        "Action": "sagemaker:CreateModelPackage",
        "Resource": "arn:aws:sagemaker:us-east-2:111111111111:model-package/iris/*",
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("arn:aws:sagemaker:*:111111111111:model-package/iris/?", PACKAGE, True),
        ("arn:aws:sagemaker:*:111111111111:model-package/iris/??", PACKAGE, False),
        ("arn:aws:sagemaker:us-east-2:111111111111:model-package/iri/*", PACKAGE, False),
        # IAM User Guide, "IAM JSON policy elements: Resource": names in ARNs are case sensitive, and
        # SageMaker lower-cases group names inside its ARNs: a statement naming the group as spelled in
        # CreateModelPackageGroup ("Iris") does not cover the ARN SageMaker checks.
        ("arn:aws:sagemaker:us-east-2:111111111111:model-package/Iris/*", PACKAGE, False),
        ("arn:aws:sagemaker:us-east-2:111111111111:model-package/iris/*", PACKAGE, True),
    ],
)
def test_resource_wildcards(pattern: str, value: str, expected: bool) -> None:
    # IAM policy grammar: * matches any run of characters, ? exactly one.
    assert wildcard_match(pattern, value) is expected


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("sagemaker:*", "sagemaker:CreateModelPackage", True),
        ("sagemaker:Describe*", "sagemaker:DescribeModelPackage", True),
        ("sagemaker:Describe*", "sagemaker:CreateModelPackage", False),
        # IAM User Guide, "IAM JSON policy elements: Action": "The prefix and the action name are case
        # insensitive."
        ("sagemaker:describe*", "sagemaker:DescribeModelPackage", True),
        ("SageMaker:CreateModelPackage", "sagemaker:CreateModelPackage", True),
    ],
)
def test_action_wildcards(pattern: str, value: str, expected: bool) -> None:
    assert wildcard_match(pattern, value, ignore_case=True) is expected


def test_resource_matching_is_case_sensitive_in_evaluation() -> None:
    # IAM User Guide, "IAM JSON policy elements: Resource" (case-sensitive names) and "... Action"
    # (case-insensitive action names), together in one evaluation.
    mixed = parse_policy(
        _doc(
            _stmt(
                Action="SageMaker:createmodelpackage", Resource="arn:aws:sagemaker:*:*:model-package/Iris/*"
            )
        )
    )
    assert evaluate(mixed, CALLER, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.NO_MATCH
    lower = parse_policy(
        _doc(
            _stmt(
                Action="SageMaker:createmodelpackage", Resource="arn:aws:sagemaker:*:*:model-package/iris/*"
            )
        )
    )
    assert evaluate(lower, CALLER, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.ALLOW


def test_allow_deny_and_no_match() -> None:
    # IAM evaluation logic: an explicit Deny overrides Allow; nothing matching means an implicit deny.
    allow = parse_policy(_doc(_stmt()))
    assert evaluate(allow, CALLER, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.ALLOW
    assert evaluate(allow, CALLER, "sagemaker:DeleteModelPackage", [PACKAGE]) is Decision.NO_MATCH
    stranger = frozenset({"333333333333", "arn:aws:iam::333333333333:root"})
    assert evaluate(allow, stranger, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.NO_MATCH
    both = parse_policy(_doc(_stmt(), _stmt("Deny", Principal="*", Action="sagemaker:Create*")))
    assert evaluate(both, CALLER, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.DENY
    assert evaluate(None, CALLER, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.NO_MATCH


def test_not_action_and_not_resource() -> None:
    # NotAction / NotResource match everything except the listed values.
    policy = parse_policy(
        _doc(
            _stmt(Action=None, NotAction="sagemaker:Delete*"),
            _stmt("Deny", Resource=None, NotResource="arn:aws:sagemaker:*:*:model-package/iris/*"),
        )
    )
    assert evaluate(policy, CALLER, "sagemaker:UpdateModelPackage", [PACKAGE]) is Decision.ALLOW
    assert evaluate(policy, CALLER, "sagemaker:DeleteModelPackage", [PACKAGE]) is Decision.NO_MATCH
    elsewhere = "arn:aws:sagemaker:us-east-2:111111111111:model-package/other/1"
    assert evaluate(policy, CALLER, "sagemaker:CreateModelPackage", [elsewhere]) is Decision.DENY


def test_conditions_never_grant_but_always_deny() -> None:
    # A Condition cannot be evaluated without request context: the matcher refuses rather than over-grants.
    condition = {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}
    allow = parse_policy(_doc(_stmt(Condition=condition)))
    assert evaluate(allow, CALLER, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.NO_MATCH
    deny = parse_policy(_doc(_stmt(), _stmt("Deny", Condition=condition)))
    assert evaluate(deny, CALLER, "sagemaker:CreateModelPackage", [PACKAGE]) is Decision.DENY


QUEUE = "arn:aws:sqs:us-east-2:111111111111:registry-events"
RULE = "arn:aws:events:us-east-2:111111111111:rule/registry"
EVENTS = frozenset({"Service:events.amazonaws.com"})


def _queue_stmt(effect: str = "Allow", **condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
        "Condition": condition,
    }


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        # the EventBridge User Guide's SQS statement, for its own rule and for another
        ({"ArnEquals": {"aws:SourceArn": RULE}}, {"aws:SourceArn": RULE}, Decision.ALLOW),
        ({"ArnEquals": {"aws:SourceArn": RULE}}, {"aws:SourceArn": RULE + "-2"}, Decision.NO_MATCH),
        # condition keys are case-insensitive (the guide's Lambda statement spells AWS:SourceArn)
        (
            {"ArnLike": {"AWS:SourceArn": "arn:aws:events:*:111111111111:rule/*"}},
            {"aws:SourceArn": RULE},
            Decision.ALLOW,
        ),
        (
            {"StringEquals": {"aws:SourceAccount": "111111111111"}},
            {"aws:SourceAccount": "111111111111"},
            Decision.ALLOW,
        ),
        (
            {"StringNotEquals": {"aws:SourceAccount": "111111111111"}},
            {"aws:SourceAccount": "111111111111"},
            Decision.NO_MATCH,
        ),
        # all conditions of a statement must hold
        (
            {"ArnEquals": {"aws:SourceArn": RULE}, "StringEquals": {"aws:SourceAccount": "222222222222"}},
            {"aws:SourceArn": RULE, "aws:SourceAccount": "111111111111"},
            Decision.NO_MATCH,
        ),
        # what cannot be told never grants: an operator not modelled, or a key the request lacks
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceArn": RULE}, Decision.NO_MATCH),
        ({"ArnEquals": {"aws:SourceArn": RULE}}, {"aws:SourceAccount": "111111111111"}, Decision.NO_MATCH),
        ({"Bool": {"aws:SecureTransport": True}}, {"aws:SourceArn": RULE}, Decision.NO_MATCH),
    ],
)
def test_conditions_with_request_context(
    condition: dict[str, Any], context: dict[str, str], expected: Decision
) -> None:
    policy = parse_policy(_doc(_queue_stmt(**condition)))
    assert evaluate(policy, EVENTS, "sqs:SendMessage", [QUEUE], context) is expected
    # without the context the same statement never grants
    assert evaluate(policy, EVENTS, "sqs:SendMessage", [QUEUE]) is Decision.NO_MATCH


def test_a_deny_applies_unless_its_condition_is_known_not_to_hold() -> None:
    allow = _queue_stmt(ArnEquals={"aws:SourceArn": RULE})
    deny_other = _queue_stmt("Deny", ArnNotEquals={"aws:SourceArn": RULE})
    policy = parse_policy(_doc(allow, deny_other))
    assert evaluate(policy, EVENTS, "sqs:SendMessage", [QUEUE], {"aws:SourceArn": RULE}) is Decision.ALLOW
    assert evaluate(policy, EVENTS, "sqs:SendMessage", [QUEUE], {"aws:SourceArn": "x"}) is Decision.DENY
    unknown = parse_policy(_doc(allow, _queue_stmt("Deny", IpAddress={"aws:SourceIp": "10.0.0.0/8"})))
    assert evaluate(unknown, EVENTS, "sqs:SendMessage", [QUEUE], {"aws:SourceArn": RULE}) is Decision.DENY


@pytest.mark.parametrize(
    "text",
    [
        '{"Version": "2012-10-17", "Statement": [',  # the seed's unclosed brace
        json.dumps({"Version": "2012-10-17"}),
        _doc(_stmt(Effect="Maybe")),
        _doc({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}),  # no Principal
    ],
)
def test_malformed_policies_are_refused(text: str) -> None:
    # PutModelPackageGroupPolicy validates the document: ValidationException, nothing stored.
    with pytest.raises(AWSError) as exc:
        parse_policy(text)
    assert exc.value.code == "ValidationException"
