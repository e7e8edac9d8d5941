"""The statements and grant a spec asks for, computed and validated before any AWS call, and what the
one authorization is asked about them."""

from __future__ import annotations

from registry_operator import policy
from registry_operator.api.cross_account import GROUP_LEVEL_ACTIONS, CrossAccountRegistryAccessSpec
from registry_operator.aws import facts
from registry_operator.reconcile.cross_account.parts import (
    ECR_ACTIONS,
    S3_OBJECT_ACTIONS,
    GrantPart,
    Plan,
    PolicyPart,
    grant_name,
)
from registry_operator.reconcile.outcome import Stalled
from registry_operator.reconcile.permissions import Request


def plan(
    spec: CrossAccountRegistryAccessSpec, namespace: str, name: str, region: str, cluster: str = "default"
) -> Plan:
    """The statements and grant for a spec; validated as real AWS would, so a bad one never leaves."""
    out = Plan(region)
    t = spec.training
    training_role = t.role_arn if t else None
    registry_root = facts.account_root(region, spec.registry_account_id)

    def allow(
        sid_prefix: str, principal: str, actions: list[str], resource: str | list[str] | None = None
    ) -> policy.Statement:
        statement: policy.Statement = {
            "Sid": policy.sid(sid_prefix, namespace, name, cluster),
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": actions,
        }
        if resource is not None:
            statement["Resource"] = resource
        return statement

    def add(service: str, account: str, target: str, role: str | None, *statements: policy.Statement) -> None:
        out.policies.append(
            PolicyPart(
                service, region, account, target, role, tuple(s["Sid"] for s in statements), statements
            )
        )

    if t is not None and t.ecr_repository:
        # A repository policy names no Resource: it applies to the repository that holds it.
        add(
            "ecr", spec.training_account_id, t.ecr_repository, training_role,
            allow("ModelRegistryEcrRead", registry_root, ECR_ACTIONS),
        )  # fmt: skip
    if t is not None and t.s3_bucket:
        bucket = facts.s3_bucket_arn(region, t.s3_bucket)
        objects = f"{bucket}/{t.s3_key_prefix or ''}*"
        # Object actions on object ARNs and GetBucketAcl on the bucket ARN: the seed's single
        # statement lists GetBucketAcl against objects only, which S3 refuses as MalformedPolicy.
        add(
            "s3", spec.training_account_id, t.s3_bucket, training_role,
            allow("ModelRegistryS3Read", registry_root, S3_OBJECT_ACTIONS, objects),
            allow("ModelRegistryS3BucketAcl", registry_root, ["s3:GetBucketAcl"], bucket),
        )  # fmt: skip
    if t is not None and t.kms_key_id:
        out.grants.append(
            GrantPart(
                t.kms_key_id,
                region,
                training_role,
                grant_name(namespace, name, t.kms_key_id, registry_root, cluster),
                registry_root,
            )
        )
    if spec.registry is not None:
        group = facts.sagemaker_name(spec.model_package_group_name)
        resources = [f"{facts.packages_of_group_arn(region, spec.registry_account_id, group)}/*"]
        if any(a in GROUP_LEVEL_ACTIONS for a in spec.registry.actions):
            resources.insert(0, facts.group_arn(region, spec.registry_account_id, group))
        add(
            "sagemaker", spec.registry_account_id, spec.model_package_group_name, spec.registry.role_arn,
            allow(
                "ModelRegistryAccess", facts.account_root(region, spec.training_account_id),
                [str(a) for a in spec.registry.actions], resources,
            ),
        )  # fmt: skip
    for part in out.policies:
        field_name = {"ecr": "spec.training.ecrRepository", "s3": "spec.training.s3Bucket"}.get(
            part.service, "spec.registry"
        )
        try:
            policy.check(list(part.statements), needs_resource=part.service != "ecr")
        except policy.PolicyError as exc:
            raise Stalled("InvalidPolicy", f"{field_name}: {exc}") from exc
    return out


def request(spec: CrossAccountRegistryAccessSpec, region: str, own_account: str | None) -> Request:
    """What an access writes where, for the one authorization (permissions.Authorizer)."""
    t, account = spec.training, spec.training_account_id
    roles: list[tuple[str, str]] = []
    grant_to: list[tuple[str, str]] = []
    if t is not None:
        roles.append(("spec.training.roleArn", t.role_arn or ""))
        if t.ecr_repository or t.s3_bucket or t.kms_key_id:
            grant_to.append(("spec.registryAccountId", spec.registry_account_id))
    groups: tuple[tuple[str, str], ...] = ()
    if spec.registry is not None:
        roles.append(("spec.registry.roleArn", spec.registry.role_arn or ""))
        grant_to.append(("spec.trainingAccountId", spec.training_account_id))
        group = spec.model_package_group_name
        if spec.registry_account_id != (facts.account_of(spec.registry.role_arn) or own_account):
            group = facts.group_arn(region, spec.registry_account_id, group)
        groups = (("spec.modelPackageGroupName", group),)
    return Request(
        roles=tuple(roles),
        grant_to=tuple(grant_to),
        into_groups=groups,
        buckets=(("spec.training.s3Bucket", t.s3_bucket),) if t and t.s3_bucket else (),
        repositories=(("spec.training.ecrRepository", f"{account}/{t.ecr_repository}"),)
        if t and t.ecr_repository
        else (),
        keys=(("spec.training.kmsKeyId", t.kms_key_id),) if t and t.kms_key_id else (),
    )
