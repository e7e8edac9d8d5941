"""The admin-owned operator config (`registry-operator run --config FILE`), validated at start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from registry_operator.api.common import REGION_PATTERN, ROLE_ARN_PATTERN

AccountId = Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class NamespacePermissions(BaseModel):
    """What the resources of one namespace may do beyond the operator's own identity in its own account."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    role_arns: list[Annotated[str, Field(pattern=ROLE_ARN_PATTERN)]] = Field(
        default_factory=list, description="IAM roles this namespace's resources may assume."
    )
    grant_accounts: list[AccountId] = Field(
        default_factory=list, description="Account ids this namespace's access resources may grant to."
    )


class OperatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

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
        description="Per namespace: what its resources may do beyond the operator's own identity in its own "
        "account. A namespace not listed may do nothing more.",
    )

    def may_assume(self, namespace: str, role_arn: str) -> bool:
        allowed = self.namespaces.get(namespace)
        return allowed is not None and role_arn in allowed.role_arns

    def may_grant(self, namespace: str, account_id: str) -> bool:
        allowed = self.namespaces.get(namespace)
        return allowed is not None and account_id in allowed.grant_accounts


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
