"""KMS grants, found by their name: CreateGrant has no idempotency of its own across restarts."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry_operator.aws.calls import call, call_or_none, pages

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


@dataclass(frozen=True)
class Grant:
    grant_id: str
    name: str
    grantee: str
    operations: tuple[str, ...]


class Grants:
    def __init__(self, client: KMSClient) -> None:
        self._client = client

    def list(self, key_id: str) -> builtins.list[Grant]:
        paginated = self._client.get_paginator("list_grants").paginate(
            KeyId=key_id, PaginationConfig={"PageSize": 100}
        )
        return [
            Grant(
                g["GrantId"],
                g.get("Name", ""),
                g.get("GranteePrincipal", ""),
                tuple(sorted(g.get("Operations", []))),
            )
            for page in pages("ListGrants", paginated)
            for g in page.get("Grants", [])
        ]

    def create(self, key_id: str, name: str, grantee: str, operations: builtins.list[str]) -> str:
        out = call(
            "CreateGrant",
            self._client.create_grant,
            KeyId=key_id,
            GranteePrincipal=grantee,
            Operations=operations,
            Name=name,
        )
        return str(out["GrantId"])

    def revoke(self, key_id: str, grant_id: str) -> None:
        call_or_none(
            "RevokeGrant", self._client.revoke_grant, {"NotFoundException"}, KeyId=key_id, GrantId=grant_id
        )
