"""What a reconcile needs from outside: the config, AWS, and views of the other objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from registry_operator.api.approval_policy import ApprovalPolicySpec
from registry_operator.aws import facts
from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.aws.session import ClientFactory
from registry_operator.config import OperatorConfig
from registry_operator.reconcile.claims import PackageClaim
from registry_operator.reconcile.locks import KeyedLocks
from registry_operator.reconcile.outcome import Retry
from registry_operator.reconcile.permissions import Authorizer, Request, in_group_scope

# A dependent waiting for a group is reconciled as soon as the group changes (reconcile.dependencies);
# this slow retry is only the safety net for a change the watch did not deliver.
WAIT_FOR_GROUP_SECONDS = 30.0
# A version naming a group no object of its namespace makes (yet), outside the groups it may use, is
# refused only once it is this old: `kubectl apply -f folder/` creates the files one by one, versions
# before their group when the names sort so, and the version's first run can come in between.
APPLIED_TOGETHER_SECONDS = 10.0


@dataclass(frozen=True)
class GroupInfo:
    """A ModelPackageGroup object as its spec declares it and its status records it."""

    namespace: str
    name: str
    uid: str
    declared_name: str  # the SageMaker group it makes: spec.modelPackageGroupName, else metadata.name
    group_name: str | None  # as recorded, once reconciled
    group_arn: str | None
    region: str | None  # the region it recorded (else its spec's); None before its first reconcile
    role_arn: str | None
    ready: bool
    deleting: bool = False
    waiting: str | None = None  # the Ready condition's reason for its current generation

    def describe(self) -> str:
        return f"ModelPackageGroup {self.namespace}/{self.name}"

    def state(self) -> str:
        if self.deleting:
            return "is being deleted"
        return f"is not Ready yet ({self.waiting})" if self.waiting else "is not Ready yet"


GroupLookup = Callable[[str, str], GroupInfo | None]
ClaimLookup = Callable[[str], list[PackageClaim]]
# (namespace, SageMaker group name) -> the ModelPackageGroup objects of that namespace that make it
DeclaredGroupLookup = Callable[[str, str], list[GroupInfo]]


def _no_claims(_: str) -> list[PackageClaim]:
    return []


def _no_groups(namespace: str, group: str) -> list[GroupInfo]:
    return []


@dataclass
class ReconcileContext:
    config: OperatorConfig
    clients: ClientFactory
    groups: GroupLookup
    claims: ClaimLookup = _no_claims
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    own_account: str | None = None  # the operator's own identity's account, when known
    declared_groups: DeclaredGroupLookup = _no_groups
    # The same, read from the API server now: only where the view's answer would refuse a version
    declared_groups_now: DeclaredGroupLookup = _no_groups
    # The ApprovalPolicies of a namespace, by name (none when the optional component is not installed).
    approval_policies: Callable[[str], list[tuple[str, ApprovalPolicySpec]]] = lambda namespace: []
    # The identity AWS records for the operator's calls (in a region, as a role or its own): who made an
    # approval git asked for.
    identity: Callable[[str, str | None], str | None] = lambda region, role_arn: None

    def registry(self, region: str, role_arn: str | None) -> SageMakerRegistry:
        return SageMakerRegistry(self.clients.client("sagemaker", region, role_arn))

    def makes(self, info: GroupInfo, group: str) -> bool:
        """Whether the group object makes `group` (a name, or a group ARN): by its recorded ARN once it
        has one, else by the ARN it will have (its role's account, else the operator's; its region)."""
        if not group.startswith("arn:"):
            return True  # looked up by name already
        arn = info.group_arn
        if arn is None:
            account = facts.account_of(info.role_arn) or self.own_account
            if account is None:
                return False
            region = info.region or self.config.default_region
            arn = facts.group_arn(region, account, info.declared_name)
        return facts.same_sagemaker_arn(arn, group)

    def managed_group(self, namespace: str, group: str) -> bool:
        """The namespace's own ModelPackageGroups have made `group` (a name or a group ARN)."""
        return any(
            g.group_arn and self.makes(g, group)
            for g in self.declared_groups(namespace, facts.group_name_from_arn(group))
        )

    def wait_for_declared_group(
        self, namespace: str, field_name: str, group: str, age: float | None = None
    ) -> None:
        """Retry WaitingForGroup while a ModelPackageGroup of the namespace that makes `group` is not
        Ready: a folder applied at once converges in any order instead of failing on a group that is
        about to exist. `age`: seconds since the asking object was created."""
        name = facts.group_name_from_arn(group)
        declared = self.declared_groups(namespace, name)
        if not declared and not in_group_scope(self.config, namespace, group):
            # About to be refused on the view alone, which may not have seen a group applied in the same
            # breath (each kind has its own watch): the API server says whether the namespace declares it.
            for g in self.declared_groups_now(namespace, name):
                if self.makes(g, group):
                    state = g.state() if g.deleting or not g.ready else "the operator has not seen yet"
                    raise Retry(
                        "WaitingForGroup",
                        f"{field_name} {group} is made by {g.describe()}, which {state}",
                        WAIT_FOR_GROUP_SECONDS,
                    )
            if age is not None and age < APPLIED_TOGETHER_SECONDS:
                raise Retry(
                    "WaitingForGroup",
                    f"{field_name} {group}: no ModelPackageGroup of namespace {namespace} makes it yet, and "
                    f"it is not in the groups the namespace may use; refused unless one is applied within "
                    f"{APPLIED_TOGETHER_SECONDS:.0f} s of this object",
                    max(1.0, APPLIED_TOGETHER_SECONDS - age),
                )
        for g in declared:
            if self.makes(g, group) and (g.deleting or not g.ready):
                raise Retry(
                    "WaitingForGroup",
                    f"{field_name} {group} is made by {g.describe()}, which {g.state()}",
                    WAIT_FOR_GROUP_SECONDS,
                )

    def authorize(self, namespace: str, request: Request) -> None:
        """The one authorization of everything a run would do in AWS (see permissions.Authorizer)."""
        Authorizer(self.config, self.own_account, self.managed_group).authorize(namespace, request)
