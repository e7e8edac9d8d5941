"""What a CrossAccountRegistryAccess is made of: statements in resource policies and a KMS grant, each a
part of its own (as the spec wants it, or as the status records it), with the condition that reports it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from registry_operator import policy
from registry_operator.api.cross_account import INFO
from registry_operator.aws import facts
from registry_operator.reconcile.dependencies import Need

GRANT_OPERATIONS = ["Decrypt", "GenerateDataKey"]
ECR_ACTIONS = ["ecr:BatchGetImage", "ecr:Describe*"]
S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:GetObjectAcl"]

# One condition per part, so `kubectl get -o yaml` says which side is not done yet.
CONDITIONS = {
    "ecr": "EcrRepositoryPolicyReady",
    "s3": "S3BucketPolicyReady",
    "kms": "KmsGrantReady",
    "sagemaker": "ModelPackageGroupPolicyReady",
}
# The size limit of each kind of resource policy, and where AWS documents it.
LIMITS = {
    "s3": (20_480, "S3 bucket policies are limited to 20 KB, S3 User Guide"),
    "ecr": (10_240, "SetRepositoryPolicy policyText, at most 10,240 characters, ECR API reference"),
    "sagemaker": (20_480, "PutModelPackageGroupPolicy ResourcePolicy, at most 20,480 characters"),
}
WHAT = {"s3": "bucket policy of", "ecr": "repository policy of", "sagemaker": "model package group policy of"}


@dataclass(frozen=True)
class PolicyPart:
    """Statements in one resource policy, as desired by the spec or as recorded in the status."""

    service: str
    region: str
    account: str
    target: str
    role_arn: str | None
    sids: tuple[str, ...]
    statements: tuple[policy.Statement, ...] = ()  # empty for a recorded part: only its Sids matter

    @property
    def key(self) -> tuple[str, str, str, str]:
        # A bucket name is global; repositories and groups live in one account and region.
        if self.service == "s3":
            return ("s3", "", "", self.target)
        return (
            self.service,
            self.region,
            self.account,
            self.target.lower() if self.service == "sagemaker" else self.target,
        )

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "service": self.service,
            "region": self.region,
            "account": self.account,
            "target": self.target,
            "sids": sorted(self.sids),
        }
        if self.role_arn:
            out["roleArn"] = self.role_arn
        return out


@dataclass(frozen=True)
class GrantPart:
    key_id: str
    region: str
    role_arn: str | None
    name: str
    grantee: str = ""
    grant_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.key_id, self.name)

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"keyId": self.key_id, "region": self.region, "name": self.name}
        if self.role_arn:
            out["roleArn"] = self.role_arn
        if self.grant_id:
            out["grantId"] = self.grant_id
        return out


@dataclass
class Plan:
    """Everything the spec asks for, computed before any AWS call."""

    region: str
    policies: list[PolicyPart] = field(default_factory=list)
    grants: list[GrantPart] = field(default_factory=list)


def grant_prefix(namespace: str, name: str, cluster: str = "default") -> str:
    return policy.sid("ModelRegistry", namespace, name, cluster)


def grant_name(namespace: str, name: str, key_id: str, grantee: str, cluster: str = "default") -> str:
    """Deterministic per object and grant content: a restart finds it, a spec change gets a new one."""
    content = hashlib.sha256(f"{key_id}|{grantee}|{','.join(GRANT_OPERATIONS)}".encode()).hexdigest()[:8]
    return f"{grant_prefix(namespace, name, cluster)}-{content}"


def record_key(p: dict[str, Any]) -> tuple[str, ...]:
    """The order in which `appliedPolicies` lists its parts."""
    return (p["service"], p["region"], p["account"], p["target"])


def needs_access(namespace: str, group_name_or_arn: str) -> Need:
    """What a version registering into another account's group needs from the access of its namespace
    that puts that group's policy statement in place."""
    return Need(
        INFO.kind, namespace, "group", facts.sagemaker_name(facts.group_name_from_arn(group_name_or_arn))
    )
