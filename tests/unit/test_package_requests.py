"""Spec -> SageMaker request building, and the validation that keeps bad input from AWS."""

from __future__ import annotations

import pytest

from registry_operator.api.model_version import ModelVersionSpec
from registry_operator.reconcile import package_requests
from registry_operator.reconcile.outcome import Stalled, parse_spec

SEED_IMAGE = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.2-1"


def _spec(**extra: object) -> dict:
    return {
        "modelPackageGroupName": "iris",
        "modelPackageDescription": "Model to detect 3 different types of irises",
        "inferenceSpecification": {
            "containers": [
                {
                    "image": SEED_IMAGE,
                    "modelDataUrl": "s3://b/model.tar.gz",
                    "environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                },
            ],
            "supportedContentTypes": ["text/csv"],
            "supportedResponseMIMETypes": ["text/csv"],
            "supportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
        },
        **extra,
    }


def test_create_request_matches_the_seed_shape() -> None:
    spec = ModelVersionSpec.model_validate(
        _spec(customerMetadataProperties={"gitCommit": "3f2a9c1"}, tags={"team": "ml"})
    )
    req = package_requests.create_model_package_request(spec, "iris", "0b3c1f1e-uid")
    assert req == {
        "ModelPackageGroupName": "iris",
        "ClientToken": "0b3c1f1e-uid",
        "ModelApprovalStatus": "PendingManualApproval",
        "ModelPackageDescription": "Model to detect 3 different types of irises",
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": SEED_IMAGE,
                    "ModelDataUrl": "s3://b/model.tar.gz",
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                },  # map keys untouched
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
        },
        "CustomerMetadataProperties": {"gitCommit": "3f2a9c1"},
    }


def test_spec_approval_is_sent_at_creation() -> None:
    spec = ModelVersionSpec.model_validate(_spec(approvalStatus="Approved"))
    assert package_requests.create_model_package_request(spec, "g", "t")["ModelApprovalStatus"] == "Approved"


@pytest.mark.parametrize(
    ("change", "reason", "path"),
    [
        (
            {"inferenceSpecification": {"containers": []}},
            "InvalidContainers",
            "spec.inferenceSpecification.containers",
        ),
        (
            {"inferenceSpecification": {"containers": [{"image": SEED_IMAGE}] * 16}},
            "InvalidContainers",
            "spec.inferenceSpecification.containers",
        ),
        ({"approvalStatus": "Maybe"}, "InvalidApprovalStatus", "spec.approvalStatus"),
        (
            {"modelPackageGroupName": "arn:aws:s3:::bucket"},
            "InvalidModelPackageGroupName",
            "spec.modelPackageGroupName",
        ),
        ({"roleArn": "arn:aws:iam::12:role/x"}, "InvalidRoleArn", "spec.roleArn"),
        ({"region": "mars-1"}, "InvalidRegion", "spec.region"),
        (
            {"inferenceSpecification": {"containers": [{"image": SEED_IMAGE, "modelDataUrl": "ftp://x/y"}]}},
            "InvalidModelDataUrl",
            "spec.inferenceSpecification.containers[0].modelDataUrl",
        ),
    ],
)
def test_invalid_spec_stalls_naming_the_field(change: dict, reason: str, path: str) -> None:
    with pytest.raises(Stalled) as stalled:
        parse_spec(ModelVersionSpec, {**_spec(), **change})
    assert stalled.value.reason == reason
    assert stalled.value.message.startswith(path)


def test_only_keys_this_object_applied_are_removed() -> None:
    to_set, to_remove = package_requests.map_changes(
        {"a": "1", "b": "2"},
        {"a": "1", "b": "old", "c": "3", "pipeline": "added-by-sagemaker"},
        ["a", "b", "c"],
    )
    assert (to_set, to_remove) == ({"b": "2"}, ["c"])
    assert package_requests.map_changes({"a": "1"}, {"a": "1"}, ["a"]) == ({}, [])


def test_tag_changes() -> None:
    assert package_requests.map_changes(
        {"t": "1", "u": "2"}, {"t": "1", "x": "foreign", "old": "v"}, {"old": "v"}
    ) == (
        {"u": "2"},
        ["old"],
    )
