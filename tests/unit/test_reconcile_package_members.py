"""A ModelVersion with every registry member, reconciled against the embedded AWS in-process: what is
registered, what changes after registration (and how), what status shows, what the resync enforces or
mirrors of the life-cycle stage, and what is refused before any AWS call."""

from __future__ import annotations

import copy
import json
from typing import Any

import contexts
import pytest
from listing_path import Version, listing_runs
from registry_members import assert_registered_as, every_member, spec_form

from registry_operator.reconcile import model_version, runner
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.outcome import ObjectRef, Outcome, State
from registry_testbed.localaws.server import LocalAWS

REGION = "us-east-2"
UID = "6b1d6c2e-0000-4000-8000-0000000000aa"


@pytest.fixture
def ctx(operator_aws: LocalAWS) -> ReconcileContext:
    context = contexts.with_group_iris()
    operator_aws.admin.reset_calls()
    return context


def _ref(generation: int = 1) -> ObjectRef:
    return ObjectRef("ml", "full", UID, generation)


def _spec(**changes: Any) -> dict[str, Any]:
    spec = {"modelPackageGroupName": "iris", **spec_form(every_member())}
    spec.update(changes)
    return spec


def test_every_member_is_registered_and_status_shows_what_users_look_for(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    out = runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx)
    assert (out.state, out.reason) == (State.READY, "Registered"), out
    described = sm.describe_model_package(ModelPackageName=out.status["modelPackageArn"])
    st = out.status
    assert_registered_as(described, every_member(), st)
    assert "modelPackageStatusDetails" not in st  # nothing failed, nothing to show
    calls = local_aws.admin.calls()
    # CreateModelPackage takes every member at once: no follow-up update for them
    assert calls.get("sagemaker:CreateModelPackage") == 1 and "sagemaker:UpdateModelPackage" not in calls


def test_updatable_members_change_in_one_update_and_say_so(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    first = runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx)
    arn = first.status["modelPackageArn"]
    extra = copy.deepcopy(_spec()["additionalInferenceSpecifications"])
    extra.append({**extra[0], "name": "neo-graviton"})
    changed = _spec(
        modelLifeCycle={"stage": "Staging", "stageStatus": "Approved", "stageDescription": "promoted"},
        modelCard={
            "modelCardContent": '{"model_overview": {"model_creator": "ml-team"}}',
            "modelCardStatus": "PendingReview",
        },
        sourceUri="s3://models/iris/source/",
        additionalInferenceSpecifications=extra,
    )
    local_aws.admin.reset_calls()
    out = runner.reconcile(model_version.MANAGED, _ref(2), changed, first.status, ctx)
    assert (out.state, out.reason) == (State.READY, "Updated"), out
    assert {e.reason for e in out.events} >= {
        "StageUpdated",
        "ModelCardUpdated",
        "SourceUriUpdated",
        "InferenceSpecificationsAdded",
    }
    assert local_aws.admin.calls().get("sagemaker:UpdateModelPackage") == 1
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelLifeCycle"] == {
        "Stage": "Staging",
        "StageStatus": "Approved",
        "StageDescription": "promoted",
    }
    assert described["ModelCard"]["ModelCardStatus"] == "PendingReview"
    assert described["SourceUri"] == "s3://models/iris/source/"
    assert [s["Name"] for s in described["AdditionalInferenceSpecifications"]] == [
        "neo-compiled",
        "neo-graviton",
    ]
    assert out.status["modelLifeCycle"]["stage"] == "Staging"
    assert out.status["modelCardStatus"] == "PendingReview"

    local_aws.admin.reset_calls()
    again = runner.reconcile(model_version.MANAGED, _ref(2), changed, out.status, ctx)
    assert (again.state, again.reason) == (State.READY, "UpToDate")
    assert "sagemaker:UpdateModelPackage" not in local_aws.admin.calls()


def test_card_content_given_back_reserialised_is_not_a_change(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    out = runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx)
    card = json.loads(every_member()["ModelCard"]["ModelCardContent"])
    sm.update_model_package(
        ModelPackageArn=out.status["modelPackageArn"],
        ModelCard={
            "ModelCardContent": json.dumps(card, indent=None, separators=(",", ":")),
            "ModelCardStatus": "Draft",
        },
    )
    local_aws.admin.reset_calls()
    again = runner.reconcile(model_version.MANAGED, _ref(), _spec(), out.status, ctx)
    assert again.reason == "UpToDate" and "sagemaker:UpdateModelPackage" not in local_aws.admin.calls()


def test_members_left_out_are_left_to_the_registry(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    spec = _spec()
    for name in ("modelLifeCycle", "modelCard", "sourceUri"):
        spec.pop(name)
    out = runner.reconcile(model_version.MANAGED, _ref(), spec, {}, ctx)
    arn = out.status["modelPackageArn"]
    assert "modelLifeCycle" not in out.status and "modelCardStatus" not in out.status
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved"},
        ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "Approved"},
        SourceUri="s3://elsewhere/",
    )
    local_aws.admin.reset_calls()
    again = runner.reconcile(model_version.MANAGED, _ref(), spec, out.status, ctx)
    assert again.reason == "UpToDate" and "sagemaker:UpdateModelPackage" not in local_aws.admin.calls()
    assert again.status["modelLifeCycle"] == {"stage": "Production", "stageStatus": "Approved"}
    assert [e.reason for e in again.events] == ["StageChanged"]  # as the resync would have said
    assert again.status["modelCardStatus"] == "Approved"
    settled = runner.reconcile(model_version.MANAGED, _ref(), spec, again.status, ctx)
    assert settled.events == []


def test_resync_sets_back_a_stage_git_decides_and_mirrors_one_it_leaves_open(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    decided = Version(_ref(), _spec(), runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx))
    open_spec = _spec()
    open_spec.pop("modelLifeCycle")
    other = ObjectRef("ml", "open", "6b1d6c2e-0000-4000-8000-0000000000bb", 1)
    left_open = Version(other, open_spec, runner.reconcile(model_version.MANAGED, other, open_spec, {}, ctx))
    for v in (decided, left_open):
        sm.update_model_package(
            ModelPackageArn=v.outcome.status["modelPackageArn"],
            ModelLifeCycle={"Stage": "Archived", "StageStatus": "Done"},
        )
    local_aws.admin.reset_calls()
    changes = listing_runs(ctx, [decided, left_open])
    # one List for the group (made for no object in particular), one Update for the drift, no Describe
    assert local_aws.admin.calls() == {"sagemaker:ListModelPackages": 1, "sagemaker:UpdateModelPackage": 1}
    assert local_aws.admin.calls("ml/full") == {"sagemaker:UpdateModelPackage": 1}

    # git decides: set back in SageMaker, with an event saying from what
    assert [e.reason for e in changes["full"].events] == ["DriftCorrected", "StageUpdated"]
    assert "Archived" in changes["full"].events[0].message
    held = sm.describe_model_package(ModelPackageName=decided.outcome.status["modelPackageArn"])
    assert held["ModelLifeCycle"] == {
        "Stage": "Development",
        "StageStatus": "InProgress",
        "StageDescription": "first",
    }
    # left open: mirrored into status
    assert changes["open"].status["modelLifeCycle"] == {"stage": "Archived", "stageStatus": "Done"}
    assert [e.reason for e in changes["open"].events] == ["StageChanged"]


def test_resync_sets_back_approval_and_stage_in_one_call(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    spec = _spec(approvalStatus="Approved")
    out = runner.reconcile(model_version.MANAGED, _ref(), spec, {}, ctx)
    arn = out.status["modelPackageArn"]
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Rejected",
        ModelLifeCycle={"Stage": "Retired", "StageStatus": "x"},
    )
    local_aws.admin.reset_calls()
    (change,) = listing_runs(ctx, [Version(_ref(), spec, out)]).values()
    reasons = [e.reason for e in change.events]
    assert "ApprovalReverted" in reasons and "DriftCorrected" in reasons  # the approval, the stage
    assert local_aws.admin.calls("ml/full").get("sagemaker:UpdateModelPackage") == 1
    described = sm.describe_model_package(ModelPackageName=arn)
    assert (described["ModelApprovalStatus"], described["ModelLifeCycle"]["Stage"]) == (
        "Approved",
        "Development",
    )


def test_a_version_that_fails_later_is_stalled_with_aws_reasons(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    sm.create_model_package_group(ModelPackageGroupName="broken")
    local_aws.admin.set_settings(packageCompletionSeconds=0, failPackagesInGroups=["broken"])
    failed_spec = _spec(modelPackageGroupName="broken")
    failed = runner.reconcile(model_version.MANAGED, _ref(), failed_spec, {}, ctx)
    assert (failed.state, failed.reason) == (State.STALLED, "PackageFailed")
    (item,) = failed.status["modelPackageStatusDetails"]["validationStatuses"]
    assert item["status"] == "Failed" and "could not be validated" in item["failureReason"]
    # a version that was Ready when it turned Failed: the listing hands it over, its run describes it once
    was_ready = Outcome(State.READY, "Registered", "", {**failed.status, "modelPackageStatus": "Completed"})
    local_aws.admin.reset_calls()
    (change,) = listing_runs(ctx, [Version(_ref(), failed_spec, was_ready)]).values()
    assert (change.state, change.reason) == (State.STALLED, "PackageFailed")
    assert "could not be validated" in change.message
    assert change.status["modelPackageStatusDetails"] == failed.status["modelPackageStatusDetails"]
    assert local_aws.admin.calls("ml/full") == {"sagemaker:DescribeModelPackage": 1}


@pytest.mark.parametrize(
    ("change", "reason", "field"),
    [
        (
            {"securityConfig": {"kmsKeyId": "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab"}},
            "InvalidSecurityConfig",
            "spec.securityConfig.kmsKeyId is in partition aws-cn",
        ),
        (
            {"securityConfig": {"kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab"}},
            "InvalidSecurityConfig",
            "spec.securityConfig.kmsKeyId is in region eu-west-1",
        ),
        (
            {"securityConfig": {"kmsKeyId": "arn:aws:s3:::bucket/key"}},
            "InvalidSecurityConfig",
            "spec.securityConfig.kmsKeyId: arn:aws:s3:::bucket/key is not a KMS key ARN",
        ),
        (
            {"modelCard": {"modelCardContent": "owner: ml"}},
            "InvalidModelCard",
            "spec.modelCard.modelCardContent",
        ),
        (
            {"modelCard": {"modelCardContent": "[1, 2]"}},
            "InvalidModelCard",
            "spec.modelCard.modelCardContent",
        ),
        (
            {"modelLifeCycle": {"stage": "Prod uction", "stageStatus": "Approved"}},
            "InvalidStage",
            "spec.modelLifeCycle.stage",
        ),
    ],
)
def test_bad_members_stall_naming_the_field_without_aws_calls(
    ctx: ReconcileContext, local_aws: LocalAWS, change: dict[str, Any], reason: str, field: str
) -> None:
    out = runner.reconcile(model_version.MANAGED, _ref(), _spec(**change), {}, ctx)
    assert (out.state, out.reason) == (State.STALLED, reason), out
    assert out.message.startswith(field), out.message
    assert local_aws.admin.calls() == {}


def test_a_key_id_or_alias_of_this_region_is_taken(ctx: ReconcileContext, sm: Any) -> None:
    keys = (
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/models",
        f"arn:aws:kms:{REGION}:123456789012:alias/m",
    )
    for i, key in enumerate(keys):
        ref = ObjectRef("ml", f"k{i}", f"6b1d6c2e-0000-4000-8000-00000000010{i}", 1)
        out = runner.reconcile(model_version.MANAGED, ref, _spec(securityConfig={"kmsKeyId": key}), {}, ctx)
        assert out.state is State.READY, (key, out)
        described = sm.describe_model_package(ModelPackageName=out.status["modelPackageArn"])
        assert described["SecurityConfig"] == {"KmsKeyId": key}


def test_adoption_compares_every_immutable_member_given(ctx: ReconcileContext, sm: Any) -> None:
    arn = sm.create_model_package(ModelPackageGroupName="iris", **every_member())["ModelPackageArn"]
    same = {"modelPackageArn": arn, **spec_form(every_member())}
    ok = runner.reconcile(model_version.MANAGED, _ref(), same, {}, ctx)
    assert (ok.state, ok.reason) == (State.READY, "Adopted"), ok
    metrics = copy.deepcopy(same["modelMetrics"])
    metrics["bias"]["report"]["s3Uri"] = "s3://models/iris/metrics/other.json"
    differs = runner.reconcile(model_version.MANAGED, _ref(), {**same, "modelMetrics": metrics}, {}, ctx)
    assert (differs.state, differs.reason) == (State.STALLED, "ModelMetricsDiffers")
    assert differs.message.startswith("spec.modelMetrics.bias.report.s3Uri differs")
