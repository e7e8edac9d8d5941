"""Which object manages a package: the one holding it, else the oldest claimant."""

from __future__ import annotations

from registry_operator.reconcile.claims import PackageClaim, claim_key, holder

ARN = "arn:aws:sagemaker:us-east-2:123456789012:model-package/iris/1"


def test_holder_wins_over_older_claims_and_case_does_not_matter() -> None:
    upper = ARN.upper().replace("ARN:AWS:SAGEMAKER", "arn:aws:sagemaker")
    assert claim_key(upper) == claim_key(ARN)
    claims = [
        PackageClaim("a", "ml", "old", "2026-01-01T00:00:00Z", holds=False),
        PackageClaim("b", "ml", "new", "2026-02-01T00:00:00Z", holds=True),
    ]
    assert holder(claims, "a") == claims[1]
    assert holder(claims, "b") is None


def test_oldest_claimant_wins() -> None:
    claims = [
        PackageClaim("a", "ml", "first", "2026-01-01T00:00:00Z", holds=False),
        PackageClaim("b", "ml", "second", "2026-01-02T00:00:00Z", holds=False),
    ]
    assert holder(claims, "a") is None
    found = holder(claims, "b")
    assert found is not None and found.name == "first"
    newcomer = holder(claims, "unknown-newcomer")
    assert newcomer is not None and newcomer.name == "first"
    assert holder(claims[1:], "b") is None  # the first one gone: the package is free
