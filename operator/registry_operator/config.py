"""The admin-owned operator config (`registry-operator run --config FILE`), validated at start."""

from __future__ import annotations

import re
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


# SQS queue URLs: `https://sqs.<region>.amazonaws.com/<account>/<name>` (and the legacy
# `https://<region>.queue.amazonaws.com/...`); any host for an endpoint of one's own (AWS_ENDPOINT_URL).
# Queue names: up to 80 letters, digits, hyphens and underscores, `.fifo` for a FIFO queue (SQS
# CreateQueue, QueueName).
QUEUE_URL_PATTERN = r"^https?://[^/\s]+/[0-9]{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?$"
_URL_REGION = re.compile(
    r"^https?://(?:sqs\.([a-z0-9-]+)\.amazonaws\.com|([a-z0-9-]+)\.queue\.amazonaws\.com)"
)


class EventQueue(BaseModel):
    """An SQS queue that an EventBridge rule delivers a registry account's SageMaker events to."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    queue_url: str = Field(
        pattern=QUEUE_URL_PATTERN,
        description="The queue's URL, as `aws sqs get-queue-url` prints it.",
    )
    region: str | None = Field(
        default=None,
        pattern=REGION_PATTERN,
        description="The queue's region; defaults to the one in the URL, else `defaultRegion`. The rule "
        "and the queue live in the region of the registry whose events they carry.",
    )
    role_arn: str | None = Field(
        default=None,
        pattern=ROLE_ARN_PATTERN,
        description="A role to assume to read the queue (a queue in another account); the operator's own "
        "identity when omitted.",
    )
    pollers: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Concurrent long polls of this queue (each receives up to 10 messages per call).",
    )
    shard: str | None = Field(
        default=None,
        pattern=CLUSTER_NAME_PATTERN,
        description="With shards: the one (`--shard` NAME) that reads this queue. A shard deletes the "
        "events of packages it does not manage, so each shard needs a queue of its own (the rule can "
        "target one per shard). Omitted: read by the operator started without `--shard`.",
    )

    @model_validator(mode="after")
    def _region_agrees_with_url(self) -> EventQueue:
        in_url = self.url_region()
        if in_url and self.region and in_url != self.region:
            raise ValueError(f"region {self.region} differs from the queue URL's region {in_url}")
        return self

    def url_region(self) -> str | None:
        match = _URL_REGION.match(self.queue_url)
        return (match.group(1) or match.group(2)) if match else None

    @property
    def account(self) -> str:
        return self.queue_url.rstrip("/").split("/")[-2]

    @property
    def name(self) -> str:
        """`<account>/<queue name>`: how logs and metrics name the queue."""
        return "/".join(self.queue_url.rstrip("/").split("/")[-2:])


# With registry events, the periodic listing is only the safety net for an event lost on the way.
RESYNC_WITH_EVENTS_SECONDS = 600


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
        description="How often registry-side changes (approvals, drift, removed grants) are looked for; "
        f"{RESYNC_WITH_EVENTS_SECONDS} by default when `eventQueues` are configured, which bring the "
        "registry's changes within seconds (the resync is then the safety net for lost events).",
    )
    namespaces: dict[str, NamespacePermissions] = Field(
        default_factory=dict,
        description="Per namespace (a name, or a pattern such as `team-a-*`: its own key wins, else "
        "the first matching pattern): what its resources may do beyond the operator's own identity in its "
        "own account and the groups they create. A namespace not listed may do nothing more.",
    )
    event_queues: list[EventQueue] = Field(
        default_factory=list,
        description="SQS queues an EventBridge rule delivers SageMaker's `SageMaker Model Package State "
        "Change` events to, one per registry account and region (see [Registry events](registry-events.md)). "
        "With them, registry-side changes reach status within seconds, and `resyncIntervalSeconds` can be "
        "long (600) as the safety net for lost events.",
    )

    @model_validator(mode="after")
    def _resync_slower_with_events(self) -> OperatorConfig:
        if self.event_queues and "resync_interval_seconds" not in self.model_fields_set:
            self.resync_interval_seconds = RESYNC_WITH_EVENTS_SECONDS
        return self

    @model_validator(mode="after")
    def _queues_once_each_with_a_region(self) -> OperatorConfig:
        seen: set[str] = set()
        for index, queue in enumerate(self.event_queues):
            if queue.queue_url in seen:
                raise ValueError(f"eventQueues.{index}: {queue.queue_url} is listed twice")
            seen.add(queue.queue_url)
            if queue.region is None:
                queue.region = queue.url_region() or self.default_region
        return self

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

    def event_queues_for(self, shard: str | None) -> list[EventQueue]:
        """The queues the operator started with `--shard shard` (None: without) reads."""
        return [q for q in self.event_queues if q.shard == shard]

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
