"""In-memory SageMaker Model Registry: model package groups and their versions, per account and region.

This store exists because moto 5.2 lacks or gets wrong exactly the operations this product depends on
(see /work/shared/notes/moto-gaps.md): it silently replaces an existing group, cannot delete groups,
packages or policies, ignores ClientToken, accepts 16 containers, refuses a group given by ARN, clears
fields on a partial UpdateModelPackage, crashes on tags of a version ARN and never evaluates a group's
resource policy across accounts. Everything else stays with moto.

The store is plain data behind one lock: every call is O(1) or O(page) and nothing is deep-copied; the
SageMaker API layer (`sagemaker_api`) holds `lock` across look-up, authorisation and mutation so each
request is atomic.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from .resource_policy import ResourcePolicy

GROUP_ARN = re.compile(r"arn:(aws[a-z-]*):sagemaker:([a-z0-9-]*):([0-9]{12}):model-package-group/(.+)")
PACKAGE_ARN = re.compile(
    r"arn:(aws[a-z-]*):sagemaker:([a-z0-9-]*):([0-9]{12}):model-package/([^/]+)/([0-9]+)"
)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def group_arn(region: str, account: str, name: str) -> str:
    # SageMaker lower-cases resource names inside its ARNs (AWS's pipeline tutorial shows group
    # "AbaloneModelPackageGroupName" registering "model-package/abalonemodelpackagegroupname/1").
    return f"arn:{partition_of(region)}:sagemaker:{region}:{account}:model-package-group/{name.lower()}"


def package_arn_prefix(region: str, account: str, group_name: str) -> str:
    """The ARN of a group's versions without the version number: `.../model-package/{group}`."""
    return f"arn:{partition_of(region)}:sagemaker:{region}:{account}:model-package/{group_name.lower()}"


def package_arn(region: str, account: str, group_name: str, version: int) -> str:
    return f"{package_arn_prefix(region, account, group_name)}/{version}"


@dataclass(slots=True, eq=False)
class ModelPackage:
    group: ModelPackageGroup
    version: int
    arn: str
    creation_time: float
    created_by: dict[str, Any]  # a UserContext (botocore sagemaker model), as DescribeModelPackage shows it
    approval_status: str
    # The caller's creation fields, kept as parsed from the request and echoed by DescribeModelPackage.
    spec: dict[str, Any]
    customer_metadata: dict[str, str]
    tags: dict[str, str]
    client_token: str | None
    fate: str = "Completed"  # what the package becomes after Pending and InProgress
    approval_description: str | None = None
    last_modified_time: float | None = None
    last_modified_by: dict[str, Any] | None = None  # a UserContext
    published_status: str | None = None  # the ModelPackageStatus of the last event published for it


@dataclass(slots=True, eq=False)
class ModelPackageGroup:
    name: str
    account: str
    region: str
    arn: str
    description: str | None
    creation_time: float
    created_by: dict[str, Any]  # a UserContext
    tags: dict[str, str]
    policy: ResourcePolicy | None = None
    deleting_since: float | None = None  # DeleteModelPackageGroup was called: Deleting, then gone
    packages: dict[int, ModelPackage] = field(default_factory=dict)
    versions: list[int] = field(default_factory=list)  # live versions, ascending, for O(page) listing
    next_version: int = 1
    client_tokens: dict[str, int] = field(default_factory=dict)

    def package_arn(self, version: int) -> str:
        return package_arn(self.region, self.account, self.name, version)

    def iter_versions(self, after: int | None, descending: bool) -> Iterator[ModelPackage]:
        if descending:
            end = len(self.versions) if after is None else bisect.bisect_left(self.versions, after)
            for index in range(end - 1, -1, -1):
                yield self.packages[self.versions[index]]
        else:
            start = 0 if after is None else bisect.bisect_right(self.versions, after)
            for index in range(start, len(self.versions)):
                yield self.packages[self.versions[index]]


@dataclass
class Lifecycle:
    """How long SageMaker's asynchronous states last here, and which packages fail.

    A new package is Pending, then InProgress, then Completed (or Failed) as DescribeModelPackage and
    ListModelPackages report it (ModelPackageStatus, SageMaker API reference); a deleted group is
    Deleting until it is gone (ModelPackageGroupStatus: Pending, InProgress, Completed, Failed,
    Deleting, DeleteFailed). Completion happens over `package_seconds`: half Pending, half InProgress.
    """

    package_seconds: float = 0.5
    group_deletion_seconds: float = 0.5
    fail_groups: list[str] = field(default_factory=list)  # fnmatch patterns of group names

    def to_json(self) -> dict[str, Any]:
        return {
            "packageCompletionSeconds": self.package_seconds,
            "groupDeletionSeconds": self.group_deletion_seconds,
            "failPackagesInGroups": list(self.fail_groups),
        }


def package_status(package: ModelPackage, lifecycle: Lifecycle, now: float) -> str:
    age = now - package.creation_time
    if age < lifecycle.package_seconds / 2:
        return "Pending"
    if age < lifecycle.package_seconds:
        return "InProgress"
    return package.fate


class RegistryStore:
    """All groups and packages of every account and region; callers hold `lock` for each request."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._groups: dict[tuple[str, str], dict[str, ModelPackageGroup]] = {}
        self._clock_last = 0.0
        self.lifecycle = Lifecycle()

    def reset(self) -> None:
        with self.lock:
            self._groups.clear()
            self.lifecycle = Lifecycle()

    def _expire(self, account: str, region: str) -> None:
        """Groups whose deletion has run its course are gone."""
        groups = self._groups.get((account, region), {})
        now = time.time()
        for key in [
            k
            for k, g in groups.items()
            if g.deleting_since is not None
            and now - g.deleting_since >= self.lifecycle.group_deletion_seconds
        ]:
            del groups[key]

    def now(self) -> float:
        # Strictly increasing, so CreationTime order equals creation order even within one clock tick.
        with self.lock:
            current = max(time.time(), self._clock_last + 1e-6)
            self._clock_last = current
            return current

    def groups(self, account: str, region: str) -> dict[str, ModelPackageGroup]:
        self._expire(account, region)
        return self._groups.get((account, region), {})

    def find_group(self, account: str, region: str, name: str) -> ModelPackageGroup | None:
        # Names are unique case-insensitively: their ARNs are lower-cased.
        self._expire(account, region)
        return self._groups.get((account, region), {}).get(name.lower())

    def add_group(
        self,
        account: str,
        region: str,
        name: str,
        description: str | None,
        tags: dict[str, str],
        created_by: dict[str, Any],
    ) -> ModelPackageGroup:
        group = ModelPackageGroup(
            name=name,
            account=account,
            region=region,
            arn=group_arn(region, account, name),
            description=description,
            creation_time=self.now(),
            created_by=created_by,
            tags=tags,
        )
        self._groups.setdefault((account, region), {})[name.lower()] = group
        return group

    def remove_group(self, group: ModelPackageGroup) -> None:
        """DeleteModelPackageGroup: the group is Deleting for a while, then gone."""
        group.deleting_since = time.time()
        self._expire(group.account, group.region)

    def add_package(
        self,
        group: ModelPackageGroup,
        *,
        spec: dict[str, Any],
        approval_status: str,
        customer_metadata: dict[str, str],
        tags: dict[str, str],
        client_token: str | None,
        created_by: dict[str, Any],
    ) -> ModelPackage:
        version = group.next_version
        group.next_version += 1
        created = self.now()
        package = ModelPackage(
            group=group,
            version=version,
            arn=group.package_arn(version),
            creation_time=created,
            created_by=created_by,
            # Set from the start: the state change event the SageMaker developer guide shows ("Automating
            # SageMaker with EventBridge", model package state change) carries a LastModifiedTime equal to
            # the CreationTime.
            last_modified_time=created,
            last_modified_by=created_by,
            approval_status=approval_status,
            spec=spec,
            customer_metadata=customer_metadata,
            tags=tags,
            client_token=client_token,
            fate="Failed"
            if any(fnmatchcase(group.name, p) for p in self.lifecycle.fail_groups)
            else "Completed",
        )
        group.packages[version] = package
        group.versions.append(version)  # versions only grow, so the list stays sorted
        if client_token:
            group.client_tokens[client_token] = version
        return package

    def remove_package(self, package: ModelPackage) -> None:
        group = package.group
        if group.packages.pop(package.version, None) is None:
            return
        index = bisect.bisect_left(group.versions, package.version)
        del group.versions[index]
        if package.client_token and group.client_tokens.get(package.client_token) == package.version:
            del group.client_tokens[package.client_token]
