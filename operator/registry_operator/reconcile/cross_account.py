"""CrossAccountRegistryAccess: statements in three resource policies and a KMS grant, reported apart.

What the object applied is recorded in its status (`appliedPolicies`, `appliedGrants`: target, region,
account, role and Sids or grant). Every run withdraws `applied - desired` and ensures `desired`, each
target under its own lock, so any sequence of edits, refusals, partial failures and periodic re-checks
ends with exactly the statements of the current spec. New targets are recorded (checkpointed to the
status) before they are written, so a crash between the AWS write and the status write loses nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from registry_operator import policy
from registry_operator.api.common import DeletionPolicy
from registry_operator.api.cross_account import (
    GROUP_LEVEL_ACTIONS,
    CrossAccountRegistryAccessSpec,
    CrossAccountRegistryAccessStatus,
)
from registry_operator.aws import facts
from registry_operator.aws.ecr import EcrPolicies
from registry_operator.aws.errors import AwsError
from registry_operator.aws.kms import Grants
from registry_operator.aws.s3 import BucketPolicies
from registry_operator.reconcile.outcome import Outcome, Retry, Stalled, State, now_iso, retry_delay
from registry_operator.reconcile.permissions import Request
from registry_operator.reconcile.policy_sync import PolicyTarget, ensure, present, withdraw
from registry_operator.reconcile.runner import STALLED_RECHECK_SECONDS, ManagedKind, Observation, Run

GRANT_OPERATIONS = ["Decrypt", "GenerateDataKey"]
ECR_ACTIONS = ["ecr:BatchGetImage", "ecr:Describe*"]
S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectAcl"]

# One condition per part, so `kubectl get -o yaml` says which side is not done yet.
CONDITIONS = {
    "ecr": "EcrRepositoryPolicyReady",
    "s3": "S3BucketPolicyReady",
    "kms": "KmsGrantReady",
    "sagemaker": "ModelPackageGroupPolicyReady",
}
# The size limit of each kind of resource policy, and where AWS documents it.
LIMITS = {
    "s3": (20_480, "S3 bucket policies are limited to 20 KB, S3 User Guide"),
    "ecr": (10_240, "SetRepositoryPolicy policyText, at most 10,240 characters, ECR API reference"),
    "sagemaker": (20_480, "PutModelPackageGroupPolicy ResourcePolicy, at most 20,480 characters"),
}
WHAT = {"s3": "bucket policy of", "ecr": "repository policy of", "sagemaker": "model package group policy of"}

AccessRun = Run[CrossAccountRegistryAccessSpec]


@dataclass(frozen=True)
class PolicyPart:
    """Statements in one resource policy, as desired by the spec or as recorded in the status."""

    service: str
    region: str
    account: str
    target: str
    role_arn: str | None
    sids: tuple[str, ...]
    statements: tuple[policy.Statement, ...] = ()  # empty for a recorded part: only its Sids matter

    @property
    def key(self) -> tuple[str, str, str, str]:
        # A bucket name is global; repositories and groups live in one account and region.
        if self.service == "s3":
            return ("s3", "", "", self.target)
        return (
            self.service,
            self.region,
            self.account,
            self.target.lower() if self.service == "sagemaker" else self.target,
        )

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "service": self.service,
            "region": self.region,
            "account": self.account,
            "target": self.target,
            "sids": sorted(self.sids),
        }
        if self.role_arn:
            out["roleArn"] = self.role_arn
        return out


@dataclass(frozen=True)
class GrantPart:
    key_id: str
    region: str
    role_arn: str | None
    name: str
    grantee: str = ""
    grant_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.key_id, self.name)

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"keyId": self.key_id, "region": self.region, "name": self.name}
        if self.role_arn:
            out["roleArn"] = self.role_arn
        if self.grant_id:
            out["grantId"] = self.grant_id
        return out


@dataclass
class Plan:
    """Everything the spec asks for, computed before any AWS call."""

    region: str
    policies: list[PolicyPart] = field(default_factory=list)
    grants: list[GrantPart] = field(default_factory=list)


def grant_prefix(namespace: str, name: str, cluster: str = "default") -> str:
    return policy.sid("ModelRegistry", namespace, name, cluster)


def grant_name(namespace: str, name: str, key_id: str, grantee: str, cluster: str = "default") -> str:
    """Deterministic per object and grant content: a restart finds it, a spec change gets a new one."""
    content = hashlib.sha256(f"{key_id}|{grantee}|{','.join(GRANT_OPERATIONS)}".encode()).hexdigest()[:8]
    return f"{grant_prefix(namespace, name, cluster)}-{content}"


def plan(
    spec: CrossAccountRegistryAccessSpec, namespace: str, name: str, region: str, cluster: str = "default"
) -> Plan:
    """The statements and grant for a spec; validated as real AWS would, so a bad one never leaves."""
    out = Plan(region)
    t = spec.training
    training_role = t.role_arn if t else None
    registry_root = facts.account_root(region, spec.registry_account_id)

    def allow(
        sid_prefix: str, principal: str, actions: list[str], resource: str | list[str] | None = None
    ) -> policy.Statement:
        statement: policy.Statement = {
            "Sid": policy.sid(sid_prefix, namespace, name, cluster),
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": actions,
        }
        if resource is not None:
            statement["Resource"] = resource
        return statement

    def add(service: str, account: str, target: str, role: str | None, *statements: policy.Statement) -> None:
        out.policies.append(
            PolicyPart(
                service, region, account, target, role, tuple(s["Sid"] for s in statements), statements
            )
        )

    if t is not None and t.ecr_repository:
        # A repository policy names no Resource: it applies to the repository that holds it.
        add(
            "ecr", spec.training_account_id, t.ecr_repository, training_role,
            allow("ModelRegistryEcrRead", registry_root, ECR_ACTIONS),
        )  # fmt: skip
    if t is not None and t.s3_bucket:
        bucket = facts.s3_bucket_arn(region, t.s3_bucket)
        objects = f"{bucket}/{t.s3_key_prefix or ''}*"
        # Object actions on object ARNs and GetBucketAcl on the bucket ARN: the seed's single
        # statement lists GetBucketAcl against objects only, which S3 refuses as MalformedPolicy.
        add(
            "s3", spec.training_account_id, t.s3_bucket, training_role,
            allow("ModelRegistryS3Read", registry_root, S3_OBJECT_ACTIONS, objects),
            allow("ModelRegistryS3BucketAcl", registry_root, ["s3:GetBucketAcl"], bucket),
        )  # fmt: skip
    if t is not None and t.kms_key_id:
        out.grants.append(
            GrantPart(
                t.kms_key_id,
                region,
                training_role,
                grant_name(namespace, name, t.kms_key_id, registry_root, cluster),
                registry_root,
            )
        )
    if spec.registry is not None:
        group = facts.sagemaker_name(spec.model_package_group_name)
        resources = [f"{facts.packages_of_group_arn(region, spec.registry_account_id, group)}/*"]
        if any(a in GROUP_LEVEL_ACTIONS for a in spec.registry.actions):
            resources.insert(0, facts.group_arn(region, spec.registry_account_id, group))
        add(
            "sagemaker", spec.registry_account_id, spec.model_package_group_name, spec.registry.role_arn,
            allow(
                "ModelRegistryAccess", facts.account_root(region, spec.training_account_id),
                [str(a) for a in spec.registry.actions], resources,
            ),
        )  # fmt: skip
    for part in out.policies:
        field_name = {"ecr": "spec.training.ecrRepository", "s3": "spec.training.s3Bucket"}.get(
            part.service, "spec.registry"
        )
        try:
            policy.check(list(part.statements), needs_resource=part.service != "ecr")
        except policy.PolicyError as exc:
            raise Stalled("InvalidPolicy", f"{field_name}: {exc}") from exc
    return out


# --------------------------------------------------------------------------- the record


def _spec_roles(raw_spec: Any) -> dict[str, str | None]:
    """The roles a spec names per service, for records written before roles were recorded."""
    training = (raw_spec or {}).get("training") or {}
    registry = (raw_spec or {}).get("registry") or {}
    role = training.get("roleArn")
    return {"s3": role, "ecr": role, "kms": role, "sagemaker": registry.get("roleArn")}


def recorded_policies(recorded: Any, raw_spec: Any = None) -> list[PolicyPart]:
    """What the status says was applied; an object from before `appliedPolicies` existed (an upgrade)
    is read from the fields it used to write, with the roles its spec names."""
    if recorded.get("appliedPolicies") is not None:
        return [
            PolicyPart(
                p["service"], p["region"], p["account"], p["target"], p.get("roleArn"), tuple(p["sids"])
            )
            for p in recorded["appliedPolicies"]
        ]
    return _legacy_policies(recorded, _spec_roles(raw_spec))


def recorded_grants(recorded: Any, raw_spec: Any = None) -> list[GrantPart]:
    if recorded.get("appliedGrants") is not None:
        return [
            GrantPart(g["keyId"], g["region"], g.get("roleArn"), g["name"], grant_id=g.get("grantId"))
            for g in recorded["appliedGrants"]
        ]
    if recorded.get("kmsGrantName") and recorded.get("kmsKeyId"):
        region = recorded.get("region", "")
        role = _spec_roles(raw_spec)["kms"]
        return [
            GrantPart(
                recorded["kmsKeyId"],
                region,
                role,
                recorded["kmsGrantName"],
                grant_id=recorded.get("kmsGrantId"),
            )
        ]
    return []


def _legacy_policies(recorded: Any, roles: dict[str, str | None]) -> list[PolicyPart]:
    region = str(recorded.get("region", ""))
    parts = []
    repo_arn = facts.parse_arn(str(recorded.get("ecrRepositoryArn", "")))
    if repo_arn is not None and recorded.get("ecrPolicySid"):
        target = repo_arn.resource.removeprefix("repository/")
        parts.append(
            PolicyPart(
                "ecr", repo_arn.region, repo_arn.account, target, roles["ecr"], (recorded["ecrPolicySid"],)
            )
        )
    if recorded.get("s3Bucket") and recorded.get("s3PolicySids"):
        parts.append(
            PolicyPart("s3", region, "", recorded["s3Bucket"], roles["s3"], tuple(recorded["s3PolicySids"]))
        )
    group_arn = facts.parse_arn(str(recorded.get("modelPackageGroupArn", "")))
    if group_arn is not None and recorded.get("groupPolicySid"):
        target = group_arn.resource.removeprefix("model-package-group/")
        parts.append(
            PolicyPart(
                "sagemaker",
                group_arn.region,
                group_arn.account,
                target,
                roles["sagemaker"],
                (recorded["groupPolicySid"],),
            )
        )
    return parts


# --------------------------------------------------------------------------- the kind


@dataclass
class PartResult:
    condition: str
    ok: bool
    reason: str
    message: str
    retry: bool = True  # a failure that time may cure (else: Stalled)
    delay: float | None = None


@dataclass
class AccessObservation(Observation):
    wanted: Plan | None = None
    withdraw_policies: list[PolicyPart] = field(default_factory=list)
    withdraw_grants: list[GrantPart] = field(default_factory=list)
    results: list[PartResult] = field(default_factory=list)


class CrossAccountAccessKind(ManagedKind[CrossAccountRegistryAccessSpec, AccessObservation]):
    kind = "CrossAccountRegistryAccess"
    spec_model = CrossAccountRegistryAccessSpec
    status_model = CrossAccountRegistryAccessStatus

    def prepare(self, run: AccessRun) -> None:
        spec = run.spec
        region = run.keep_region(spec.region)
        run.ctx.authorize(run.ref.namespace, request(spec, region, run.ctx.own_account))
        run.resolved["plan"] = plan(
            spec, run.ref.namespace, run.ref.name, region, run.ctx.config.cluster_name
        )

    def observe(self, run: AccessRun) -> AccessObservation:
        wanted: Plan = run.resolved["plan"]
        applied_policies = recorded_policies(run.recorded, run.raw_spec)
        applied_grants = recorded_grants(run.recorded, run.raw_spec)
        wanted_sids = {p.key: set(p.sids) for p in wanted.policies}
        withdraw_policies = []
        for part in applied_policies:
            stale = set(part.sids) - wanted_sids.get(part.key, set())
            if stale:
                withdraw_policies.append(
                    PolicyPart(
                        part.service,
                        part.region,
                        part.account,
                        part.target,
                        part.role_arn,
                        tuple(sorted(stale)),
                    )
                )
        wanted_grants = {g.key for g in wanted.grants}
        withdraw_grants = [g for g in applied_grants if g.key not in wanted_grants]
        observed = AccessObservation(
            exists=bool(applied_policies or applied_grants),
            wanted=wanted,
            withdraw_policies=withdraw_policies,
            withdraw_grants=withdraw_grants,
        )
        observed.up_to_date = (
            not withdraw_policies and not withdraw_grants and self._all_present(run, wanted, applied_grants)
        )
        return observed

    def _all_present(self, run: AccessRun, wanted: Plan, applied_grants: list[GrantPart]) -> bool:
        """A read of every desired target; any failure to read means "not known to be present"."""
        try:
            if not all(present(self._target(run, p), list(p.statements)) for p in wanted.policies):
                return False
            recorded_ids = {g.key: g.grant_id for g in applied_grants}
            for g in wanted.grants:
                found = self._find_grant(run, g)
                if found is None or recorded_ids.get(g.key) != found:
                    return False
            # the group's ARN is recorded when its statement is applied
            return not any(p.service == "sagemaker" for p in wanted.policies) or bool(
                run.recorded.get("modelPackageGroupArn")
            )
        except AwsError:
            return False

    def create(self, run: AccessRun, observed: AccessObservation) -> AccessObservation:
        return self.update(run, observed)

    def update(self, run: AccessRun, observed: AccessObservation) -> AccessObservation:
        wanted = observed.wanted
        assert wanted is not None
        # Intent first: every desired target is recorded before it is written, so that a crash after the
        # AWS write cannot leave a statement the status does not know about.
        policies = {p.key: p for p in recorded_policies(run.recorded, run.raw_spec)}
        for p in wanted.policies:
            old = policies.get(p.key)
            sids = set(p.sids) | (set(old.sids) if old else set())
            policies[p.key] = PolicyPart(
                p.service, p.region, p.account, p.target, p.role_arn, tuple(sorted(sids))
            )
        grants = {g.key: g for g in recorded_grants(run.recorded, run.raw_spec)}
        for g in wanted.grants:
            grants.setdefault(g.key, g)
        self._record(run, list(policies.values()), list(grants.values()))
        if run.checkpoint is not None and (
            _records(run.status.get("appliedPolicies")) != _records(run.recorded.get("appliedPolicies"))
            or _records(run.status.get("appliedGrants")) != _records(run.recorded.get("appliedGrants"))
        ):
            run.checkpoint(dict(run.status))

        for part in observed.withdraw_policies:
            result = self._attempt(
                run, part.service, lambda part=part: self._withdraw_policy(run, part), report=False
            )
            if result is None:
                old = policies[part.key]
                left = tuple(s for s in old.sids if s not in part.sids)
                if left:
                    policies[part.key] = PolicyPart(
                        old.service, old.region, old.account, old.target, old.role_arn, left
                    )
                else:
                    del policies[part.key]
            else:
                observed.results.append(result)
        for g in observed.withdraw_grants:
            result = self._attempt(run, "kms", lambda g=g: self._revoke(run, g), report=False)
            if result is None:
                grants.pop(g.key, None)
            else:
                observed.results.append(result)
        for p in wanted.policies:
            keep = policies[p.key]
            policies[p.key] = PolicyPart(
                keep.service, keep.region, keep.account, keep.target, p.role_arn, keep.sids
            )
            result = self._attempt(run, p.service, lambda p=p: self._ensure_policy(run, p))
            if result is not None:
                observed.results.append(result)
        for g in wanted.grants:
            holder: list[str] = []
            result = self._attempt(run, "kms", lambda g=g, holder=holder: self._ensure_grant(run, g, holder))
            if holder:
                grants[g.key] = GrantPart(g.key_id, g.region, g.role_arn, g.name, grant_id=holder[0])
            if result is not None:
                observed.results.append(result)
        self._record(run, list(policies.values()), list(grants.values()))
        return observed

    def report(self, run: AccessRun, observed: AccessObservation) -> Outcome:
        wanted = observed.wanted
        assert wanted is not None
        results = observed.results
        if not results and observed.up_to_date:  # nothing written this run: say every part is in place
            results = [
                PartResult(
                    CONDITIONS[p.service],
                    True,
                    "Applied",
                    f"statements present in {WHAT[p.service]} {p.target}",
                )
                for p in wanted.policies
            ]
            results += [
                PartResult(CONDITIONS["kms"], True, "Applied", f"grant on {g.key_id}") for g in wanted.grants
            ]
        merged: dict[str, PartResult] = {}
        for r in results:  # a failure (say, withdrawing from an old target) outweighs a success
            if r.condition not in merged or not r.ok:
                merged[r.condition] = r
        run.conditions.extend((r.condition, r.ok, r.reason, r.message) for r in merged.values())
        grant = next(
            (g for g in recorded_grants(run.status) if wanted.grants and g.key == wanted.grants[0].key), None
        )
        run.record(kmsGrantId=grant.grant_id if grant else None, lastSyncedTime=now_iso())
        if not any(p.service == "sagemaker" for p in wanted.policies):
            run.record(modelPackageGroupArn=None)
        failures = [r for r in merged.values() if not r.ok]
        if not failures:
            applied = ", ".join(sorted(c.removesuffix("Ready") for c in merged))
            return run.outcome(
                State.READY, "Applied", f"applied: {applied}" if applied else "nothing to apply"
            )
        message = "; ".join(f"{r.condition}: {r.message}" for r in failures)
        retrying = [r for r in failures if r.retry]
        if retrying:
            first = retrying[0]
            return run.outcome(State.PROGRESSING, first.reason, message, first.delay)
        return run.outcome(State.STALLED, failures[0].reason, message, STALLED_RECHECK_SECONDS)

    def delete(self, run: Run[CrossAccountRegistryAccessSpec | None]) -> Outcome | None:
        if run.raw_spec.get("deletionPolicy", DeletionPolicy.DELETE) != DeletionPolicy.DELETE:
            return None
        policies = recorded_policies(run.recorded, run.raw_spec)
        grants = recorded_grants(run.recorded, run.raw_spec)
        if not policies and not grants:
            return None  # nothing applied (refused, or never reconciled): nothing to clean up
        results: list[PartResult] = []
        for p in policies:
            result = self._attempt(run, p.service, lambda p=p: self._withdraw_policy(run, p), report=False)
            if result is not None:
                results.append(result)
        for g in grants:
            result = self._attempt(run, "kms", lambda g=g: self._revoke(run, g), report=False)
            if result is not None:
                results.append(result)
        if results:
            message = "; ".join(f"{r.condition}: {r.message}" for r in results)
            first = next((r for r in results if r.retry), results[0])
            state = State.PROGRESSING if first.retry else State.STALLED
            return run.outcome(state, first.reason, message, first.delay or STALLED_RECHECK_SECONDS)
        return run.outcome(State.READY, "Deleted", "statements and grant removed")

    # ------------------------------------------------------------------ parts

    def _attempt(self, run: Run[Any], service: str, action: Any, report: bool = True) -> PartResult | None:
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
            m = facts.meaning(err)
            retry = m.meaning is facts.Meaning.RETRY
            delay = retry_delay(run.attempt, m.base_delay) if retry else m.recheck
            return PartResult(condition, False, m.reason, m.message, retry=retry, delay=delay)
        return PartResult(condition, True, "Applied", message) if report else None

    def _role_allowed(self, run: Run[Any], role_arn: str | None, field_name: str) -> None:
        run.ctx.authorize(run.ref.namespace, Request(roles=((field_name, role_arn or ""),)))

    def _target(self, run: Run[Any], part: PolicyPart) -> PolicyTarget:
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

    def _ensure_policy(self, run: AccessRun, part: PolicyPart) -> str:
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
        if ensure(self._target(run, part), list(part.statements), run.ctx.locks):
            run.event("PolicyApplied", f"{what}: statements {', '.join(part.sids)} applied")
            return f"statements applied to {what}"
        return f"statements present in {what}"

    def _withdraw_policy(self, run: Run[Any], part: PolicyPart) -> str:
        self._role_allowed(run, part.role_arn, "status.appliedPolicies[].roleArn")
        try:
            removed = withdraw(self._target(run, part), set(part.sids), run.ctx.locks)
        except AwsError as err:
            if facts.target_gone(err):
                run.event("PolicyRemoved", f"{WHAT[part.service]} {part.target} is gone: nothing to withdraw")
                return "gone"
            raise
        if removed:
            run.event(
                "PolicyRemoved",
                f"removed statements {', '.join(sorted(part.sids))} from {WHAT[part.service]} {part.target}",
            )
        return "removed"

    def _find_grant(self, run: Run[Any], g: GrantPart) -> str | None:
        grants = Grants(run.ctx.clients.client("kms", g.region, g.role_arn))
        return next((x.grant_id for x in grants.list(g.key_id) if x.name == g.name), None)

    def _ensure_grant(self, run: AccessRun, g: GrantPart, holder: list[str]) -> str:
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

    def _revoke(self, run: Run[Any], g: GrantPart) -> str:
        self._role_allowed(run, g.role_arn, "status.appliedGrants[].roleArn")
        grants = Grants(run.ctx.clients.client("kms", g.region, g.role_arn))
        try:
            with run.ctx.locks(("kms", g.key_id)):
                for x in grants.list(g.key_id):
                    if x.name == g.name or x.grant_id == g.grant_id:
                        grants.revoke(g.key_id, x.grant_id)
                        run.event("GrantRevoked", f"revoked grant {x.grant_id} on {g.key_id}")
        except AwsError as err:
            if facts.target_gone(err):
                run.event("GrantRevoked", f"key {g.key_id} is gone or disabled: nothing to revoke")
                return "gone"
            raise
        return "revoked"

    def _record(self, run: Run[Any], policies: list[PolicyPart], grants: list[GrantPart]) -> None:
        run.record(**dict.fromkeys(LEGACY_FIELDS))  # read once (recorded_policies); now superseded
        run.record(
            appliedPolicies=sorted((p.record() for p in policies), key=_sort_key) or None,
            appliedGrants=sorted((g.record() for g in grants), key=lambda g: (g["keyId"], g["name"])) or None,
        )


LEGACY_FIELDS = (
    "groupPolicySid",
    "ecrRepositoryArn",
    "ecrPolicySid",
    "s3Bucket",
    "s3PolicySids",
    "kmsKeyId",
    "kmsGrantName",
)


def _sort_key(p: dict[str, Any]) -> tuple[str, ...]:
    return (p["service"], p["region"], p["account"], p["target"])


def _records(value: Any) -> list[Any]:
    return list(value or [])


def request(spec: CrossAccountRegistryAccessSpec, region: str, own_account: str | None) -> Request:
    """What an access writes where, for the one authorization (permissions.Authorizer)."""
    t, account = spec.training, spec.training_account_id
    roles: list[tuple[str, str]] = []
    grant_to: list[tuple[str, str]] = []
    if t is not None:
        roles.append(("spec.training.roleArn", t.role_arn or ""))
        if t.ecr_repository or t.s3_bucket or t.kms_key_id:
            grant_to.append(("spec.registryAccountId", spec.registry_account_id))
    groups: tuple[tuple[str, str], ...] = ()
    if spec.registry is not None:
        roles.append(("spec.registry.roleArn", spec.registry.role_arn or ""))
        grant_to.append(("spec.trainingAccountId", spec.training_account_id))
        group = spec.model_package_group_name
        if spec.registry_account_id != (_account(spec.registry.role_arn) or own_account):
            group = facts.group_arn(region, spec.registry_account_id, group)
        groups = (("spec.modelPackageGroupName", group),)
    return Request(
        roles=tuple(roles),
        grant_to=tuple(grant_to),
        into_groups=groups,
        buckets=(("spec.training.s3Bucket", t.s3_bucket),) if t and t.s3_bucket else (),
        repositories=(("spec.training.ecrRepository", f"{account}/{t.ecr_repository}"),)
        if t and t.ecr_repository
        else (),
        keys=(("spec.training.kmsKeyId", t.kms_key_id),) if t and t.kms_key_id else (),
    )


def _account(role_arn: str | None) -> str | None:
    return role_arn.split(":")[4] if role_arn else None


def stalled_by_input(status: dict[str, Any], generation: int) -> bool:
    """Stalled for this generation by the spec or the config (not by AWS): only a change can cure it."""
    for c in status.get("conditions", []) or []:
        if (
            c.get("type") == "Stalled"
            and c.get("status") == "True"
            and c.get("observedGeneration") == generation
        ):
            return str(c.get("reason")) in INPUT_REASONS or str(c.get("reason", "")).startswith("Invalid")
    return False


INPUT_REASONS = {"NotPermitted", "InvalidPolicy"}

KIND = CrossAccountAccessKind()
