"""Who is calling: the caller's account and principal, derived from the request's SigV4 access key.

moto already maps an access key to an account (STS AssumeRole creates a temporary key in the target
account's IAM backend); this module reads the same state so the registry agrees with every other service
about which account a request acts in, and additionally learns the role and session behind the key,
which resource-policy evaluation needs, and the principal id and source identity that SageMaker records
as the `IamIdentity` of `CreatedBy` / `LastModifiedBy` (botocore sagemaker model, UserContext).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from, iam_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


@dataclass(frozen=True, slots=True)
class Caller:
    account: str
    arn: str  # the ARN AWS reports for the caller (assumed-role session, user or account root)
    principal_names: frozenset[str]  # everything a policy Principal may name to mean this caller
    partition: str = "aws"
    # What `aws sts get-caller-identity` calls UserId: the account id for the root, the user's unique id
    # (AIDA...) for a user, `<role id>:<session name>` (AROA...:session) for an assumed-role session.
    principal_id: str = ""
    # AssumeRole's SourceIdentity ("the person or application which assumes the IAM identity", botocore
    # sagemaker model, IamIdentity.SourceIdentity), when the session was given one.
    source_identity: str | None = None

    def user_context(self) -> dict[str, Any]:
        """The UserContext SageMaker records for this caller as CreatedBy / LastModifiedBy.

        UserProfileArn, UserProfileName and DomainId are filled only for calls made from a SageMaker
        Studio user profile; the embedded AWS has no Studio domains, so only IamIdentity is set.
        """
        identity: dict[str, str] = {"Arn": self.arn, "PrincipalId": self.principal_id or self.account}
        if self.source_identity:
            identity["SourceIdentity"] = self.source_identity
        return {"IamIdentity": identity}


def access_key_of(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    match = _CREDENTIAL.search(auth)
    if match:
        return match.group(1)
    query = environ.get("QUERY_STRING", "")
    match = re.search(r"X-Amz-Credential=([^/%&]+)(?:/|%2F)", query)
    return match.group(1) if match else None


class IdentityResolver:
    """Resolves and caches callers by access key; `clear()` must follow every state reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Caller] = {}
        # moto's AssumeRole ignores SourceIdentity; the app records it here from each AssumeRole it serves.
        self._source_identities: dict[str, str] = {}

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._source_identities.clear()

    def remember_source_identity(self, access_key: str, source_identity: str) -> None:
        with self._lock:
            self._source_identities[access_key] = source_identity
            self._cache = {k: v for k, v in self._cache.items() if k[0] != access_key}

    def source_identity_of(self, access_key: str | None) -> str | None:
        if not access_key:
            return None
        with self._lock:
            return self._source_identities.get(access_key)

    def resolve(self, environ: dict[str, Any], region: str) -> Caller:
        partition = get_partition(region)
        forced = os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        if forced:
            # moto lets these override the access key; the registry must act in the same account.
            return _root_caller(forced, partition)
        access_key = access_key_of(environ)
        if not access_key:
            return _root_caller(DEFAULT_ACCOUNT_ID, partition)
        cache_key = (access_key, partition)
        with self._lock:
            cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        caller = _lookup(access_key, partition, self.source_identity_of(access_key))
        if caller is not None:
            # Only keys moto knows are cached: an unknown key may still be issued later.
            with self._lock:
                self._cache[cache_key] = caller
            return caller
        return _root_caller(get_account_id_from(access_key), partition)


def _root_caller(account: str, partition: str) -> Caller:
    root = f"arn:{partition}:iam::{account}:root"
    return Caller(
        account=account,
        arn=root,
        principal_names=frozenset({account, root}),
        partition=partition,
        principal_id=account,
    )


def _unique_id(prefix: str, name: str) -> str:
    """A stable IAM unique id (AROA..., AIDA...) for a principal moto holds no id for: moto makes a new
    random one on every look-up of a role that was never created, and CreatedBy must not change."""
    return prefix + hashlib.sha256(name.encode()).hexdigest()[:17].upper()


def _lookup(access_key: str, partition: str, source_identity: str | None) -> Caller | None:
    account = get_account_id_from(access_key)
    iam = iam_backends[account][partition]
    key = iam.access_keys.get(access_key)
    if key is None:
        return None
    root = f"arn:{partition}:iam::{account}:root"
    names = {account, root}
    if key.role_arn:
        names.add(key.role_arn)
        arn = key.role_arn
        try:
            role_id = iam.get_role_by_arn(arn=key.role_arn).id
        except Exception:  # moto lets a session assume a role that was never created
            role_id = _unique_id("AROA", key.role_arn)
        principal_id = role_id
        assumed = sts_backends[account][partition].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            arn = assumed.arn
            names.add(arn)
            principal_id = f"{role_id}:{assumed.session_name}"
        return Caller(account, arn, frozenset(names), partition, principal_id, source_identity)
    if key.user_name:
        user_arn = f"arn:{partition}:iam::{account}:user/{key.user_name}"
        names.add(user_arn)
        try:
            user_id = iam.get_user(key.user_name).id
        except Exception:
            user_id = _unique_id("AIDA", user_arn)
        return Caller(account, user_arn, frozenset(names), partition, user_id)
    return Caller(
        account=account, arn=root, principal_names=frozenset(names), partition=partition, principal_id=account
    )
