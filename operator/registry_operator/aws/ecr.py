"""ECR repository policies: read, write, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from registry_operator.aws.calls import call, call_or_none

if TYPE_CHECKING:
    from mypy_boto3_ecr import ECRClient


class EcrPolicies:
    def __init__(self, client: ECRClient) -> None:
        self._client = client

    def get(self, account: str, repository: str) -> str | None:
        out = call_or_none(
            "GetRepositoryPolicy",
            self._client.get_repository_policy,
            {"RepositoryPolicyNotFoundException"},
            registryId=account,
            repositoryName=repository,
        )
        return None if out is None else str(out["policyText"])

    def put(self, account: str, repository: str, text: str) -> None:
        call(
            "SetRepositoryPolicy",
            self._client.set_repository_policy,
            registryId=account,
            repositoryName=repository,
            policyText=text,
        )

    def delete(self, account: str, repository: str) -> None:
        call_or_none(
            "DeleteRepositoryPolicy",
            self._client.delete_repository_policy,
            {"RepositoryPolicyNotFoundException", "RepositoryNotFoundException"},
            registryId=account,
            repositoryName=repository,
        )
