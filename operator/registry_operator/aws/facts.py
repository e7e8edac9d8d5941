"""Facts about AWS that the operator decides on, in one place: partitions, ARNs and SageMaker's name rules.
The embedded AWS uses the same ARN and name rules. What an AWS error means for a reconcile is a decision,
and lives with the other decisions (`reconcile.error_meaning`).

Partitions come from botocore's own `partitions.json` (the data the SDK resolves endpoints with), so a
region of aws-cn or aws-us-gov gets ARNs of its partition without a hand-kept list.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import botocore.loaders

# --------------------------------------------------------------------------- partitions and ARNs


@functools.cache
def _partitions() -> list[dict[str, Any]]:
    return list(botocore.loaders.create_loader().load_data("partitions")["partitions"])


@functools.cache
def partition(region: str) -> str:
    """The ARN partition of a region: `aws`, `aws-cn`, `aws-us-gov`, ...; `aws` when botocore does not know
    the region (a region newer than the SDK is almost always in the commercial partition)."""
    for p in _partitions():
        if region in p.get("regions", {}):
            return str(p["outputs"].get("name", p["id"]))
    for p in _partitions():
        if re.match(p["regionRegex"], region):
            return str(p["outputs"].get("name", p["id"]))
    return "aws"


_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12}|):"
    r"(?P<resource>.+)$"
)


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    m = _ARN.match(text)
    if m is None:
        return None
    return Arn(m["partition"], m["service"], m["region"], m["account"], m["resource"])


def account_of(arn: str | None) -> str | None:
    """The account an ARN names (a role's, a group's); None without one."""
    parsed = parse_arn(arn) if arn else None
    return (parsed.account or None) if parsed is not None else None


def account_root(region: str, account: str) -> str:
    return f"arn:{partition(region)}:iam::{account}:root"


def s3_bucket_arn(region: str, bucket: str) -> str:
    # S3 ARNs carry neither region nor account, but they do carry the partition.
    return f"arn:{partition(region)}:s3:::{bucket}"


def ecr_repository_arn(region: str, account: str, repository: str) -> str:
    return f"arn:{partition(region)}:ecr:{region}:{account}:repository/{repository}"


def sagemaker_name(name: str) -> str:
    """A SageMaker resource name as it appears inside SageMaker's ARNs: lower-cased (AWS's pipeline
    tutorial shows group `AbaloneModelPackageGroupName` registering
    `model-package/abalonemodelpackagegroupname/1`). IAM matches policy Resources case-sensitively, so
    a statement must name the lower-cased form to match the ARN SageMaker checks."""
    return name.lower()


def group_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:sagemaker:{region}:{account}:model-package-group/{sagemaker_name(name)}"


def package_arn(region: str, account: str, group: str, version: int) -> str:
    return f"{packages_of_group_arn(region, account, group)}/{version}"


def packages_of_group_arn(region: str, account: str, group: str) -> str:
    """The versions of a group without the version number: `.../model-package/{group}`."""
    return f"arn:{partition(region)}:sagemaker:{region}:{account}:model-package/{sagemaker_name(group)}"


def same_sagemaker_arn(a: str | None, b: str | None) -> bool:
    """SageMaker ARNs name their resources case-insensitively (it lower-cases them itself)."""
    return a is not None and b is not None and a.lower() == b.lower()


_PACKAGE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[^/]+)/(?P<version>\d+)$"
)


@dataclass(frozen=True)
class PackageArn:
    partition: str
    region: str
    account: str
    group: str
    version: int

    @property
    def group_arn(self) -> str:
        return (
            f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:"
            f"model-package-group/{sagemaker_name(self.group)}"
        )


def parse_package_arn(arn: str) -> PackageArn | None:
    m = _PACKAGE.match(arn)
    if m is None:
        return None
    return PackageArn(m["partition"], m["region"], m["account"], m["group"], int(m["version"]))


def group_name_from_arn(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
