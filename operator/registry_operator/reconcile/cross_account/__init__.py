"""CrossAccountRegistryAccess, by concern: its parts, the plan a spec makes, what its status records, the
parts against AWS, and the kind itself."""

from registry_operator.reconcile.cross_account.kind import MANAGED
from registry_operator.reconcile.cross_account.plan import plan

__all__ = ["MANAGED", "plan"]
