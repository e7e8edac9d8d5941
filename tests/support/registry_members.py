"""One registry version with every CreateModelPackage member a ModelVersion carries, in SageMaker's shape
and in the spec's: shared by the embedded AWS's tests, the reconcile tests and the end-to-end tier."""

from __future__ import annotations

from typing import Any

REGION = "us-east-2"
ACCOUNT = "123456789012"  # the embedded AWS's default account
# Members whose values are maps: their keys are the user's, never renamed.
MAP_MEMBERS = frozenset({"Environment", "CustomerMetadataProperties"})


def metrics_source(name: str) -> dict[str, str]:
    return {
        "ContentType": "application/json",
        "ContentDigest": "sha256:" + "ab" * 32,
        "S3Uri": f"s3://models/iris/metrics/{name}.json",
    }


def every_member() -> dict[str, Any]:
    """CreateModelPackage parameters with every member a registry version takes (all but the group, the
    token, the approval and the Marketplace-only members), each nested structure filled."""
    container = {
        "ContainerHostname": "xgb",
        "Image": f"257758044811.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.2-1",
        "ImageDigest": "sha256:" + "0f" * 32,
        "ModelDataSource": {
            "S3DataSource": {
                "S3Uri": "s3://models/llm/",
                "S3DataType": "S3Prefix",
                "CompressionType": "None",
                "ModelAccessConfig": {"AcceptEula": True},
                "HubAccessConfig": {
                    "HubContentArn": f"arn:aws:sagemaker:{REGION}:aws:hub-content/x/Model/y/1"
                },
                "ManifestS3Uri": "s3://models/llm/manifest.csv",
                "ETag": "etag-1",
                "ManifestEtag": "etag-2",
            }
        },
        "ProductId": "prod-1",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
        "ModelInput": {"DataInputConfig": '{"input": [1, 4]}'},
        "Framework": "XGBOOST",
        "FrameworkVersion": "1.7",
        "NearestModelName": "xgboost-iris",
        "AdditionalModelDataSources": [
            {
                "ChannelName": "draft-model",
                "S3DataSource": {
                    "S3Uri": "s3://models/draft/",
                    "S3DataType": "S3Prefix",
                    "CompressionType": "None",
                },
            }
        ],
        "AdditionalS3DataSource": {
            "S3DataType": "S3Object",
            "S3Uri": "s3://models/extra.tar.gz",
            "CompressionType": "Gzip",
            "ETag": "e",
        },
        "ModelDataETag": "etag-3",
        "IsCheckpoint": False,
        "BaseModel": {"HubContentName": "llama", "HubContentVersion": "1.2.3", "RecipeName": "fine-tune"},
    }
    return {
        "ModelPackageDescription": "every member",
        "ModelPackageRegistrationType": "Registered",
        "InferenceSpecification": {
            "Containers": [container],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        "MetadataProperties": {
            "CommitId": "3f2a9c1",
            "Repository": "https://git.example.com/ml/iris",
            "GeneratedBy": "pipeline/train-iris",
            "ProjectId": "p-1",
        },
        "ModelMetrics": {
            "ModelQuality": {
                "Statistics": metrics_source("quality-stats"),
                "Constraints": metrics_source("quality"),
            },
            "ModelDataQuality": {
                "Statistics": metrics_source("data-stats"),
                "Constraints": metrics_source("data"),
            },
            "Bias": {
                "Report": metrics_source("bias"),
                "PreTrainingReport": metrics_source("bias-pre"),
                "PostTrainingReport": metrics_source("bias-post"),
            },
            "Explainability": {"Report": metrics_source("explainability")},
        },
        "Domain": "MACHINE_LEARNING",
        "Task": "CLASSIFICATION",
        "SamplePayloadUrl": "s3://models/iris/payload.tar.gz",
        "CustomerMetadataProperties": {"gitCommit": "3f2a9c1"},
        "DriftCheckBaselines": {
            "Bias": {
                "ConfigFile": metrics_source("bias-config"),
                "PreTrainingConstraints": metrics_source("bias-pre-constraints"),
                "PostTrainingConstraints": metrics_source("bias-post-constraints"),
            },
            "Explainability": {
                "Constraints": metrics_source("explainability-constraints"),
                "ConfigFile": metrics_source("explainability-config"),
            },
            "ModelQuality": {"Statistics": metrics_source("mq-stats"), "Constraints": metrics_source("mq")},
            "ModelDataQuality": {
                "Statistics": metrics_source("dq-stats"),
                "Constraints": metrics_source("dq"),
            },
        },
        "AdditionalInferenceSpecifications": [
            {
                "Name": "neo-compiled",
                "Description": "compiled for ml.c5",
                "Containers": [{"Image": f"257758044811.dkr.ecr.{REGION}.amazonaws.com/neo:1"}],
                "SupportedTransformInstanceTypes": ["ml.c5.xlarge"],
                "SupportedRealtimeInferenceInstanceTypes": ["ml.c5.xlarge"],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            }
        ],
        "SkipModelValidation": "None",
        "SourceUri": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/iris-xgb",
        "SecurityConfig": {
            "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        },
        "ModelCard": {
            "ModelCardContent": '{"model_overview": {"model_creator": "ml"}}',
            "ModelCardStatus": "Draft",
        },
        "ModelLifeCycle": {"Stage": "Development", "StageStatus": "InProgress", "StageDescription": "first"},
        "ManagedStorageType": "Restricted",
    }


def spec_form(aws: Any, inside_map: bool = False) -> Any:
    """SageMaker's PascalCase request as a ModelVersion spec writes it: the API's names in lowerCamelCase."""
    if isinstance(aws, list):
        return [spec_form(v) for v in aws]
    if not isinstance(aws, dict) or inside_map:
        return aws
    return {k[:1].lower() + k[1:]: spec_form(v, k in MAP_MEMBERS) for k, v in aws.items()}


def assert_registered_as(described: dict[str, Any], sent: dict[str, Any], status: dict[str, Any]) -> None:
    """Describe returns every member sent (metadata: plus the owner the operator records) and status
    shows what SageMaker reports of the version `every_member()` describes."""
    for member, value in sent.items():
        if member == "CustomerMetadataProperties":
            assert value.items() <= described[member].items()
        else:
            assert described[member] == value, member
    assert status["modelLifeCycle"] == {
        "stage": "Development",
        "stageStatus": "InProgress",
        "stageDescription": "first",
    }
    assert status["modelCardStatus"] == "Draft"
    assert status["createdBy"].startswith("arn:aws:") and status["creationTime"].endswith("Z")
