"""What the admin's operator config lets a namespace do; refusals happen before any AWS call."""

from __future__ import annotations

from registry_operator.config import OperatorConfig
from registry_operator.reconcile.outcome import Stalled


def check_role(config: OperatorConfig, namespace: str, role_arn: str | None) -> None:
    if role_arn is not None and not config.may_assume(namespace, role_arn):
        raise Stalled(
            "NotPermitted",
            f"spec.roleArn {role_arn} is not allowed for namespace {namespace} by the operator config "
            "(namespaces.<namespace>.roleArns)",
        )
