"""What a ModelVersion does with the registry members beyond registering them: the checks its schema
cannot make, the UpdateModelPackage parameters for the members that may change (set in the spec, the
spec decides; left out, the registry's value stands), and the status fields DescribeModelPackage fills.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from registry_operator.api import package_members
from registry_operator.api.model_version import ModelVersionSpec
from registry_operator.aws import facts
from registry_operator.reconcile import package_requests
from registry_operator.reconcile.outcome import Stalled


def check_model_card(spec: ModelVersionSpec) -> None:
    """The card's content must be a JSON document (the model package model card schema, SageMaker
    Developer Guide); the CRD cannot parse JSON, so this is the operator's check, before any AWS call."""
    content = spec.model_card.model_card_content if spec.model_card else None
    if content is None:
        return
    try:
        parsed = json.loads(content)
    except ValueError as err:
        raise Stalled("InvalidModelCard", f"spec.modelCard.modelCardContent: not JSON ({err})") from None
    if not isinstance(parsed, dict):
        raise Stalled("InvalidModelCard", "spec.modelCard.modelCardContent: not a JSON object")


def check_kms_key(spec: ModelVersionSpec, region: str) -> None:
    """A key given by ARN must be in the version's partition and region: SageMaker encrypts with keys of
    its own region only, and a client of one partition cannot name another's resources."""
    key = spec.security_config.kms_key_id if spec.security_config else None
    parsed = facts.parse_arn(key) if key and key.startswith("arn:") else None
    if key and key.startswith("arn:") and (parsed is None or parsed.service != "kms"):
        raise Stalled("InvalidSecurityConfig", f"spec.securityConfig.kmsKeyId: {key} is not a KMS key ARN")
    if parsed is None:
        return
    if parsed.partition != facts.partition(region):
        raise Stalled(
            "InvalidSecurityConfig",
            f"spec.securityConfig.kmsKeyId is in partition {parsed.partition}, but this version's region "
            f"{region} is in {facts.partition(region)}",
        )
    if parsed.region != region:
        raise Stalled(
            "InvalidSecurityConfig",
            f"spec.securityConfig.kmsKeyId is in region {parsed.region}, this version in {region}",
        )


def _same_card_content(ours: str, theirs: Any) -> bool:
    """Compared as JSON when both parse: SageMaker may give the document back re-serialised."""
    if not isinstance(theirs, str):
        return False
    try:
        return bool(json.loads(ours) == json.loads(theirs))
    except ValueError:
        return ours == theirs


def updatable_changes(spec: ModelVersionSpec, described: dict[str, Any]) -> dict[str, Any]:
    """UpdateModelPackage parameters for the updatable members the spec sets (besides approval and
    metadata): set in the spec, the spec decides; omitted, the registry's value stands."""
    changes: dict[str, Any] = {}
    if spec.model_card is not None:
        card = described.get("ModelCard") or {}
        content, status = spec.model_card.model_card_content, spec.model_card.model_card_status
        if (content is not None and not _same_card_content(content, card.get("ModelCardContent"))) or (
            status is not None and status != card.get("ModelCardStatus")
        ):
            changes["ModelCard"] = package_requests.to_aws_shape(spec.model_card)
    if spec.model_life_cycle is not None:
        wanted = package_requests.to_aws_shape(spec.model_life_cycle)
        held = described.get("ModelLifeCycle") or {}
        if any(held.get(k) != v for k, v in wanted.items()):
            changes["ModelLifeCycle"] = wanted
    if spec.source_uri is not None and spec.source_uri != described.get("SourceUri"):
        changes["SourceUri"] = spec.source_uri
    registration = spec.model_package_registration_type
    if registration is not None and registration != described.get("ModelPackageRegistrationType"):
        changes["ModelPackageRegistrationType"] = registration
    held_names = {s.get("Name") for s in described.get("AdditionalInferenceSpecifications") or []}
    to_add = [
        package_requests.to_aws_shape(s)
        for s in spec.additional_inference_specifications or []
        if s.name not in held_names
    ]
    if to_add:
        changes[package_members.ADDITIONS["AdditionalInferenceSpecifications"]] = to_add
    return changes


def applied_updates(changes: dict[str, Any], described: dict[str, Any]) -> list[tuple[str, str]]:
    """Bring `described` in line with an UpdateModelPackage that succeeded; the events it makes."""
    events = []
    if "ModelLifeCycle" in changes:
        before = (described.get("ModelLifeCycle") or {}).get("Stage")
        after = changes["ModelLifeCycle"]
        described["ModelLifeCycle"] = after
        events.append(
            (
                "StageUpdated",
                f"life-cycle stage {before or '(none)'} -> {after['Stage']} ({after['StageStatus']})",
            )
        )
    if "ModelCard" in changes:
        described["ModelCard"] = {**(described.get("ModelCard") or {}), **changes["ModelCard"]}
        events.append(("ModelCardUpdated", "model card updated"))
    if "SourceUri" in changes:
        described["SourceUri"] = changes["SourceUri"]
        events.append(("SourceUriUpdated", f"source URI is now {changes['SourceUri']}"))
    if "ModelPackageRegistrationType" in changes:
        described["ModelPackageRegistrationType"] = changes["ModelPackageRegistrationType"]
        events.append(
            ("RegistrationTypeUpdated", f"registration type is now {changes['ModelPackageRegistrationType']}")
        )
    added = changes.get(package_members.ADDITIONS["AdditionalInferenceSpecifications"])
    if added:
        described["AdditionalInferenceSpecifications"] = [
            *(described.get("AdditionalInferenceSpecifications") or []),
            *added,
        ]
        names = ", ".join(s["Name"] for s in added)
        events.append(("InferenceSpecificationsAdded", f"additional inference specifications added: {names}"))
    return events


def parse_iso(value: Any) -> datetime | None:
    """A status time (as _iso writes it) back as a time; None for none."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return str(value) if value else None


def _status_items(items: Any) -> list[dict[str, str]] | None:
    out = [
        {
            k: v
            for k, v in (
                ("name", item.get("Name")),
                ("status", item.get("Status")),
                ("failureReason", item.get("FailureReason")),
            )
            if v
        }
        for item in items or []
    ]
    return out or None


def life_cycle_status(held: dict[str, Any] | None) -> dict[str, str] | None:
    """A ModelLifeCycle as status.modelLifeCycle shows it."""
    if not held or not held.get("Stage"):
        return None
    names = (("stage", "Stage"), ("stageStatus", "StageStatus"), ("stageDescription", "StageDescription"))
    return {ours: str(held[theirs]) for ours, theirs in names if held.get(theirs)}


# Each status field DescribeModelPackage fills, and the member it comes from.
_DESCRIBED_FROM = {
    "modelPackageStatusDetails": "ModelPackageStatusDetails",
    "modelLifeCycle": "ModelLifeCycle",
    "modelCardStatus": "ModelCard",
    "creationTime": "CreationTime",
    "createdBy": "CreatedBy",
}


def who(context: Any) -> str | None:
    """The name a person recognises in a UserContext (CreatedBy, LastModifiedBy): the Studio user
    profile, else the IAM identity's ARN."""
    if not isinstance(context, dict):
        return None
    return context.get("UserProfileName") or (context.get("IamIdentity") or {}).get("Arn") or None


def described_status(described: dict[str, Any], covers: frozenset[str] | None = None) -> dict[str, Any]:
    """The status fields DescribeModelPackage fills: validation details, stage, card status, who and when.
    A field the package lacks is None, which removes it from the status. `covers` (a List summary's or an
    event's members) limits it to what the source speaks for; the rest stays as recorded."""
    details = described.get("ModelPackageStatusDetails") or {}
    validation = _status_items(details.get("ValidationStatuses"))
    scans = _status_items(details.get("ImageScanStatuses"))
    creator = described.get("CreatedBy") or {}
    fields = {
        "modelPackageStatusDetails": (
            {
                k: v
                for k, v in (("validationStatuses", validation), ("imageScanStatuses", scans))
                if v is not None
            }
            or None
        ),
        "modelLifeCycle": life_cycle_status(described.get("ModelLifeCycle")),
        "modelCardStatus": (described.get("ModelCard") or {}).get("ModelCardStatus"),
        "creationTime": iso(described.get("CreationTime")),
        "createdBy": who(creator),
    }
    if covers is None:
        return fields
    return {k: v for k, v in fields.items() if _DESCRIBED_FROM[k] in covers}
