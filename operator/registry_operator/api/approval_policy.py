"""ApprovalPolicy: the evidence a namespace requires before one of its ModelVersions may be Approved.

It is the parameter resource of the optional ValidatingAdmissionPolicy shipped as the kustomize component
`manifests/components/approval-policy` (and the Helm value `approvalPolicy.enabled`): one or more
ApprovalPolicy objects in a namespace, all of which an approval must meet. The operator does not
reconcile this kind (it is not in `reconcile.catalogue.MANAGED_KINDS`, it has no status); its CRD is
generated from this model by `registry-testbed approval-policy`, and a unit test fails when the committed
file is stale.

A CRD rather than a ConfigMap: the API server checks every key and value (a misspelt key in a ConfigMap
would switch a rule off without a word), lists are lists, and the default `edit` and `admin` roles of a
namespace cannot write it, so a team cannot loosen its own guardrail.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from registry_operator.api.common import ApiModel
from registry_operator.api.package_shapes import ModelCardStatus

KIND = "ApprovalPolicy"
PLURAL = "approvalpolicies"
SINGULAR = "approvalpolicy"

# The annotation that records who created a ModelVersion. Wherever a namespace has an ApprovalPolicy, the
# admission policy lets it be set only to the requesting user's own name and never changed afterwards,
# so "not the author" compares two identities the API server authenticated.
AUTHOR_ANNOTATION = "modelregistry.io/author"

# A label or annotation key as Kubernetes accepts it: an optional DNS-subdomain prefix and a name.
METADATA_KEY_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
MAX_KEYS = 16


class ModelMetric(StrEnum):
    """A report a ModelVersion can carry, as its path under spec.modelMetrics: every MetricsSource member of
    CreateModelPackage's ModelMetrics (a unit test walks package_shapes and fails on a difference)."""

    MODEL_QUALITY_STATISTICS = "modelQuality.statistics"
    MODEL_QUALITY_CONSTRAINTS = "modelQuality.constraints"
    MODEL_DATA_QUALITY_STATISTICS = "modelDataQuality.statistics"
    MODEL_DATA_QUALITY_CONSTRAINTS = "modelDataQuality.constraints"
    BIAS_REPORT = "bias.report"
    BIAS_PRE_TRAINING_REPORT = "bias.preTrainingReport"
    BIAS_POST_TRAINING_REPORT = "bias.postTrainingReport"
    EXPLAINABILITY_REPORT = "explainability.report"


MetadataKey = Annotated[str, Field(pattern=METADATA_KEY_PATTERN, max_length=316)]


class ApprovalPolicySpec(ApiModel):
    """What a ModelVersion in this namespace needs before its spec may set approvalStatus: Approved. Every
    rule is checked when a version is created Approved or changed to Approved, and when the spec of an
    Approved version changes; writes that change only metadata (finalizers, labels, the operator's
    annotations) are never refused. Several ApprovalPolicies in one namespace all apply."""

    required_model_card_status: ModelCardStatus | None = Field(
        default=None,
        description=(
            "spec.modelCard.modelCardStatus must be this (usually Approved: the card was reviewed). "
            "Omitted: the card is not checked."
        ),
    )
    required_model_metrics: list[ModelMetric] = Field(
        default=[],
        max_length=len(ModelMetric),
        description=(
            "Reports that must be set under spec.modelMetrics, by path (modelQuality.statistics, "
            "bias.report, ...). spec.modelMetrics cannot change after registration: a version registered "
            "without them is never approved here; register a new one."
        ),
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    required_labels: list[MetadataKey] = Field(
        default=[],
        max_length=MAX_KEYS,
        description="Label keys the version must carry, each with a value holding a letter or a digit.",
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    required_annotations: list[MetadataKey] = Field(
        default=[],
        max_length=MAX_KEYS,
        description=(
            "Annotation keys the version must carry, each with a value holding a letter or a digit "
            "(e.g. a change ticket: example.com/change-ticket)."
        ),
        json_schema_extra={"x-kubernetes-list-type": "set"},
    )
    forbid_self_approval: bool = Field(
        default=False,
        description=(
            f"The user who approves must not be the version's author: the {AUTHOR_ANNOTATION} "
            "annotation, which every new version must then carry with its creator's own user name. "
            "Under Argo CD or Flux every change is made by the same service account: leave this off "
            "there and require a second reviewer on the pull request instead."
        ),
    )

    revert_registry_approvals: bool = Field(
        default=False,
        description=(
            "For a version that leaves approval to the registry (no spec.approvalStatus): when a reviewer "
            "approves it in SageMaker without the evidence these rules require, the operator sets the "
            "registry back to PendingManualApproval, the one case where it writes an approval git did not "
            "ask for. Off: the approval is not mirrored, and the version is Stalled ApprovalPolicyViolated."
        ),
    )


class ApprovalPolicyResource(ApiModel):
    spec: ApprovalPolicySpec = Field(default_factory=ApprovalPolicySpec)
