"""The SageMaker JSON operations the embedded registry answers instead of moto.

Each handler validates the input against the botocore model, resolves the group or package (by name or full
ARN, possibly in another account), authorises the caller (cross-account calls need the group's resource
policy), acts on the `RegistryStore` and returns the response shape the SageMaker API reference documents.
Error codes and messages follow what real SageMaker sends:

- an existing group name: ValidationException "Model Package Group already exists: <arn>"
- a missing group: ValidationException "ModelPackageGroup <arn> does not exist."
- policy calls on a missing group: ValidationException "Cannot find Model Package Group: <arn>"
- Get/DeleteModelPackageGroupPolicy without a policy:
  ValidationException "Cannot find resource policy for: <arn>"
- a missing version: ValidationException "ModelPackage <arn> does not exist."
- deleting a group that still has versions: ConflictException "... still contains Model Packages"
- tags of a missing resource: ValidationException "Resource does not exist"
- a cross-account call the group policy does not allow: AccessDeniedException (HTTP 400)
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.model import ServiceModel

from .errors import AWSError, access_denied, conflict_error, validation_error
from .identity import Caller
from .registry import (
    GROUP_ARN,
    PACKAGE_ARN,
    ModelPackage,
    ModelPackageGroup,
    RegistryStore,
    group_arn,
    package_arn,
    package_arn_prefix,
    package_status,
)
from .resource_policy import Decision, evaluate, parse_policy
from .validation import InputValidator

if TYPE_CHECKING:
    from .sagemaker_events import PackageEvents

_VERSIONED_NAME = re.compile(r"([a-zA-Z0-9](?:[a-zA-Z0-9-]){0,62})/([0-9]{1,9})")
_DEFAULT_PAGE = 10  # SageMaker's List* calls return 10 results when MaxResults is omitted
_T = TypeVar("_T")
_TAG_OPERATIONS = frozenset({"AddTags", "ListTags", "DeleteTags"})
# Fields of CreateModelPackage that the store keeps apart from the echoed creation spec.
_NOT_SPEC = frozenset(
    {"ModelPackageGroupName", "ModelPackageName", "ModelApprovalStatus", "CustomerMetadataProperties", "Tags"}
    | {"ClientToken"}
)


@dataclass(frozen=True, slots=True)
class CallContext:
    caller: Caller
    region: str


Handler = Callable[[CallContext, dict[str, Any]], dict[str, Any]]


def _status_details(package: ModelPackage, status: str) -> dict[str, Any]:
    """ModelPackageStatusDetails: a failed package names what failed and why (ModelPackageStatusItem:
    Name, Status, FailureReason; SageMaker API reference)."""
    if status != "Failed":
        return {"ValidationStatuses": [], "ImageScanStatuses": []}
    return {
        "ValidationStatuses": [
            {
                "Name": package.group.name,
                "Status": "Failed",
                "FailureReason": "the model artifacts could not be validated (failure injected by the "
                "embedded AWS's failPackagesInGroups setting)",
            }
        ],
        "ImageScanStatuses": [],
    }


def _check_model_card(card: dict[str, Any] | None) -> None:
    """ModelCardContent "must follow the schema described in Model Package Model Card Schema" (botocore
    sagemaker model, ModelPackageModelCard.ModelCardContent): a JSON object at the least."""
    content = (card or {}).get("ModelCardContent")
    if content is None:
        return
    try:
        parsed = json.loads(content)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise validation_error(
            "ModelCardContent must be a JSON document of the model package model card schema."
        )


def _tags_to_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def _tags_to_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _encode_token(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def _decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        raise validation_error("Invalid pagination token (NextToken).") from None
    if not isinstance(payload, dict):
        raise validation_error("Invalid pagination token (NextToken).")
    return payload


def _offset_page(
    items: list[_T],
    order: Callable[[_T], Any],
    descending: bool,
    token: dict[str, Any] | None,
    limit: int,
    member: str,
    summary: Callable[[_T], dict[str, Any]],
) -> dict[str, Any]:
    """One page of a listing paged by offset: `items` sorted by `order` (then reversed when descending),
    from the token's offset, as summaries under `member`, with a NextToken while more follow."""
    items.sort(key=order)
    if descending:
        items.reverse()
    start = int(token.get("offset", 0)) if token else 0
    out: dict[str, Any] = {member: [summary(i) for i in items[start : start + limit]]}
    if start + limit < len(items):
        out["NextToken"] = _encode_token({"offset": start + limit})
    return out


def _timestamp(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise validation_error(f"Invalid timestamp: {value}") from None


class SageMakerRegistryAPI:
    def __init__(self, store: RegistryStore, service_model: ServiceModel) -> None:
        self._store = store
        self._validator = InputValidator(service_model)
        # Set by the app: every package change is published as SageMaker's EventBridge event.
        self.events: PackageEvents | None = None
        self._handlers: dict[str, Handler] = {
            "CreateModelPackageGroup": self._create_group,
            "DescribeModelPackageGroup": self._describe_group,
            "ListModelPackageGroups": self._list_groups,
            "DeleteModelPackageGroup": self._delete_group,
            "PutModelPackageGroupPolicy": self._put_policy,
            "GetModelPackageGroupPolicy": self._get_policy,
            "DeleteModelPackageGroupPolicy": self._delete_policy,
            "CreateModelPackage": self._create_package,
            "DescribeModelPackage": self._describe_package,
            "ListModelPackages": self._list_packages,
            "UpdateModelPackage": self._update_package,
            "DeleteModelPackage": self._delete_package,
            "AddTags": self._add_tags,
            "ListTags": self._list_tags,
            "DeleteTags": self._delete_tags,
        }

    def handles(self, operation: str, params: dict[str, Any] | None) -> bool:
        """Whether this module answers the call; tag calls only for model package (group) ARNs."""
        if operation not in self._handlers:
            return False
        if operation in _TAG_OPERATIONS:
            arn = (params or {}).get("ResourceArn")
            return isinstance(arn, str) and (":model-package-group/" in arn or ":model-package/" in arn)
        return True

    @staticmethod
    def needs_body_to_route(operation: str) -> bool:
        return operation in _TAG_OPERATIONS

    def call(self, ctx: CallContext, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self._validator.validate(operation, params)
        with self._store.lock:
            return self._handlers[operation](ctx, params)

    # -- look-ups and authorisation -------------------------------------------------------------

    def _group_target(self, ctx: CallContext, name_or_arn: str) -> tuple[str, str, str]:
        match = GROUP_ARN.fullmatch(name_or_arn)
        if match:
            return match.group(3), match.group(2), match.group(4)
        return ctx.caller.account, ctx.region, name_or_arn

    def _find_group(self, ctx: CallContext, name_or_arn: str) -> tuple[ModelPackageGroup | None, str]:
        account, region, name = self._group_target(ctx, name_or_arn)
        # A call in one region never sees another region's resources, even given their ARN.
        group = self._store.find_group(account, region, name) if region == ctx.region else None
        return group, group_arn(region, account, name)

    def _require_group(
        self, ctx: CallContext, name_or_arn: str, missing: Callable[[str], AWSError] | None = None
    ) -> ModelPackageGroup:
        group, arn = self._find_group(ctx, name_or_arn)
        if group is None:
            raise (missing or (lambda a: validation_error(f"ModelPackageGroup {a} does not exist.")))(arn)
        return group

    def _find_package(self, ctx: CallContext, name_or_arn: str) -> tuple[ModelPackage | None, str]:
        match = PACKAGE_ARN.fullmatch(name_or_arn)
        if match:
            account, region, group_name, version = (
                match.group(3),
                match.group(2),
                match.group(4),
                match.group(5),
            )
        else:
            named = _VERSIONED_NAME.fullmatch(name_or_arn)
            if named is None:
                # An unversioned (Marketplace) package name: the embedded registry holds none.
                return None, name_or_arn
            account, region, group_name, version = (
                ctx.caller.account,
                ctx.region,
                named.group(1),
                named.group(2),
            )
        arn = package_arn(region, account, group_name, int(version))
        group = self._store.find_group(account, region, group_name) if region == ctx.region else None
        package = group.packages.get(int(version)) if group is not None else None
        return package, arn

    def _require_package(self, ctx: CallContext, name_or_arn: str) -> ModelPackage:
        package, arn = self._find_package(ctx, name_or_arn)
        if package is None:
            raise validation_error(f"ModelPackage {arn} does not exist.")
        return package

    def _authorize(
        self, ctx: CallContext, group: ModelPackageGroup, action: str, resources: list[str]
    ) -> None:
        decision = evaluate(group.policy, ctx.caller.principal_names, action, resources)
        prefix = f"User: {ctx.caller.arn} is not authorized to perform: {action} on resource: {resources[0]}"
        if decision is Decision.DENY:
            raise access_denied(f"{prefix} with an explicit deny in a resource-based policy")
        if group.account != ctx.caller.account and decision is not Decision.ALLOW:
            raise access_denied(f"{prefix} because no resource-based policy allows the {action} action")

    # -- serialisation ----------------------------------------------------------------------------

    def _group_summary(self, group: ModelPackageGroup) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ModelPackageGroupName": group.name,
            "ModelPackageGroupArn": group.arn,
            "CreationTime": group.creation_time,
            "ModelPackageGroupStatus": "Deleting" if group.deleting_since is not None else "Completed",
        }
        if group.description is not None:
            out["ModelPackageGroupDescription"] = group.description
        return out

    def _package_summary(self, package: ModelPackage) -> dict[str, Any]:
        """A ModelPackageSummary: botocore's shape has the life-cycle stage and registration type too, so a
        List shows a stage changed since creation."""
        group = package.group
        out: dict[str, Any] = {
            "ModelPackageName": group.name,
            "ModelPackageGroupName": group.name,
            "ModelPackageVersion": package.version,
            "ModelPackageArn": package.arn,
            "CreationTime": package.creation_time,
            "ModelPackageStatus": package_status(package, self._store.lifecycle, time.time()),
            "ModelApprovalStatus": package.approval_status,
        }
        for member in ("ModelPackageDescription", "ModelLifeCycle", "ModelPackageRegistrationType"):
            if package.spec.get(member) is not None:
                out[member] = package.spec[member]
        return out

    def describe(self, package: ModelPackage) -> dict[str, Any]:
        """DescribeModelPackage's answer for a package (times as epoch seconds)."""
        return self._describe(package)

    def _describe(self, package: ModelPackage) -> dict[str, Any]:
        group = package.group
        status = package_status(package, self._store.lifecycle, time.time())
        out: dict[str, Any] = dict(package.spec)
        out.update(
            {
                "ModelPackageName": group.name,
                "ModelPackageGroupName": group.name,
                "ModelPackageVersion": package.version,
                "ModelPackageArn": package.arn,
                "CreationTime": package.creation_time,
                "ModelPackageStatus": status,
                "ModelPackageStatusDetails": _status_details(package, status),
                "CertifyForMarketplace": False,
                "ModelApprovalStatus": package.approval_status,
                "CreatedBy": package.created_by,
            }
        )
        if package.customer_metadata:
            out["CustomerMetadataProperties"] = package.customer_metadata
        if package.approval_description is not None:
            out["ApprovalDescription"] = package.approval_description
        if package.last_modified_time is not None:
            out["LastModifiedTime"] = package.last_modified_time
        if package.last_modified_by is not None:
            out["LastModifiedBy"] = package.last_modified_by
        return out

    # -- model package groups ---------------------------------------------------------------------

    def _create_group(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ModelPackageGroupName"]
        account = ctx.caller.account
        existing = self._store.find_group(account, ctx.region, name)
        if existing is not None:
            # Real SageMaker refuses; it never replaces the group (moto does, losing description and tags).
            raise validation_error(f"Model Package Group already exists: {existing.arn}")
        group = self._store.add_group(
            account,
            ctx.region,
            name,
            params.get("ModelPackageGroupDescription"),
            _tags_to_dict(params.get("Tags")),
            ctx.caller.user_context(),
        )
        return {"ModelPackageGroupArn": group.arn}

    def _describe_group(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._require_group(ctx, params["ModelPackageGroupName"])
        self._authorize(ctx, group, "sagemaker:DescribeModelPackageGroup", [group.arn])
        out = self._group_summary(group)
        out["CreatedBy"] = group.created_by
        return out

    def _list_groups(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("CrossAccountFilterOption") == "CrossAccount":
            # Groups shared through AWS RAM; the embedded AWS has no RAM shares to discover.
            return {"ModelPackageGroupSummaryList": []}
        contains = (params.get("NameContains") or "").lower()
        after = _timestamp(params.get("CreationTimeAfter"))
        before = _timestamp(params.get("CreationTimeBefore"))
        groups = [
            g
            for g in self._store.groups(ctx.caller.account, ctx.region).values()
            if contains in g.name.lower()
            and (after is None or g.creation_time > after)
            and (before is None or g.creation_time < before)
        ]
        by_name = params.get("SortBy") == "Name"
        return _offset_page(
            groups,
            (lambda g: (g.name.lower(), g.creation_time)) if by_name else (lambda g: g.creation_time),
            params.get("SortOrder") == "Descending",
            _decode_token(params.get("NextToken")),
            params.get("MaxResults") or _DEFAULT_PAGE,
            "ModelPackageGroupSummaryList",
            self._group_summary,
        )

    def _delete_group(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._require_group(ctx, params["ModelPackageGroupName"])
        self._authorize(ctx, group, "sagemaker:DeleteModelPackageGroup", [group.arn])
        if group.deleting_since is not None:
            return {}  # already being deleted
        if group.packages:
            raise conflict_error(
                f"Model Package Group {group.arn} cannot be deleted because it still contains Model Packages"
            )
        self._store.remove_group(group)
        return {}

    # -- group policies ---------------------------------------------------------------------------

    def _policy_group(self, ctx: CallContext, params: dict[str, Any], action: str) -> ModelPackageGroup:
        group = self._require_group(
            ctx,
            params["ModelPackageGroupName"],
            missing=lambda arn: validation_error(f"Cannot find Model Package Group: {arn}"),
        )
        self._authorize(ctx, group, action, [group.arn])
        return group

    def _put_policy(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._policy_group(ctx, params, "sagemaker:PutModelPackageGroupPolicy")
        group.policy = parse_policy(params["ResourcePolicy"])
        return {"ModelPackageGroupArn": group.arn}

    def _get_policy(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._policy_group(ctx, params, "sagemaker:GetModelPackageGroupPolicy")
        if group.policy is None:
            raise validation_error(f"Cannot find resource policy for: {group.arn}")
        return {"ResourcePolicy": group.policy.text}

    def _delete_policy(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._policy_group(ctx, params, "sagemaker:DeleteModelPackageGroupPolicy")
        if group.policy is None:
            raise validation_error(f"Cannot find resource policy for: {group.arn}")
        group.policy = None
        return {}

    # -- model packages (versions) ----------------------------------------------------------------

    def _create_package(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        group_ref = params.get("ModelPackageGroupName")
        if group_ref and params.get("ModelPackageName"):
            raise validation_error(
                "Both ModelPackageName and ModelPackageGroupName are provided in the input. "
                "Cannot determine which one to use."
            )
        if not group_ref:
            if params.get("ModelPackageName"):
                raise validation_error(
                    "The embedded registry supports versioned model packages only: "
                    "give ModelPackageGroupName."
                )
            raise validation_error("Missing ARN.")
        if params.get("Tags"):
            # botocore sagemaker model, CreateModelPackageInput.Tags: "If you supply ModelPackageGroupName,
            # your model package belongs to the model group you specify and uses the tags associated with
            # the model group. In this case, you cannot supply a tag argument."
            raise validation_error(
                "Tags cannot be supplied with ModelPackageGroupName: versioned model "
                "packages use the tags of their model package group."
            )
        _check_model_card(params.get("ModelCard"))
        group = self._require_group(ctx, group_ref)
        if group.deleting_since is not None:
            raise validation_error(f"Model Package Group {group.arn} is being deleted.")
        self._authorize(ctx, group, "sagemaker:CreateModelPackage", [group.package_arn(group.next_version)])
        token = params.get("ClientToken")
        if token and token in group.client_tokens:
            # Idempotent retry: the version this token created, never a second one.
            return {"ModelPackageArn": group.packages[group.client_tokens[token]].arn}
        package = self._store.add_package(
            group,
            spec={k: v for k, v in params.items() if k not in _NOT_SPEC},
            approval_status=params.get("ModelApprovalStatus") or "PendingManualApproval",
            customer_metadata=dict(params.get("CustomerMetadataProperties") or {}),
            tags=_tags_to_dict(params.get("Tags")),
            client_token=token,
            created_by=ctx.caller.user_context(),
        )
        if self.events is not None:
            self.events.created(package)
        return {"ModelPackageArn": package.arn}

    def _describe_package(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        package = self._require_package(ctx, params["ModelPackageName"])
        self._authorize(ctx, package.group, "sagemaker:DescribeModelPackage", [package.arn])
        return self._describe(package)

    def _list_packages(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("MaxResults") or _DEFAULT_PAGE
        descending = params.get("SortOrder") == "Descending"
        token = _decode_token(params.get("NextToken"))
        group_ref = params.get("ModelPackageGroupName")
        if group_ref:
            group, _ = self._find_group(ctx, group_ref)
            if group is None:
                return {"ModelPackageSummaryList": []}
            prefix = package_arn_prefix(group.region, group.account, group.name)
            self._authorize(ctx, group, "sagemaker:ListModelPackages", [group.arn, f"{prefix}/*"])
            groups = [group]
        elif params.get("ModelPackageType") in ("Versioned", "Both"):
            groups = sorted(
                self._store.groups(ctx.caller.account, ctx.region).values(), key=lambda g: g.creation_time
            )
        else:
            # ModelPackageType defaults to Unversioned, and the embedded registry holds no such package.
            return {"ModelPackageSummaryList": []}
        status = params.get("ModelApprovalStatus")
        contains = (params.get("NameContains") or "").lower()
        after = _timestamp(params.get("CreationTimeAfter"))
        before = _timestamp(params.get("CreationTimeBefore"))

        def wanted(p: ModelPackage) -> bool:
            return (
                (status is None or p.approval_status == status)
                and contains in p.group.name.lower()
                and (after is None or p.creation_time > after)
                and (before is None or p.creation_time < before)
            )

        if len(groups) == 1:
            return self._page_one_group(groups[0], wanted, limit, descending, token)
        return self._page_many_groups(
            groups, wanted, limit, descending, params.get("SortBy") == "Name", token
        )

    def _page_one_group(
        self,
        group: ModelPackageGroup,
        wanted: Callable[[ModelPackage], bool],
        limit: int,
        descending: bool,
        token: dict[str, Any] | None,
    ) -> dict[str, Any]:
        # Within one group, creation order, name order and version order coincide: a version cursor
        # makes every page O(page) however many thousand versions the group holds.
        after = int(token["after"]) if token and "after" in token else None
        page: list[dict[str, Any]] = []
        last: int | None = None
        more = False
        for package in group.iter_versions(after, descending):
            if not wanted(package):
                continue
            if len(page) == limit:
                more = True
                break
            page.append(self._package_summary(package))
            last = package.version
        out: dict[str, Any] = {"ModelPackageSummaryList": page}
        if more and last is not None:
            out["NextToken"] = _encode_token({"after": last})
        return out

    def _page_many_groups(
        self,
        groups: list[ModelPackageGroup],
        wanted: Callable[[ModelPackage], bool],
        limit: int,
        descending: bool,
        by_name: bool,
        token: dict[str, Any] | None,
    ) -> dict[str, Any]:
        return _offset_page(
            [p for g in groups for p in g.packages.values() if wanted(p)],
            (lambda p: (p.group.name.lower(), p.version)) if by_name else (lambda p: p.creation_time),
            descending,
            token,
            limit,
            "ModelPackageSummaryList",
            self._package_summary,
        )

    def _update_package(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        package = self._require_package(ctx, params["ModelPackageArn"])
        self._authorize(ctx, package.group, "sagemaker:UpdateModelPackage", [package.arn])
        _check_model_card(params.get("ModelCard"))
        to_add = params.get("CustomerMetadataProperties") or {}
        to_remove = params.get("CustomerMetadataPropertiesToRemove") or []
        both = sorted(set(to_add) & set(to_remove))
        if both:
            raise validation_error(
                f"Customer metadata keys cannot be both added and removed: {', '.join(both)}"
            )
        extra = params.get("AdditionalInferenceSpecificationsToAdd")
        if extra:
            current = package.spec.get("AdditionalInferenceSpecifications") or []
            if len(current) + len(extra) > 15:
                raise validation_error(
                    "The total number of AdditionalInferenceSpecifications cannot exceed 15."
                )
            package.spec["AdditionalInferenceSpecifications"] = [*current, *extra]
        # A partial update: only what the call names changes, everything else is kept.
        if params.get("ModelApprovalStatus") is not None:
            package.approval_status = params["ModelApprovalStatus"]
        if params.get("ApprovalDescription") is not None:
            package.approval_description = params["ApprovalDescription"]
        package.customer_metadata.update(to_add)
        for key in to_remove:
            package.customer_metadata.pop(key, None)
        for field_name in ("InferenceSpecification", "SourceUri", "ModelCard", "ModelLifeCycle"):
            if params.get(field_name) is not None:
                package.spec[field_name] = params[field_name]
        if params.get("ModelPackageRegistrationType") is not None:
            package.spec["ModelPackageRegistrationType"] = params["ModelPackageRegistrationType"]
        package.last_modified_time = self._store.now()
        package.last_modified_by = ctx.caller.user_context()
        if self.events is not None:
            self.events.updated(package)
        return {"ModelPackageArn": package.arn}

    def _delete_package(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        package = self._require_package(ctx, params["ModelPackageName"])
        self._authorize(ctx, package.group, "sagemaker:DeleteModelPackage", [package.arn])
        self._store.remove_package(package)
        if self.events is not None:
            self.events.deleted(package, self._store.now())
        return {}

    # -- tags ---------------------------------------------------------------------------------------

    def _tagged(self, ctx: CallContext, arn: str, action: str) -> ModelPackage | ModelPackageGroup:
        target: ModelPackage | ModelPackageGroup | None
        if ":model-package-group/" in arn:
            target, _ = self._find_group(ctx, arn)
            group = target
        else:
            target, _ = self._find_package(ctx, arn)
            group = target.group if target is not None else None
        if target is None or group is None:
            raise validation_error("Resource does not exist")
        self._authorize(ctx, group, action, [target.arn])
        return target

    def _add_tags(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        target = self._tagged(ctx, params["ResourceArn"], "sagemaker:AddTags")
        if isinstance(target, ModelPackage):
            # Versioned model packages do not support tags (SageMaker Model Registry FAQ; ACK's SageMaker
            # controller: "versioned model package cannot have tags"): tag the group instead.
            raise validation_error("Tags are not supported for versioned model packages.")
        merged = {**target.tags, **_tags_to_dict(params["Tags"])}
        if len(merged) > 50:
            raise validation_error("A resource can have at most 50 tags.")
        target.tags = merged
        return {"Tags": params["Tags"]}

    def _list_tags(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        target = self._tagged(ctx, params["ResourceArn"], "sagemaker:ListTags")
        return {"Tags": _tags_to_list(target.tags)}

    def _delete_tags(self, ctx: CallContext, params: dict[str, Any]) -> dict[str, Any]:
        target = self._tagged(ctx, params["ResourceArn"], "sagemaker:DeleteTags")
        for key in params["TagKeys"]:
            target.tags.pop(key, None)
        return {}
