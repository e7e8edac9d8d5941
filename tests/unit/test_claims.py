"""Which resource manages a package: the one holding it, else the oldest claimant."""

from __future__ import annotations

from registry_operator.reconcile.claims import Claim, PackageClaims

ARN = "arn:aws:sagemaker:us-east-2:123456789012:model-package/iris/1"


def test_holder_wins_over_older_claims_and_case_does_not_matter() -> None:
    claims = PackageClaims()
    claims.update(ARN, Claim("a", "ml", "old", "2026-01-01T00:00:00Z", holds=False))
    claims.update(
        ARN.upper().replace("ARN:AWS:SAGEMAKER", "arn:aws:sagemaker"),
        Claim("b", "ml", "new", "2026-02-01T00:00:00Z", holds=True),
    )
    assert claims.holder(ARN, "a") == Claim("b", "ml", "new", "2026-02-01T00:00:00Z", holds=True)
    assert claims.holder(ARN, "b") is None


def test_oldest_claimant_wins_and_removal_frees_the_package() -> None:
    claims = PackageClaims()
    claims.update(ARN, Claim("a", "ml", "first", "2026-01-01T00:00:00Z", holds=False))
    claims.update(ARN, Claim("b", "ml", "second", "2026-01-02T00:00:00Z", holds=False))
    assert claims.holder(ARN, "a") is None
    assert claims.holder(ARN, "b") is not None and claims.holder(ARN, "b").name == "first"
    assert claims.holder(ARN, "unknown-newcomer").name == "first"
    claims.remove("a")
    assert claims.holder(ARN, "b") is None


def test_a_claim_moves_when_its_arn_changes() -> None:
    claims = PackageClaims()
    claims.update(ARN, Claim("a", "ml", "v", "2026-01-01T00:00:00Z", holds=True))
    claims.update(ARN.replace("/1", "/2"), Claim("a", "ml", "v", "2026-01-01T00:00:00Z", holds=True))
    assert claims.holder(ARN, "z") is None
