"""Parsing the SageMaker ARNs the operator reads back."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:model-package-group/{self.group}"


def parse_package_arn(arn: str) -> PackageArn | None:
    m = _PACKAGE.match(arn)
    if m is None:
        return None
    return PackageArn(m["partition"], m["region"], m["account"], m["group"], int(m["version"]))


def group_name_from_arn(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
