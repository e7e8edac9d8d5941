"""CrossAccountRegistryAccess: statements in three resource policies and a KMS grant, reported apart.

What the object applied is recorded in its status (`appliedPolicies`, `appliedGrants`: target, region,
account, role and Sids or grant). Every run withdraws `applied - desired` and ensures `desired`, each
target under its own lock, so any sequence of edits, refusals, partial failures and periodic re-checks
ends with exactly the statements of the current spec. New targets are recorded (checkpointed to the
status) before they are written, so a crash between the AWS write and the status write loses nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry_operator.api.common import DeletionPolicy
from registry_operator.api.cross_account import INFO, CrossAccountRegistryAccessSpec
from registry_operator.aws.errors import AwsError
from registry_operator.reconcile import readiness
from registry_operator.reconcile.cross_account.parts import (
    CONDITIONS,
    WHAT,
    GrantPart,
    Plan,
    PolicyPart,
    needs_access,
)
from registry_operator.reconcile.cross_account.plan import plan, request
from registry_operator.reconcile.cross_account.recorded import recorded_grants, recorded_policies
from registry_operator.reconcile.cross_account.targets import (
    PartResult,
    attempt,
    ensure_grant,
    ensure_policy,
    find_grant,
    policy_target,
    record_applied,
    revoke,
    withdraw_policy,
)
from registry_operator.reconcile.dependencies import Need
from registry_operator.reconcile.model_package_group import needs_group
from registry_operator.reconcile.outcome import Outcome, State, now_iso
from registry_operator.reconcile.policy_sync import present
from registry_operator.reconcile.runner import STALLED_RECHECK_SECONDS, ManagedKind, Observation, Run

AccessRun = Run[CrossAccountRegistryAccessSpec]


@dataclass
class AccessObservation(Observation):
    wanted: Plan | None = None
    withdraw_policies: list[PolicyPart] = field(default_factory=list)
    withdraw_grants: list[GrantPart] = field(default_factory=list)
    results: list[PartResult] = field(default_factory=list)


class CrossAccountRegistryAccessKind(ManagedKind[CrossAccountRegistryAccessSpec, AccessObservation]):
    info = INFO
    handler_id = "access"
    periodic = True

    def provides(self, body: Mapping[str, Any]) -> tuple[list[Need], Hashable] | None:
        """Its group's policy: a version naming that group by ARN waits on it (AccessDenied until the
        statement is in place)."""
        spec = body.get("spec") or {}
        if not spec.get("registry") or not spec.get("modelPackageGroupName"):
            return None
        namespace = body["metadata"]["namespace"]
        state = (readiness.ready_state(body), readiness.ready_reason(body))
        return [needs_access(namespace, str(spec["modelPackageGroupName"]))], state

    def needs(self, body: Mapping[str, Any]) -> list[Need]:
        """The registry group its statement goes on, when a ModelPackageGroup of its namespace makes it."""
        spec = body.get("spec") or {}
        if not spec.get("registry") or not spec.get("modelPackageGroupName"):
            return []
        return [needs_group(body["metadata"]["namespace"], str(spec["modelPackageGroupName"]))]

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
            if not all(present(policy_target(run, p), list(p.statements)) for p in wanted.policies):
                return False
            recorded_ids = {g.key: g.grant_id for g in applied_grants}
            for g in wanted.grants:
                found = find_grant(run, g)
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
        record_applied(run, list(policies.values()), list(grants.values()))
        if run.checkpoint is not None and (
            _records(run.status.get("appliedPolicies")) != _records(run.recorded.get("appliedPolicies"))
            or _records(run.status.get("appliedGrants")) != _records(run.recorded.get("appliedGrants"))
        ):
            run.checkpoint(dict(run.status))

        for part in observed.withdraw_policies:
            result = attempt(run, part.service, lambda part=part: withdraw_policy(run, part), report=False)
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
            result = attempt(run, "kms", lambda g=g: revoke(run, g), report=False)
            if result is None:
                grants.pop(g.key, None)
            else:
                observed.results.append(result)
        for p in wanted.policies:
            keep = policies[p.key]
            policies[p.key] = PolicyPart(
                keep.service, keep.region, keep.account, keep.target, p.role_arn, keep.sids
            )
            result = attempt(run, p.service, lambda p=p: ensure_policy(run, p))
            if result is not None:
                observed.results.append(result)
        for g in wanted.grants:
            holder: list[str] = []
            result = attempt(run, "kms", lambda g=g, holder=holder: ensure_grant(run, g, holder))
            if holder:
                grants[g.key] = GrantPart(g.key_id, g.region, g.role_arn, g.name, grant_id=holder[0])
            if result is not None:
                observed.results.append(result)
        record_applied(run, list(policies.values()), list(grants.values()))
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
            result = attempt(run, p.service, lambda p=p: withdraw_policy(run, p), report=False)
            if result is not None:
                results.append(result)
        for g in grants:
            result = attempt(run, "kms", lambda g=g: revoke(run, g), report=False)
            if result is not None:
                results.append(result)
        if results:
            message = "; ".join(f"{r.condition}: {r.message}" for r in results)
            first = next((r for r in results if r.retry), results[0])
            state = State.PROGRESSING if first.retry else State.STALLED
            return run.outcome(state, first.reason, message, first.delay or STALLED_RECHECK_SECONDS)
        return run.outcome(State.READY, "Deleted", "statements and grant removed")


def _records(value: Any) -> list[Any]:
    return list(value or [])


MANAGED = CrossAccountRegistryAccessKind()
