"""Approval you can trust, in-process against the embedded AWS: who made the current approval, from where,
when and why, in status and in events; and a namespace's ApprovalPolicy applied to approvals made in the
registry, where no admission policy runs."""

from __future__ import annotations

from typing import Any

import contexts
import pytest

from registry_operator.api.approval_policy import ApprovalPolicySpec
from registry_operator.reconcile import approval_rules, model_version, runner
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.outcome import ObjectMeta, ObjectRef, Outcome, State
from registry_testbed.localaws.seed_accounts import REGISTRY_ROLE, client_as
from registry_testbed.localaws.server import LocalAWS

IMAGE = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.2-1"
REF = ObjectRef("ml", "v", "6b1d6c2e-0000-4000-8000-0000000000dd", 1)
SPEC = {
    "modelPackageGroupName": "iris",
    "inferenceSpecification": {"containers": [{"image": IMAGE, "modelDataUrl": "s3://b/m.tar.gz"}]},
}
OPERATOR = "arn:aws:iam::123456789012:role/sagemaker-registry-operator"
CARD = ApprovalPolicySpec.model_validate({"requiredModelCardStatus": "Approved"})


@pytest.fixture
def ctx(operator_aws: LocalAWS) -> ReconcileContext:
    context = contexts.with_group_iris()
    context.identity = lambda region, role_arn: OPERATOR
    return context


def _run(ctx: ReconcileContext, spec: dict[str, Any], before: Outcome | None = None, **meta: Any) -> Outcome:
    status = before.status if before else {}
    return runner.reconcile(model_version.MANAGED, REF, spec, status, ctx, meta=ObjectMeta(**meta))


def _approved_in_registry(
    ctx: ReconcileContext, endpoint: str, policy: ApprovalPolicySpec
) -> tuple[str, Outcome]:
    """A registry-driven version, approved in SageMaker by a reviewer under `policy`: its ARN, and the run
    that sees the approval."""
    ctx.approval_policies = lambda namespace: [("release-gate", policy)]
    registered = _run(ctx, SPEC)
    arn = str(registered.status["modelPackageArn"])
    _registry_reviewer(endpoint).update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    return arn, _run(ctx, SPEC, registered)


def _registry_reviewer(endpoint: str) -> Any:
    """A reviewer with an identity of their own (an assumed role), approving in the console."""
    return client_as(endpoint, "sagemaker", REGISTRY_ROLE.replace("111111111111", "123456789012"))


def test_a_registry_approval_says_who_when_and_why(ctx: ReconcileContext, local_aws: LocalAWS) -> None:
    registered = _run(ctx, SPEC)
    assert registered.status["approval"]["source"] == "registry"
    reviewer = _registry_reviewer(local_aws.endpoint_url)
    reviewer.update_model_package(
        ModelPackageArn=registered.status["modelPackageArn"],
        ModelApprovalStatus="Approved",
        ApprovalDescription="accuracy 0.97 on the March data",
    )
    out = _run(ctx, SPEC, registered)
    record = out.status["approval"]
    assert (record["source"], record["status"]) == ("registry", "Approved")
    assert record["by"].startswith("arn:aws:sts::123456789012:assumed-role/registry-admin/"), record
    assert record["description"] == "accuracy 0.97 on the March data"
    assert record["time"]
    (event,) = [e for e in out.events if e.reason == "ApprovedInRegistry"]
    assert record["by"] in event.message


def test_a_git_approval_says_the_operator_set_it_for_whoever_applied_it(ctx: ReconcileContext) -> None:
    created = _run(ctx, SPEC)
    approved = {**SPEC, "approvalStatus": "Approved", "approvalDescription": "reviewed in PR 42"}
    out = runner.reconcile(
        model_version.MANAGED,
        ObjectRef(REF.namespace, REF.name, REF.uid, 2),
        approved,
        created.status,
        ctx,
        meta=ObjectMeta(approval_applied_by="argocd-controller"),
    )
    record = out.status["approval"]
    assert record == {
        "source": "git",
        "status": "Approved",
        "by": OPERATOR,
        "appliedBy": "argocd-controller",
        "time": record["time"],
        "description": "reviewed in PR 42",
    }


def test_a_registry_change_to_a_git_approval_is_reverted_naming_who_tried(
    ctx: ReconcileContext, local_aws: LocalAWS, sm: Any
) -> None:
    spec = {**SPEC, "approvalStatus": "Approved"}
    created = _run(ctx, spec)
    reviewer = _registry_reviewer(local_aws.endpoint_url)
    reviewer.update_model_package(
        ModelPackageArn=created.status["modelPackageArn"], ModelApprovalStatus="Rejected"
    )
    out = _run(ctx, spec, created)
    (event,) = [e for e in out.events if e.reason == "ApprovalReverted"]
    assert "assumed-role/registry-admin" in event.message and "Rejected" in event.message
    assert out.status["approvalStatus"] == "Approved"
    described = sm.describe_model_package(ModelPackageName=created.status["modelPackageArn"])
    assert described["ModelApprovalStatus"] == "Approved"


def test_a_registry_approval_without_the_evidence_is_not_mirrored(
    ctx: ReconcileContext, local_aws: LocalAWS, sm: Any
) -> None:
    arn, out = _approved_in_registry(ctx, local_aws.endpoint_url, CARD)
    assert (out.state, out.reason) == (State.STALLED, "ApprovalPolicyViolated")
    assert "rule requiredModelCardStatus" in out.message and "registry-admin" in out.message
    assert out.status["approvalStatus"] == "PendingManualApproval"  # not mirrored
    assert out.status["approval"]["violations"] == ["requiredModelCardStatus"]
    assert [e.reason for e in out.events] == ["ApprovalPolicyViolated"]
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"  # untouched
    again = _run(ctx, SPEC, out)
    assert again.reason == "ApprovalPolicyViolated" and again.events == []  # said once


def test_a_policy_that_says_so_sets_the_registry_back(
    ctx: ReconcileContext, local_aws: LocalAWS, sm: Any
) -> None:
    revert = CARD.model_copy(update={"revert_registry_approvals": True})
    arn, out = _approved_in_registry(ctx, local_aws.endpoint_url, revert)
    assert out.state is State.READY
    (event,) = [e for e in out.events if e.reason == "ApprovalReverted"]
    assert "without the evidence" in event.message and "requiredModelCardStatus" in event.message
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "PendingManualApproval"
    assert out.status["approvalStatus"] == "PendingManualApproval"


def test_each_rule_names_itself() -> None:
    policy = ApprovalPolicySpec.model_validate(
        {
            "requiredModelCardStatus": "Approved",
            "requiredModelMetrics": ["modelQuality.statistics"],
            "requiredLabels": ["team"],
            "requiredAnnotations": ["example.com/change-ticket"],
            "forbidSelfApproval": True,
        }
    )
    found = approval_rules.violations(
        [("gate", policy)],
        {"modelCard": {"modelCardStatus": "Draft"}, "modelMetrics": {"modelQuality": {}}},
        {},
        {"team": "---"},
        {"modelregistry.io/author": "alice"},
        "alice",
    )
    assert [v.rule for v in found] == [
        "requiredModelCardStatus",
        "requiredModelMetrics",
        "requiredLabels",
        "requiredAnnotations",
        "forbidSelfApproval",
    ]
    assert all(v.describe().startswith(f"ApprovalPolicy gate: rule {v.rule}: ") for v in found)
    met = approval_rules.violations(
        [("gate", policy)],
        {"modelMetrics": {"modelQuality": {"statistics": {"s3Uri": "s3://b/s.json"}}}},
        {"ModelCard": {"ModelCardStatus": "Approved"}},  # the card as the registry holds it now
        {"team": "ml"},
        {"example.com/change-ticket": "CHG-1", "modelregistry.io/author": "alice"},
        "bob",
    )
    assert met == []
