"""Types every kind shares: conditions, deletion policy, tags, the base of each spec and status."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP = "modelregistry.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
CATEGORY = "modelregistry"
# Set to any new value, asks the operator to look at the object in AWS now (status.lastHandledReconcileAt
# shows the value once it has); the shape Flux's reconcile.fluxcd.io/requestedAt made familiar.
RECONCILE_REQUEST_ANNOTATION = f"{GROUP}/reconcile-requested-at"

# AWS region names as the SageMaker endpoint rules accept them (us-east-2, eu-central-1, us-gov-west-1).
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$"
ROLE_ARN_PATTERN = r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[a-zA-Z0-9_+=,.@/-]+$"
# SageMaker's EntityName: letters, digits and single hyphens, at most 63 characters.
ENTITY_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
TAG_KEY_PATTERN = r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$"
TAG_VALUE_PATTERN = r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$"


class ApiModel(BaseModel):
    """Base of every spec/status model: camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class DeletionPolicy(StrEnum):
    RETAIN = "Retain"
    DELETE = "Delete"


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


Tags = Annotated[
    dict[
        Annotated[str, Field(max_length=128, pattern=TAG_KEY_PATTERN)],
        Annotated[str, Field(max_length=256, pattern=TAG_VALUE_PATTERN)],
    ],
    Field(
        max_length=50,
        description="AWS tags (at most 50). Keys starting with aws: are reserved by AWS.",
        json_schema_extra={"maxProperties": 50},
    ),
]

Region = Annotated[
    str,
    Field(
        pattern=REGION_PATTERN,
        max_length=32,
        description="AWS region of the resource; defaults to the operator's defaultRegion.",
    ),
]

RoleArn = Annotated[
    str,
    Field(
        pattern=ROLE_ARN_PATTERN,
        max_length=2048,
        description=(
            "IAM role the operator assumes for this resource. The operator config must allow this "
            "namespace to use it; omitted, the operator's own identity is used."
        ),
    ),
]


class Condition(ApiModel):
    """A Kubernetes API convention condition (metav1.Condition)."""

    type: str = Field(max_length=316)
    status: ConditionStatus
    reason: str = Field(max_length=1024, description="CamelCase reason, e.g. WaitingForGroup.")
    message: str = Field(default="", max_length=32768)
    observed_generation: int | None = Field(default=None, ge=0)
    last_transition_time: str | None = Field(default=None, json_schema_extra={"format": "date-time"})


class CommonStatus(ApiModel):
    observed_generation: int | None = Field(
        default=None, description="The metadata.generation this status describes."
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Ready, Reconciling and Stalled, following kstatus.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    last_synced_time: str | None = Field(
        default=None,
        description="When the operator last wrote what AWS holds into this status.",
        json_schema_extra={"format": "date-time"},
    )
    kopf: dict[str, Any] | None = Field(
        default=None,
        description="The operator's own bookkeeping (the last handled spec, handler progress); kept in "
        "status so that one reconcile is one write.",
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
    )
    region: str | None = Field(
        default=None,
        description="Where this object was first reconciled; kept, so a later change of the operator's "
        "defaultRegion never moves it.",
    )
    last_handled_reconcile_at: str | None = Field(
        default=None,
        description=f"The value of the annotation {RECONCILE_REQUEST_ANNOTATION} the operator last answered "
        "by looking at the object in AWS at once: set the annotation to any new value to ask for that, "
        "then wait for this field to show it.",
    )


class RegistryEntrySpec(ApiModel):
    """The spec fields of a kind that manages one registry entry (a group or a version): where it lives,
    as whom the operator acts, its tags, and what deleting the resource does to it."""

    tags: Tags | None = None
    region: Region | None = None
    role_arn: RoleArn | None = None
    deletion_policy: DeletionPolicy = Field(
        default=DeletionPolicy.RETAIN,
        description=(
            "Retain (default) keeps the entry in SageMaker when this resource is deleted (a version stays "
            "as an audit record); Delete removes it (SageMaker refuses to delete a group that still holds "
            "versions)."
        ),
    )


class RegistryEntryStatus(CommonStatus):
    """The status of a kind that manages one registry entry (a group or a version), which records its
    owner in AWS."""

    owner: str | None = Field(
        default=None,
        description="The owner this object recorded in AWS (<cluster>/<namespace>/<name>/<uid>): no other "
        "namespace or cluster may manage what it owns.",
    )


def immutable_rule(field: str, hint: str = "") -> dict[str, Any]:
    """CEL transition rule on a spec: `field` may be neither changed nor added nor removed.

    Placed on the spec object rather than on the field, because a rule on an optional field
    only runs when the field is present in both the old and the new object.
    """
    return {
        "rule": (
            f"has(self.{field}) == has(oldSelf.{field}) && "
            f"(!has(self.{field}) || self.{field} == oldSelf.{field})"
        ),
        "message": f"spec.{field} is immutable" + (f": {hint}" if hint else ""),
    }


def add_only_rule(field: str, key: str, hint: str = "") -> dict[str, Any]:
    """CEL transition rule on a spec: items of the list `field` (a list-type map keyed by `key`) may be
    added, never removed. That an item is not changed is the item's own rule (`self == oldSelf`)."""
    return {
        "rule": (
            f"!has(oldSelf.{field}) || (has(self.{field}) && "
            f"oldSelf.{field}.all(o, self.{field}.exists(n, n.{key} == o.{key})))"
        ),
        "message": f"spec.{field}: items can be added but not removed" + (f": {hint}" if hint else ""),
    }
