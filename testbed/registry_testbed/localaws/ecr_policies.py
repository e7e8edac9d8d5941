"""ECR repository policies: what ECR checks before moto (which takes any length and most documents) does.

- `policyText` is at most 10,240 characters (botocore ecr model,
  SetRepositoryPolicyRequest.policyText `max`); botocore does not check maximums on the client.
- The IAM grammar with ECR actions only; a repository policy names no Resource, the repository is implied
  (ECR User Guide, "Private repository policies in Amazon ECR": "a subset of IAM policies that are
  scoped for, and specifically used for, controlling access to individual Amazon ECR repositories").

ECR answers every refusal as InvalidParameterException, HTTP 400 (botocore ecr model: the one client
error SetRepositoryPolicy lists besides RepositoryNotFoundException), with "Invalid parameter at
'PolicyText' failed to satisfy constraint: ..." and, for any document it cannot accept, the fixed
"'Invalid repository policy provided'".
"""

from __future__ import annotations

from typing import Any

import botocore.session

from .errors import AWSError
from .intercept import Request
from .policy_grammar import PolicyRefused, Rules, check

_INPUT = botocore.session.get_session().get_service_model("ecr").operation_model("SetRepositoryPolicy")
MAX_POLICY_CHARS: int = _INPUT.input_shape.members["policyText"].metadata["max"]
_RULES = Rules(service="ecr", resource_required=False)


def _invalid(constraint: str) -> AWSError:
    message = f"Invalid parameter at 'PolicyText' failed to satisfy constraint: {constraint}"
    return AWSError("InvalidParameterException", message)


def set_repository_policy(req: Request) -> dict[str, Any] | None:
    params = req.json()
    text = params.get("policyText")
    if not isinstance(text, str):
        return None  # botocore requires it; moto answers whatever else arrives
    if len(text) > MAX_POLICY_CHARS:
        raise _invalid(f"'Member must have length less than or equal to {MAX_POLICY_CHARS}'")
    try:
        check(text, _RULES)
    except PolicyRefused:
        raise _invalid("'Invalid repository policy provided'") from None
    return None
