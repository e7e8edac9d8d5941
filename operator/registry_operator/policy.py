"""Pure functions over IAM policy documents: merge and remove statements by Sid, validate our own.

Resource policies are shared documents (a bucket policy serves every team that uses the bucket), so
the operator only ever adds, replaces or removes the statements whose Sids it derived itself, and
leaves every other statement exactly as it found it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

Statement = dict[str, Any]
Document = dict[str, Any]

VERSION = "2012-10-17"
# Letters and digits only: the one Sid alphabet every service accepts (S3 and KMS allow more, ECR less).
SID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,100}$")
PRINCIPAL_PATTERN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(root|role/[A-Za-z0-9_+=,.@/-]+)$")

# Which S3 actions act on a bucket ARN and which on object ARNs; real S3 refuses a policy that
# applies an action to a resource of the other type (MalformedPolicy: "Action does not apply to
# any resource(s) in statement").
S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::")  # any partition
S3_BUCKET_ACTIONS = {"s3:GetBucketAcl", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketPolicy"}
S3_OBJECT_ACTIONS = {"s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectVersion", "s3:GetObjectTagging"}


class PolicyError(ValueError):
    """A document the operator would write that real AWS would refuse (or that is unsafe)."""


def sid(prefix: str, namespace: str, name: str, cluster: str = "default") -> str:
    """The Sid of one statement owned by one object: stable across restarts and spec changes, and
    distinct per cluster, so two clusters with the same namespace/name never share a statement. The
    cluster named "default" hashes as before clusters had names, so upgrading rewrites no policy."""
    owner = f"{namespace}/{name}" if cluster == "default" else f"{cluster}/{namespace}/{name}"
    digest = hashlib.sha256(owner.encode()).hexdigest()[:12]
    return f"{prefix}{digest}"


def parse(text: str | None) -> Document:
    """A policy document; an absent policy is an empty one."""
    if not text:
        return {"Version": VERSION, "Statement": []}
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise PolicyError("policy document is not a JSON object")
    statements = doc.get("Statement", [])
    # A single statement may be written as an object instead of a list of one.
    doc["Statement"] = [statements] if isinstance(statements, dict) else list(statements)
    return doc


def render(doc: Document) -> str:
    return json.dumps(doc, separators=(",", ":"))


def upsert(doc: Document, statements: list[Statement]) -> tuple[Document, bool]:
    """Add or replace `statements` by Sid; every other statement keeps its place and content."""
    result = copy.deepcopy(doc)
    existing = result.setdefault("Statement", [])
    result.setdefault("Version", VERSION)
    changed = False
    for stmt in statements:
        idx = next((i for i, s in enumerate(existing) if s.get("Sid") == stmt["Sid"]), None)
        if idx is None:
            existing.append(copy.deepcopy(stmt))
            changed = True
        elif existing[idx] != stmt:
            existing[idx] = copy.deepcopy(stmt)
            changed = True
    return result, changed


def remove(doc: Document, sids: set[str]) -> tuple[Document | None, bool]:
    """Drop the statements with these Sids; None when nothing is left (delete the whole policy)."""
    kept = [s for s in doc.get("Statement", []) if s.get("Sid") not in sids]
    changed = len(kept) != len(doc.get("Statement", []))
    if not kept:
        return None, changed
    result = copy.deepcopy(doc)
    result["Statement"] = kept
    return result, changed


def owned(doc: Document, sids: set[str]) -> list[Statement]:
    return [s for s in doc.get("Statement", []) if s.get("Sid") in sids]


@dataclass(frozen=True)
class Problem:
    sid: str
    message: str


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principals(stmt: Statement) -> list[str]:
    principal = stmt.get("Principal")
    if principal is None:
        return []
    if principal == "*" or not isinstance(principal, dict):
        return [str(principal)]
    return [str(p) for p in _as_list(principal.get("AWS", []))]


def problems(statements: list[Statement], needs_resource: bool = True) -> list[Problem]:
    """What real AWS (or basic safety) would object to in statements the operator is about to write."""
    found: list[Problem] = []
    if not statements:
        found.append(Problem("", "the policy has no statements"))
    for stmt in statements:
        s = str(stmt.get("Sid", ""))
        if not SID_PATTERN.match(s):
            found.append(Problem(s, f"Sid {s!r} must be 1-100 letters and digits"))
        if stmt.get("Effect") not in ("Allow", "Deny"):
            found.append(Problem(s, f"Effect {stmt.get('Effect')!r} must be Allow or Deny"))
        principals = _principals(stmt)
        if not principals:
            found.append(Problem(s, "a resource policy statement needs a Principal"))
        for p in principals:
            if not PRINCIPAL_PATTERN.match(p):
                found.append(Problem(s, f"principal {p!r} is not an account root or role ARN"))
        actions = [str(a) for a in _as_list(stmt.get("Action", []))]
        if not actions:
            found.append(Problem(s, "the statement has no Action"))
        resources = [str(r) for r in _as_list(stmt.get("Resource", []))]
        if needs_resource and not resources:
            found.append(Problem(s, "the statement has no Resource"))
        found.extend(_s3_resource_types(s, actions, resources))
    return found


def _s3_resource_types(s: str, actions: list[str], resources: list[str]) -> list[Problem]:
    found: list[Problem] = []
    s3_resources = [r for r in resources if S3_ARN.match(r)]
    if not s3_resources:
        return found
    buckets = [r for r in s3_resources if "/" not in S3_ARN.sub("", r)]
    objects = [r for r in s3_resources if r not in buckets]
    for action in actions:
        if action in S3_BUCKET_ACTIONS and not buckets:
            found.append(
                Problem(
                    s,
                    f"{action} applies to buckets, but every Resource is an object ARN "
                    f"({', '.join(objects)}): AWS refuses this as MalformedPolicy",
                )
            )
        if action in S3_OBJECT_ACTIONS and not objects:
            found.append(
                Problem(
                    s,
                    f"{action} applies to objects, but every Resource is a bucket ARN "
                    f"({', '.join(buckets)}): AWS refuses this as MalformedPolicy",
                )
            )
    return found


def check(statements: list[Statement], needs_resource: bool = True) -> None:
    found = problems(statements, needs_resource)
    if found:
        raise PolicyError("; ".join(f"{p.sid or 'policy'}: {p.message}" for p in found))
