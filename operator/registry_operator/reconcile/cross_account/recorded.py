"""What an access's status says it applied (`appliedPolicies`, `appliedGrants`), and, for an object from
before those fields existed (an upgrade), what it recorded in the fields it used to write."""

from __future__ import annotations

from typing import Any

from registry_operator.aws import facts
from registry_operator.reconcile.cross_account.parts import GrantPart, PolicyPart

LEGACY_FIELDS = (
    "groupPolicySid",
    "ecrRepositoryArn",
    "ecrPolicySid",
    "s3Bucket",
    "s3PolicySids",
    "kmsKeyId",
    "kmsGrantName",
)


def _spec_roles(raw_spec: Any) -> dict[str, str | None]:
    """The roles a spec names per service, for records written before roles were recorded."""
    training = (raw_spec or {}).get("training") or {}
    registry = (raw_spec or {}).get("registry") or {}
    role = training.get("roleArn")
    return {"s3": role, "ecr": role, "kms": role, "sagemaker": registry.get("roleArn")}


def recorded_policies(recorded: Any, raw_spec: Any = None) -> list[PolicyPart]:
    """What the status says was applied; an object from before `appliedPolicies` existed (an upgrade)
    is read from the fields it used to write, with the roles its spec names."""
    if recorded.get("appliedPolicies") is not None:
        return [
            PolicyPart(
                p["service"], p["region"], p["account"], p["target"], p.get("roleArn"), tuple(p["sids"])
            )
            for p in recorded["appliedPolicies"]
        ]
    return _legacy_policies(recorded, _spec_roles(raw_spec))


def recorded_grants(recorded: Any, raw_spec: Any = None) -> list[GrantPart]:
    if recorded.get("appliedGrants") is not None:
        return [
            GrantPart(g["keyId"], g["region"], g.get("roleArn"), g["name"], grant_id=g.get("grantId"))
            for g in recorded["appliedGrants"]
        ]
    if recorded.get("kmsGrantName") and recorded.get("kmsKeyId"):
        region = recorded.get("region", "")
        role = _spec_roles(raw_spec)["kms"]
        return [
            GrantPart(
                recorded["kmsKeyId"],
                region,
                role,
                recorded["kmsGrantName"],
                grant_id=recorded.get("kmsGrantId"),
            )
        ]
    return []


def _legacy_policies(recorded: Any, roles: dict[str, str | None]) -> list[PolicyPart]:
    region = str(recorded.get("region", ""))
    parts = []
    repo_arn = facts.parse_arn(str(recorded.get("ecrRepositoryArn", "")))
    if repo_arn is not None and recorded.get("ecrPolicySid"):
        target = repo_arn.resource.removeprefix("repository/")
        parts.append(
            PolicyPart(
                "ecr", repo_arn.region, repo_arn.account, target, roles["ecr"], (recorded["ecrPolicySid"],)
            )
        )
    if recorded.get("s3Bucket") and recorded.get("s3PolicySids"):
        parts.append(
            PolicyPart("s3", region, "", recorded["s3Bucket"], roles["s3"], tuple(recorded["s3PolicySids"]))
        )
    group_arn = facts.parse_arn(str(recorded.get("modelPackageGroupArn", "")))
    if group_arn is not None and recorded.get("groupPolicySid"):
        target = group_arn.resource.removeprefix("model-package-group/")
        parts.append(
            PolicyPart(
                "sagemaker",
                group_arn.region,
                group_arn.account,
                target,
                roles["sagemaker"],
                (recorded["groupPolicySid"],),
            )
        )
    return parts
