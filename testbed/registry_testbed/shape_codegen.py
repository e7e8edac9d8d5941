"""Generate the ModelVersion spec's AWS members from botocore's sagemaker service model, as ACK does.

`python -m registry_testbed.shape_codegen operator/registry_operator/api/package_shapes.py` writes one
pydantic model per structure that CreateModelPackage's input reaches through the members a ModelVersion
carries (`registry_operator.api.package_members.CHANGES`), with the service model's constraints (lengths,
patterns, enums, list and map sizes) and its documentation (HTML stripped, shortened) as descriptions, so
that `kubectl explain` reads like the SageMaker API reference. A unit test fails when the committed module
differs from what this renders: a botocore upgrade is one regeneration.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import botocore
import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from registry_operator.api import package_members as members

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "operator" / "registry_operator" / "api" / "package_shapes.py"
TOP_CLASS = "PackageMembers"
# Shape names that would read as something else in Python.
CLASS_NAMES = {"BaseModel": "HubBaseModel"}
DESCRIPTION_CHARS = 300
_WRAP = 80  # description strings are split into pieces this long: lines stay under the line limit


def spec_name(member: str) -> str:
    """The spec's name of an AWS member: the API's own name in lowerCamelCase."""
    return member[:1].lower() + member[1:]


def describe(documentation: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The service model's HTML documentation as one short plain-text paragraph: whole sentences up to
    `limit` characters (the first sentence cut at a word when it alone is longer)."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", documentation or ""))
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([.,;:)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)
    out = ""
    for sentence in sentences:
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    if not out and text:
        out = text[: limit - 3].rsplit(" ", 1)[0] + "..."
    return out


def anchored(pattern: str) -> str:
    """SageMaker matches a member's pattern against the whole value (the service model's patterns lost
    their ^ and $ on the way to Smithy); JSON Schema and pydantic search, so the anchors are put back."""
    if "(?<" in pattern or "(?=" in pattern or "(?!" in pattern:
        raise ValueError(f"look-around cannot be checked by the API server (RE2): {pattern}")
    # A few keep their own anchors, one with a quantified end anchor (`^(...)${1,128}`): the same thing.
    pattern = re.sub(r"\$(\{\d+(,\d*)?\})?$", "", pattern.removeprefix("^"))
    depth = 0
    top_level_alternation = False
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            top_level_alternation = True
    return f"^(?:{pattern})$" if top_level_alternation else f"^{pattern}$"


_CLASS_REPEATED = re.compile(r"^(\[[^\]]*\]|\.)\{([01]),(\d+)\}$")


def unbounded_class(pattern: str, max_length: int | None) -> str:
    """`[class]{0,1024}` (or `.{0,1024}`) as `[class]*` when the member's maxLength already bounds it:
    RE2 (the API server's regular expressions) refuses repeat counts above 1000, and the Rust regex
    engine of pydantic refuses a 1024-fold Unicode class as too large. Same strings either way."""
    match = _CLASS_REPEATED.match(pattern)
    if match is None or max_length is None or int(match.group(3)) < max_length:
        return pattern
    return match.group(1) + ("*" if match.group(2) == "0" else "+")


def _string(text: str) -> str:
    """A Python string literal, split into implicitly concatenated pieces when long."""
    if len(text) <= _WRAP:
        return repr(text)
    pieces = textwrap.wrap(text, _WRAP, drop_whitespace=False, break_on_hyphens=False)
    return "(" + " ".join(repr(p) for p in pieces) + ")"


def _pattern_literal(pattern: str) -> str:
    return f'r"{pattern}"' if '"' not in pattern and not pattern.endswith("\\") else repr(pattern)


@dataclass
class Module:
    """What the rendered module holds: enum aliases and classes, each once, in dependency order."""

    service: ServiceModel
    enums: dict[str, list[str]] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)

    def class_name(self, shape: Shape) -> str:
        return CLASS_NAMES.get(shape.name, shape.name)

    # -- types --------------------------------------------------------------------------------------

    def _constraints(self, shape: Shape) -> list[str]:
        meta = shape.metadata
        out: list[str] = []
        if shape.type_name == "string" and not getattr(shape, "enum", None):
            if meta.get("min"):
                out.append(f"min_length={meta['min']}")
            if "max" in meta:
                out.append(f"max_length={meta['max']}")
            if "pattern" in meta:
                pattern = unbounded_class(meta["pattern"], meta.get("max"))
                out.append(f"pattern={_pattern_literal(anchored(pattern))}")
        elif shape.type_name in ("integer", "long"):
            if "min" in meta:
                out.append(f"ge={meta['min']}")
            if "max" in meta:
                out.append(f"le={meta['max']}")
        elif isinstance(shape, ListShape):
            if meta.get("min"):
                out.append(f"min_length={meta['min']}")
            if "max" in meta:
                out.append(f"max_length={meta['max']}")
        elif isinstance(shape, MapShape):
            extra = {}
            if meta.get("min"):
                extra["minProperties"] = meta["min"]
            if "max" in meta:
                extra["maxProperties"] = meta["max"]
            if extra:
                out.append(f"json_schema_extra={extra!r}")
        return out

    def type_of(self, shape: Shape) -> str:
        """The annotation of a value of `shape`; constraints of the value itself are the caller's."""
        if getattr(shape, "enum", None):
            self.enums.setdefault(shape.name, list(shape.enum))
            return shape.name
        if isinstance(shape, StructureShape):
            self.add_class(shape)
            return self.class_name(shape)
        if isinstance(shape, ListShape):
            return f"list[{self._inner(shape.member)}]"
        if isinstance(shape, MapShape):
            key = self._inner(shape.key)
            value = self._inner(shape.value)
            return f"dict[{key}, {value}]"
        return {"string": "str", "boolean": "bool", "integer": "int", "long": "int"}[shape.type_name]

    def _inner(self, shape: Shape) -> str:
        """A list item or map key/value: its own constraints go into an Annotated."""
        annotation = self.type_of(shape)
        constraints = self._constraints(shape)
        if not constraints:
            return annotation
        return f"Annotated[{annotation}, Field({', '.join(constraints)})]"

    # -- fields and classes -------------------------------------------------------------------------

    def field_line(
        self,
        attr: str,
        member: str,
        shape: Shape,
        required: bool,
        description: str,
        extra: dict[str, object] | None = None,
    ) -> str:
        annotation = self.type_of(shape)
        args = [] if required else ["default=None"]
        alias = spec_name(member)
        if _snake_to_camel(attr) != alias:
            args.append(f"alias={alias!r}")
        args.extend(self._constraints(shape))
        if extra:
            args.append(f"json_schema_extra={extra!r}")
        if description:
            args.append(f"description={_string(description)}")
        optional = "" if required else " | None"
        return f"    {attr}: {annotation}{optional} = Field({', '.join(args)})"

    def add_class(self, shape: StructureShape) -> None:
        name = self.class_name(shape)
        if name in self.classes:
            return
        self.classes[name] = ""  # reserved: a recursive shape must not be rendered twice
        keyed = members.LIST_KEYS.get(shape.name)
        # A member's shape reads as the member's documentation; the class says what the shape is.
        own = self.service.shape_for(shape.name).documentation
        lines = [f"class {name}(ApiModel):", f'    """{_docstring(describe(own))}"""', ""]
        if keyed is not None:
            # An item of a list-type map is compared with its earlier self by the API server.
            rule = f'{{"rule": "self == oldSelf", "message": {_string(keyed[1])}}}'
            lines[2:2] = [
                "",
                "    model_config = ApiModel.model_config | {"
                f'"json_schema_extra": {{"x-kubernetes-validations": [{rule}]}}}}',
            ]
        for member, member_shape in shape.members.items():
            attr = botocore.xform_name(member)
            lines.append(
                self.field_line(
                    attr,
                    member,
                    member_shape,
                    member in shape.required_members,
                    describe(member_shape.documentation),
                )
            )
        self.classes.pop(name)
        self.classes[name] = "\n".join(lines)


def _snake_to_camel(attr: str) -> str:
    head, *rest = attr.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _docstring(text: str) -> str:
    text = text.replace('"""', "'''").replace("\\", "\\\\")
    return textwrap.fill(text, 100, subsequent_indent="    ") if len(text) > 100 else text


def _top_level(module: Module) -> str:
    shape = module.service.operation_model(members.OPERATION).input_shape
    lines = [
        f"class {TOP_CLASS}(ApiModel):",
        f'    """The {members.OPERATION} members a ModelVersion spec carries under their own names."""',
        "",
    ]
    for member, change in members.CHANGES.items():
        member_shape = shape.members[member]
        description = members.DESCRIPTIONS.get(member) or describe(member_shape.documentation)
        if change is members.Change.IMMUTABLE and "Immutable" not in description:
            description = f"{description} Immutable.".strip()
        extra = None
        item = getattr(member_shape, "member", None)
        if item is not None and item.name in members.LIST_KEYS:
            key = members.LIST_KEYS[item.name][0]
            extra = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [spec_name(key)]}
        lines.append(
            module.field_line(botocore.xform_name(member), member, member_shape, False, description, extra)
        )
    return "\n".join(lines)


def render() -> str:
    module = Module(botocore.session.get_session().get_service_model("sagemaker"))
    top = _top_level(module)
    enums = "\n".join(
        f"{name} = Literal[{', '.join(repr(v) for v in values)}]" for name, values in module.enums.items()
    )
    header = _HEADER.format(version=botocore.__version__, operation=members.OPERATION)
    constants = f"BOTOCORE_VERSION = {botocore.__version__!r}\n\n{enums}"
    source = f"{header}\n\n{constants}\n\n\n" + "\n\n\n".join([*module.classes.values(), top])
    return _format(source + "\n")


_HEADER = '''"""The ModelVersion spec's AWS members, generated from botocore {version}'s sagemaker
service model ({operation}'s input). Do not edit: run `make api` (registry_testbed.shape_codegen).

Field names are the API's in lowerCamelCase; constraints and descriptions are the service model's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from registry_operator.api.common import ApiModel'''


def _format(source: str) -> str:
    """The module as `ruff format` leaves it, so the committed file passes `make lint` unchanged."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = subprocess.run(
        [ruff, "format", "--stdin-filename", str(TARGET), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else TARGET
    target.write_text(render())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
