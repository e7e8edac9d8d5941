"""ECR SetRepositoryPolicy against the ECR API's model and the ECR User Guide.

Sources: botocore ecr model (SetRepositoryPolicyRequest.policyText `max`, the errors SetRepositoryPolicy
lists: InvalidParameterException); ECR User Guide, "Private repository policies in Amazon ECR"; IAM User
Guide, "IAM JSON policy element reference".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.session
import pytest
from localaws_support import NO_RETRY, TRAINER_ROLE, ClientFactory, refusal

REPOSITORY = "decision-trees-sample"
REGISTRY_ROOT = "arn:aws:iam::111111111111:root"
INVALID_DOCUMENT = (
    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'"
)


@pytest.fixture
def ecr(aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]) -> Any:
    client = aws_client("ecr", assume(TRAINER_ROLE), NO_RETRY)
    client.create_repository(repositoryName=REPOSITORY)
    return client


def _stmt(**fields: Any) -> dict[str, Any]:
    # The operator's statement: no Resource, the repository is implied.
    base: dict[str, Any] = {
        "Sid": "RegistryPullsImages",
        "Effect": "Allow",
        "Principal": {"AWS": REGISTRY_ROOT},
        "Action": ["ecr:BatchGetImage", "ecr:Describe*"],
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _refusal(ecr: Any, text: str) -> tuple[str, str, int]:
    return refusal(lambda: ecr.set_repository_policy(repositoryName=REPOSITORY, policyText=text))


def test_policy_text_is_at_most_10240_characters(ecr: Any) -> None:
    # botocore ecr model: SetRepositoryPolicyRequest.policyText max 10240 (botocore itself checks only
    # minimums, so the service is the one to refuse).
    model = botocore.session.get_session().get_service_model("ecr")
    limit = model.operation_model("SetRepositoryPolicy").input_shape.members["policyText"].metadata["max"]
    assert limit == 10_240
    empty = _doc(_stmt(Sid=""))
    at_limit = _doc(_stmt(Sid="S" * (limit - len(empty))))
    assert len(at_limit) == limit
    ecr.set_repository_policy(repositoryName=REPOSITORY, policyText=at_limit)
    over = _doc(_stmt(Sid="S" * (limit - len(empty) + 1)))
    assert _refusal(ecr, over) == (
        "InvalidParameterException",
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: "
        "'Member must have length less than or equal to 10240'",
        400,
    )
    # The stored policy is still the one at the limit.
    assert ecr.get_repository_policy(repositoryName=REPOSITORY)["policyText"] == at_limit


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"Version": "2012-10-17"}),
        _doc(_stmt(Effect="Permit")),
        _doc(_stmt(Principal=None)),
        _doc(_stmt(Principal={"AWS": "arn:aws:iam::12:root"})),  # accepted by moto, not by ECR
        _doc(_stmt(Action="s3:GetObject")),  # a repository policy speaks of ECR actions only
        _doc(_stmt(Action="ecr:PullEverything")),
        _doc(_stmt(Condition={"StringEqualz": {"aws:PrincipalOrgID": "o-1"}})),
    ],
)
def test_documents_ecr_refuses(ecr: Any, text: str) -> None:
    # ECR answers any document it cannot accept with one fixed message.
    assert _refusal(ecr, text) == ("InvalidParameterException", INVALID_DOCUMENT, 400)


def test_the_operators_statement_is_accepted(ecr: Any) -> None:
    ecr.set_repository_policy(repositoryName=REPOSITORY, policyText=_doc(_stmt()))
    stored = json.loads(ecr.get_repository_policy(repositoryName=REPOSITORY)["policyText"])
    assert stored["Statement"][0]["Action"] == ["ecr:BatchGetImage", "ecr:Describe*"]
