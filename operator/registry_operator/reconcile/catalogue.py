"""The kinds the operator serves: everything per kind (CRDs, kopf's registration, views, dependencies,
periodic re-checks, RBAC rules, metrics, Argo CD health checks) is generated from this one list."""

from __future__ import annotations

from typing import Any

from registry_operator.api.kinds import KindInfo
from registry_operator.reconcile import cross_account, model_package_group, model_version
from registry_operator.reconcile.runner import ManagedKind

MANAGED_KINDS: tuple[ManagedKind[Any, Any], ...] = (
    model_package_group.MANAGED,
    model_version.MANAGED,
    cross_account.MANAGED,
)
KINDS: tuple[KindInfo, ...] = tuple(k.info for k in MANAGED_KINDS)
_BY_NAME = {k.kind: k for k in MANAGED_KINDS}


def managed(kind: str) -> ManagedKind[Any, Any]:
    """The ManagedKind of a kind name (KeyError for a kind the operator does not serve)."""
    return _BY_NAME[kind]
