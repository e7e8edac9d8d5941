"""A small IAM resource-policy evaluator for model package group policies.

moto never evaluates resource policies across accounts, so the embedded registry does it here. Only what a
model package group policy needs is modelled: `Effect`, `Principal` (`"*"`, `{"AWS": ...}` naming an
account id, an account root, a role, a user or an assumed-role session), `Action`/`NotAction` and
`Resource`/`NotResource` with the `*` and `?` wildcards (case-sensitive, as IAM matches ARNs). Explicit
Deny wins over Allow.

Statements that carry a `Condition` cannot be evaluated faithfully without request context, so an Allow
with a Condition never grants and a Deny with a Condition always applies: the evaluator errs towards
refusing, never towards granting access a real account would not get. A caller that knows the request's
context (the embedded EventBridge delivering to a queue knows `aws:SourceArn` and `aws:SourceAccount`)
passes it, and the string and ARN condition operators are then evaluated; any other operator, or a key
the context lacks, still counts as unknown and is resolved the same refusing way.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .errors import validation_error


class Decision(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    NO_MATCH = "NoMatch"


@dataclass(frozen=True, slots=True)
class Statement:
    effect: str
    principals: frozenset[str] | None  # None: the statement has no Principal element
    not_principals: frozenset[str] | None
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    has_condition: bool
    # (operator, condition key lower-cased, values): IAM condition keys are case-insensitive (IAM User
    # Guide, "IAM JSON policy elements: Condition"; EventBridge's own examples spell `AWS:SourceArn`).
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    text: str
    statements: tuple[Statement, ...]


def parse_policy(text: str) -> ResourcePolicy:
    """Parse and validate a policy document; a malformed one raises ValidationException."""
    try:
        doc = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise validation_error(f"The resource policy is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise validation_error("The resource policy must be a JSON object.")
    raw_statements = doc.get("Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise validation_error("The resource policy must contain at least one Statement.")
    return ResourcePolicy(text=text, statements=tuple(_parse_statement(s) for s in raw_statements))


def _strings(value: object, element: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise validation_error(f"Policy element {element} must be a string or a list of strings.")


def _principal_set(value: object, element: str) -> frozenset[str] | None:
    if value is None:
        return None
    if value == "*":
        return frozenset({"*"})
    if not isinstance(value, dict) or not value:
        raise validation_error(f'Policy element {element} must be "*" or an object such as {{"AWS": ...}}.')
    names: set[str] = set()
    for kind, ids in value.items():
        # Service and federated principals never match a caller of this endpoint, but stay valid.
        names.update(f"{kind}:{i}" if kind != "AWS" else i for i in _strings(ids, f"{element}.{kind}"))
    return frozenset(names)


def _parse_statement(raw: object) -> Statement:
    if not isinstance(raw, dict):
        raise validation_error("Each policy Statement must be a JSON object.")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise validation_error(f"Policy statement Effect must be Allow or Deny, got {effect!r}.")
    principals = _principal_set(raw.get("Principal"), "Principal")
    not_principals = _principal_set(raw.get("NotPrincipal"), "NotPrincipal")
    if principals is None and not_principals is None:
        raise validation_error("A resource policy statement must name a Principal.")
    actions = _strings(raw.get("Action"), "Action")
    not_actions = _strings(raw.get("NotAction"), "NotAction")
    if not actions and not not_actions:
        raise validation_error("A policy statement must contain Action or NotAction.")
    resources = _strings(raw.get("Resource"), "Resource")
    not_resources = _strings(raw.get("NotResource"), "NotResource")
    if not resources and not not_resources:
        raise validation_error("A policy statement must contain Resource or NotResource.")
    return Statement(
        effect=effect,
        principals=principals,
        not_principals=not_principals,
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        has_condition=bool(raw.get("Condition")),
        conditions=_conditions(raw.get("Condition")),
    )


def _conditions(raw: object) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The conditions as (operator, key, values); what is not of that shape is kept out, which leaves the
    statement's condition unknown (refusing) rather than refusing the document (grammar checks are the
    business of the service that accepts the policy)."""
    if not isinstance(raw, dict):
        return (("?", "?", ()),) if raw else ()
    found = []
    for operator, keys in raw.items():
        for key, values in keys.items() if isinstance(keys, dict) else [("?", ())]:
            listed = values if isinstance(values, list) else [values]
            # booleans and numbers as IAM compares them: as their JSON text
            texts = tuple(v if isinstance(v, str) else json.dumps(v) for v in listed)
            found.append((str(operator), str(key).lower(), texts))
    return tuple(found)


# IAM User Guide, "IAM JSON policy elements: Condition operators": the string and ARN operators. The ARN
# operators compare the six ARN parts; as whole strings with wildcards the outcome is the same for the
# well-formed ARNs these policies name.
_MATCHERS = {
    "StringEquals": lambda pattern, value: pattern == value,
    "StringLike": lambda pattern, value: wildcard_match(pattern, value),
    "ArnEquals": lambda pattern, value: wildcard_match(pattern, value),
    "ArnLike": lambda pattern, value: wildcard_match(pattern, value),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals"}
_NEGATED["ArnNotLike"] = "ArnLike"


def _condition_holds(stmt: Statement, context: Mapping[str, str]) -> bool | None:
    """Whether every condition of the statement holds in this request context; None when one cannot be
    told (an operator not modelled, or a key the context does not have)."""
    known = {k.lower(): v for k, v in context.items()}
    for operator, key, patterns in stmt.conditions:
        positive = _NEGATED.get(operator, operator)
        matcher = _MATCHERS.get(positive)
        if matcher is None or key not in known:
            return None
        matched = any(matcher(p, known[key]) for p in patterns)
        if matched == (operator in _NEGATED):
            return False
    return True


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def wildcard_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM's `*`/`?` matching. Resource values match case-sensitively (IAM User Guide, "IAM JSON policy
    elements: Resource": ARNs as written, "the IAM user name is case sensitive"; SageMaker lower-cases
    group names inside its ARNs, so `model-package/Iris/*` does not cover `model-package/iris/3`);
    action names do not (IAM User Guide, "IAM JSON policy elements: Action": "The prefix and the action
    name are case insensitive")."""
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def _any_match(patterns: Iterable[str], values: Sequence[str], ignore_case: bool = False) -> bool:
    return any(wildcard_match(p, v, ignore_case) for p in patterns for v in values)


def _principal_matches(names: frozenset[str], caller_names: frozenset[str]) -> bool:
    return "*" in names or not names.isdisjoint(caller_names)


def _applies(stmt: Statement, caller_names: frozenset[str], action: str, resources: Sequence[str]) -> bool:
    if stmt.principals is not None and not _principal_matches(stmt.principals, caller_names):
        return False
    if stmt.not_principals is not None and _principal_matches(stmt.not_principals, caller_names):
        return False
    if stmt.actions and not _any_match(stmt.actions, (action,), ignore_case=True):
        return False
    if stmt.not_actions and _any_match(stmt.not_actions, (action,), ignore_case=True):
        return False
    if stmt.resources and not _any_match(stmt.resources, resources):
        return False
    return not (stmt.not_resources and _any_match(stmt.not_resources, resources))


def evaluate(
    policy: ResourcePolicy | None,
    caller_names: frozenset[str],
    action: str,
    resources: Sequence[str],
    context: Mapping[str, str] | None = None,
) -> Decision:
    """Evaluate `action` by a caller known under `caller_names` on any of `resources`.

    `caller_names` holds every string a Principal element may use for the caller: its account id, the
    account root ARN, and its role, user or session ARN; a service as `Service:<name>`
    (`Service:events.amazonaws.com`). `context` holds the request's condition keys, when known.
    """
    if policy is None:
        return Decision.NO_MATCH
    allowed = False
    for stmt in policy.statements:
        if not _applies(stmt, caller_names, action, resources):
            continue
        holds: bool | None = True
        if stmt.has_condition:
            holds = _condition_holds(stmt, context) if context is not None else None
        if stmt.effect == "Deny":
            if holds is not False:  # a Deny whose condition cannot be told applies
                return Decision.DENY
        elif holds is True:  # an Allow whose condition cannot be told never grants
            allowed = True
    return Decision.ALLOW if allowed else Decision.NO_MATCH
