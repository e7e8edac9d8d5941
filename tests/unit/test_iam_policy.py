"""The IAM policy shipped for the operator's role grants exactly the AWS actions the code calls."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import registry_operator.aws as aws_package

POLICY = Path(__file__).resolve().parents[2] / "manifests" / "iam" / "operator-policy.json"
ADAPTERS = {"sagemaker.py": "sagemaker", "ecr.py": "ecr", "s3.py": "s3", "kms.py": "kms", "sqs.py": "sqs"}
CALL_HELPERS = {"call", "call_or_none", "_call", "_call_or_none", "pages"}
# Not visible as an adapter call: botocore's assume-role fetcher (aws/session.py) calls it for every
# resource with a roleArn. sts:GetCallerIdentity needs no permission, so it is not listed.
IMPLICIT = {"sts:AssumeRole"}


def _called_operations() -> set[str]:
    """Every operation name passed to the adapters' call helpers, as IAM actions."""
    found = set()
    folder = Path(aws_package.__file__).parent
    for module, service in ADAPTERS.items():
        for node in ast.walk(ast.parse((folder / module).read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0]
            if name in CALL_HELPERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(f"{service}:{first.value}")
    return found


def _policy_actions() -> set[str]:
    actions: set[str] = set()
    for statement in json.loads(POLICY.read_text())["Statement"]:
        assert statement["Effect"] == "Allow" and statement["Resource"] != "*", statement["Sid"]
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def test_policy_grants_exactly_what_the_code_calls() -> None:
    called = _called_operations() | IMPLICIT
    granted = _policy_actions()
    assert len(called) > 20  # the scan found the adapters' calls
    assert granted - called == set(), "granted but never called: remove from the policy"
    assert called - granted == set(), "called but not granted: add to manifests/iam/operator-policy.json"
    assert not any("*" in a for a in granted)
