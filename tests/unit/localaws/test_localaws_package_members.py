"""Every registry member of CreateModelPackage: stored and given back as sent, validated as the service
model says (the violations are made from the model itself), and updatable where UpdateModelPackage says."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
import regex
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, Shape, StructureShape
from localaws_support import ClientFactory, inference_spec
from registry_members import every_member

from registry_testbed.localaws.server import LocalAWS

CREATE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateModelPackage")
    .input_shape
)


@pytest.fixture
def sm(aws_client: ClientFactory, local_aws: LocalAWS) -> Any:
    local_aws.admin.set_settings(packageCompletionSeconds=0)
    client = aws_client("sagemaker", config=Config(retries={"total_max_attempts": 1}))
    client.create_model_package_group(ModelPackageGroupName="iris")
    return client


@pytest.fixture
def raw(aws_client: ClientFactory) -> Any:
    """A client that sends what it is given: the service's own validation is what is tested."""
    return aws_client(
        "sagemaker", config=Config(parameter_validation=False, retries={"total_max_attempts": 1})
    )


def test_describe_returns_every_member_as_sent_and_list_the_stage(sm: Any) -> None:
    # DescribeModelPackageOutput has every member CreateModelPackage takes for a version (botocore
    # sagemaker model); ModelPackageSummary has ModelLifeCycle and ModelPackageRegistrationType.
    sent = every_member()
    arn = sm.create_model_package(ModelPackageGroupName="iris", **sent)["ModelPackageArn"]
    described = sm.describe_model_package(ModelPackageName=arn)
    for member, value in sent.items():
        assert described[member] == value, member
    (summary,) = sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"]
    assert summary["ModelLifeCycle"] == sent["ModelLifeCycle"]
    assert summary["ModelPackageRegistrationType"] == "Registered"


def _leaves(
    shape: Shape, value: Any, path: list[Any], aws_path: str
) -> Iterator[tuple[list[Any], str, Shape]]:
    """(where in the request, the member path as SageMaker's messages name it, shape) of every string
    member the request sets, with AWS's path form: lowerCamel names, `.1.member` for list items."""
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            if name in value:
                here = f"{aws_path}.{name[:1].lower()}{name[1:]}" if aws_path else name[:1].lower() + name[1:]
                yield from _leaves(member, value[name], [*path, name], here)
    elif isinstance(shape, ListShape):
        yield from _leaves(shape.member, value[0], [*path, 0], f"{aws_path}.1.member")
    elif isinstance(shape, MapShape):
        key = next(iter(value))
        yield from _leaves(shape.value, value[key], [*path, key], f"{aws_path}.{key}.member")
    elif shape.type_name == "string":
        yield path, aws_path, shape


def _violations(shape: Shape) -> Iterator[tuple[str, str]]:
    """(value, constraint named in the message) for each constraint of a string member."""
    meta = shape.metadata
    if getattr(shape, "enum", None):
        yield "NotAValue", "enum value set"
        return
    if "max" in meta:
        yield "a" * (meta["max"] + 1), f"length less than or equal to {meta['max']}"
    if "pattern" in meta:
        pattern = regex.compile(regex.sub(r"\$\{\d+(,\d*)?\}$", "$", meta["pattern"]))
        bad = next((v for v in ("\u202e\nftp://x", " ", "\n", "-") if not pattern.fullmatch(v)), None)
        if bad is not None:
            yield bad, "regular expression pattern"


def _cases() -> list[tuple[str, list[Any], str, str]]:
    cases = []
    for path, aws_path, shape in _leaves(CREATE, every_member(), [], ""):
        for value, constraint in _violations(shape):
            cases.append((f"{aws_path}:{constraint.split()[0]}", path, value, aws_path + "|" + constraint))
    return cases


CASES = _cases()


def test_the_violations_cover_every_constrained_string_member() -> None:
    constrained = {
        aws_path
        for _, aws_path, shape in _leaves(CREATE, every_member(), [], "")
        if {"max", "pattern"} & set(shape.metadata) or getattr(shape, "enum", None)
    }
    assert constrained == {c[3].split("|")[0] for c in CASES}
    print(f"\n{len(CASES)} violations of {len(constrained)} constrained string members, each refused")


@pytest.mark.parametrize(("path", "value", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_constraint_of_the_service_model_is_enforced(
    sm: Any, raw: Any, path: list[Any], value: str, expected: str
) -> None:
    request = every_member()
    node: Any = request
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(ClientError) as refused:
        raw.create_model_package(ModelPackageGroupName="iris", **request)
    error = refused.value.response["Error"]
    member, constraint = expected.split("|")
    assert error["Code"] == "ValidationException"
    assert f"at '{member}' failed to satisfy constraint: Member must" in error["Message"], error["Message"]
    assert constraint in error["Message"], error["Message"]
    assert sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"] == []


def test_model_card_content_must_be_json(raw: Any, sm: Any) -> None:
    # ModelPackageModelCard.ModelCardContent: "The content must follow the schema described in Model
    # Package Model Card Schema" (botocore sagemaker model): not JSON is refused, on create and update.
    card = {"ModelCardContent": "model_overview: yes", "ModelCardStatus": "Draft"}
    with pytest.raises(ClientError) as refused:
        sm.create_model_package(
            ModelPackageGroupName="iris", InferenceSpecification=inference_spec(), ModelCard=card
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    arn = sm.create_model_package(ModelPackageGroupName="iris", InferenceSpecification=inference_spec())[
        "ModelPackageArn"
    ]
    with pytest.raises(ClientError):
        sm.update_model_package(ModelPackageArn=arn, ModelCard=card)


def test_update_sets_stage_card_source_and_adds_inference_specifications(sm: Any) -> None:
    # UpdateModelPackage input (botocore sagemaker model): ModelLifeCycle, ModelCard, SourceUri,
    # ModelPackageRegistrationType and AdditionalInferenceSpecificationsToAdd; the rest stays as created.
    sent = every_member()
    arn = sm.create_model_package(ModelPackageGroupName="iris", **sent)["ModelPackageArn"]
    added = copy.deepcopy(sent["AdditionalInferenceSpecifications"][0]) | {"Name": "second"}
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelLifeCycle={"Stage": "Staging", "StageStatus": "Approved"},
        ModelCard={"ModelCardContent": '{"model_overview": {}}', "ModelCardStatus": "PendingReview"},
        SourceUri="s3://models/iris/source/",
        AdditionalInferenceSpecificationsToAdd=[added],
    )
    described = sm.describe_model_package(ModelPackageName=arn)
    assert described["ModelLifeCycle"] == {"Stage": "Staging", "StageStatus": "Approved"}
    assert described["ModelCard"]["ModelCardStatus"] == "PendingReview"
    assert described["SourceUri"] == "s3://models/iris/source/"
    assert [s["Name"] for s in described["AdditionalInferenceSpecifications"]] == ["neo-compiled", "second"]
    assert described["ModelMetrics"] == sent["ModelMetrics"]
    (summary,) = sm.list_model_packages(ModelPackageGroupName="iris")["ModelPackageSummaryList"]
    assert summary["ModelLifeCycle"]["Stage"] == "Staging"
