"""KMS CreateGrant / ListGrants / RevokeGrant / RetireGrant against botocore's kms model and the KMS
Developer Guide. Each test names the member documentation or page it follows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from localaws_support import NO_RETRY, REGISTRY_ROLE, TRAINER_ROLE, ClientFactory, refusal

REGISTRY_ROOT = "arn:aws:iam::111111111111:root"
OTHER_ROOT = "arn:aws:iam::333333333333:root"
KMS_MODEL = botocore.session.get_session().get_service_model("kms")


@pytest.fixture
def kms(aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]) -> Any:
    """KMS as the training account, which owns the key."""
    return aws_client("kms", assume(TRAINER_ROLE), NO_RETRY)


@pytest.fixture
def key(kms: Any) -> str:
    return str(kms.create_key(Description="training output")["KeyMetadata"]["KeyId"])


def _error(call: Callable[[], Any]) -> tuple[str, int]:
    code, _, status = refusal(call)
    return code, status


def _grant(kms: Any, key: str, **fields: Any) -> dict[str, Any]:
    params = {"KeyId": key, "GranteePrincipal": REGISTRY_ROOT, "Operations": ["Decrypt", "GenerateDataKey"]}
    params.update(fields)
    return dict(kms.create_grant(**params))


def test_a_repeated_name_with_the_same_parameters_returns_the_first_grant(kms: Any, key: str) -> None:
    # botocore kms model, CreateGrantRequest.Name: "if the grant already exists, the original GrantId is
    # returned without creating a new grant. Note that the returned grant token is unique with every
    # CreateGrant request ... All grant tokens for the same grant ID can be used interchangeably."
    first = _grant(kms, key, Name="registry-read")
    again = _grant(kms, key, Name="registry-read", Operations=["GenerateDataKey", "Decrypt"])
    assert again["GrantId"] == first["GrantId"]
    assert again["GrantToken"] != first["GrantToken"]
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key)["Grants"]] == [first["GrantId"]]
    # Other parameters under the same name are another grant; no name never repeats.
    other = _grant(kms, key, Name="registry-read", Operations=["Decrypt"])
    assert other["GrantId"] != first["GrantId"]
    assert _grant(kms, key)["GrantId"] != _grant(kms, key)["GrantId"]
    assert len(kms.list_grants(KeyId=key)["Grants"]) == 4
    # Either token retires the first grant.
    kms.retire_grant(GrantToken=again["GrantToken"])
    assert first["GrantId"] not in {g["GrantId"] for g in kms.list_grants(KeyId=key)["Grants"]}


def test_operations_outside_the_enum_are_a_validation_error(kms: Any, key: str) -> None:
    # botocore kms model: CreateGrantRequest.Operations is a list of GrantOperation, an enum.
    assert "Decrypt" in KMS_MODEL.shape_for("GrantOperation").enum
    assert "ReadEverything" not in KMS_MODEL.shape_for("GrantOperation").enum
    assert _error(lambda: _grant(kms, key, Operations=["Decrypt", "ReadEverything"])) == (
        "ValidationException",
        400,
    )
    assert kms.list_grants(KeyId=key)["Grants"] == []


def test_operations_the_key_does_not_support_are_a_validation_error(kms: Any, key: str) -> None:
    # botocore kms model, CreateGrantRequest.Operations: "you cannot create a grant for a symmetric
    # encryption KMS key that allows the Sign operation ... KMS returns a ValidationError exception";
    # KMS Developer Guide, "Grant operations".
    assert _error(lambda: _grant(kms, key, Operations=["Sign"])) == ("ValidationException", 400)
    signing = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]
    assert _error(lambda: _grant(kms, signing, Operations=["GenerateDataKey"])) == (
        "ValidationException",
        400,
    )
    _grant(kms, signing, Operations=["Sign", "Verify", "DescribeKey"])


def test_unknown_keys_are_not_found_in_kms_json_error_shape(kms: Any, key: str) -> None:
    # botocore kms model: NotFoundException is an error of CreateGrant, ListGrants, RevokeGrant and
    # RetireGrant; KeyId is "the key ID or key ARN of the KMS key" (an alias is neither).
    missing = "1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(ClientError) as caught:
        _grant(kms, missing)
    response = caught.value.response
    assert response["Error"]["Code"] == "NotFoundException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    assert missing in response["Error"]["Message"]
    kms.create_alias(AliasName="alias/training", TargetKeyId=key)
    assert _error(lambda: _grant(kms, "alias/training")) == ("NotFoundException", 400)
    assert _error(lambda: kms.list_grants(KeyId=missing)) == ("NotFoundException", 400)
    assert _error(lambda: kms.revoke_grant(KeyId=missing, GrantId="0" * 64)) == ("NotFoundException", 400)
    assert _error(lambda: kms.revoke_grant(KeyId=key, GrantId="0" * 64)) == ("NotFoundException", 400)


def test_key_states(kms: Any, key: str) -> None:
    # KMS Developer Guide, "Key states of AWS KMS keys": CreateGrant on a disabled key is
    # DisabledException; on a key pending deletion KMSInvalidStateException; ListGrants and RevokeGrant
    # succeed in every key state.
    grant = _grant(kms, key)
    kms.disable_key(KeyId=key)
    assert _error(lambda: _grant(kms, key)) == ("DisabledException", 400)
    assert len(kms.list_grants(KeyId=key)["Grants"]) == 1
    kms.enable_key(KeyId=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert _error(lambda: _grant(kms, key)) == ("KMSInvalidStateException", 400)
    kms.revoke_grant(KeyId=key, GrantId=grant["GrantId"])
    assert kms.list_grants(KeyId=key)["Grants"] == []


def test_list_grants_pages_with_limit_and_next_marker(kms: Any, key: str) -> None:
    # botocore kms model, ListGrantsRequest.Limit / Marker and ListGrantsResponse.NextMarker /
    # Truncated: "When Truncated is true, this element is present and contains the value to use for the
    # Marker parameter in a subsequent request."
    created = [_grant(kms, key, Name=f"grant-{i}")["GrantId"] for i in range(5)]
    seen: list[str] = []
    pages = 0
    kwargs: dict[str, Any] = {"KeyId": key, "Limit": 2}
    while True:
        page = kms.list_grants(**kwargs)
        pages += 1
        assert len(page["Grants"]) <= 2
        seen += [g["GrantId"] for g in page["Grants"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        kwargs["Marker"] = page["NextMarker"]
    assert (pages, seen) == (3, created)
    assert _error(lambda: kms.list_grants(KeyId=key, Marker="not-a-marker")) == (
        "InvalidMarkerException",
        400,
    )


def test_list_grants_limit_defaults_to_50_and_is_at_most_100(kms: Any, key: str) -> None:
    # botocore kms model, ListGrantsRequest.Limit: "If you include a value, it must be between 1 and
    # 100, inclusive. If you do not include a value, it defaults to 50." (The model's max says 1000; the
    # documentation wins.)
    for i in range(51):
        _grant(kms, key, Name=f"grant-{i}")
    first = kms.list_grants(KeyId=key)
    assert (len(first["Grants"]), first["Truncated"]) == (50, True)
    assert len(kms.list_grants(KeyId=key, Marker=first["NextMarker"])["Grants"]) == 1
    assert len(kms.list_grants(KeyId=key, Limit=100)["Grants"]) == 51
    assert _error(lambda: kms.list_grants(KeyId=key, Limit=101)) == ("ValidationException", 400)


def test_list_grants_filters_by_grantee_principal(kms: Any, key: str) -> None:
    # botocore kms model, ListGrantsRequest.GranteePrincipal: "Returns only grants where the specified
    # principal is the grantee principal for the grant." GrantId likewise.
    mine = _grant(kms, key)["GrantId"]
    _grant(kms, key, GranteePrincipal=OTHER_ROOT)
    filtered = kms.list_grants(KeyId=key, GranteePrincipal=REGISTRY_ROOT)["Grants"]
    assert [g["GrantId"] for g in filtered] == [mine]
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key, GrantId=mine)["Grants"]] == [mine]


def test_list_grants_returns_the_documented_fields(kms: Any, key: str) -> None:
    # botocore kms model, GrantListEntry: KeyId, GrantId, Name, CreationDate, GranteePrincipal,
    # RetiringPrincipal, IssuingAccount, Operations, Constraints ("Name ... If a name was provided in the
    # CreateGrant request, that name is returned. Otherwise this value is null").
    constraints = {"EncryptionContextSubset": {"team": "ml"}}
    named = _grant(kms, key, Name="registry-read", RetiringPrincipal=REGISTRY_ROOT, Constraints=constraints)[
        "GrantId"
    ]
    _grant(kms, key)
    entries = {g["GrantId"]: g for g in kms.list_grants(KeyId=key)["Grants"]}
    entry = entries.pop(named)
    key_arn = kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]
    assert entry["KeyId"] == key_arn
    assert entry["Name"] == "registry-read"
    assert isinstance(entry["CreationDate"], datetime)
    assert entry["GranteePrincipal"] == REGISTRY_ROOT
    assert entry["RetiringPrincipal"] == REGISTRY_ROOT
    assert entry["IssuingAccount"] == "arn:aws:iam::222222222222:root"
    assert entry["Operations"] == ["Decrypt", "GenerateDataKey"]
    assert entry["Constraints"] == constraints
    (unnamed,) = entries.values()
    assert "Name" not in unnamed and "Constraints" not in unnamed and "RetiringPrincipal" not in unnamed


def test_retire_grant_by_id_needs_the_key_arn_and_a_permitted_caller(
    kms: Any, key: str, aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]
) -> None:
    # botocore kms model, RetireGrantRequest.KeyId: "The key ARN KMS key associated with the grant";
    # KMS Developer Guide, "Retiring and revoking grants": the issuing account, the retiring principal, or
    # the grantee when the grant allows RetireGrant may retire it.
    key_arn = kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]
    grant = _grant(kms, key)["GrantId"]
    assert _error(lambda: kms.retire_grant(KeyId=key, GrantId=grant)) == ("NotFoundException", 400)
    registry = aws_client("kms", assume(REGISTRY_ROLE), NO_RETRY)
    assert _error(lambda: registry.retire_grant(KeyId=key_arn, GrantId=grant)) == (
        "AccessDeniedException",
        400,
    )
    retirable = _grant(kms, key, Operations=["Decrypt", "RetireGrant"])["GrantId"]
    registry.retire_grant(KeyId=key_arn, GrantId=retirable)
    kms.retire_grant(KeyId=key_arn, GrantId=grant)
    assert kms.list_grants(KeyId=key)["Grants"] == []
    assert _error(lambda: kms.retire_grant(GrantToken="no-such-token")) == ("InvalidGrantTokenException", 400)


def test_another_accounts_key_needs_its_key_policy(
    kms: Any, key: str, aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]
) -> None:
    # KMS API reference, CreateGrant / ListGrants: "Cross-account use: Yes ... specify the key ARN";
    # "Required permissions: kms:CreateGrant (key policy)". The default key policy names only the key's
    # own account.
    key_arn = kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]
    registry = aws_client("kms", assume(REGISTRY_ROLE), NO_RETRY)
    assert _error(lambda: _grant(registry, key_arn)) == ("AccessDeniedException", 400)
    assert _error(lambda: _grant(registry, key)) == ("NotFoundException", 400)  # a key ID is the caller's own
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    policy["Statement"].append(
        {
            "Sid": "RegistryManagesGrants",
            "Effect": "Allow",
            "Principal": {"AWS": REGISTRY_ROOT},
            "Action": ["kms:CreateGrant", "kms:ListGrants"],
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    grant = _grant(registry, key_arn)["GrantId"]
    assert [g["GrantId"] for g in registry.list_grants(KeyId=key_arn)["Grants"]] == [grant]
    assert registry.list_grants(KeyId=key_arn)["Grants"][0]["IssuingAccount"] == REGISTRY_ROOT


def test_dry_run(kms: Any, key: str) -> None:
    # botocore kms model, CreateGrantRequest.DryRun; DryRunOperationException (KMS Developer Guide,
    # "Testing your permissions": HTTP 412 when the request would have succeeded).
    assert _error(lambda: _grant(kms, key, DryRun=True)) == ("DryRunOperationException", 412)
    assert kms.list_grants(KeyId=key)["Grants"] == []
