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


def check_group_account(
    config: OperatorConfig, namespace: str, group_arn_account: str, role_arn: str | None
) -> None:
    """A version registered into a group of another account is a cross-account action too: allowed only
    when the group is in the account of the assumed role or in the namespace's grantAccounts."""
    if group_arn_account == role_account(role_arn):
        return
    if not config.may_grant(namespace, group_arn_account):
        raise Stalled(
            "NotPermitted",
            f"spec.modelPackageGroupName is a group in account {group_arn_account}, which namespace "
            f"{namespace} may not register into by the operator config "
            "(namespaces.<namespace>.grantAccounts)",
        )
