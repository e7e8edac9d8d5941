"""What a reconcile needs from outside: the config, AWS, and views of the other objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from registry_operator.aws import facts
from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.aws.session import ClientFactory
from registry_operator.config import OperatorConfig
from registry_operator.reconcile.claims import Claim
from registry_operator.reconcile.locks import KeyedLocks
from registry_operator.reconcile.permissions import Authorizer, Request


@dataclass(frozen=True)
class GroupInfo:
    """A ModelPackageGroup object as its status records it."""

    namespace: str
    name: str
    uid: str
    group_name: str | None
    group_arn: str | None
    region: str | None  # the region it recorded (else its spec's); None before its first reconcile
    role_arn: str | None
    ready: bool
    deleting: bool = False


GroupLookup = Callable[[str, str], GroupInfo | None]
ClaimLookup = Callable[[str], list[Claim]]
# (namespace, group name in SageMaker) -> the ModelPackageGroup objects of that namespace managing it
ManagedGroupLookup = Callable[[str, str], list[GroupInfo]]


def _no_claims(_: str) -> list[Claim]:
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
    managed_groups: ManagedGroupLookup = _no_groups

    def registry(self, region: str, role_arn: str | None) -> SageMakerRegistry:
        return SageMakerRegistry(self.clients.client("sagemaker", region, role_arn))

    def authorize(self, namespace: str, request: Request) -> None:
        """The one authorization of everything a run would do in AWS (see permissions.Authorizer)."""
        Authorizer(
            self.config,
            self.own_account,
            lambda ns, group: any(
                g.group_arn and (not group.startswith("arn:") or facts.same_sagemaker_arn(g.group_arn, group))
                for g in self.managed_groups(ns, facts.group_name_from_arn(group))
            ),
        ).authorize(namespace, request)
