"""The periodic listing and a run's own Describe reach the same status for the same AWS state: one path
through the runner, whatever observed the change. One test per field the listing observes: approval,
life-cycle stage, package status, and a package deleted in the registry."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import contexts
import pytest
from listing_path import Version, listing_runs

from registry_operator.reconcile import model_version, runner
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.outcome import ObjectRef, Outcome, State
from registry_testbed.localaws.server import LocalAWS

IMAGE = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.2-1"
REF = ObjectRef("ml", "v", "6b1d6c2e-0000-4000-8000-0000000000cc", 1)
SPEC = {
    "modelPackageGroupName": "iris",
    "inferenceSpecification": {"containers": [{"image": IMAGE, "modelDataUrl": "s3://b/m.tar.gz"}]},
}


@pytest.fixture
def ctx(operator_aws: LocalAWS) -> ReconcileContext:
    context = contexts.with_group_iris()
    operator_aws.admin.reset_calls()
    return context


# When each path looked, not what it saw: a listing is as of its answer's time, a Describe as of the
# package's LastModifiedTime.
WHEN = {"lastSyncedTime", "observedRegistryTime"}


def _comparable(outcome: Outcome) -> tuple[Any, ...]:
    status = {k: v for k, v in outcome.status.items() if k not in WHEN}
    return outcome.state, outcome.reason, outcome.message, status


def _both_paths(
    ctx: ReconcileContext, before: Outcome, spec: dict[str, Any] = SPEC
) -> tuple[Outcome, Outcome]:
    """(the run the listing asks for, a run that describes the package itself) from the same status."""
    (listed,) = listing_runs(ctx, [Version(REF, spec, before)]).values()
    described = runner.reconcile(model_version.MANAGED, REF, spec, before.status, ctx)
    return listed, described


def _registered(ctx: ReconcileContext) -> Outcome:
    out = runner.reconcile(model_version.MANAGED, REF, SPEC, {}, ctx)
    assert out.state is State.READY, out
    return out


@pytest.mark.parametrize(
    "change",
    [
        lambda sm, arn: sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved"),
        lambda sm, arn: sm.update_model_package(
            ModelPackageArn=arn,
            ModelLifeCycle={"Stage": "Production", "StageStatus": "Approved", "StageDescription": "go"},
        ),
        lambda sm, arn: sm.delete_model_package(ModelPackageName=arn),
    ],
    ids=["approval", "stage", "deleted-in-registry"],
)
def test_a_registry_change_reads_the_same_by_either_path(
    ctx: ReconcileContext, sm: Any, change: Callable[[Any, str], None]
) -> None:
    before = _registered(ctx)
    change(sm, before.status["modelPackageArn"])
    listed, described = _both_paths(ctx, before)
    assert _comparable(listed) == _comparable(described)
    assert [e.reason for e in listed.events] == [e.reason for e in described.events]


def test_a_package_that_completes_reads_the_same_by_either_path(
    ctx: ReconcileContext, local_aws: LocalAWS
) -> None:
    local_aws.admin.set_settings(packageCompletionSeconds=1)
    pending = runner.reconcile(model_version.MANAGED, REF, SPEC, {}, ctx)
    assert (pending.state, pending.reason) == (State.PROGRESSING, "PackagePending")
    time.sleep(1.2)
    listed, described = _both_paths(ctx, pending)
    assert (listed.state, listed.reason) == (State.READY, "Registered")
    assert _comparable(listed) == _comparable(described)


def test_a_package_that_fails_reads_the_same_by_either_path(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    sm.create_model_package_group(ModelPackageGroupName="broken")
    local_aws.admin.set_settings(packageCompletionSeconds=0, failPackagesInGroups=["broken"])
    spec = {**SPEC, "modelPackageGroupName": "broken"}
    failed = runner.reconcile(model_version.MANAGED, REF, spec, {}, ctx)
    was_ready = Outcome(State.READY, "Registered", "", {**failed.status, "modelPackageStatus": "Completed"})
    listed, described = _both_paths(ctx, was_ready, spec)
    assert (listed.state, listed.reason) == (State.STALLED, "PackageFailed")
    assert _comparable(listed) == _comparable(described)


def test_a_version_not_yet_ready_is_described_whatever_the_listing_saw(
    ctx: ReconcileContext, sm: Any, local_aws: LocalAWS
) -> None:
    """A listing covers approval and status, not the approval description: what an earlier run failed to
    apply is only known to be applied once the version was Ready for its spec, so until then the listing's
    run describes the package and finishes the update rather than calling it up to date."""
    spec = {**SPEC, "approvalDescription": "first cut"}
    local_aws.admin.set_faults(
        [{"operation": "sagemaker:UpdateModelPackage", "rate": 1.0, "error": "InternalFailure"}]
    )
    try:
        failed = runner.reconcile(model_version.MANAGED, REF, spec, {}, ctx)
    finally:
        local_aws.admin.clear_faults()
    assert failed.state is State.PROGRESSING and failed.status["modelPackageArn"], failed
    (listed,) = listing_runs(ctx, [Version(REF, spec, failed)]).values()
    assert listed.state is State.READY, listed
    described = sm.describe_model_package(ModelPackageName=failed.status["modelPackageArn"])
    assert described["ApprovalDescription"] == "first cut"
