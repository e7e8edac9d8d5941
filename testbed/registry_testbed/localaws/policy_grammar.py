"""The IAM policy grammar that S3 and ECR check a resource policy against before they store it.

moto stores any text as a bucket policy and checks little of a repository policy; AWS refuses documents
that break the grammar of the IAM JSON policy language (IAM User Guide, "IAM JSON policy element
reference" and "Grammar of the IAM JSON policy language"), name actions that do not exist, or, for S3,
name resources outside the bucket or actions that apply to none of the statement's resources. Every check
raises `PolicyRefused` with the message S3 answers in its `MalformedPolicy` error; ECR answers one fixed
message for all of them (see `ecr_policies.py`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import iam_catalogue


class PolicyRefused(ValueError):
    """A document the service refuses; `message` is S3's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Rules:
    """What one service adds to the common grammar."""

    service: str  # actions must be this service's, e.g. "s3"
    resource_required: bool  # S3: yes; ECR repository policies name no Resource (the repository is implied)
    resource_allowed: Callable[[str], bool] | None = None  # S3: only this bucket and its objects
    actions_must_apply: bool = False  # S3: each action applies to some resource of its statement
    unique_sids: bool = False  # S3: "Each statement in a policy must have a unique statement ID"


_DOCUMENT_ELEMENTS = {"Version", "Id", "Statement"}
_STATEMENT_ELEMENTS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
# IAM JSON policy elements: Version. "2008-10-17" is the older version, still accepted.
_VERSIONS = {"2012-10-17", "2008-10-17"}
_PRINCIPAL_TYPES = {"AWS", "Service", "Federated", "CanonicalUser"}
# IAM JSON policy elements: Principal (AWS account principals, IAM roles and users, role sessions,
# federated user sessions). An IAM group is not a principal.
_AWS_PRINCIPAL = re.compile(
    r"\*|\d{12}|arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:(?:"
    r"iam::\d{12}:(?:root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)"
    r"|sts::\d{12}:(?:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+|federated-user/[\w+=,.@-]+))"
)
_SERVICE_PRINCIPAL = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?")
_CANONICAL_USER = re.compile(r"[0-9a-f]{64}")
# IAM JSON policy elements: Condition operators (each may end in IfExists, except Null, and may be
# qualified with ForAllValues: or ForAnyValue:).
_OPERATORS = {
    name.lower()
    for name in [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    ]
}

_SYNTAX = "Invalid policy syntax."
NOT_JSON = "Policies must be valid JSON and the first byte must be '{'"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            # json.loads would keep the last value silently; AWS refuses the document.
            raise PolicyRefused(f"Statement/policy already has instance of {key}")
        out[key] = value
    return out


def parse_document(text: str) -> dict[str, Any]:
    if not text.lstrip(" \t\r\n").startswith("{"):
        raise PolicyRefused(NOT_JSON)
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as exc:
        if isinstance(exc, PolicyRefused):
            raise
        raise PolicyRefused(NOT_JSON) from None
    if not isinstance(doc, dict):
        raise PolicyRefused(_SYNTAX)
    return doc


def check(text: str, rules: Rules) -> dict[str, Any]:
    """The parsed document, or `PolicyRefused` naming the first thing the service objects to."""
    doc = parse_document(text)
    for name in doc:
        if name not in _DOCUMENT_ELEMENTS:
            raise PolicyRefused(f"Unknown field {name}")
    version = doc.get("Version")
    if version is not None and version not in _VERSIONS:
        raise PolicyRefused("The policy must contain a valid version string")
    if "Id" in doc and not isinstance(doc["Id"], str):
        raise PolicyRefused(_SYNTAX)
    if "Statement" not in doc:
        raise PolicyRefused("Missing required field Statement")
    raw = doc["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        raise PolicyRefused("Could not parse the policy: Statement is empty!")
    sids: set[str] = set()
    for stmt in statements:
        _check_statement(stmt, rules)
        sid = stmt.get("Sid")
        if rules.unique_sids and sid is not None:
            if sid in sids:
                raise PolicyRefused("Statement IDs (SID) in a single policy must be unique.")
            sids.add(sid)
    return doc


def _strings(value: Any, element: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise PolicyRefused(_SYNTAX)
    if not items:
        raise PolicyRefused(f"Missing required field {element} cannot be empty!")
    return items


def _check_statement(stmt: Any, rules: Rules) -> None:
    if not isinstance(stmt, dict):
        raise PolicyRefused(_SYNTAX)
    for name in stmt:
        if name not in _STATEMENT_ELEMENTS:
            raise PolicyRefused(f"Unknown field {name}")
    for name in ("Principal", "Action", "Resource"):
        if name in stmt and f"Not{name}" in stmt:
            raise PolicyRefused(f"Statement/policy already has instance of {name}")
    if "Sid" in stmt and not isinstance(stmt["Sid"], str):
        raise PolicyRefused(_SYNTAX)
    if "Effect" not in stmt:
        raise PolicyRefused("Missing required field Effect")
    if stmt["Effect"] not in ("Allow", "Deny"):
        raise PolicyRefused(f"Invalid effect: {stmt['Effect']}")
    principal = stmt.get("Principal", stmt.get("NotPrincipal"))
    if principal is None:
        # A resource-based policy names who it applies to (IAM JSON policy elements: Principal).
        raise PolicyRefused("Missing required field Principal")
    _check_principal(principal)
    actions = stmt.get("Action", stmt.get("NotAction"))
    if actions is None:
        raise PolicyRefused("Missing required field Action")
    expanded = [_expand_action(a, rules.service) for a in _strings(actions, "Action")]
    resources_value = stmt.get("Resource", stmt.get("NotResource"))
    if resources_value is None:
        if rules.resource_required:
            raise PolicyRefused("Missing required field Resource")
        resources: list[str] = []
    else:
        resources = _strings(resources_value, "Resource")
        if rules.resource_allowed is not None and not all(rules.resource_allowed(r) for r in resources):
            raise PolicyRefused("Policy has invalid resource")
    if "Condition" in stmt:
        _check_condition(stmt["Condition"])
    if rules.actions_must_apply and "Action" in stmt and "Resource" in stmt:
        for found in expanded:
            if found is not None and not any(
                iam_catalogue.applies_to(action, r) for action in found for r in resources
            ):
                raise PolicyRefused("Action does not apply to any resource(s) in statement")


def _expand_action(action: str, service: str) -> list[iam_catalogue.Action] | None:
    """The actions `action` names; None for `*` (every action, which applies to any resource)."""
    if action == "*":
        return None
    prefix, sep, _ = action.partition(":")
    found = iam_catalogue.expand(action) if sep and prefix.lower() == service else []
    if not found:
        # An action of another service, or one the service does not have. A wildcard that names no
        # action is refused too: nothing in AWS's documentation says such a statement is accepted.
        raise PolicyRefused("Policy has invalid action")
    return found


def _check_principal(principal: Any) -> None:
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise PolicyRefused("Invalid principal in policy")
    for kind, value in principal.items():
        if kind not in _PRINCIPAL_TYPES:
            raise PolicyRefused("Invalid principal in policy")
        try:
            values = _strings(value, "Principal")
        except PolicyRefused:
            raise PolicyRefused("Invalid principal in policy") from None
        pattern = {
            "AWS": _AWS_PRINCIPAL,
            "Service": _SERVICE_PRINCIPAL,
            "CanonicalUser": _CANONICAL_USER,
        }.get(kind)
        if pattern is not None and not all(pattern.fullmatch(v) for v in values):
            raise PolicyRefused("Invalid principal in policy")


def _operator_known(operator: str) -> bool:
    name = operator.lower()
    for qualifier in ("forallvalues:", "foranyvalue:"):
        name = name.removeprefix(qualifier)
    if name in _OPERATORS:
        return True
    base = name.removesuffix("ifexists")
    return base != name and base in _OPERATORS and base != "null"


def _check_condition(condition: Any) -> None:
    if not isinstance(condition, dict):
        raise PolicyRefused(_SYNTAX)
    for operator, block in condition.items():
        if not _operator_known(operator):
            raise PolicyRefused(f"Invalid Condition type : {operator}")
        if not isinstance(block, dict) or not block:
            raise PolicyRefused(_SYNTAX)
        for values in block.values():
            items = values if isinstance(values, list) else [values]
            if not all(isinstance(v, (str, int, float, bool)) for v in items):
                raise PolicyRefused(_SYNTAX)
