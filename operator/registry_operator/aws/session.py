"""boto3 clients per (service, region, role), with botocore's own retry mode, assume-role refresh and one
rate limiter per (account, region, operation) shared by them all (ratelimit.py)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials

from registry_operator import __version__
from registry_operator.aws import attribution
from registry_operator.aws.ratelimit import RateLimiters
from registry_operator.process import metrics

if TYPE_CHECKING:  # the boto3 stubs (dev only) type each service's client
    from mypy_boto3_ecr import ECRClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sts import STSClient

ROLE_SESSION_NAME = "sagemaker-registry-operator"


def client_config(max_attempts: int = 5, pool_size: int = 64) -> Config:
    # "standard" retry mode: exponential backoff with jitter for throttling and 5xx, and a retry quota
    # so a failing endpoint is not hammered.
    return Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=pool_size,
        connect_timeout=5,
        read_timeout=60,
        user_agent_extra=f"sagemaker-registry-operator/{__version__}",
    )


class Identities:
    """The ARN AWS records for calls made as each identity the operator uses (its own, or a role it
    assumes): asked of STS once per identity and region, then remembered."""

    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients
        self._lock = threading.Lock()
        self._known: dict[tuple[str, str | None], str | None] = {}

    def __call__(self, region: str, role_arn: str | None) -> str | None:
        key = (region, role_arn)
        with self._lock:
            if key in self._known:
                return self._known[key]
        try:
            arn: str | None = str(self._clients.client("sts", region, role_arn).get_caller_identity()["Arn"])
        except Exception as exc:  # who it was is informational: status says unknown, the run goes on
            logging.getLogger(__name__).warning(
                f"cannot tell the identity of {role_arn or 'the operator'}: {exc}"
            )
            arn = None
        with self._lock:
            self._known[key] = arn
        return arn


def own_account(clients: ClientFactory, region: str) -> str | None:
    """The account of the operator's own identity, asked once at start-up; None when STS cannot say
    (then every ARN in another account needs the config's grantAccounts)."""
    try:
        account = str(clients.client("sts", region).get_caller_identity()["Account"])
    except Exception as exc:  # start-up must not fail on it: the allowlist stays strict instead
        logging.getLogger(__name__).warning(f"cannot tell the operator's own AWS account: {exc}")
        return None
    clients.own_account = account
    return account


class ClientFactory:
    """Hands out cached clients. The operator's identity comes from the default chain (IRSA, Pod
    Identity, environment); a resource's roleArn is assumed with STS and refreshed before expiry.

    With `rate_limits` (the default), every client's calls are paced by `limiters`, one limiter per
    (account, region, operation): AWS counts a role's calls against the role's account, so the
    operator's own identity and every role in one account share their limiters."""

    def __init__(self, config: Config | None = None, rate_limits: bool = True) -> None:
        self._config = config or client_config()
        self.limiters = RateLimiters() if rate_limits else None
        # The account of the operator's own identity, once own_account() has asked STS; until then its
        # calls are paced as an account of their own.
        self.own_account: str | None = None
        self._base = boto3.session.Session()
        metrics.instrument(self._base._session)  # counts every call of every client it makes
        attribution.install(self._base._session)
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        self._role_sessions: dict[tuple[str, str], boto3.session.Session] = {}

    @overload
    def client(
        self, service: Literal["sagemaker"], region: str, role_arn: str | None = None
    ) -> SageMakerClient: ...
    @overload
    def client(self, service: Literal["s3"], region: str, role_arn: str | None = None) -> S3Client: ...
    @overload
    def client(self, service: Literal["ecr"], region: str, role_arn: str | None = None) -> ECRClient: ...
    @overload
    def client(self, service: Literal["kms"], region: str, role_arn: str | None = None) -> KMSClient: ...
    @overload
    def client(self, service: Literal["sts"], region: str, role_arn: str | None = None) -> STSClient: ...
    @overload
    def client(self, service: Literal["sqs"], region: str, role_arn: str | None = None) -> SQSClient: ...
    def client(self, service: str, region: str, role_arn: str | None = None) -> Any:
        key = (service, region, role_arn)
        with self._lock:  # boto3 sessions are not thread-safe; the clients they make are.
            found = self._clients.get(key)
            if found is None:
                session = self._base if role_arn is None else self._role_session(role_arn, region)
                found = session.client(service, region_name=region, config=self._config)  # type: ignore[call-overload]
                if self.limiters is not None:
                    self.limiters.install(found, region, lambda: self._account_of(role_arn))
                self._clients[key] = found
            return found

    def _account_of(self, role_arn: str | None) -> str:
        if role_arn is not None:
            parts = role_arn.split(":")  # arn:aws:iam::<account>:role/<name>
            if len(parts) > 4 and parts[4]:
                return parts[4]
        return self.own_account or ""

    def _role_session(self, role_arn: str, region: str) -> boto3.session.Session:
        found = self._role_sessions.get((role_arn, region))
        if found is not None:
            return found
        source = self._base._session  # the botocore session behind the default chain
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=lambda *a, **kw: source.create_client(*a, **{**kw, "region_name": region}),
            source_credentials=source.get_credentials(),
            role_arn=role_arn,
            extra_args={"RoleSessionName": ROLE_SESSION_NAME},
        )
        core = botocore.session.Session()
        metrics.instrument(core)
        attribution.install(core)
        # botocore has no public setter for a ready-made credentials object; this is how its own
        # assume-role provider ends up wired too.
        core._credentials = DeferredRefreshableCredentials(  # type: ignore[attr-defined]
            refresh_using=fetcher.fetch_credentials, method="assume-role"
        )
        session = boto3.session.Session(botocore_session=core, region_name=region)
        self._role_sessions[(role_arn, region)] = session
        return session
