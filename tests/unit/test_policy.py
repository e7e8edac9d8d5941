"""Policy merge and validation: others' statements survive untouched, bad documents never leave."""

from __future__ import annotations

import json

import pytest

from registry_operator import policy

FOREIGN = {
    "Sid": "TeamDataLake",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::333333333333:role/lake"},
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::training-artifacts", "arn:aws:s3:::training-artifacts/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
}
OURS = {
    "Sid": "ModelRegistryS3Readabc",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": ["s3:GetObject", "s3:GetObjectAcl"],
    "Resource": "arn:aws:s3:::training-artifacts/*",
}
# The seed's S3 statement, verbatim apart from the {bucket} placeholder.
SEED_S3 = {
    "Sid": "AddPerm",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
    "Action": ["s3:GetObject", "s3:GetBucketAcl", "s3:GetObjectAcl"],
    "Resource": "arn:aws:s3:::training-artifacts/*",
}


def test_upsert_adds_then_is_a_no_op_and_keeps_foreign_statements_as_they_were() -> None:
    doc = policy.parse(json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN]}))
    merged, changed = policy.upsert(doc, [OURS])
    assert changed and merged["Statement"] == [FOREIGN, OURS]
    again, changed = policy.upsert(merged, [OURS])
    assert not changed and again == merged
    assert doc["Statement"] == [FOREIGN]  # the input is not mutated


def test_upsert_replaces_our_statement_in_place() -> None:
    doc = {"Version": "2012-10-17", "Statement": [OURS, FOREIGN]}
    newer = {**OURS, "Resource": "arn:aws:s3:::training-artifacts/models/*"}
    merged, changed = policy.upsert(doc, [newer])
    assert changed and merged["Statement"] == [newer, FOREIGN]


def test_remove_only_ours_and_delete_when_empty() -> None:
    doc = {"Version": "2012-10-17", "Statement": [FOREIGN, OURS]}
    kept, changed = policy.remove(doc, {OURS["Sid"]})
    assert changed and kept == {"Version": "2012-10-17", "Statement": [FOREIGN]}
    assert policy.remove(kept, {OURS["Sid"]}) == (kept, False)
    assert policy.remove({"Statement": [OURS]}, {OURS["Sid"]}) == (None, True)


def test_parse_accepts_a_single_statement_object_and_absent_policy() -> None:
    assert policy.parse(json.dumps({"Statement": OURS}))["Statement"] == [OURS]
    assert policy.parse(None) == {"Version": "2012-10-17", "Statement": []}


def test_the_seeds_s3_statement_is_refused_as_real_s3_would() -> None:
    found = policy.problems([SEED_S3])
    assert any("s3:GetBucketAcl applies to buckets" in p.message for p in found)
    assert any("Sid" not in p.message for p in found)


def test_the_corrected_two_statement_form_passes() -> None:
    bucket_acl = {
        **OURS,
        "Sid": "ModelRegistryS3BucketAclabc",
        "Action": ["s3:GetBucketAcl"],
        "Resource": "arn:aws:s3:::training-artifacts",
    }
    assert policy.problems([OURS, bucket_acl]) == []


@pytest.mark.parametrize(
    ("statement", "fragment"),
    [
        ({**OURS, "Sid": "Model-Registry"}, "letters and digits"),
        ({**OURS, "Sid": "ModelRegistry\uff333"}, "letters and digits"),  # fullwidth S: a unicode look-alike
        ({**OURS, "Principal": "*"}, "not an account root or role ARN"),
        ({**OURS, "Principal": {"AWS": "arn:aws:iam::12:root"}}, "not an account root or role ARN"),
        ({**OURS, "Effect": "allow"}, "Effect"),
        ({**OURS, "Action": []}, "no Action"),
        ({k: v for k, v in OURS.items() if k != "Resource"}, "no Resource"),
        (
            {**OURS, "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::training-artifacts"},
            "applies to objects",
        ),
    ],
)
def test_problems(statement: dict, fragment: str) -> None:
    assert any(fragment in p.message for p in policy.problems([statement]))


def test_empty_statement_list_is_refused() -> None:
    with pytest.raises(policy.PolicyError, match="no statements"):
        policy.check([])


def test_sids_are_stable_letters_and_digits() -> None:
    a = policy.sid("ModelRegistryS3Read", "ml", "decision-trees")
    assert a == policy.sid("ModelRegistryS3Read", "ml", "decision-trees")
    assert a != policy.sid("ModelRegistryS3Read", "ml2", "decision-trees")
    assert policy.SID_PATTERN.match(a)
