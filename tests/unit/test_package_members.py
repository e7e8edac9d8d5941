"""The ModelVersion spec against botocore's service model: every CreateModelPackage member is carried or
left out by name, with AWS's constraints, and the generated shapes are what the generator makes now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

from registry_operator.api import package_members, package_shapes
from registry_operator.api.crd import structural_schema
from registry_operator.api.model_version import ModelVersionSpec
from registry_operator.api.package_members import Change
from registry_testbed import shape_codegen

SERVICE = botocore.session.get_session().get_service_model("sagemaker")
CREATE = SERVICE.operation_model("CreateModelPackage").input_shape
UPDATE = SERVICE.operation_model("UpdateModelPackage").input_shape
SPEC = structural_schema(ModelVersionSpec)


def member_paths(shape: Shape, path: str = "") -> Iterator[tuple[str, Shape]]:
    """Every member path of a shape, recursively: `A.B[].C` for a member of a list's items, `A{}` for a
    map's values."""
    if isinstance(shape, StructureShape):
        for name, member in shape.members.items():
            here = f"{path}.{name}" if path else name
            yield here, member
            yield from member_paths(member, here)
    elif isinstance(shape, ListShape):
        yield from member_paths(shape.member, f"{path}[]")
    elif isinstance(shape, MapShape):
        yield from member_paths(shape.value, f"{path}{{}}")


def spec_schema(path: str) -> dict[str, Any] | None:
    """The CRD schema of the spec field a member path maps to under its own name, or None."""
    node: dict[str, Any] | None = SPEC
    for part in path.split("."):
        lists = part.count("[]")
        name = shape_codegen.spec_name(part.replace("[]", "").replace("{}", ""))
        node = (node or {}).get("properties", {}).get(name)
        for _ in range(lists):
            node = (node or {}).get("items")
        if part.endswith("{}"):
            node = (node or {}).get("additionalProperties")
        if node is None:
            return None
    return node


def _constraints_match(schema: dict[str, Any], shape: Shape) -> list[str]:
    """What of the service model's constraints the schema does not carry."""
    meta, missing = shape.metadata, []
    if getattr(shape, "enum", None):
        if schema.get("enum") != list(shape.enum):
            missing.append("enum")
        return missing
    names = {
        "string": ("minLength", "maxLength"),
        "list": ("minItems", "maxItems"),
        "map": ("minProperties", "maxProperties"),
    }.get(shape.type_name)
    if names is not None:
        for bound, key in zip(("min", "max"), names, strict=True):
            if meta.get(bound) and schema.get(key) != meta[bound]:
                missing.append(key)
    if "pattern" in meta and "pattern" not in schema:
        missing.append("pattern")
    return missing


def test_every_create_model_package_member_is_mapped_or_excluded() -> None:
    """A botocore upgrade that adds a member fails here until the member is carried or left out by name."""
    mapped, excluded, unmapped, unconstrained = [], [], [], []
    for path, shape in member_paths(CREATE):
        top = path.split(".")[0].split("[")[0]
        if top in package_members.EXCLUDED:
            excluded.append(path)
        elif top in package_members.SPEC_OWN:
            mapped.append(path)  # checked field by field below
        elif top in package_members.CHANGES and (schema := spec_schema(path)) is not None:
            mapped.append(path)
            unconstrained.extend(f"{path}: {c}" for c in _constraints_match(schema, shape))
        else:
            unmapped.append(path)
    assert not unmapped, f"CreateModelPackage members neither mapped nor excluded: {unmapped}"
    assert not unconstrained, f"spec fields without AWS's constraints: {unconstrained}"
    total = len(mapped) + len(excluded)
    print(
        f"\nCreateModelPackage (botocore {botocore.__version__}): {total} member paths; "
        f"{len(mapped)} mapped, {len(excluded)} excluded ({', '.join(package_members.EXCLUDED)})"
    )
    assert mapped and total == len(list(member_paths(CREATE)))


def test_every_top_level_member_is_in_exactly_one_table() -> None:
    tables = [package_members.EXCLUDED, package_members.SPEC_OWN, package_members.CHANGES]
    for member in CREATE.members:
        assert sum(member in t for t in tables) == 1, member
    assert set().union(*tables) == set(CREATE.members), "a table names a member botocore does not have"


def test_members_the_spec_carries_under_other_names() -> None:
    props = SPEC["properties"]
    assert props["approvalStatus"]["enum"] == list(CREATE.members["ModelApprovalStatus"].enum)
    assert (
        props["modelPackageGroupName"]["maxLength"] == CREATE.members["ModelPackageGroupName"].metadata["max"]
    )
    tags, tag = props["tags"], CREATE.members["Tags"]
    assert tags["maxProperties"] == tag.metadata["max"]
    assert tags["additionalProperties"]["maxLength"] == tag.member.members["Value"].metadata["max"]
    assert "size(k) <= 128" in tags["x-kubernetes-validations"][0]["rule"]
    assert "clientToken" not in props  # the operator's own: the object's uid


def test_what_may_change_is_what_update_model_package_takes() -> None:
    for member, change in package_members.CHANGES.items():
        if change is Change.UPDATE:
            assert member in UPDATE.members, f"{member}: UpdateModelPackage cannot set it"
        elif change is Change.ADD_ONLY:
            assert package_members.ADDITIONS[member] in UPDATE.members, member
        elif member in UPDATE.members:
            assert member in package_members.KEPT_IMMUTABLE, f"{member}: updatable in AWS, say why it is not"


def test_each_immutable_member_has_an_admission_rule_naming_it() -> None:
    messages = [r["message"] for r in SPEC["x-kubernetes-validations"]]
    for member, change in package_members.CHANGES.items():
        name = shape_codegen.spec_name(member)
        if change is Change.IMMUTABLE:
            assert f"spec.{name} is immutable: create a new ModelVersion instead" in messages, name
        else:
            assert not any(m.startswith(f"spec.{name} is immutable") for m in messages), name
    extra = SPEC["properties"]["additionalInferenceSpecifications"]
    assert extra["x-kubernetes-list-type"] == "map" and extra["x-kubernetes-list-map-keys"] == ["name"]
    assert extra["items"]["x-kubernetes-validations"][0]["rule"] == "self == oldSelf"


def test_committed_shapes_are_what_the_generator_makes_from_this_botocore() -> None:
    assert botocore.__version__ == package_shapes.BOTOCORE_VERSION, "run `make api`"
    committed = shape_codegen.TARGET.read_text()
    assert committed == shape_codegen.render(), "package_shapes.py is stale: run `make api`"


@pytest.mark.parametrize(
    ("pattern", "max_length", "expected"),
    [
        ("(https|s3)://([^/]+)/?(.*)", 1024, "^(https|s3)://([^/]+)/?(.*)$"),
        ("arn:aws|arn:aws-cn", None, "^(?:arn:aws|arn:aws-cn)$"),
        ("^([\\p{L}\\p{Z}]*)${1,128}", 128, "^([\\p{L}\\p{Z}]*)$"),
        ("[\\p{L}\\p{N}]{0,1024}", 1024, "^[\\p{L}\\p{N}]*$"),
        (".{0,1024}", 1024, "^.*$"),
        ("[a-z]{0,10}", 20, "^[a-z]{0,10}$"),  # the pattern bounds more than the length: kept
    ],
)
def test_service_model_patterns_become_whole_value_patterns(
    pattern: str, max_length: int | None, expected: str
) -> None:
    assert shape_codegen.anchored(shape_codegen.unbounded_class(pattern, max_length)) == expected


def test_look_around_is_refused_rather_than_silently_dropped() -> None:
    with pytest.raises(ValueError, match="look-around"):
        shape_codegen.anchored("[a-z]+(?<!-)")


def test_descriptions_are_plain_short_text() -> None:
    doc = "<p>The KMS Key ID (<code>KMSKeyId</code>) used.</p> <p>Second. " + "Long sentence. " * 40 + "</p>"
    text = shape_codegen.describe(doc)
    assert text.startswith("The KMS Key ID (KMSKeyId) used. Second.")
    assert "<" not in text and len(text) <= shape_codegen.DESCRIPTION_CHARS
