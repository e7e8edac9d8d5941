"""A matrix of malformed and hostile resources across the three kinds: each is refused by the API server
or ends Stalled with a reason naming the field, and the embedded AWS sees no call at all. In the namespace
hostile-gated the approval-policy component is installed and an ApprovalPolicy applies: approvals without
their evidence, with evidence that only looks present, and forged or rewritten authors are refused at
admission too."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import manifests
import pytest
from approval_policy import AUTHOR, TICKET, approval_policy, installed, wait_enforced, whoami
from kube import KubectlError, condition
from waiting import eventually

NAMESPACES = ["hostile", "hostile-allowed", "hostile-gated"]
GATED = "hostile-gated"
# Stands for the user the tests' own credentials authenticate as, found at run time (kubectl auth whoami):
# the author of what they create.
REQUESTER = "<requester>"
ALLOWED_ROLE = "arn:aws:iam::222222222222:role/trainer"
OPERATOR_CONFIG = f"""
defaultRegion: us-east-2
namespaces:
  hostile-allowed:
    roleArns: ["{ALLOWED_ROLE}"]
    grantAccounts: ["222222222222"]
    groups: ["*"]
    s3Buckets: ["*"]
    ecrRepositories: ["*"]
    kmsKeys: ["*"]
"""
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
ZERO_WIDTH_SPACE, RIGHT_TO_LEFT_OVERRIDE = "\u200b", "\u202e"


def _mv(name: str, ns: str = "hostile", **spec: Any) -> dict[str, Any]:
    return manifests.version(name, ns, group_name=spec.pop("modelPackageGroupName", "iris"), **spec)


def _mpg(name: str, ns: str = "hostile", **spec: Any) -> dict[str, Any]:
    return manifests.group(name, ns, **spec)


def _craa(name: str, ns: str = "hostile", **changes: Any) -> dict[str, Any]:
    spec = {
        "region": None,
        "training": {"s3Bucket": "training-artifacts", "kmsKeyId": KEY},
        "registry": {"actions": ["sagemaker:CreateModelPackage"]},
        **changes,
    }
    return manifests.access(name, ns, "decision-trees", **spec)


def _with(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`doc` with the dotted `path` (list indexes as numbers) set to `value`; None deletes it."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = doc
    for p in parents:
        node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
    if value is None:
        node.pop(last, None)
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return doc


@dataclass
class Case:
    id: str
    doc: dict[str, Any]
    expect: str  # "admission" or "stalled"
    field: str  # the field the refusal must name
    reason: str = ""  # for stalled: the Ready reason
    then_patch: dict[str, Any] | None = None  # an edit of an existing (stalled) object
    requires: list[dict[str, Any]] = field(default_factory=list)  # applied first (idempotent)


# A version meeting hostile-gated's release gate (registered in no account: its role is not permitted
# there, so the operator stalls it before any AWS call), recorded as created by the tests' user.
GATED_EVIDENCE: dict[str, Any] = {
    "roleArn": ALLOWED_ROLE,
    "modelCard": {"modelCardStatus": "Approved"},
    "modelMetrics": {
        "modelQuality": {"statistics": {"contentType": "application/json", "s3Uri": "s3://m/statistics.json"}}
    },
}


def _gated(
    name: str,
    approval: str = "Approved",
    annotations: dict[str, Any] | None = None,
    labels: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """A version in hostile-gated with all the evidence (its author, a ticket, a team label), changed by
    `annotations` and `labels` (a None value removes the key) and `spec` (dotted paths under spec, `__` for
    the dots, as `_with` takes them)."""
    doc = _mv(name, ns=GATED, approvalStatus=approval, **GATED_EVIDENCE)
    meta = doc["metadata"]
    for key, base, changes in (
        ("annotations", {AUTHOR: REQUESTER, TICKET: "CHG-1234"}, annotations),
        ("labels", {"team": "ml"}, labels),
    ):
        merged = {**base, **(changes or {})}
        meta[key] = {k: v for k, v in merged.items() if v is not None}
    for path, value in spec.items():
        doc = _with(doc, "spec." + path.replace("__", "."), value)
    return doc


def _annotation(name: str, value: str | None) -> dict[str, Any]:
    return {"metadata": {"annotations": {name: value}}}


def _gated_cases() -> list[Case]:
    """Approvals in hostile-gated: its ApprovalPolicies refuse each at admission, naming the field."""
    pending = _gated("g-pending", approval="PendingManualApproval")
    own_name = "can only be set to your own user name"
    bias = {"bias": {"report": {"contentType": "application/json", "s3Uri": "s3://m/bias.json"}}}
    return [
        Case(
            "mv-approved-card-draft",
            _gated("g1", modelCard__modelCardStatus="Draft"),
            "admission",
            "spec.modelCard.modelCardStatus",
        ),
        Case(
            "mv-approved-card-status-missing",
            _gated("g2", modelCard={"modelCardContent": "{}"}),
            "admission",
            "spec.modelCard.modelCardStatus",
        ),
        Case(
            "mv-approved-metrics-of-another-report",
            _gated("g3", modelMetrics=bias),
            "admission",
            "spec.modelMetrics.modelQuality.statistics",
        ),
        Case(
            "mv-approved-ticket-zero-width-space",
            _gated("g4", annotations={TICKET: ZERO_WIDTH_SPACE}),
            "admission",
            f"metadata.annotations[{TICKET}]",
        ),
        Case(
            "mv-approved-ticket-punctuation-only",
            _gated("g5", annotations={TICKET: " - / - "}),
            "admission",
            f"metadata.annotations[{TICKET}]",
        ),
        Case(
            "mv-approved-ticket-under-another-key",
            _gated("g6", annotations={TICKET: None, "example.com/change-tickets": "CHG-1234"}),
            "admission",
            f"metadata.annotations[{TICKET}]",
        ),
        Case(
            "mv-approved-team-label-empty",
            _gated("g7", labels={"team": ""}),
            "admission",
            "metadata.labels[team]",
        ),
        Case("mv-approved-by-its-author", _gated("g8"), "admission", "is the author of this version"),
        Case(
            "mv-author-missing",
            _gated("g9", approval="PendingManualApproval", annotations={AUTHOR: None}),
            "admission",
            f"set metadata.annotations[{AUTHOR}] to your user name",
        ),
        Case(
            "mv-author-forged",
            _gated("g10", approval="PendingManualApproval", annotations={AUTHOR: "someone-else"}),
            "admission",
            f"metadata.annotations[{AUTHOR}] {own_name}",
        ),
        Case(
            "mv-author-upper-case",
            _gated("g11", approval="PendingManualApproval", annotations={AUTHOR: REQUESTER.upper()}),
            "admission",
            f"metadata.annotations[{AUTHOR}] {own_name}",
        ),
        Case(
            "mv-author-trailing-space",
            _gated("g12", approval="PendingManualApproval", annotations={AUTHOR: f"{REQUESTER} "}),
            "admission",
            f"metadata.annotations[{AUTHOR}] {own_name}",
        ),
        Case(
            "mv-author-rewritten",
            pending,
            "admission",
            f"metadata.annotations[{AUTHOR}] records who created this version",
            then_patch=_annotation(AUTHOR, "someone-else"),
            requires=[pending],
        ),
        Case(
            "mv-author-removed",
            pending,
            "admission",
            f"metadata.annotations[{AUTHOR}] records who created this version",
            then_patch=_annotation(AUTHOR, None),
            requires=[pending],
        ),
        Case(
            "mv-approved-by-its-author-in-a-patch",
            pending,
            "admission",
            "is the author of this version",
            then_patch={"spec": {"approvalStatus": "Approved"}},
            requires=[pending],
        ),
        Case(
            "mv-approved-ticket-blanked-in-the-same-patch",
            pending,
            "admission",
            f"metadata.annotations[{TICKET}]",
            then_patch={"spec": {"approvalStatus": "Approved"}} | _annotation(TICKET, "  "),
            requires=[pending],
        ),
    ]


def _cases() -> list[Case]:
    base_mv = _mv("x")
    c = [
        Case(
            "mv-0-containers",
            _with(base_mv, "spec.inferenceSpecification.containers", []),
            "admission",
            "spec.inferenceSpecification.containers",
        ),
        Case(
            "mv-16-containers",
            _with(base_mv, "spec.inferenceSpecification.containers", manifests.containers(16)),
            "admission",
            "spec.inferenceSpecification.containers",
        ),
        Case(
            "mv-empty-image",
            _with(base_mv, "spec.inferenceSpecification.containers.0.image", ""),
            "admission",
            "spec.inferenceSpecification.containers[0].image",
        ),
        Case(
            "mv-ftp-model-url",
            _with(
                base_mv, "spec.inferenceSpecification.containers.0.modelDataUrl", "ftp://models/model.tar.gz"
            ),
            "admission",
            "modelDataUrl",
        ),
        Case(
            "mv-s3-url-without-bucket",
            _with(base_mv, "spec.inferenceSpecification.containers.0.modelDataUrl", "s3:/model.tar.gz"),
            "admission",
            "modelDataUrl",
        ),
        Case(
            "mv-unknown-approval",
            _with(base_mv, "spec.approvalStatus", "Maybe"),
            "admission",
            "spec.approvalStatus",
        ),
        Case(
            "mv-group-arn-of-s3",
            _with(base_mv, "spec.modelPackageGroupName", "arn:aws:s3:::bucket"),
            "admission",
            "spec.modelPackageGroupName",
        ),
        Case(
            "mv-group-arn-bad-partition",
            _with(
                base_mv,
                "spec.modelPackageGroupName",
                "arn:aws-mars:sagemaker:us-east-2:111111111111:model-package-group/iris",
            ),
            "admission",
            "spec.modelPackageGroupName",
        ),
        Case(
            "mv-group-name-64-chars",
            _with(base_mv, "spec.modelPackageGroupName", "g" * 64),
            "admission",
            "spec.modelPackageGroupName",
        ),
        Case(
            "mv-group-name-and-ref",
            _with(base_mv, "spec.modelPackageGroupRef", {"name": "iris"}),
            "admission",
            "spec.modelPackageGroupRef",
        ),
        Case(
            "mv-no-group",
            _with(base_mv, "spec.modelPackageGroupName", None),
            "admission",
            "spec.modelPackageGroupName",
        ),
        Case(
            "mv-role-account-11-digits",
            _with(base_mv, "spec.roleArn", "arn:aws:iam::22222222222:role/trainer"),
            "admission",
            "spec.roleArn",
        ),
        Case(
            "mv-role-arn-of-sts",
            _with(base_mv, "spec.roleArn", "arn:aws:sts::222222222222:assumed-role/trainer/x"),
            "admission",
            "spec.roleArn",
        ),
        Case("mv-region-made-up", _with(base_mv, "spec.region", "mars-east"), "admission", "spec.region"),
        Case(
            "mv-51-metadata",
            _with(base_mv, "spec.customerMetadataProperties", {f"k{i}": "v" for i in range(51)}),
            "admission",
            "spec.customerMetadataProperties",
        ),
        Case(
            "mv-metadata-value-300",
            _with(base_mv, "spec.customerMetadataProperties", {"k": "v" * 300}),
            "admission",
            "spec.customerMetadataProperties",
        ),
        Case(
            "mv-metadata-key-rtl-override",
            _with(base_mv, "spec.customerMetadataProperties", {f"commit{RIGHT_TO_LEFT_OVERRIDE}": "x"}),
            "admission",
            "spec.customerMetadataProperties",
        ),
        Case(
            "mv-env-key-digit-first",
            _with(base_mv, "spec.inferenceSpecification.containers.0.environment", {"1BAD": "x"}),
            "admission",
            "environment",
        ),
        Case(
            "mv-51-tags",
            _with(base_mv, "spec.tags", {f"t{i}": "v" for i in range(51)}),
            "admission",
            "spec.tags",
        ),
        Case(
            "mv-tag-key-zero-width",
            _with(base_mv, "spec.tags", {f"team{ZERO_WIDTH_SPACE}": "ml"}),
            "admission",
            "spec.tags",
        ),
        Case(
            "mv-description-1025",
            _with(base_mv, "spec.modelPackageDescription", "d" * 1025),
            "admission",
            "spec.modelPackageDescription",
        ),
        Case(
            "mv-deletion-policy-purge",
            _with(base_mv, "spec.deletionPolicy", "Purge"),
            "admission",
            "spec.deletionPolicy",
        ),
        Case(
            "mv-adopt-arn-short-account",
            _with(
                _with(base_mv, "spec.inferenceSpecification", None),
                "spec.modelPackageArn",
                "arn:aws:sagemaker:us-east-2:123:model-package/iris/1",
            ),
            "admission",
            "spec.modelPackageArn",
        ),
        Case(
            "mv-instance-type-without-ml",
            _with(
                base_mv, "spec.inferenceSpecification.supportedRealtimeInferenceInstanceTypes", ["m5.large"]
            ),
            "admission",
            "supportedRealtimeInferenceInstanceTypes",
        ),
        Case(
            "mv-hostname-underscore",
            _with(base_mv, "spec.inferenceSpecification.containers.0.containerHostname", "bad_host"),
            "admission",
            "containerHostname",
        ),
        Case(
            "mv-unknown-field",
            _with(base_mv, "spec.modelDataUrl", "s3://b/k"),
            "admission",
            "spec.modelDataUrl",
        ),
        # The registry members generated from botocore's service model: its constraints, at admission.
        Case(
            "mv-card-content-100001",
            _with(base_mv, "spec.modelCard", {"modelCardContent": '{"a": "' + "x" * 99_992 + '"}'}),
            "admission",
            "spec.modelCard.modelCardContent",
        ),
        Case(
            "mv-card-content-two-lines",
            _with(base_mv, "spec.modelCard", {"modelCardContent": '{"a":\n 1}'}),
            "admission",
            "spec.modelCard.modelCardContent",
        ),
        Case(
            "mv-card-status-published",
            _with(base_mv, "spec.modelCard", {"modelCardStatus": "Published"}),
            "admission",
            "spec.modelCard.modelCardStatus",
        ),
        Case(
            "mv-stage-with-space",
            _with(base_mv, "spec.modelLifeCycle", {"stage": "Prod uction", "stageStatus": "Approved"}),
            "admission",
            "spec.modelLifeCycle.stage",
        ),
        Case(
            "mv-stage-without-status",
            _with(base_mv, "spec.modelLifeCycle", {"stage": "Production"}),
            "admission",
            "spec.modelLifeCycle.stageStatus",
        ),
        Case(
            "mv-stage-64-chars",
            _with(base_mv, "spec.modelLifeCycle", {"stage": "s" * 64, "stageStatus": "Approved"}),
            "admission",
            "spec.modelLifeCycle.stage",
        ),
        Case(
            "mv-model-data-source-gs-uri",
            _with(
                base_mv,
                "spec.inferenceSpecification.containers.0.modelDataSource",
                {
                    "s3DataSource": {
                        "s3Uri": "gs://models/llm/",
                        "s3DataType": "S3Prefix",
                        "compressionType": "None",
                    }
                },
            ),
            "admission",
            "spec.inferenceSpecification.containers[0].modelDataSource.s3DataSource.s3Uri",
        ),
        Case(
            "mv-model-data-source-bad-data-type",
            _with(
                base_mv,
                "spec.inferenceSpecification.containers.0.modelDataSource",
                {
                    "s3DataSource": {
                        "s3Uri": "s3://models/llm/",
                        "s3DataType": "S3Folder",
                        "compressionType": "None",
                    }
                },
            ),
            "admission",
            "spec.inferenceSpecification.containers[0].modelDataSource.s3DataSource.s3DataType",
        ),
        Case(
            "mv-model-data-source-no-compression",
            _with(
                base_mv,
                "spec.inferenceSpecification.containers.0.modelDataSource",
                {"s3DataSource": {"s3Uri": "s3://models/llm/", "s3DataType": "S3Prefix"}},
            ),
            "admission",
            "spec.inferenceSpecification.containers[0].modelDataSource.s3DataSource.compressionType",
        ),
        Case(
            "mv-image-digest-md5",
            _with(base_mv, "spec.inferenceSpecification.containers.0.imageDigest", "md5:0f0f"),
            "admission",
            "spec.inferenceSpecification.containers[0].imageDigest",
        ),
        Case(
            "mv-metrics-uri-without-scheme",
            _with(
                base_mv,
                "spec.modelMetrics",
                {
                    "modelQuality": {
                        "statistics": {"contentType": "application/json", "s3Uri": "models/stats.json"}
                    }
                },
            ),
            "admission",
            "spec.modelMetrics.modelQuality.statistics.s3Uri",
        ),
        Case(
            "mv-metrics-without-content-type",
            _with(base_mv, "spec.modelMetrics", {"bias": {"report": {"s3Uri": "s3://m/bias.json"}}}),
            "admission",
            "spec.modelMetrics.bias.report.contentType",
        ),
        Case(
            "mv-drift-baseline-digest-not-sha256",
            _with(
                base_mv,
                "spec.driftCheckBaselines",
                {
                    "modelQuality": {
                        "constraints": {"contentType": "a/b", "s3Uri": "s3://m/c", "contentDigest": "x"}
                    }
                },
            ),
            "admission",
            "spec.driftCheckBaselines.modelQuality.constraints.contentDigest",
        ),
        Case(
            "mv-lineage-commit-1025",
            _with(base_mv, "spec.metadataProperties", {"commitId": "c" * 1025}),
            "admission",
            "spec.metadataProperties.commitId",
        ),
        Case(
            "mv-sample-payload-ftp",
            _with(base_mv, "spec.samplePayloadUrl", "ftp://models/payload.tar.gz"),
            "admission",
            "spec.samplePayloadUrl",
        ),
        Case(
            "mv-skip-validation-some",
            _with(base_mv, "spec.skipModelValidation", "Some"),
            "admission",
            "spec.skipModelValidation",
        ),
        Case(
            "mv-registration-type-published",
            _with(base_mv, "spec.modelPackageRegistrationType", "Published"),
            "admission",
            "spec.modelPackageRegistrationType",
        ),
        Case(
            "mv-kms-key-with-space",
            _with(base_mv, "spec.securityConfig", {"kmsKeyId": "alias/my key"}),
            "admission",
            "spec.securityConfig.kmsKeyId",
        ),
        Case(
            "mv-source-uri-rtl-override",
            _with(base_mv, "spec.sourceUri", f"s3://models/{RIGHT_TO_LEFT_OVERRIDE}gpj.exe"),
            "admission",
            "spec.sourceUri",
        ),
        Case(
            "mv-16-additional-inference-specifications",
            _with(
                base_mv,
                "spec.additionalInferenceSpecifications",
                [{"name": f"s{i}", "containers": [{"image": "x:1"}]} for i in range(16)],
            ),
            "admission",
            "spec.additionalInferenceSpecifications",
        ),
        Case(
            "mv-additional-inference-specification-twice",
            _with(
                base_mv,
                "spec.additionalInferenceSpecifications",
                [{"name": "neo", "containers": [{"image": "x:1"}]}] * 2,
            ),
            "admission",
            "spec.additionalInferenceSpecifications",
        ),
        Case(
            "mv-env-key-with-hyphen",
            _with(base_mv, "spec.inferenceSpecification.containers.0.environment", {"A-B": "x"}),
            "admission",
            "environment",
        ),
        Case("mpg-name-not-a-group-name", _mpg("bad.name"), "admission", "metadata.name"),
        Case(
            "mpg-group-name-underscore",
            _mpg("g1", modelPackageGroupName="bad_name"),
            "admission",
            "spec.modelPackageGroupName",
        ),
        Case(
            "mpg-description-1025",
            _mpg("g2", modelPackageGroupDescription="d" * 1025),
            "admission",
            "spec.modelPackageGroupDescription",
        ),
        Case("mpg-tag-value-257", _mpg("g3", tags={"team": "v" * 257}), "admission", "spec.tags"),
        Case(
            "craa-registry-account-5-digits",
            _craa("a1", registryAccountId="12345"),
            "admission",
            "spec.registryAccountId",
        ),
        Case(
            "craa-same-accounts",
            _craa("a2", trainingAccountId="111111111111"),
            "admission",
            "spec.trainingAccountId",
        ),
        Case(
            "craa-nothing-to-do",
            _with(_with(_craa("a3"), "spec.training", None), "spec.registry", None),
            "admission",
            "spec.training",
        ),
        Case(
            "craa-training-role-other-account",
            _craa("a4", training={"roleArn": "arn:aws:iam::333333333333:role/x", "s3Bucket": "b-1"}),
            "admission",
            "spec.training.roleArn",
        ),
        Case(
            "craa-registry-role-other-account",
            _craa("a5", registry={"roleArn": "arn:aws:iam::222222222222:role/x"}),
            "admission",
            "spec.registry.roleArn",
        ),
        Case(
            "craa-kms-alias",
            _craa("a6", training={"kmsKeyId": "alias/training"}),
            "admission",
            "spec.training.kmsKeyId",
        ),
        Case(
            "craa-kms-key-other-account",
            _craa("a7", training={"kmsKeyId": f"arn:aws:kms:us-east-2:333333333333:key/{KEY}"}),
            "admission",
            "spec.training.kmsKeyId",
        ),
        Case(
            "craa-bucket-uppercase",
            _craa("a8", training={"s3Bucket": "Bad_Bucket"}),
            "admission",
            "spec.training.s3Bucket",
        ),
        Case(
            "craa-prefix-wildcard",
            _craa("a9", training={"s3Bucket": "b-1", "s3KeyPrefix": "models/*"}),
            "admission",
            "spec.training.s3KeyPrefix",
        ),
        Case(
            "craa-prefix-without-bucket",
            _craa("a10", training={"s3KeyPrefix": "models/"}),
            "admission",
            "spec.training.s3KeyPrefix",
        ),
        Case(
            "craa-wildcard-action",
            _craa("a11", registry={"actions": ["sagemaker:*"]}),
            "admission",
            "spec.registry.actions",
        ),
        Case("craa-no-actions", _craa("a12", registry={"actions": []}), "admission", "spec.registry.actions"),
        Case(
            "craa-repository-uppercase",
            _craa("a13", training={"ecrRepository": "Decision-Trees"}),
            "admission",
            "spec.training.ecrRepository",
        ),
        Case("craa-region-truncated", _craa("a14", region="us-east"), "admission", "spec.region"),
        # Well-formed, but the operator config or the request's own consistency refuses them.
        Case(
            "mv-role-not-allowed", _mv("s1", roleArn=ALLOWED_ROLE), "stalled", "spec.roleArn", "NotPermitted"
        ),
        Case(
            "mv-group-in-foreign-account",
            _mv(
                "s2",
                ns="hostile-allowed",
                modelPackageGroupName="arn:aws:sagemaker:us-east-2:444444444444:model-package-group/iris",
            ),
            "stalled",
            "spec.modelPackageGroupName",
            "NotPermitted",
        ),
        Case(
            "mv-group-in-other-region",
            _mv(
                "s3",
                ns="hostile-allowed",
                roleArn=ALLOWED_ROLE,
                modelPackageGroupName="arn:aws:sagemaker:eu-west-1:222222222222:model-package-group/iris",
            ),
            "stalled",
            "spec.modelPackageGroupName",
            "RegionMismatch",
        ),
        Case(
            "mv-adopt-foreign-account",
            _with(
                _with(_mv("s4"), "spec.inferenceSpecification", None),
                "spec.modelPackageArn",
                "arn:aws:sagemaker:us-east-2:444444444444:model-package/iris/1",
            ),
            "stalled",
            "spec.modelPackageArn",
            "NotPermitted",
        ),
        Case(
            "mpg-role-not-allowed",
            _mpg("s5", roleArn=ALLOWED_ROLE),
            "stalled",
            "spec.roleArn",
            "NotPermitted",
        ),
        Case(
            "craa-training-role-not-allowed",
            _craa("s6", training={"roleArn": ALLOWED_ROLE, "s3Bucket": "b-1"}),
            "stalled",
            "spec.training.roleArn",
            "NotPermitted",
        ),
        Case(
            "craa-grantee-not-allowed",
            _craa("s7", ns="hostile-allowed", registryAccountId="333333333333", registry=None),
            "stalled",
            "spec.registryAccountId",
            "NotPermitted",
        ),
        Case(
            "mv-ref-to-group-in-other-region",
            _mv("s8", region="us-west-2")
            | {
                "spec": {
                    **_with(_mv("s8", region="us-west-2"), "spec.modelPackageGroupName", None)["spec"],
                    "modelPackageGroupRef": {"name": "s5"},
                }
            },
            "stalled",
            "spec.modelPackageGroupRef",
            "GroupInOtherRegion",
        ),
        Case(
            "mv-kms-key-in-another-partition",
            _mv("s9", securityConfig={"kmsKeyId": f"arn:aws-cn:kms:cn-north-1:111111111111:key/{KEY}"}),
            "stalled",
            "spec.securityConfig.kmsKeyId",
            "InvalidSecurityConfig",
        ),
        Case(
            "mv-kms-key-in-another-region",
            _mv("s10", securityConfig={"kmsKeyId": f"arn:aws:kms:eu-west-1:111111111111:key/{KEY}"}),
            "stalled",
            "spec.securityConfig.kmsKeyId",
            "InvalidSecurityConfig",
        ),
        Case(
            "mv-card-content-not-json",
            _mv("s11", modelCard={"modelCardContent": "model_overview: {creator: me}"}),
            "stalled",
            "spec.modelCard.modelCardContent",
            "InvalidModelCard",
        ),
        Case(
            "mv-immutable-metrics-added",
            _mv("s1", roleArn=ALLOWED_ROLE),
            "admission",
            "spec.modelMetrics",
            then_patch={
                "spec": {"modelMetrics": {"bias": {"report": {"contentType": "a/b", "s3Uri": "s3://m/r"}}}}
            },
        ),
        Case(
            "mv-immutable-description-changed",
            _mv("s1", roleArn=ALLOWED_ROLE),
            "admission",
            "spec.modelPackageDescription",
            then_patch={"spec": {"modelPackageDescription": "changed"}},
        ),
    ]
    return c + _gated_cases()


CASES = _cases()
OUTCOMES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _approval_policies(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The component, and hostile-gated's ApprovalPolicy (the evidence, and four eyes), in force. One
    policy, not two: of several that refuse, the API server returns the message of whichever it
    evaluated first, in no fixed order, and each case must find the rule it is about in the message."""
    kube = stack.kube
    with installed(kube, tmp_path_factory.mktemp("approval-policy")):
        kube.apply(
            [
                approval_policy(
                    "release-gate",
                    GATED,
                    requiredModelCardStatus="Approved",
                    requiredModelMetrics=["modelQuality.statistics"],
                    requiredAnnotations=[TICKET],
                    requiredLabels=["team"],
                    forbidSelfApproval=True,
                ),
            ]
        )
        probe = _resolved(_gated("probe", labels={"team": None}), whoami(kube))
        wait_enforced(kube, probe, "rule requiredLabels")
        wait_enforced(kube, probe, "rule forbidSelfApproval")
        yield


def _resolved(doc: Any, requester: str) -> Any:
    """`doc` with REQUESTER (in any letter case, as the hostile cases spell it) replaced by the user name."""
    text = json.dumps(doc)
    for spelling in (REQUESTER, REQUESTER.upper()):
        replacement = requester if spelling == REQUESTER else requester.upper()
        text = text.replace(spelling, replacement)
    return json.loads(text)


@pytest.fixture(scope="module", autouse=True)
def _calls_before(stack: Any) -> None:
    # The operator asks STS for its own account once at start-up; count from after that.
    eventually(lambda: stack.admin.calls().get("sts:GetCallerIdentity"), timeout=60, what="operator started")
    stack.admin.reset_calls()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_resource_is_refused(stack: Any, case: Case) -> None:
    kube = stack.kube
    requester = whoami(kube)
    case = Case(
        case.id,
        _resolved(case.doc, requester),
        case.expect,
        case.field,
        case.reason,
        _resolved(case.then_patch, requester),
        [_resolved(d, requester) for d in case.requires],
    )
    for doc in case.requires:
        kube.apply(doc)
    ns, name, kind = case.doc["metadata"]["namespace"], case.doc["metadata"]["name"], case.doc["kind"].lower()
    if case.then_patch is not None:
        with pytest.raises(KubectlError) as refused:
            kube.kubectl("patch", kind, name, "-n", ns, "--type=merge", "-p", json.dumps(case.then_patch))
        assert case.field in str(refused.value), str(refused.value)
        OUTCOMES["refused by the API server"] += 1
        return
    if case.expect == "admission":
        with pytest.raises(KubectlError) as refused:
            kube.apply(case.doc)
        assert case.field in str(refused.value), str(refused.value)
        OUTCOMES["refused by the API server"] += 1
        return
    kube.apply(case.doc)
    kube.kubectl("wait", "--for=condition=Stalled", f"{kind}/{name}", "-n", ns, "--timeout=60s")
    ready = eventually(lambda: condition(kube.get(kind, name, ns)), timeout=10)
    assert (ready["status"], ready["reason"]) == ("False", case.reason), ready
    assert ready["message"].startswith(case.field), ready["message"]
    OUTCOMES[f"Stalled by the operator ({case.reason})"] += 1


def test_no_case_reached_aws(stack: Any) -> None:
    calls: Counter[str] = Counter()
    for ns in NAMESPACES:  # the calls made for the hostile objects, whatever else the operator does
        calls.update(stack.admin.calls(f"{ns}/"))
    total = sum(OUTCOMES.values())
    print(f"\n{total} hostile resources: " + ", ".join(f"{n} {how}" for how, n in sorted(OUTCOMES.items())))
    print(f"AWS calls made for them: {sum(calls.values())} {calls or ''}")
    assert total == len(CASES) >= 40
    assert sum(1 for c in CASES if c.doc["metadata"]["namespace"] == GATED) >= 16
    assert calls == {}
