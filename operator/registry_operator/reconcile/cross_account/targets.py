"""Each part of an access against its AWS service: the policy targets (ECR, S3, the group's policy), the
KMS grants, and running one part so that its failure becomes that part's result while the others run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry_operator.api.cross_account import CrossAccountRegistryAccessSpec
from registry_operator.aws.ecr import EcrPolicies
from registry_operator.aws.errors import AwsError
from registry_operator.aws.kms import Grants
from registry_operator.aws.s3 import BucketPolicies
from registry_operator.reconcile import error_meaning
from registry_operator.reconcile.cross_account.parts import (
    CONDITIONS,
    GRANT_OPERATIONS,
    LIMITS,
    WHAT,
    GrantPart,
    PolicyPart,
    grant_prefix,
    record_key,
)
from registry_operator.reconcile.cross_account.recorded import LEGACY_FIELDS, recorded_grants
from registry_operator.reconcile.outcome import Retry, Stalled, retry_delay
from registry_operator.reconcile.permissions import Request
from registry_operator.reconcile.policy_sync import PolicyTarget, ensure, withdraw
from registry_operator.reconcile.runner import Run


@dataclass
class PartResult:
    condition: str
    ok: bool
    reason: str
    message: str
    retry: bool = True  # a failure that time may cure (else: Stalled)
    delay: float | None = None


def attempt(run: Run[Any], service: str, action: Any, report: bool = True) -> PartResult | None:
    """Run one part; its failure is that part's result and the other parts still run. Returns None
    for a withdrawal that succeeded, else the part's result."""
    condition = CONDITIONS[service]
    try:
        message = action()
    except Stalled as s:
        return PartResult(condition, False, s.reason, s.message, retry=False)
    except Retry as r:
        return PartResult(condition, False, r.reason, r.message, delay=r.delay)
    except AwsError as err:
        m = error_meaning.meaning(err)
        retry = m.meaning is error_meaning.Meaning.RETRY
        delay = retry_delay(run.attempt, m.base_delay) if retry else m.recheck
        return PartResult(condition, False, m.reason, m.message, retry=retry, delay=delay)
    return PartResult(condition, True, "Applied", message) if report else None


def _role_allowed(run: Run[Any], role_arn: str | None, field_name: str) -> None:
    run.ctx.authorize(run.ref.namespace, Request(roles=((field_name, role_arn or ""),)))


def policy_target(run: Run[Any], part: PolicyPart) -> PolicyTarget:
    clients = run.ctx.clients
    limit, source = LIMITS[part.service]
    what = f"{WHAT[part.service]} {part.target}"
    if part.service == "ecr":
        ecr = EcrPolicies(clients.client("ecr", part.region, part.role_arn))
        return PolicyTarget(
            part.key, what, limit, source,
            lambda: ecr.get(part.account, part.target),
            lambda t: ecr.put(part.account, part.target, t),
            lambda: ecr.delete(part.account, part.target),
        )  # fmt: skip
    if part.service == "s3":
        s3 = BucketPolicies(clients.client("s3", part.region, part.role_arn))
        return PolicyTarget(
            part.key, what, limit, source,
            lambda: s3.get(part.target), lambda t: s3.put(part.target, t), lambda: s3.delete(part.target),
        )  # fmt: skip
    sm = run.ctx.registry(part.region, part.role_arn)
    return PolicyTarget(
        part.key, what, limit, source,
        lambda: sm.get_group_policy(part.target),
        lambda t: sm.put_group_policy(part.target, t),
        lambda: sm.delete_group_policy(part.target),
    )  # fmt: skip


def ensure_policy(run: Run[CrossAccountRegistryAccessSpec], part: PolicyPart) -> str:
    what = f"{WHAT[part.service]} {part.target}"
    if part.service == "sagemaker":
        described = run.ctx.registry(part.region, part.role_arn).describe_group(part.target)
        if described is None:
            raise Retry(
                "WaitingForGroup",
                f"model package group {part.target} does not exist in account {part.account}",
                retry_delay(run.attempt),
            )
        run.record(modelPackageGroupArn=described["ModelPackageGroupArn"])
    if ensure(policy_target(run, part), list(part.statements), run.ctx.locks):
        run.event("PolicyApplied", f"{what}: statements {', '.join(part.sids)} applied")
        return f"statements applied to {what}"
    return f"statements present in {what}"


def withdraw_policy(run: Run[Any], part: PolicyPart) -> str:
    _role_allowed(run, part.role_arn, "status.appliedPolicies[].roleArn")
    try:
        removed = withdraw(policy_target(run, part), set(part.sids), run.ctx.locks)
    except AwsError as err:
        if error_meaning.target_gone(err):
            run.event("PolicyRemoved", f"{WHAT[part.service]} {part.target} is gone: nothing to withdraw")
            return "gone"
        raise
    if removed:
        run.event(
            "PolicyRemoved",
            f"removed statements {', '.join(sorted(part.sids))} from {WHAT[part.service]} {part.target}",
        )
    return "removed"


def find_grant(run: Run[Any], g: GrantPart) -> str | None:
    grants = Grants(run.ctx.clients.client("kms", g.region, g.role_arn))
    return next((x.grant_id for x in grants.list(g.key_id) if x.name == g.name), None)


def ensure_grant(run: Run[CrossAccountRegistryAccessSpec], g: GrantPart, holder: list[str]) -> str:
    grants = Grants(run.ctx.clients.client("kms", g.region, g.role_arn))
    prefix = grant_prefix(run.ref.namespace, run.ref.name, run.ctx.config.cluster_name)
    with run.ctx.locks(("kms", g.key_id)):
        existing = grants.list(g.key_id)
        current = next((x for x in existing if x.name == g.name), None)
        for stale in (x for x in existing if x.name.startswith(prefix) and x.name != g.name):
            grants.revoke(g.key_id, stale.grant_id)  # an older grant of this object on the same key
            run.event("GrantRevoked", f"revoked outdated grant {stale.grant_id} on {g.key_id}")
        if current is not None:
            holder.append(current.grant_id)
            return f"grant {current.grant_id} on {g.key_id}"
        grant_id = grants.create(g.key_id, g.name, g.grantee, GRANT_OPERATIONS)
    holder.append(grant_id)
    recreated = any(r.key == g.key and r.grant_id for r in recorded_grants(run.recorded, run.raw_spec))
    run.event(
        "GrantRecreated" if recreated else "GrantCreated",
        f"grant {grant_id} on {g.key_id} for {g.grantee}"
        + (": it had been removed outside the operator" if recreated else ""),
        warning=recreated,
    )
    return f"grant {grant_id} on {g.key_id}"


def revoke(run: Run[Any], g: GrantPart) -> str:
    _role_allowed(run, g.role_arn, "status.appliedGrants[].roleArn")
    grants = Grants(run.ctx.clients.client("kms", g.region, g.role_arn))
    try:
        with run.ctx.locks(("kms", g.key_id)):
            for x in grants.list(g.key_id):
                if x.name == g.name or x.grant_id == g.grant_id:
                    grants.revoke(g.key_id, x.grant_id)
                    run.event("GrantRevoked", f"revoked grant {x.grant_id} on {g.key_id}")
    except AwsError as err:
        if error_meaning.target_gone(err):
            run.event("GrantRevoked", f"key {g.key_id} is gone or disabled: nothing to revoke")
            return "gone"
        raise
    return "revoked"


def record_applied(run: Run[Any], policies: list[PolicyPart], grants: list[GrantPart]) -> None:
    run.record(**dict.fromkeys(LEGACY_FIELDS))  # read once (recorded_policies); now superseded
    run.record(
        appliedPolicies=sorted((p.record() for p in policies), key=record_key) or None,
        appliedGrants=sorted((g.record() for g in grants), key=lambda g: (g["keyId"], g["name"])) or None,
    )
