"""A reconcile context for in-process unit tests against the embedded AWS."""

from __future__ import annotations

from registry_operator.aws.session import ClientFactory
from registry_operator.config import OperatorConfig
from registry_operator.reconcile import model_package_group, runner
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.outcome import ObjectRef, State

OWN_ACCOUNT = "123456789012"  # the embedded AWS's default account, the operator's own identity


def with_group_iris() -> ReconcileContext:
    """Namespace `ml` may use any group (the tests make some with boto3); group `iris` exists."""
    config = OperatorConfig.model_validate({"namespaces": {"ml": {"groups": ["*"]}}})
    context = ReconcileContext(config, ClientFactory(), lambda ns, name: None, own_account=OWN_ACCOUNT)
    out = runner.reconcile(model_package_group.MANAGED, ObjectRef("ml", "iris", "g-uid", 1), {}, {}, context)
    assert out.state is State.READY, out
    return context
