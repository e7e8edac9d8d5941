"""What the admin's operator config lets a namespace do: one `authorize()` for every path that acts in
AWS (create, update, delete, adoption, the resync, every periodic re-check). A refusal names the field
and the config key that would allow it, and happens before any AWS call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from registry_operator.aws import facts
from registry_operator.config import OperatorConfig
from registry_operator.reconcile.outcome import Stalled

# (field in the spec or status, value)
Named = tuple[str, str]


@dataclass(frozen=True)
class Request:
    """Everything one run of one object would do in AWS, as far as the config decides on it."""

    roles: tuple[Named, ...] = ()  # roles to assume
    accounts: tuple[tuple[str, str, str | None], ...] = ()  # (field, ARN in some account, role used)
    grant_to: tuple[Named, ...] = ()  # accounts to give access to
    create_groups: tuple[Named, ...] = ()  # group names to create
    into_groups: tuple[
        Named, ...
    ] = ()  # groups (name or ARN) to register into, adopt from, or write a policy on
    buckets: tuple[Named, ...] = ()
    repositories: tuple[Named, ...] = ()  # "<account>/<name>"
    keys: tuple[Named, ...] = ()  # key id or key ARN


@dataclass
class Authorizer:
    """The config, the operator's own account, and which groups a namespace manages itself (its own
    ModelPackageGroup objects: what it created is always its to use), by name or by group ARN."""

    config: OperatorConfig
    own_account: str | None
    manages_group: Callable[[str, str], bool] = field(default=lambda namespace, group: False)

    def authorize(self, namespace: str, request: Request) -> None:
        cfg, scope = self.config, self.config.scope(namespace)
        where = f"namespaces.{namespace}"
        for name, role in request.roles:
            if role and not cfg.may_assume(namespace, role):
                _refuse(
                    f"{name} {role} is not allowed for namespace {namespace} by the operator config "
                    f"({where}.roleArns)"
                )
        for name, arn, assumed in request.accounts:
            # Acting in another account's registry is a cross-account action: allowed in the account of
            # the identity in use (the assumed role's, else the operator's own) or in grantAccounts.
            account = facts.account_of(arn) or ""
            if account != (facts.account_of(assumed) or self.own_account) and not cfg.may_grant(
                namespace, account
            ):
                _refuse(
                    f"{name} is in account {account}, which namespace {namespace} may not act in by the "
                    f"operator config ({where}.grantAccounts)"
                )
        for name, account in request.grant_to:
            if not cfg.may_grant(namespace, account):
                _refuse(
                    f"{name} {account} may not be granted access from namespace {namespace} by the operator "
                    f"config ({where}.grantAccounts)"
                )
        for name, group in request.create_groups:
            if scope.groups and not _matches(scope.groups, group):
                _refuse(
                    f"{name} {group} is outside the groups namespace {namespace} may create ({where}.groups)"
                )
        for name, group in request.into_groups:
            if not in_group_scope(cfg, namespace, group) and not self.manages_group(namespace, group):
                _refuse(
                    f"{name} {group} is neither a group this namespace's ModelPackageGroups manage nor "
                    f"in the groups it may use ({where}.groups)"
                )
        for label, items, patterns in (
            ("s3Buckets", request.buckets, scope.s3_buckets),
            ("ecrRepositories", request.repositories, scope.ecr_repositories),
            ("kmsKeys", request.keys, scope.kms_keys),
        ):
            for name, value in items:
                names = (value, value.split("/", 1)[1]) if label == "ecrRepositories" else (value,)
                if not _matches(patterns, *names):
                    _refuse(
                        f"{name} {names[-1]} is outside what namespace {namespace} may write to "
                        f"({where}.{label})"
                    )


def in_group_scope(config: OperatorConfig, namespace: str, group: str) -> bool:
    """The group (a name or a group ARN) is among those the config lets the namespace use."""
    return _matches(config.scope(namespace).groups, group, facts.group_name_from_arn(group))


def _matches(patterns: list[str], *values: str) -> bool:
    return any(fnmatchcase(v, p) for p in patterns for v in values)


def _refuse(message: str) -> None:
    raise Stalled("NotPermitted", message)
