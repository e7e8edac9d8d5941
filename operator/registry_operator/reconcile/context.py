"""What a reconcile needs from outside: the config, AWS, and what is known of other resources."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from registry_operator.aws.sagemaker import SageMakerRegistry
from registry_operator.aws.session import ClientFactory
from registry_operator.config import OperatorConfig
from registry_operator.reconcile.claims import PackageClaims
from registry_operator.reconcile.locks import KeyedLocks


@dataclass(frozen=True)
class GroupInfo:
    """A ModelPackageGroup resource as the operator last saw it."""

    namespace: str
    name: str
    group_name: str | None
    group_arn: str | None
    region: str | None
    role_arn: str | None
    ready: bool
    deleting: bool = False


GroupLookup = Callable[[str, str], GroupInfo | None]


@dataclass
class ReconcileContext:
    config: OperatorConfig
    clients: ClientFactory
    groups: GroupLookup
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    claims: PackageClaims = field(default_factory=PackageClaims)
    own_account: str | None = None  # the operator's own identity's account, when known

    def registry(self, region: str, role_arn: str | None) -> SageMakerRegistry:
        return SageMakerRegistry(self.clients.client("sagemaker", region, role_arn))
