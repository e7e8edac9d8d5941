"""Reconcile logic against the embedded AWS in-process: no cluster, real SageMaker semantics."""

from __future__ import annotations

import time
from typing import Any

import pytest
from listing_path import Version, listing_runs

from registry_operator.aws.session import ClientFactory
from registry_operator.config import OperatorConfig
from registry_operator.reconcile import model_package_group, model_version, ownership, runner
from registry_operator.reconcile.context import GroupInfo, ReconcileContext
from registry_operator.reconcile.outcome import ObjectMeta, ObjectRef, State
from registry_testbed.localaws.server import LocalAWS

REGION = "us-east-2"
IMAGE = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.2-1"


@pytest.fixture
def ctx(operator_aws: LocalAWS) -> ReconcileContext:
    groups: dict[tuple[str, str], GroupInfo] = {}
    # 123456789012 is the embedded AWS's default account, the one the operator's own identity acts in
    return ReconcileContext(
        # namespace ml may use the groups the tests make with boto3
        OperatorConfig.model_validate({"namespaces": {"ml": {"groups": ["*"]}}}),
        ClientFactory(),
        lambda ns, name: groups.get((ns, name)),
        own_account="123456789012",
    )


def _ref(
    name: str = "v", uid: str = "6b1d6c2e-0000-4000-8000-000000000001", generation: int = 1
) -> ObjectRef:
    return ObjectRef("ml", name, uid, generation)


def _spec(group: str = "iris", **extra: Any) -> dict[str, Any]:
    return {
        "modelPackageGroupName": group,
        "inferenceSpecification": {"containers": [{"image": IMAGE, "modelDataUrl": "s3://b/m.tar.gz"}]},
        **extra,
    }


def _group(ctx: ReconcileContext, name: str = "iris") -> None:
    out = runner.reconcile(
        model_package_group.MANAGED, ObjectRef("ml", name, "g-uid", 1), {"tags": {"team": "ml"}}, {}, ctx
    )
    assert out.state is State.READY, out


def test_group_created_once_then_observed(ctx: ReconcileContext, local_aws: LocalAWS, sm: Any) -> None:
    _group(ctx)
    _group(ctx)
    assert local_aws.admin.calls().get("sagemaker:CreateModelPackageGroup") == 1
    assert (
        sm.describe_model_package_group(ModelPackageGroupName="iris")["ModelPackageGroupStatus"]
        == "Completed"
    )


def test_version_registered_once_even_if_status_was_lost(ctx: ReconcileContext, sm: Any) -> None:
    _group(ctx)
    first = runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx)
    assert first.state is State.READY and first.events[0].reason == "Registered"
    # A crash before the status write: the next reconcile sees no ARN in status and creates again.
    second = runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx)
    assert second.status["modelPackageArn"] == first.status["modelPackageArn"]
    assert len(sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"]) == 1
    assert first.status["modelPackageVersion"] == 1
    assert first.status["approvalStatus"] == "PendingManualApproval"


def test_missing_group_ref_waits_without_aws_calls(ctx: ReconcileContext, local_aws: LocalAWS) -> None:
    spec = _spec()
    spec.pop("modelPackageGroupName")
    spec["modelPackageGroupRef"] = {"name": "iris"}
    out = runner.reconcile(model_version.MANAGED, _ref(), spec, {}, ctx)
    assert (out.state, out.reason) == (State.PROGRESSING, "WaitingForGroup")
    assert local_aws.admin.calls() == {}


def test_spec_changes_update_approval_metadata_and_tags(ctx: ReconcileContext, sm: Any) -> None:
    _group(ctx)
    old = _spec(customerMetadataProperties={"a": "1", "b": "2"})
    created = runner.reconcile(model_version.MANAGED, _ref(), old, {}, ctx)
    arn = created.status["modelPackageArn"]
    sm.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"addedInConsole": "x"})
    new = _spec(approvalStatus="Approved", customerMetadataProperties={"a": "1"})
    out = runner.reconcile(model_version.MANAGED, _ref(generation=2), new, created.status, ctx)
    assert out.state is State.READY and out.reason == "Updated"
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["CustomerMetadataProperties"] == {
        "a": "1",
        "addedInConsole": "x",
        "modelregistry.io/owner": "default/ml/v/6b1d6c2e-0000-4000-8000-000000000001",  # who owns it
    }
    assert out.status["appliedMetadataKeys"] == ["a"]  # "b" removed, "addedInConsole" never ours


def test_not_permitted_role_makes_no_aws_call(ctx: ReconcileContext, local_aws: LocalAWS) -> None:
    out = runner.reconcile(
        model_version.MANAGED, _ref(), _spec(roleArn="arn:aws:iam::222222222222:role/r"), {}, ctx
    )
    assert (out.state, out.reason) == (State.STALLED, "NotPermitted")
    assert local_aws.admin.calls() == {}


def test_a_group_the_view_has_not_seen_yet_is_waited_for_not_refused(
    ctx: ReconcileContext, local_aws: LocalAWS
) -> None:
    """Applied together, a version by name can run before the watch of groups delivers the group that
    makes it: the API server, read before refusing, says the namespace declares it."""
    applied: list[GroupInfo] = []
    ctx.declared_groups_now = lambda ns, name: [
        g for g in applied if (g.namespace, g.declared_name) == (ns, name)
    ]
    ref = ObjectRef("team", "v", "6b1d6c2e-0000-4000-8000-000000000002", 1)  # no groups scope in the config
    refused = runner.reconcile(
        model_version.MANAGED, ref, _spec("churn"), {}, ctx, meta=ObjectMeta(age_seconds=20)
    )
    assert (refused.state, refused.reason) == (State.STALLED, "NotPermitted")
    # just created: the group may be the next file of the same apply, not created yet
    young = runner.reconcile(
        model_version.MANAGED, ref, _spec("churn"), {}, ctx, meta=ObjectMeta(age_seconds=1)
    )
    assert (young.state, young.reason, young.retry_after) == (State.PROGRESSING, "WaitingForGroup", 9.0)
    applied.append(GroupInfo("team", "churn", "g-uid", "churn", None, None, None, None, ready=False))
    out = runner.reconcile(model_version.MANAGED, ref, _spec("churn"), {}, ctx)
    assert (out.state, out.reason) == (State.PROGRESSING, "WaitingForGroup"), out
    assert "ModelPackageGroup team/churn" in out.message
    assert local_aws.admin.calls() == {}


def test_resync_mirrors_or_reverts_with_one_list_per_group(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    _group(ctx)
    versions = []
    for i, approval in enumerate([None, "Approved"]):
        spec = _spec(**({"approvalStatus": approval} if approval else {}))
        ref = _ref(f"v{i}", uid=f"6b1d6c2e-0000-4000-8000-00000000000{i}")
        versions.append(Version(ref, spec, runner.reconcile(model_version.MANAGED, ref, spec, {}, ctx)))
    arns = [v.outcome.status["modelPackageArn"] for v in versions]
    sm.update_model_package(ModelPackageArn=arns[0], ModelApprovalStatus="Approved")
    sm.update_model_package(ModelPackageArn=arns[1], ModelApprovalStatus="Rejected")
    local_aws.admin.reset_calls()
    outcomes = listing_runs(ctx, versions)
    assert outcomes["v0"].status["approvalStatus"] == "Approved"
    assert [e.reason for e in outcomes["v0"].events] == ["ApprovedInRegistry"]
    assert [e.reason for e in outcomes["v1"].events] == ["ApprovalReverted"]
    assert outcomes["v1"].status["approvalStatus"] == "Approved"
    calls = local_aws.admin.calls()
    # one List for the group; a Describe of each version whose approval changed, for who changed it
    assert calls.get("sagemaker:ListModelPackages") == 1
    assert local_aws.admin.calls("ml/v0") == {"sagemaker:DescribeModelPackage": 1}
    assert sm.describe_model_package(ModelPackageName=arns[1])["ModelApprovalStatus"] == "Approved"
    # nothing new: the next pass asks for no run at all
    settled = [Version(v.ref, v.spec, outcomes[v.ref.name]) for v in versions]
    assert listing_runs(ctx, settled) == {}


def test_delete_policy(ctx: ReconcileContext, sm: Any) -> None:
    _group(ctx)
    out = runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx)
    assert runner.delete(model_version.MANAGED, _ref(), _spec(), out.status, ctx) is None  # Retain by default
    deleted = runner.delete(model_version.MANAGED, _ref(), _spec(deletionPolicy="Delete"), out.status, ctx)
    assert deleted is not None and deleted.state is State.READY
    assert sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"] == []
    again = runner.delete(model_version.MANAGED, _ref(), _spec(deletionPolicy="Delete"), out.status, ctx)
    assert again is not None and again.state is State.READY and "already gone" in again.message


def test_resync_reports_a_version_deleted_outside_the_operator_once(ctx: ReconcileContext, sm: Any) -> None:
    _group(ctx)
    ref = _ref(generation=4)
    out = runner.reconcile(model_version.MANAGED, ref, _spec(), {}, ctx)
    arn = out.status["modelPackageArn"]
    sm.delete_model_package(ModelPackageName=arn)
    (change,) = listing_runs(ctx, [Version(ref, _spec(), out)]).values()
    assert [e.reason for e in change.events] == ["DeletedInRegistry"]
    assert (change.state, change.reason) == (State.STALLED, "DeletedInRegistry")
    assert change.status["modelPackageStatus"] == "Deleted"
    assert listing_runs(ctx, [Version(ref, _spec(), change)]) == {}  # reported once
    # a reconcile of the spec sees the same and stalls instead of registering a new version silently
    again = runner.reconcile(model_version.MANAGED, ref, _spec(), out.status, ctx)
    assert (again.state, again.reason) == (State.STALLED, "DeletedInRegistry")


def _existing_version(sm: Any, group: str = "iris") -> str:
    """A version registered the way the seed's boto3 sample (or a pipeline step) does it."""
    return sm.create_model_package(
        ModelPackageGroupName=group,
        ModelPackageDescription="registered by a pipeline",
        ModelApprovalStatus="PendingManualApproval",
        InferenceSpecification={
            "Containers": [
                {
                    "Image": IMAGE,
                    "ModelDataUrl": "s3://b/m.tar.gz",
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]


def _inference_specification(program: str) -> dict[str, Any]:
    """The spec's inferenceSpecification of _existing_version's container, running `program`."""
    return {
        "containers": [
            {"image": IMAGE, "modelDataUrl": "s3://b/m.tar.gz", "environment": {"SAGEMAKER_PROGRAM": program}}
        ]
    }


def test_adopting_an_existing_version_registers_nothing(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    sm.create_model_package_group(ModelPackageGroupName="iris")
    arn = _existing_version(sm)
    local_aws.admin.reset_calls()
    out = runner.reconcile(
        model_version.MANAGED, _ref(), {"modelPackageArn": arn, "approvalStatus": "Approved"}, {}, ctx
    )
    assert (out.state, out.reason) == (State.READY, "Adopted"), out
    assert out.status["modelPackageArn"] == arn and out.status["modelPackageVersion"] == 1
    assert out.status["modelPackageGroupName"] == "iris" and out.status["approvalStatus"] == "Approved"
    assert [e.reason for e in out.events][:1] == ["Adopted"]
    assert "sagemaker:CreateModelPackage" not in local_aws.admin.calls()
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"


def test_adoption_checks_group_and_inference_specification(ctx: ReconcileContext, sm: Any) -> None:
    sm.create_model_package_group(ModelPackageGroupName="iris")
    sm.create_model_package_group(ModelPackageGroupName="other")
    arn = _existing_version(sm)
    wrong_group = runner.reconcile(
        model_version.MANAGED, _ref(), {"modelPackageArn": arn, "modelPackageGroupName": "other"}, {}, ctx
    )
    assert (wrong_group.state, wrong_group.reason) == (State.STALLED, "GroupMismatch")
    same = _inference_specification("inference.py")  # as _existing_version registered it
    ok = runner.reconcile(
        model_version.MANAGED,
        _ref(),
        {"modelPackageArn": arn, "modelPackageGroupName": "iris", "inferenceSpecification": same},
        {},
        ctx,
    )
    assert ok.state is State.READY, ok
    differs = _inference_specification("serve.py")
    bad = runner.reconcile(
        model_version.MANAGED, _ref(), {"modelPackageArn": arn, "inferenceSpecification": differs}, {}, ctx
    )
    assert (bad.state, bad.reason) == (State.STALLED, "InferenceSpecificationDiffers")
    assert bad.message.startswith(
        "spec.inferenceSpecification.containers[0].environment.SAGEMAKER_PROGRAM differs"
    )


def test_adoption_of_a_missing_version_retries_as_not_found(ctx: ReconcileContext) -> None:
    arn = "arn:aws:sagemaker:us-east-2:123456789012:model-package/iris/7"
    out = runner.reconcile(model_version.MANAGED, _ref(), {"modelPackageArn": arn}, {}, ctx)
    assert (out.state, out.reason) == (State.PROGRESSING, "NotFound") and out.retry_after


def test_second_adopter_is_refused_naming_the_first(ctx: ReconcileContext, sm: Any) -> None:
    from registry_operator.reconcile.claims import PackageClaim

    sm.create_model_package_group(ModelPackageGroupName="iris")
    arn = _existing_version(sm)
    claims = [
        PackageClaim("uid-a", "ml", "first", "2026-01-01T00:00:00Z", holds=True),
        PackageClaim("uid-b", "ml", "second", "2026-01-02T00:00:00Z", holds=False),
    ]
    ctx.claims = lambda key: claims if key == arn.lower() else []
    out = runner.reconcile(
        model_version.MANAGED, _ref("second", uid="uid-b"), {"modelPackageArn": arn}, {}, ctx
    )
    assert (out.state, out.reason) == (State.STALLED, "AlreadyManaged")
    assert "ml/first" in out.message


def test_adopting_in_another_account_needs_the_allowlist(ctx: ReconcileContext, local_aws: LocalAWS) -> None:
    arn = "arn:aws:sagemaker:us-east-2:111111111111:model-package/iris/1"
    out = runner.reconcile(model_version.MANAGED, _ref(), {"modelPackageArn": arn}, {}, ctx)
    assert (out.state, out.reason) == (State.STALLED, "NotPermitted")
    assert out.message.startswith("spec.modelPackageArn")
    assert local_aws.admin.calls() == {}


def test_existing_group_is_adopted_not_recreated(ctx: ReconcileContext, sm: Any, local_aws: LocalAWS) -> None:
    sm.create_model_package_group(ModelPackageGroupName="iris", ModelPackageGroupDescription="made by hand")
    local_aws.admin.reset_calls()
    out = runner.reconcile(
        model_package_group.MANAGED,
        ObjectRef("ml", "iris", "g", 1),
        {"modelPackageGroupDescription": "x", "tags": {"team": "ml"}},
        {},
        ctx,
    )
    assert (out.state, out.reason) == (State.READY, "Adopted")
    assert [e.reason for e in out.events] == ["Adopted", "DescriptionDiffers", "Claimed", "TagsUpdated"]
    assert "sagemaker:CreateModelPackageGroup" not in local_aws.admin.calls()


def test_package_status_is_observed_not_assumed(ctx: ReconcileContext, local_aws: LocalAWS, sm: Any) -> None:
    """Ready only once SageMaker says Completed; a Failed package is Stalled with SageMaker's details."""
    _group(ctx)
    local_aws.admin.set_settings(packageCompletionSeconds=2)
    first = runner.reconcile(model_version.MANAGED, _ref(), _spec(), {}, ctx)
    assert (first.state, first.reason) == (State.PROGRESSING, "PackagePending"), first
    assert first.status["modelPackageStatus"] == "Pending" and first.status["modelPackageArn"]
    assert first.retry_after is not None
    time.sleep(2.1)
    again = runner.reconcile(model_version.MANAGED, _ref(), _spec(), first.status, ctx)
    assert (again.state, again.status["modelPackageStatus"]) == (State.READY, "Completed"), again

    sm.create_model_package_group(ModelPackageGroupName="broken")
    local_aws.admin.set_settings(packageCompletionSeconds=0, failPackagesInGroups=["broken"])
    failed = runner.reconcile(model_version.MANAGED, _ref("b", uid="u-broken"), _spec("broken"), {}, ctx)
    assert (failed.state, failed.reason) == (State.STALLED, "PackageFailed"), failed
    assert "could not be validated" in failed.message and failed.status["modelPackageArn"]


def test_a_failed_follow_up_keeps_the_registered_arn(ctx: ReconcileContext, local_aws: LocalAWS) -> None:
    """The version exists once CreateModelPackage answered: whatever fails after, status holds its ARN."""
    _group(ctx)
    local_aws.admin.set_faults(
        [{"operation": "sagemaker:UpdateModelPackage", "rate": 1.0, "error": "InternalFailure"}]
    )
    out = runner.reconcile(model_version.MANAGED, _ref(), _spec(approvalDescription="first cut"), {}, ctx)
    assert out.state is State.PROGRESSING and out.reason == "AwsServerError", out
    assert out.status["modelPackageArn"].endswith("/iris/1")
    local_aws.admin.clear_faults()
    done = runner.reconcile(
        model_version.MANAGED, _ref(), _spec(approvalDescription="first cut"), out.status, ctx
    )
    assert done.state is State.READY and done.status["modelPackageArn"] == out.status["modelPackageArn"]
    deleted = runner.delete(model_version.MANAGED, _ref(), _spec(deletionPolicy="Delete"), done.status, ctx)
    assert deleted is not None and deleted.state is State.READY  # never orphaned


def test_tags_on_a_version_are_refused_by_aws_and_registration_stands(ctx: ReconcileContext) -> None:
    _group(ctx)
    out = runner.reconcile(model_version.MANAGED, _ref(), _spec(tags={"team": "ml"}), {}, ctx)
    assert out.state is State.READY, out
    tags = {c[0]: c for c in out.extra_conditions}[model_version.TAGS_CONDITION]
    assert tags[1:3] == (False, "NotSupported") and "spec.tags" in tags[3]


def test_an_upgrade_claims_what_the_previous_release_registered_once(
    ctx: ReconcileContext, local_aws: LocalAWS, sm: Any
) -> None:
    """The previous release recorded no owner in AWS: its group and version stay Ready, are claimed once
    (event Claimed) and carry the owner from then on."""
    sm.create_model_package_group(ModelPackageGroupName="iris")
    arn = sm.create_model_package(
        ModelPackageGroupName="iris",
        InferenceSpecification={"Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://b/m.tar.gz"}]},
        ModelApprovalStatus="PendingManualApproval",
    )["ModelPackageArn"]
    group_arn = sm.describe_model_package_group(ModelPackageGroupName="iris")["ModelPackageGroupArn"]
    # the status the previous release wrote: no owner, no region, no applied keys
    old_group = {"modelPackageGroupName": "iris", "modelPackageGroupArn": group_arn}
    old_version = {
        "modelPackageArn": arn,
        "modelPackageVersion": 1,
        "modelPackageGroupName": "iris",
        "approvalStatus": "PendingManualApproval",
        "modelPackageStatus": "Completed",
    }
    group_ref = ObjectRef("ml", "iris", "g-uid", 1)
    group = runner.reconcile(model_package_group.MANAGED, group_ref, {}, old_group, ctx)
    version = runner.reconcile(model_version.MANAGED, _ref(), _spec(), old_version, ctx)
    assert (group.state, version.state) == (State.READY, State.READY), (group, version)
    assert [e.reason for e in group.events] == ["Claimed", "TagsUpdated"]  # the owner tag
    assert [e.reason for e in version.events] == ["Claimed", "MetadataUpdated"]  # the owner key
    own = local_aws.admin.calls("ml/v")  # this version's own calls
    assert own.get("sagemaker:UpdateModelPackage") == 1 and "sagemaker:CreateModelPackage" not in own
    me = ownership.me(_ref(), ctx.config).render()
    assert sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"] == {
        ownership.OWNER_KEY: me
    }
    assert version.status["owner"] == me
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=group_arn)["Tags"]}
    assert tags[ownership.OWNER_KEY] == group.status["owner"]

    again = runner.reconcile(model_version.MANAGED, _ref(), _spec(), version.status, ctx)
    group_again = runner.reconcile(model_package_group.MANAGED, group_ref, {}, group.status, ctx)
    assert (again.state, again.events, group_again.events) == (State.READY, [], [])
