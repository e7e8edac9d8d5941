"""What the admin's operator config lets a namespace do; refusals happen before any AWS call."""

from __future__ import annotations

from registry_operator.config import OperatorConfig
from registry_operator.reconcile.outcome import Stalled


def check_role(
    config: OperatorConfig, namespace: str, role_arn: str | None, field: str = "spec.roleArn"
) -> None:
    if role_arn is not None and not config.may_assume(namespace, role_arn):
        raise Stalled(
            "NotPermitted",
            f"{field} {role_arn} is not allowed for namespace {namespace} by the operator config "
            "(namespaces.<namespace>.roleArns)",
        )


def check_grant(config: OperatorConfig, namespace: str, account_id: str, field: str) -> None:
    if not config.may_grant(namespace, account_id):
        raise Stalled(
            "NotPermitted",
            f"{field} {account_id} may not be granted access from namespace {namespace} by the operator "
            "config (namespaces.<namespace>.grantAccounts)",
        )


def role_account(role_arn: str | None) -> str | None:
    return role_arn.split(":")[4] if role_arn else None


def check_target_account(
    config: OperatorConfig,
    namespace: str,
    arn: str,
    role_arn: str | None,
    own_account: str | None,
    field: str,
) -> None:
    """Registering into or adopting from another account's registry is a cross-account action too:
    allowed in the account of the identity in use (the assumed role's, else the operator's own) or in
    the namespace's grantAccounts."""
    account = arn.split(":")[4]
    if account == (role_account(role_arn) or own_account):
        return
    if not config.may_grant(namespace, account):
        raise Stalled(
            "NotPermitted",
            f"{field} is in account {account}, which namespace {namespace} may not act in by the operator "
            "config (namespaces.<namespace>.grantAccounts)",
        )
