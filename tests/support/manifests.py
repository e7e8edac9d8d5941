"""Builders for the resources the end-to-end tests apply."""

from __future__ import annotations

from typing import Any

from accounts import REGION, REGISTRY_ACCOUNT, TRAINING_ACCOUNT

XGBOOST = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.2-1"
SKLEARN = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def group(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "modelregistry.io/v1alpha1",
        "kind": "ModelPackageGroup",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"modelPackageGroupDescription": f"group {name}", **spec},
    }


def access(name: str, namespace: str, group: str, **spec: Any) -> dict[str, Any]:
    """A CrossAccountRegistryAccess between the seed's accounts in REGION; `spec` adds `training`,
    `registry` or anything else, and overrides the defaults (None leaves a field out)."""
    body = {
        "modelPackageGroupName": group,
        "registryAccountId": REGISTRY_ACCOUNT,
        "trainingAccountId": TRAINING_ACCOUNT,
        "region": REGION,
        **spec,
    }
    return {
        "apiVersion": "modelregistry.io/v1alpha1",
        "kind": "CrossAccountRegistryAccess",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {k: v for k, v in body.items() if v is not None},
    }


def containers(count: int) -> list[dict[str, Any]]:
    return [
        {"image": SKLEARN if i < count - 1 else XGBOOST, "modelDataUrl": f"s3://models/{i}/model.tar.gz"}
        for i in range(count)
    ]


def version(
    name: str,
    namespace: str,
    group_ref: str | None = None,
    group_name: str | None = None,
    n: int = 1,
    **spec: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "modelPackageDescription": f"version {name}",
        "inferenceSpecification": {
            "containers": containers(n),
            "supportedContentTypes": ["text/csv"],
            "supportedResponseMIMETypes": ["text/csv"],
        },
        **spec,
    }
    if group_ref:
        body["modelPackageGroupRef"] = {"name": group_ref}
    if group_name:
        body["modelPackageGroupName"] = group_name
    return {
        "apiVersion": "modelregistry.io/v1alpha1",
        "kind": "ModelVersion",
        "metadata": {"name": name, "namespace": namespace},
        "spec": body,
    }


def adopted(name: str, namespace: str, arn: str, **spec: Any) -> dict[str, Any]:
    """A ModelVersion that adopts the registry version `arn` rather than registering one."""
    return {
        "apiVersion": "modelregistry.io/v1alpha1",
        "kind": "ModelVersion",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"modelPackageArn": arn, **spec},
    }


# An inference specification as boto3 takes it, for versions registered outside the operator.
AWS_INFERENCE = {
    "Containers": [{"Image": XGBOOST}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
