"""The admin-owned operator config (`registry-operator run --config FILE`), validated at start."""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from registry_operator.api.common import REGION_PATTERN, ROLE_ARN_PATTERN

AccountId = Annotated[str, Field(pattern=r"^[0-9]{12}$")]
# A glob (fnmatch: `*`, `?`, `[...]`) over names or ARNs; case-sensitive, as AWS names are.
Pattern = Annotated[str, Field(min_length=1, max_length=2048)]
# Part of Sids, grant names and owner tags: letters, digits and hyphens, short.
CLUSTER_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$"


class NamespacePermissions(BaseModel):
    """What the resources of one namespace may do beyond the operator's own identity in its own account."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    role_arns: list[Annotated[str, Field(pattern=ROLE_ARN_PATTERN)]] = Field(
        default_factory=list, description="IAM roles this namespace's resources may assume."
    )
    grant_accounts: list[AccountId] = Field(
        default_factory=list, description="Account ids this namespace's access resources may grant to."
    )
    groups: list[Pattern] = Field(
        default_factory=list,
        description="Model package groups (name or group ARN patterns, `*` and `?` wildcards) this namespace "
        "may create, adopt, register versions into and write a group policy on, beyond the groups its own "
        "ModelPackageGroups created. When set, new groups are created only under these names.",
    )
    s3_buckets: list[Pattern] = Field(
        default_factory=list,
        description="Buckets (name patterns) this namespace's accesses may add a statement to.",
    )
    ecr_repositories: list[Pattern] = Field(
        default_factory=list,
        description="ECR repositories (name patterns, or `<account>/<name>`) this namespace's accesses may "
        "add a statement to.",
    )
    kms_keys: list[Pattern] = Field(
        default_factory=list,
        description="KMS keys (key id or key ARN patterns) this namespace's accesses may create a grant on.",
    )

    def scoped(self) -> bool:
        return bool(self.groups or self.s3_buckets or self.ecr_repositories or self.kms_keys)


class OperatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    cluster_name: str = Field(
        default="default",
        pattern=CLUSTER_NAME_PATTERN,
        description="This cluster's name, in the owner tag of every group and version the operator creates, "
        "and in its Sids and grant names: two clusters sharing an AWS account must use different names. It "
        "cannot change while objects carry the old one (see `previousClusterNames`).",
    )
    previous_cluster_names: list[Annotated[str, Field(pattern=CLUSTER_NAME_PATTERN)]] = Field(
        default_factory=list,
        description="Names this cluster had before: what they own in AWS is claimed again under "
        "`clusterName` (renaming: add the old name here, change `clusterName`, restart).",
    )
    default_region: str = Field(
        default="us-east-2",
        pattern=REGION_PATTERN,
        description="AWS region of every resource that sets no `spec.region`.",
    )
    resync_interval_seconds: int = Field(
        default=60,
        ge=5,
        le=86400,
        description="How often registry-side changes (approvals, drift, removed grants) are looked for.",
    )
    namespaces: dict[str, NamespacePermissions] = Field(
        default_factory=dict,
        description="Per namespace (a name, or a pattern such as `team-a-*`: its own key wins, else "
        "the first matching pattern): what its resources may do beyond the operator's own identity in its "
        "own account and the groups they create. A namespace not listed may do nothing more.",
    )

    @model_validator(mode="after")
    def _scoped_where_it_grants(self) -> OperatorConfig:
        # Before scopes existed, grantAccounts let a namespace write a statement into any bucket,
        # repository, key or group policy the operator's identity could write. Carrying that on silently
        # would keep the hole open; narrowing it silently would break working accesses. Say what to add.
        for name, permissions in self.namespaces.items():
            if permissions.grant_accounts and not permissions.scoped():
                raise ValueError(
                    f"namespaces.{name} has grantAccounts but no s3Buckets, ecrRepositories, kmsKeys or "
                    "groups: list the buckets, repositories, keys and groups its accesses may write to "
                    "(patterns; '*' allows any, as before these fields existed)"
                )
        return self

    def scope(self, namespace: str) -> NamespacePermissions:
        """The entry for a namespace: its own key, else the first key that is a pattern matching it (in the
        file's order, e.g. `team-a-*`), else nothing beyond what it creates itself."""
        found = self.namespaces.get(namespace)
        if found is None:
            found = next((p for key, p in self.namespaces.items() if fnmatchcase(namespace, key)), None)
        return found or NamespacePermissions()

    def may_assume(self, namespace: str, role_arn: str) -> bool:
        return role_arn in self.scope(namespace).role_arns

    def may_grant(self, namespace: str, account_id: str) -> bool:
        return account_id in self.scope(namespace).grant_accounts


class ConfigError(Exception):
    """The config file is missing or invalid; the message names the file and the field."""


def load_config(path: Path | None) -> OperatorConfig:
    if path is None:
        return OperatorConfig()
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read operator config {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"operator config {path} is not valid YAML: {exc}") from exc
    try:
        return OperatorConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"operator config {path} is invalid: {problems}") from exc
