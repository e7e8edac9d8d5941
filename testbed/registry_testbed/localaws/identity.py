"""Who is calling: the caller's account and principal, derived from the request's SigV4 access key.

moto already maps an access key to an account (STS AssumeRole creates a temporary key in the target
account's IAM backend); this module reads the same state so the registry agrees with every other service
about which account a request acts in, and additionally learns the role and session behind the key,
which resource-policy evaluation needs.
"""

from __future__ import annotations

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

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

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
        caller = _lookup(access_key, partition)
        if caller is not None:
            # Only keys moto knows are cached: an unknown key may still be issued later.
            with self._lock:
                self._cache[cache_key] = caller
            return caller
        return _root_caller(get_account_id_from(access_key), partition)


def _root_caller(account: str, partition: str) -> Caller:
    root = f"arn:{partition}:iam::{account}:root"
    return Caller(account=account, arn=root, principal_names=frozenset({account, root}), partition=partition)


def _lookup(access_key: str, partition: str) -> Caller | None:
    account = get_account_id_from(access_key)
    key = iam_backends[account][partition].access_keys.get(access_key)
    if key is None:
        return None
    root = f"arn:{partition}:iam::{account}:root"
    names = {account, root}
    if key.role_arn:
        names.add(key.role_arn)
        arn = key.role_arn
        assumed = sts_backends[account][partition].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            arn = assumed.arn
            names.add(arn)
        return Caller(account=account, arn=arn, principal_names=frozenset(names), partition=partition)
    if key.user_name:
        user_arn = f"arn:{partition}:iam::{account}:user/{key.user_name}"
        names.add(user_arn)
        return Caller(account=account, arn=user_arn, principal_names=frozenset(names), partition=partition)
    return Caller(account=account, arn=root, principal_names=frozenset(names), partition=partition)
