"""KMS grants, kept by the embedded AWS instead of moto, with the rules KMS documents.

moto's grants make a second grant for a repeated Name, accept any operation, answer an unknown key with
HTTP 500, ignore ListGrants' Limit and GranteePrincipal, and leave out CreationDate and IssuingAccount.
Here, from botocore's kms model (member documentation) and the KMS Developer Guide:

- Input constraints (GrantOperation enum, Name and principal patterns, lengths) are checked from the model
  and answered as ValidationException; ListGrants' Limit is 1-100 ("If you include a value, it must be
  between 1 and 100, inclusive. If you do not include a value, it defaults to 50" -- the model's max is
  1000, the documentation wins).
- KeyId is a key ID or key ARN ("Specify the key ID or key ARN of the KMS key"; RetireGrant: "The key
  ARN"); anything else, or a key that does not exist, is NotFoundException.
- CreateGrant with a Name repeats idempotently: "if the grant already exists, the original GrantId is
  returned without creating a new grant. Note that the returned grant token is unique with every
  CreateGrant request ... All grant tokens for the same grant ID can be used interchangeably."
- Key states (KMS Developer Guide, "Key states of AWS KMS keys"): CreateGrant on a Disabled key is
  DisabledException, on a key PendingDeletion or PendingImport KMSInvalidStateException; ListGrants,
  RevokeGrant and RetireGrant work in every state.
- Operations must suit the key (KMS Developer Guide, "Grant operations": e.g. no Sign on a symmetric
  encryption key), else ValidationException.
- A key of another account is used only when its key policy allows the caller ("Cross-account use: Yes.
  ... specify the key ARN"; "Required permissions: kms:CreateGrant (key policy)").
- Who may retire a grant (KMS Developer Guide, "Retiring and revoking grants"): the account that created
  it, its retiring principal, or its grantee when the grant allows RetireGrant.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from moto.kms.models import Key, kms_backends

from .errors import AWSError, access_denied
from .identity import Caller
from .intercept import Request
from .resource_policy import Decision, evaluate, parse_policy
from .validation import InputValidator

_MODEL = botocore.session.get_session().get_service_model("kms")
_VALIDATOR = InputValidator(_MODEL)
DEFAULT_LIMIT, MAX_LIMIT = 50, 100

_KEY_ARN = re.compile(r"arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):key/([A-Za-z0-9-]+)")
_KEY_ID = re.compile(r"(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")

# KMS Developer Guide, "Grant operations": the operations each kind of key supports in a grant.
_ON_EVERY_KEY = {"CreateGrant", "DescribeKey", "RetireGrant"}
_SYMMETRIC = {
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
}
_BY_USAGE = {
    "ENCRYPT_DECRYPT": {"Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"},
    "SIGN_VERIFY": {"Sign", "Verify", "GetPublicKey"},
    "GENERATE_VERIFY_MAC": {"GenerateMac", "VerifyMac"},
    "KEY_AGREEMENT": {"DeriveSharedSecret", "GetPublicKey"},
}


def _usage(key: Key) -> str:
    # moto leaves KeyUsage unset when CreateKey omits it; KMS's default is ENCRYPT_DECRYPT (CreateKey).
    return str(key.key_usage or "ENCRYPT_DECRYPT")


def _supported_operations(key: Key) -> set[str]:
    if _usage(key) == "ENCRYPT_DECRYPT" and key.key_spec == "SYMMETRIC_DEFAULT":
        return _SYMMETRIC | _ON_EVERY_KEY
    return _BY_USAGE.get(_usage(key), set()) | _ON_EVERY_KEY


@dataclass
class Grant:
    sequence: int  # creation order: ListGrants pages in it
    key_arn: str
    grant_id: str
    name: str | None
    grantee: str
    retiring: str | None
    operations: tuple[str, ...]
    constraints: dict[str, Any] | None
    created: float
    issuing_account: str
    tokens: set[str] = field(default_factory=set)

    def repeats(self, name: str | None, params: dict[str, Any]) -> bool:
        """The same Name and the same parameters: CreateGrant returns this grant again."""
        return (
            name is not None
            and self.name == name
            and self.grantee == params["GranteePrincipal"]
            and self.retiring == params.get("RetiringPrincipal")
            and set(self.operations) == set(params["Operations"])
            and self.constraints == params.get("Constraints")
        )

    def entry(self) -> dict[str, Any]:
        """A GrantListEntry (botocore kms model): the fields AWS returns, optional ones only when set."""
        out: dict[str, Any] = {
            "KeyId": self.key_arn,
            "GrantId": self.grant_id,
            "CreationDate": self.created,
            "GranteePrincipal": self.grantee,
            "IssuingAccount": self.issuing_account,
            "Operations": list(self.operations),
        }
        if self.name is not None:
            out["Name"] = self.name
        if self.retiring is not None:
            out["RetiringPrincipal"] = self.retiring
        if self.constraints:
            out["Constraints"] = self.constraints
        return out


@dataclass(frozen=True, slots=True)
class _KeyRef:
    arn: str
    account: str
    region: str
    key: Key


def _not_found(message: str) -> AWSError:
    return AWSError("NotFoundException", message)


def _dry_run(params: dict[str, Any]) -> None:
    if params.get("DryRun"):
        # DryRunOperationException, HTTP 412 (KMS Developer Guide, "Testing your permissions").
        raise AWSError(
            "DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", 412
        )


def _encode_marker(sequence: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": sequence}).encode()).decode()


def _decode_marker(marker: str | None) -> int:
    if marker is None:
        return -1
    try:
        value = json.loads(base64.urlsafe_b64decode(marker.encode()))["after"]
    except (ValueError, KeyError, TypeError):
        value = None
    if not isinstance(value, int):
        raise AWSError("InvalidMarkerException", "Invalid marker")
    return value


class GrantStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._grants: dict[str, list[Grant]] = {}  # key ARN -> grants in creation order
        self._sequence = 0

    def reset(self) -> None:
        with self._lock:
            self._grants.clear()

    # -- the keys ---------------------------------------------------------------------------------

    def _key(self, req: Request, key_id: object, arn_only: bool = False) -> _KeyRef:
        if not isinstance(key_id, str):
            raise _not_found("Invalid keyId")
        match = _KEY_ARN.fullmatch(key_id)
        if match is not None:
            _, region, account, raw_id = match.groups()
        elif arn_only or not _KEY_ID.fullmatch(key_id):
            # An alias, an alias ARN or anything else: these operations take a key ID or key ARN only.
            raise _not_found(f"Invalid keyId '{key_id}'")
        else:
            region, account, raw_id = req.call.region, req.caller.account, key_id
        partition = req.caller.partition
        arn = f"arn:{partition}:kms:{region}:{account}:key/{raw_id}"
        try:
            key = kms_backends[account][region].keys.get(raw_id)
        except KeyError:
            key = None
        if key is None:
            raise _not_found(f"Key '{arn}' does not exist")
        return _KeyRef(arn, account, region, key)

    @staticmethod
    def _authorize(caller: Caller, ref: _KeyRef, operation: str) -> None:
        """A key of another account: its key policy must allow the caller (the caller's own account is
        not checked further: the embedded AWS does not evaluate identity policies)."""
        if ref.account == caller.account:
            return
        action = f"kms:{operation}"
        try:
            decision = evaluate(parse_policy(ref.key.policy), caller.principal_names, action, [ref.arn])
        except AWSError:
            decision = Decision.NO_MATCH
        if decision is not Decision.ALLOW:
            raise access_denied(
                f"User: {caller.arn} is not authorized to perform: {action} on resource: {ref.arn} "
                f"because no resource-based policy allows the {action} action"
            )

    # -- the operations ---------------------------------------------------------------------------

    def create_grant(self, req: Request) -> dict[str, Any]:
        params = req.json()
        _VALIDATOR.validate("CreateGrant", params)
        ref = self._key(req, params["KeyId"])
        self._authorize(req.caller, ref, "CreateGrant")
        state = ref.key.key_state
        if state == "Disabled":
            raise AWSError("DisabledException", f"{ref.arn} is disabled.")
        if state in ("PendingDeletion", "PendingImport"):
            what = "pending deletion" if state == "PendingDeletion" else "pending import"
            raise AWSError("KMSInvalidStateException", f"{ref.arn} is {what}.")
        unsupported = sorted(set(params["Operations"]) - _supported_operations(ref.key))
        if unsupported:
            raise AWSError(
                "ValidationException",
                f"Grant operations {', '.join(unsupported)} are not supported for key {ref.arn} "
                f"(KeyUsage {_usage(ref.key)}, KeySpec {ref.key.key_spec})",
            )
        _dry_run(params)
        name = params.get("Name")
        token = secrets.token_urlsafe(96)
        with self._lock:
            grants = self._grants.setdefault(ref.arn, [])
            existing = next((g for g in grants if g.repeats(name, params)), None)
            if existing is not None:
                existing.tokens.add(token)
                return {"GrantId": existing.grant_id, "GrantToken": token}
            self._sequence += 1
            grant = Grant(
                sequence=self._sequence,
                key_arn=ref.arn,
                grant_id=secrets.token_hex(32),
                name=name,
                grantee=params["GranteePrincipal"],
                retiring=params.get("RetiringPrincipal"),
                operations=tuple(params["Operations"]),
                constraints=params.get("Constraints"),
                created=time.time(),
                issuing_account=f"arn:{req.caller.partition}:iam::{req.caller.account}:root",
                tokens={token},
            )
            grants.append(grant)
        return {"GrantId": grant.grant_id, "GrantToken": token}

    @staticmethod
    def _limit(params: dict[str, Any]) -> int:
        limit = params.get("Limit", DEFAULT_LIMIT)
        if limit > MAX_LIMIT:
            raise AWSError(
                "ValidationException",
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: "
                f"Member must have value less than or equal to {MAX_LIMIT}",
            )
        return int(limit)

    @staticmethod
    def _page(grants: list[Grant], params: dict[str, Any], limit: int) -> dict[str, Any]:
        after = _decode_marker(params.get("Marker"))
        remaining = [g for g in grants if g.sequence > after]
        page = remaining[:limit]
        out: dict[str, Any] = {"Grants": [g.entry() for g in page], "Truncated": len(remaining) > limit}
        if out["Truncated"]:
            out["NextMarker"] = _encode_marker(page[-1].sequence)
        return out

    def list_grants(self, req: Request) -> dict[str, Any]:
        params = req.json()
        _VALIDATOR.validate("ListGrants", params)
        limit = self._limit(params)
        ref = self._key(req, params["KeyId"])
        self._authorize(req.caller, ref, "ListGrants")
        with self._lock:
            grants = list(self._grants.get(ref.arn, []))
        if params.get("GrantId") is not None:
            grants = [g for g in grants if g.grant_id == params["GrantId"]]
        if params.get("GranteePrincipal") is not None:
            grants = [g for g in grants if g.grantee == params["GranteePrincipal"]]
        return self._page(grants, params, limit)

    def list_retirable_grants(self, req: Request) -> dict[str, Any]:
        """Grants in the caller's account and Region whose retiring principal is the one given."""
        params = req.json()
        _VALIDATOR.validate("ListRetirableGrants", params)
        limit = self._limit(params)
        prefix = f"arn:{req.caller.partition}:kms:{req.call.region}:{req.caller.account}:key/"
        with self._lock:
            grants = [
                g
                for arn, key_grants in self._grants.items()
                if arn.startswith(prefix)
                for g in key_grants
                if g.retiring == params["RetiringPrincipal"]
            ]
        grants.sort(key=lambda g: g.sequence)
        return self._page(grants, params, limit)

    def revoke_grant(self, req: Request) -> dict[str, Any]:
        params = req.json()
        _VALIDATOR.validate("RevokeGrant", params)
        ref = self._key(req, params["KeyId"])
        self._authorize(req.caller, ref, "RevokeGrant")
        _dry_run(params)
        with self._lock:
            grants = self._grants.get(ref.arn, [])
            grant = next((g for g in grants if g.grant_id == params["GrantId"]), None)
            if grant is None:
                raise _not_found(f"Grant ID {params['GrantId']} not found")
            grants.remove(grant)
        return {}

    def retire_grant(self, req: Request) -> dict[str, Any]:
        params = req.json()
        _VALIDATOR.validate("RetireGrant", params)
        token, key_id, grant_id = params.get("GrantToken"), params.get("KeyId"), params.get("GrantId")
        if token is None and (key_id is None or grant_id is None):
            raise AWSError(
                "ValidationException", "Either GrantToken, or both KeyId and GrantId, must be specified."
            )
        with self._lock:
            if token is not None:
                grant = next((g for gs in self._grants.values() for g in gs if token in g.tokens), None)
                if grant is None:
                    raise AWSError("InvalidGrantTokenException", "The grant token is not valid.")
            else:
                ref = self._key(req, key_id, arn_only=True)
                grant = next((g for g in self._grants.get(ref.arn, []) if g.grant_id == grant_id), None)
                if grant is None:
                    raise _not_found(f"Grant ID {grant_id} not found")
            names = req.caller.principal_names
            may_retire = (
                grant.issuing_account in names
                or (grant.retiring is not None and grant.retiring in names)
                or ("RetireGrant" in grant.operations and grant.grantee in names)
            )
            if not may_retire:
                raise access_denied(
                    f"User: {req.caller.arn} is not authorized to perform: kms:RetireGrant on resource: "
                    f"{grant.key_arn}"
                )
            _dry_run(params)
            self._grants[grant.key_arn].remove(grant)
        return {}
