"""The SageMaker Model Registry calls the operator makes, and nothing else."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from registry_operator.aws.calls import call, pages
from registry_operator.aws.errors import AwsError, AwsErrorKind

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

T = TypeVar("T")
PAGE_SIZE = 100  # the largest page ListModelPackages and ListTags return


class SageMakerRegistry:
    def __init__(self, client: SageMakerClient) -> None:
        self._client = client

    def _call(self, operation: str, fn: Callable[..., T], **kwargs: Any) -> T:
        return call(operation, fn, **kwargs)

    def _call_or_none(self, operation: str, fn: Callable[..., T], **kwargs: Any) -> T | None:
        try:
            return self._call(operation, fn, **kwargs)
        except AwsError as err:
            if err.kind is AwsErrorKind.NOT_FOUND:
                return None
            raise

    # groups
    def describe_group(self, name_or_arn: str) -> dict[str, Any] | None:
        return self._call_or_none(  # type: ignore[return-value]  # a TypedDict, read as a dict
            "DescribeModelPackageGroup",
            self._client.describe_model_package_group,
            ModelPackageGroupName=name_or_arn,
        )

    def create_group(self, name: str, description: str | None, tags: dict[str, str] | None) -> str:
        kwargs: dict[str, Any] = {"ModelPackageGroupName": name}
        if description is not None:
            kwargs["ModelPackageGroupDescription"] = description
        if tags:
            kwargs["Tags"] = to_tag_list(tags)
        out = self._call("CreateModelPackageGroup", self._client.create_model_package_group, **kwargs)
        return str(out["ModelPackageGroupArn"])

    def delete_group(self, name: str) -> bool:
        """False when the group was already gone."""
        return (
            self._call_or_none(
                "DeleteModelPackageGroup", self._client.delete_model_package_group, ModelPackageGroupName=name
            )
            is not None
        )

    # group resource policy
    def get_group_policy(self, name_or_arn: str) -> str | None:
        try:
            out = self._call(
                "GetModelPackageGroupPolicy",
                self._client.get_model_package_group_policy,
                ModelPackageGroupName=name_or_arn,
            )
        except AwsError as err:
            if err.kind is AwsErrorKind.NOT_FOUND and "resource policy" in err.message.lower():
                return None  # the group exists but has no policy yet
            raise
        return str(out["ResourcePolicy"])

    def put_group_policy(self, name_or_arn: str, text: str) -> None:
        self._call(
            "PutModelPackageGroupPolicy",
            self._client.put_model_package_group_policy,
            ModelPackageGroupName=name_or_arn,
            ResourcePolicy=text,
        )

    def delete_group_policy(self, name_or_arn: str) -> None:
        self._call_or_none(
            "DeleteModelPackageGroupPolicy",
            self._client.delete_model_package_group_policy,
            ModelPackageGroupName=name_or_arn,
        )

    # packages
    def create_package(self, request: dict[str, Any]) -> str:
        out = self._call("CreateModelPackage", self._client.create_model_package, **request)
        return str(out["ModelPackageArn"])

    def describe_package(self, arn: str) -> dict[str, Any] | None:
        return self._call_or_none(  # type: ignore[return-value]  # a TypedDict, read as a dict
            "DescribeModelPackage", self._client.describe_model_package, ModelPackageName=arn
        )

    def update_package(self, arn: str, **changes: Any) -> None:
        self._call("UpdateModelPackage", self._client.update_model_package, ModelPackageArn=arn, **changes)

    def delete_package(self, arn: str) -> bool:
        """False when the package was already gone."""
        return (
            self._call_or_none("DeleteModelPackage", self._client.delete_model_package, ModelPackageName=arn)
            is not None
        )

    def summary_members(self) -> frozenset[str]:
        """What ListModelPackages says of each version (ModelPackageSummary), from the service model the
        client already holds: parsing botocore's model again would cost megabytes."""
        shape = self._client.meta.service_model.shape_for("ModelPackageSummary")
        return frozenset(getattr(shape, "members", {}))

    def list_packages(self, group_name_or_arn: str) -> Iterator[dict[str, Any]]:
        """Every version of a group with its approval status, 100 per call."""
        for _, summaries in self.list_packages_by_page(group_name_or_arn):
            yield from summaries

    def list_packages_by_page(
        self, group_name_or_arn: str
    ) -> Iterator[tuple[datetime | None, list[dict[str, Any]]]]:
        """The versions of a group, page by page, each with the time SageMaker answered it (its HTTP
        Date header, by AWS's clock): what the page says holds as of then."""
        paginated = self._client.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=group_name_or_arn, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages("ListModelPackages", paginated):
            headers = page.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            yield (
                _http_date(headers.get("date")),
                cast(list[dict[str, Any]], page.get("ModelPackageSummaryList", [])),
            )

    # tags (on group and package ARNs alike)
    def list_tags(self, arn: str) -> dict[str, str]:
        paginated = self._client.get_paginator("list_tags").paginate(
            ResourceArn=arn, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        return {t["Key"]: t["Value"] for page in pages("ListTags", paginated) for t in page.get("Tags", [])}

    def add_tags(self, arn: str, tags: dict[str, str]) -> None:
        self._call("AddTags", self._client.add_tags, ResourceArn=arn, Tags=to_tag_list(tags))

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        self._call("DeleteTags", self._client.delete_tags, ResourceArn=arn, TagKeys=keys)


def to_tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
