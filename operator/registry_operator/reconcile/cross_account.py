"""CrossAccountRegistryAccess: statements in three resource policies and a KMS grant, reported apart."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from registry_operator import policy
from registry_operator.api.common import DeletionPolicy
from registry_operator.api.cross_account import (
    GROUP_LEVEL_ACTIONS,
    CrossAccountRegistryAccessSpec,
)
from registry_operator.aws.ecr import EcrPolicies
from registry_operator.aws.errors import AwsError, AwsErrorKind
from registry_operator.aws.kms import Grants
from registry_operator.aws.s3 import BucketPolicies
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.outcome import (
    Event,
    ObjectRef,
    Outcome,
    Retry,
    Stalled,
    State,
    from_aws_error,
    now_iso,
    parse_spec,
)
from registry_operator.reconcile.permissions import check_grant, check_role
from registry_operator.reconcile.policy_sync import PolicyTarget, ensure, withdraw

GRANT_OPERATIONS = ["Decrypt", "GenerateDataKey"]
ECR_ACTIONS = ["ecr:BatchGetImage", "ecr:Describe*"]
S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectAcl"]

# One condition per part, so `kubectl get -o yaml` says which side is not done yet.
ECR = "EcrRepositoryPolicyReady"
S3 = "S3BucketPolicyReady"
KMS = "KmsGrantReady"
GROUP = "ModelPackageGroupPolicyReady"


def _root(account: str) -> dict[str, str]:
    return {"AWS": f"arn:aws:iam::{account}:root"}


@dataclass(frozen=True)
class Plan:
    """Everything the spec asks for, computed before any AWS call."""

    region: str
    ecr: list[policy.Statement] = field(default_factory=list)
    s3: list[policy.Statement] = field(default_factory=list)
    group: list[policy.Statement] = field(default_factory=list)
    grant_name: str | None = None


def grant_prefix(ref: ObjectRef) -> str:
    return policy.sid("ModelRegistry", ref.namespace, ref.name)


def grant_name(ref: ObjectRef, key_id: str, grantee: str) -> str:
    """Deterministic per resource and grant content: a restart finds it, a spec change gets a new one."""
    content = hashlib.sha256(f"{key_id}|{grantee}|{','.join(GRANT_OPERATIONS)}".encode()).hexdigest()[:8]
    return f"{grant_prefix(ref)}-{content}"


def plan(spec: CrossAccountRegistryAccessSpec, ref: ObjectRef, default_region: str) -> Plan:
    """The statements and grant for a spec; validated as real AWS would, so a bad one never leaves."""
    region = spec.region or default_region
    ns, name = ref.namespace, ref.name
    ecr: list[policy.Statement] = []
    s3: list[policy.Statement] = []
    group: list[policy.Statement] = []
    gname = None
    t = spec.training
    if t is not None and t.ecr_repository:
        ecr = [
            {
                "Sid": policy.sid("ModelRegistryEcrRead", ns, name),
                "Effect": "Allow",
                "Principal": _root(spec.registry_account_id),
                "Action": ECR_ACTIONS,
            }
        ]
    if t is not None and t.s3_bucket:
        objects = f"arn:aws:s3:::{t.s3_bucket}/{t.s3_key_prefix or ''}*"
        # Object actions on object ARNs and GetBucketAcl on the bucket ARN: the seed's single
        # statement lists GetBucketAcl against objects only, which S3 refuses as MalformedPolicy.
        s3 = [
            {
                "Sid": policy.sid("ModelRegistryS3Read", ns, name),
                "Effect": "Allow",
                "Principal": _root(spec.registry_account_id),
                "Action": S3_OBJECT_ACTIONS,
                "Resource": objects,
            },
            {
                "Sid": policy.sid("ModelRegistryS3BucketAcl", ns, name),
                "Effect": "Allow",
                "Principal": _root(spec.registry_account_id),
                "Action": ["s3:GetBucketAcl"],
                "Resource": f"arn:aws:s3:::{t.s3_bucket}",
            },
        ]
    if t is not None and t.kms_key_id:
        gname = grant_name(ref, t.kms_key_id, f"arn:aws:iam::{spec.registry_account_id}:root")
    if spec.registry is not None:
        base = f"arn:aws:sagemaker:{region}:{spec.registry_account_id}"
        resources = [f"{base}:model-package/{spec.model_package_group_name}/*"]
        if any(a in GROUP_LEVEL_ACTIONS for a in spec.registry.actions):
            resources.insert(0, f"{base}:model-package-group/{spec.model_package_group_name}")
        group = [
            {
                "Sid": policy.sid("ModelRegistryAccess", ns, name),
                "Effect": "Allow",
                "Principal": _root(spec.training_account_id),
                "Action": [str(a) for a in spec.registry.actions],
                "Resource": resources,
            }
        ]
    for field_name, statements, needs_resource in (
        ("spec.training.ecrRepository", ecr, False),  # a repository policy names no Resource
        ("spec.training.s3Bucket", s3, True),
        ("spec.registry", group, True),
    ):
        if statements:
            try:
                policy.check(statements, needs_resource)
            except policy.PolicyError as exc:
                raise Stalled("InvalidPolicy", f"{field_name}: {exc}") from exc
    return Plan(region, ecr, s3, group, gname)


@dataclass
class PartResult:
    condition: str
    ok: bool
    reason: str
    message: str


class _Run:
    """One reconcile or deletion of one resource: the clients, the results per part, the events."""

    def __init__(
        self, ref: ObjectRef, spec: CrossAccountRegistryAccessSpec, ctx: ReconcileContext, attempt: int
    ) -> None:
        self.ref, self.spec, self.ctx, self.attempt = ref, spec, ctx, attempt
        self.region = spec.region or ctx.config.default_region
        self.parts: list[PartResult] = []
        self.events: list[Event] = []
        self.status: dict[str, Any] = {}
        self.failures: list[tuple[Retry, str]] = []  # what each failed part would retry, and why

    def training_client(self, service: str) -> Any:
        role = self.spec.training.role_arn if self.spec.training else None
        return self.ctx.clients.client(service, self.region, role)

    def registry(self) -> Any:
        role = self.spec.registry.role_arn if self.spec.registry else None
        return self.ctx.registry(self.region, role)

    def ecr_target(self, repository: str) -> PolicyTarget:
        ecr, account = EcrPolicies(self.training_client("ecr")), self.spec.training_account_id
        return PolicyTarget(
            ("ecr", self.region, account, repository),
            lambda: ecr.get(account, repository),
            lambda t: ecr.put(account, repository, t),
            lambda: ecr.delete(account, repository),
        )

    def s3_target(self, bucket: str) -> PolicyTarget:
        s3 = BucketPolicies(self.training_client("s3"))
        return PolicyTarget(
            ("s3", bucket), lambda: s3.get(bucket), lambda t: s3.put(bucket, t), lambda: s3.delete(bucket)
        )

    def group_target(self, group_name: str) -> PolicyTarget:
        sm, account = self.registry(), self.spec.registry_account_id
        return PolicyTarget(
            ("sagemaker", self.region, account, group_name),
            lambda: sm.get_group_policy(group_name),
            lambda t: sm.put_group_policy(group_name, t),
            lambda: sm.delete_group_policy(group_name),
        )

    def part(self, condition: str, action: Any, report: bool = True) -> None:
        """Run one part; an AWS failure is recorded for that part and the others still run.

        `report=False` (clean-up of parts the spec dropped) surfaces only failures.
        """
        try:
            message = action()
            if report:
                self.parts.append(PartResult(condition, True, "Applied", message))
        except AwsError as err:
            retry = from_aws_error(err, self.attempt)
            self.parts.append(PartResult(condition, False, retry.reason, retry.message))
            self.failures.append((retry, f"{condition}: {retry.message}"))

    def outcome(self, ready_reason: str, ready_message: str) -> Outcome:
        merged: dict[str, PartResult] = {}
        for p in self.parts:  # a failure (say, cleaning up an old target) outweighs a success
            if p.condition not in merged or not p.ok:
                merged[p.condition] = p
        extra = [(p.condition, p.ok, p.reason, p.message) for p in merged.values()]
        if self.failures:
            first = self.failures[0][0]
            message = "; ".join(m for _, m in self.failures)
            return Outcome(
                State.PROGRESSING, first.reason, message, self.status, self.events, first.delay, extra
            )
        return Outcome(State.READY, ready_reason, ready_message, self.status, self.events, None, extra)


def _permissions(spec: CrossAccountRegistryAccessSpec, ref: ObjectRef, ctx: ReconcileContext) -> None:
    cfg, ns = ctx.config, ref.namespace
    if spec.training is not None:
        check_role(cfg, ns, spec.training.role_arn, "spec.training.roleArn")
        if spec.training.ecr_repository or spec.training.s3_bucket or spec.training.kms_key_id:
            check_grant(cfg, ns, spec.registry_account_id, "spec.registryAccountId")
    if spec.registry is not None:
        check_role(cfg, ns, spec.registry.role_arn, "spec.registry.roleArn")
        check_grant(cfg, ns, spec.training_account_id, "spec.trainingAccountId")


def reconcile(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    raw_status: dict[str, Any] | None,
    ctx: ReconcileContext,
    previous_spec: dict[str, Any] | None = None,
    attempt: int = 0,
) -> Outcome:
    try:
        spec = parse_spec(CrossAccountRegistryAccessSpec, raw_spec)
        _permissions(spec, ref, ctx)
        wanted = plan(spec, ref, ctx.config.default_region)
    except Stalled as s:
        return Outcome(State.STALLED, s.reason, s.message)
    previous = _previous(previous_spec)
    run = _Run(ref, spec, ctx, attempt)
    if previous is not None:
        _withdraw_moved_parts(run, previous, spec)
    t = spec.training
    if wanted.ecr and t is not None and t.ecr_repository:
        run.part(ECR, lambda: _ensure(run, run.ecr_target(t.ecr_repository), wanted.ecr, "repository policy"))
        run.status["ecrRepositoryArn"] = EcrPolicies(None).repository_arn(
            spec.training_account_id, run.region, t.ecr_repository
        )
        run.status["ecrPolicySid"] = wanted.ecr[0]["Sid"]
    if wanted.s3 and t is not None and t.s3_bucket:
        run.part(S3, lambda: _ensure(run, run.s3_target(t.s3_bucket), wanted.s3, "bucket policy"))
        run.status["s3Bucket"] = t.s3_bucket
        run.status["s3PolicySids"] = [s["Sid"] for s in wanted.s3]
    if wanted.grant_name and t is not None and t.kms_key_id:
        run.part(KMS, lambda: _ensure_grant(run, t.kms_key_id, wanted.grant_name, raw_status or {}))
    if wanted.group:
        run.part(GROUP, lambda: _ensure_group_policy(run, wanted.group))
    run.status["region"] = run.region
    run.status["lastSyncedTime"] = now_iso()
    applied = ", ".join(p.condition.removesuffix("Ready") for p in run.parts)
    return run.outcome("Applied", f"applied: {applied}")


def _previous(previous_spec: dict[str, Any] | None) -> CrossAccountRegistryAccessSpec | None:
    if not previous_spec:
        return None
    try:
        return CrossAccountRegistryAccessSpec.model_validate(previous_spec)
    except ValueError:
        return None


def _ensure(run: _Run, target: PolicyTarget, statements: list[policy.Statement], what: str) -> str:
    if ensure(target, statements, run.ctx.locks):
        run.events.append(
            Event(
                "Normal",
                "PolicyApplied",
                f"{what} {target.key[-1]}: statements {', '.join(s['Sid'] for s in statements)} applied",
            )
        )
        return f"statements applied to {what} {target.key[-1]}"
    return f"statements present in {what} {target.key[-1]}"


def _ensure_group_policy(run: _Run, statements: list[policy.Statement]) -> str:
    registry = run.registry()
    group = run.spec.model_package_group_name
    described = registry.describe_group(group)
    if described is None:
        raise AwsError(
            AwsErrorKind.NOT_FOUND,
            "DescribeModelPackageGroup",
            "WaitingForGroup",
            f"model package group {group} does not exist in account {run.spec.registry_account_id}",
        )
    run.status["modelPackageGroupArn"] = described["ModelPackageGroupArn"]
    run.status["groupPolicySid"] = statements[0]["Sid"]
    return _ensure(run, run.group_target(group), statements, "model package group policy")


def _ensure_grant(run: _Run, key_id: str, name: str, raw_status: dict[str, Any]) -> str:
    grants = Grants(run.training_client("kms"))
    prefix = grant_prefix(run.ref)
    with run.ctx.locks(("kms", key_id)):
        existing = grants.list(key_id)
        mine = [g for g in existing if g.name.startswith(prefix)]
        current = next((g for g in mine if g.name == name), None)
        for stale in (g for g in mine if g.name != name):
            grants.revoke(key_id, stale.grant_id)
            run.events.append(Event("Normal", "GrantRetired", f"revoked outdated grant {stale.grant_id}"))
        if current is None:
            grant_id = grants.create(
                key_id, name, f"arn:aws:iam::{run.spec.registry_account_id}:root", GRANT_OPERATIONS
            )
            recreated = raw_status.get("kmsGrantName") == name
            run.events.append(
                Event(
                    "Warning" if recreated else "Normal",
                    "GrantRecreated" if recreated else "GrantCreated",
                    f"grant {grant_id} on {key_id} for account {run.spec.registry_account_id}"
                    + (" recreated: it had been removed outside the operator" if recreated else ""),
                )
            )
        else:
            grant_id = current.grant_id
    run.status["kmsGrantId"] = grant_id
    run.status["kmsGrantName"] = name
    run.status["kmsKeyId"] = key_id
    return f"grant {grant_id} on {key_id}"


def _withdraw_moved_parts(
    run: _Run, old: CrossAccountRegistryAccessSpec, new: CrossAccountRegistryAccessSpec
) -> None:
    """Parts the spec dropped or pointed elsewhere: remove our statements from the old targets."""
    ot, nt = old.training, new.training
    sids_ecr = {policy.sid("ModelRegistryEcrRead", run.ref.namespace, run.ref.name)}
    sids_s3 = {
        policy.sid("ModelRegistryS3Read", run.ref.namespace, run.ref.name),
        policy.sid("ModelRegistryS3BucketAcl", run.ref.namespace, run.ref.name),
    }
    old_run = _old_run(run, old)
    if ot and ot.ecr_repository and (not nt or nt.ecr_repository != ot.ecr_repository):
        target = old_run.ecr_target(ot.ecr_repository)
        run.part(ECR, lambda: _withdraw(run, target, sids_ecr), report=False)
    if ot and ot.s3_bucket and (not nt or nt.s3_bucket != ot.s3_bucket):
        target = old_run.s3_target(ot.s3_bucket)
        run.part(S3, lambda: _withdraw(run, target, sids_s3), report=False)
    if ot and ot.kms_key_id and (not nt or nt.kms_key_id != ot.kms_key_id):
        key = ot.kms_key_id
        run.part(KMS, lambda: _revoke_grants(old_run, key), report=False)
    if old.registry and not new.registry:
        sids = {policy.sid("ModelRegistryAccess", run.ref.namespace, run.ref.name)}
        target = old_run.group_target(old.model_package_group_name)
        run.part(GROUP, lambda: _withdraw(run, target, sids), report=False)


def _old_run(run: _Run, old: CrossAccountRegistryAccessSpec) -> _Run:
    """Clients for where the old spec pointed; its events land with the current run's."""
    previous = _Run(run.ref, old, run.ctx, run.attempt)
    previous.events = run.events
    return previous


def _withdraw(run: _Run, target: PolicyTarget, sids: set[str]) -> str:
    if withdraw(target, sids, run.ctx.locks):
        run.events.append(
            Event(
                "Normal",
                "PolicyRemoved",
                f"removed statements {', '.join(sorted(sids))} from {target.key[0]} {target.key[-1]}",
            )
        )
    return "removed"


def _revoke_grants(run: _Run, key_id: str) -> str:
    grants = Grants(run.training_client("kms"))
    prefix = grant_prefix(run.ref)
    with run.ctx.locks(("kms", key_id)):
        for g in grants.list(key_id):
            if g.name.startswith(prefix):
                grants.revoke(key_id, g.grant_id)
                run.events.append(Event("Normal", "GrantRevoked", f"revoked grant {g.grant_id} on {key_id}"))
    return "revoked"


APPLIED_FIELDS = ("ecrPolicySid", "s3PolicySids", "kmsGrantName", "groupPolicySid")


def delete(
    ref: ObjectRef,
    raw_spec: dict[str, Any],
    raw_status: dict[str, Any] | None,
    ctx: ReconcileContext,
    attempt: int = 0,
) -> Outcome | None:
    """Remove exactly this resource's statements and grant; the policies of others stay."""
    if raw_spec.get("deletionPolicy", DeletionPolicy.DELETE) != DeletionPolicy.DELETE:
        return None
    try:
        spec = parse_spec(CrossAccountRegistryAccessSpec, raw_spec)
        _permissions(spec, ref, ctx)
    except Stalled as s:
        if not any((raw_status or {}).get(f) for f in APPLIED_FIELDS):
            return None  # refused before anything was applied: nothing to clean up, nothing to wait for
        # Applied once, refused now (the operator config changed): keep the finalizer so the
        # statements are not silently left behind; the message says what the admin must allow.
        return Outcome(State.STALLED, s.reason, s.message)
    run = _Run(ref, spec, ctx, attempt)
    empty = spec.model_copy(update={"training": None, "registry": None})
    _withdraw_moved_parts(run, spec, empty)
    if run.failures:
        return run.outcome("", "")
    return Outcome(State.READY, "Deleted", "statements and grant removed", events=run.events)
