r"""Server-side input validation from the botocore service model, worded like AWS's own.

botocore checks only required members and minimums on the client; the real service also enforces maximums,
enums and patterns (16 containers, a group name with a space, ...) and answers `ValidationException` with
"N validation error(s) detected: Value ... at 'path' failed to satisfy constraint: ...". The registry runs
the same constraints from the same model, for every member of every operation it answers, so the operator
sees the errors real SageMaker would send.

Patterns are matched against the whole value, as SageMaker does (the service model's patterns lost their
`^` and `$` on the way to Smithy; `{0,1024}` and `${1,128}` forms survive), with the `regex` module,
which has the Unicode property classes (`\p{L}`) and look-behinds the service model uses.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import regex
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from .errors import validation_error

_MAX_REPORTED = 10


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> regex.Pattern[str]:
    # A quantified end anchor (CustomerMetadataKey's `^(...)${1,128}`) means the end of the value.
    return regex.compile(regex.sub(r"\$\{\d+(,\d*)?\}$", "$", pattern))


def _render(value: Any) -> str:
    if value is None:
        return "null"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > 100:
        text = text[:97] + "..."
    return f"'{text}'"


def _member_path(parent: str, member: str) -> str:
    name = member[:1].lower() + member[1:]
    return f"{parent}.{name}" if parent else name


class InputValidator:
    def __init__(self, service_model: ServiceModel) -> None:
        self._model = service_model

    def validate(self, operation: str, params: dict[str, Any]) -> None:
        op: OperationModel = self._model.operation_model(operation)
        errors: list[str] = []
        if op.input_shape is not None:
            self._check(op.input_shape, params, "", errors)
        if errors:
            count = len(errors)
            shown = errors[:_MAX_REPORTED]
            noun = "error" if count == 1 else "errors"
            raise validation_error(f"{count} validation {noun} detected: " + "; ".join(shown))

    def _fail(self, errors: list[str], value: Any, path: str, constraint: str) -> None:
        errors.append(f"Value {_render(value)} at '{path}' failed to satisfy constraint: {constraint}")

    def _check(self, shape: Shape, value: Any, path: str, errors: list[str]) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if isinstance(shape, StructureShape):
            if not isinstance(value, dict):
                self._fail(errors, value, path or "input", "Member must be a structure")
                return
            for name in shape.required_members:
                if value.get(name) is None:
                    self._fail(errors, None, _member_path(path, name), "Member must not be null")
            for name, member in shape.members.items():
                if value.get(name) is not None:
                    self._check(member, value[name], _member_path(path, name), errors)
        elif isinstance(shape, ListShape):
            if not isinstance(value, list):
                self._fail(errors, value, path, "Member must be a list")
                return
            self._check_length(len(value), value, meta, path, errors)
            for index, item in enumerate(value, start=1):
                self._check(shape.member, item, f"{path}.{index}.member", errors)
        elif isinstance(shape, MapShape):
            if not isinstance(value, dict):
                self._fail(errors, value, path, "Member must be a map")
                return
            self._check_length(len(value), value, meta, path, errors)
            for key, item in value.items():
                self._check(shape.key, key, f"{path}.key", errors)
                self._check(shape.value, item, f"{path}.{key}.member", errors)
        elif kind == "string":
            if not isinstance(value, str):
                self._fail(errors, value, path, "Member must be a string")
                return
            self._check_length(len(value), value, meta, path, errors)
            if shape.enum and value not in shape.enum:
                self._fail(
                    errors, value, path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"
                )
            pattern = meta.get("pattern")
            if pattern and _compile(pattern).fullmatch(value) is None:
                self._fail(errors, value, path, f"Member must satisfy regular expression pattern: {pattern}")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                self._fail(errors, value, path, "Member must be a number")
                return
            if "min" in meta and value < meta["min"]:
                self._fail(
                    errors, value, path, f"Member must have value greater than or equal to {meta['min']}"
                )
            if "max" in meta and value > meta["max"]:
                self._fail(errors, value, path, f"Member must have value less than or equal to {meta['max']}")
        elif kind == "boolean" and not isinstance(value, bool):
            self._fail(errors, value, path, "Member must be a boolean")

    def _check_length(
        self, length: int, value: Any, meta: dict[str, Any], path: str, errors: list[str]
    ) -> None:
        if "min" in meta and length < meta["min"]:
            self._fail(errors, value, path, f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and length > meta["max"]:
            self._fail(errors, value, path, f"Member must have length less than or equal to {meta['max']}")
