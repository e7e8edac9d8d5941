"""Each kind's reconciler, by kind name (the kinds themselves are listed in api.kinds)."""

from __future__ import annotations

from typing import Any

from registry_operator.api.kinds import KINDS
from registry_operator.reconcile import cross_account, model_package_group, model_version
from registry_operator.reconcile.runner import ManagedKind

RECONCILERS: dict[str, ManagedKind[Any, Any]] = {
    k.kind: k for k in (model_package_group.KIND, model_version.KIND, cross_account.KIND)
}
assert set(RECONCILERS) == {info.kind for info in KINDS}, "every kind needs a reconciler"
