"""A namespace's ApprovalPolicy rules, applied to an approval made in the registry.

At admission, a ValidatingAdmissionPolicy refuses a spec that sets `approvalStatus: Approved` without the
evidence (manifests/components/approval-policy). A version that leaves approval to the registry is
approved in SageMaker instead, where no admission policy runs: the operator applies the same rules when
it sees that approval, on what the registry holds (the card's status as it is now) and what the object
carries (its registered metrics, its labels and annotations). Each refusal names its rule the way the
admission policy's message does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry_operator.api.approval_policy import AUTHOR_ANNOTATION, ApprovalPolicySpec

_MEANINGFUL = re.compile(r"[A-Za-z0-9]")  # a value with a letter or a digit, as the admission policy asks


@dataclass(frozen=True)
class Violation:
    policy: str  # the ApprovalPolicy's name
    rule: str  # requiredModelCardStatus, requiredModelMetrics, requiredLabels, ...
    message: str

    def describe(self) -> str:
        return f"ApprovalPolicy {self.policy}: rule {self.rule}: {self.message}"


def violations(
    policies: list[tuple[str, ApprovalPolicySpec]],
    spec: Mapping[str, Any],
    described: Mapping[str, Any],
    labels: Mapping[str, str],
    annotations: Mapping[str, str],
    approver: str | None,
) -> list[Violation]:
    """Every rule of every policy that the approval breaks."""
    found = []
    card = (described.get("ModelCard") or {}).get("ModelCardStatus") or (spec.get("modelCard") or {}).get(
        "modelCardStatus"
    )
    for name, policy in policies:
        wanted = policy.required_model_card_status
        if wanted is not None and card != wanted:
            found.append(
                Violation(
                    name,
                    "requiredModelCardStatus",
                    f"the model card's status must be {wanted} (it is {card or 'not set'})",
                )
            )
        for metric in policy.required_model_metrics:
            if not _has_metric(spec.get("modelMetrics") or {}, str(metric)):
                found.append(
                    Violation(name, "requiredModelMetrics", f"spec.modelMetrics.{metric} must be set")
                )
        for key in policy.required_labels:
            if not _meaningful(labels.get(key)):
                found.append(Violation(name, "requiredLabels", _missing("labels", key)))
        for key in policy.required_annotations:
            if not _meaningful(annotations.get(key)):
                found.append(Violation(name, "requiredAnnotations", _missing("annotations", key)))
        author = annotations.get(AUTHOR_ANNOTATION)
        if policy.forbid_self_approval and approver and author and approver == author:
            found.append(
                Violation(
                    name,
                    "forbidSelfApproval",
                    f"{approver} is the author of this version (metadata.annotations[{AUTHOR_ANNOTATION}]) "
                    "and cannot approve it",
                )
            )
    return found


def _meaningful(value: str | None) -> bool:
    return bool(_MEANINGFUL.search(str(value or "")))


def _missing(where: str, key: str) -> str:
    return f"metadata.{where}[{key}] must be set to a value with a letter or digit"


def _has_metric(metrics: Mapping[str, Any], path: str) -> bool:
    node: Any = metrics
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return bool(node)
