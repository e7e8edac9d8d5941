"""The operator's client-side rate limiter (aws/ratelimit.py): one per account, region and operation,
shared by every thread and client; it slows to the rate AWS accepts once throttled and recovers when the
throttling stops; waiting shows in metrics, throttled attempts absorbed by it are not errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY

from registry_operator.aws.errors import AwsErrorKind, RateLimited, translate
from registry_operator.aws.ratelimit import OperationLimiter, RateLimiters
from registry_operator.aws.session import ClientFactory, client_config, own_account
from registry_operator.reconcile.error_meaning import meaning
from registry_testbed.localaws.server import LocalAWS

REGION = "us-east-2"
OWN_ACCOUNT = "123456789012"  # moto's account of the dummy base credentials
SAME_ACCOUNT_ROLE = f"arn:aws:iam::{OWN_ACCOUNT}:role/registrar"
OTHER_ACCOUNT_ROLE = "arn:aws:iam::222222222222:role/registrar"
LIST = "sagemaker:ListModelPackageGroups"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def endpoint(local_aws: LocalAWS, aws_env: Callable[[str], None]) -> str:
    local_aws.admin.reset()
    aws_env(local_aws.endpoint_url)
    return local_aws.endpoint_url


# ------------------------------------------------------------------------ the rate, on a simulated clock


class Clock:
    """botocore's Clock interface on simulated time."""

    def __init__(self) -> None:
        self.now = 0.0

    def current_time(self) -> float:
        return self.now

    def sleep(self, amount: float) -> None:
        self.now += amount


class Server:
    """AWS's token bucket for one operation: `rate` per second, `burst` at most."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.updated = rate, burst, burst, 0.0
        self.accepted = self.throttled = 0

    def admit(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.accepted += 1
            return True
        self.throttled += 1
        return False


def _drive(limiter: OperationLimiter, clock: Clock, server: Server, seconds: float) -> None:
    """Callers with endless work, sending as fast as the limiter lets them (100 per second while it is
    not engaged: 32 workers on a fast AWS), each answer fed back to the limiter."""
    end = clock.now + seconds
    while clock.now < end:
        rate = limiter.rate
        clock.now += 1 / rate if rate else 0.01
        limiter.answered(throttled=not server.admit(clock.now))


def test_it_waits_for_nothing_until_aws_throttles() -> None:
    clock = Clock()
    limiter = OperationLimiter("sagemaker", "CreateModelPackage", clock)
    _drive(limiter, clock, Server(rate=1000, burst=1000), seconds=10)
    assert limiter.rate is None and not limiter.engaged
    started = time.monotonic()
    for _ in range(100):
        limiter.acquire()
    assert time.monotonic() - started < 0.5


def test_it_slows_to_the_limit_under_throttling_and_recovers_when_it_stops() -> None:
    clock = Clock()
    limiter = OperationLimiter("sagemaker", "CreateModelPackage", clock)
    server = Server(rate=10, burst=20)
    _drive(limiter, clock, server, seconds=30)  # learning: the burst, then throttling at 100 per second
    assert limiter.engaged
    server.accepted = server.throttled = 0
    _drive(limiter, clock, server, seconds=120)
    # At the limit: AWS's whole rate used, and few attempts refused (without the limiter: 90 of 100).
    assert server.accepted >= 0.95 * 10 * 120
    assert server.throttled <= 0.08 * (server.accepted + server.throttled)
    assert limiter.rate is not None and limiter.rate < 15
    # The limit rises fivefold (a quota increase, another client gone): the rate follows within seconds.
    server.rate = server.burst = 50
    server.accepted = server.throttled = 0
    _drive(limiter, clock, server, seconds=30)
    assert server.accepted >= 0.8 * 50 * 30
    assert limiter.rate is not None and limiter.rate > 40


def test_callers_take_turns_in_order_and_none_waits_past_the_longest_wait() -> None:
    limiter = OperationLimiter("sagemaker", "CreateModelPackage", max_wait=0.3)
    limiter.answered(throttled=True)  # engaged, at botocore's lowest rate: a token every 2 s
    limiter.acquire()  # whatever the bucket held: from here on every token is 2 s away
    deferred = dict(service="sagemaker", operation="CreateModelPackage")
    before = _value("registry_operator_aws_rate_limit_deferred_total", **deferred)
    outcomes: dict[str, str] = {}

    def call(name: str) -> None:
        try:
            limiter.acquire()
            outcomes[name] = "sent"
        except RateLimited:
            outcomes[name] = "deferred"

    threads = []
    for name in ("first", "second", "third"):
        threads.append(threading.Thread(target=call, args=(name,)))
        threads[-1].start()
        time.sleep(0.05)
    for t in threads:
        t.join(10)
    # The first to ask waits for the next token, however long; those behind it give up after 0.3 s
    # instead of holding their workers (their reconciles report Throttled and come back later).
    assert outcomes == {"first": "sent", "second": "deferred", "third": "deferred"}
    assert _value("registry_operator_aws_rate_limit_deferred_total", **deferred) == before + 2


def test_a_deferred_call_is_throttling_to_a_reconcile_and_no_aws_call() -> None:
    err = translate(RateLimited("CreateModelPackage", 15), "CreateModelPackage")
    assert (err.kind, err.code) == (AwsErrorKind.THROTTLED, "RateLimited")
    assert meaning(err).reason == "Throttled"


# ------------------------------------------------------------------------ shared, against the embedded AWS


def test_one_limiter_per_account_region_and_operation() -> None:
    limiters = RateLimiters()
    one = limiters.get(OWN_ACCOUNT, REGION, "sagemaker", "CreateModelPackage")
    assert limiters.get(OWN_ACCOUNT, REGION, "sagemaker", "CreateModelPackage") is one
    others = {
        limiters.get("222222222222", REGION, "sagemaker", "CreateModelPackage"),
        limiters.get(OWN_ACCOUNT, "eu-west-1", "sagemaker", "CreateModelPackage"),
        limiters.get(OWN_ACCOUNT, REGION, "sagemaker", "DescribeModelPackage"),
    }
    assert one not in others and len(others) == 3


def test_threads_and_clients_of_one_account_share_a_limiter_that_fills_the_limit(
    local_aws: LocalAWS, endpoint: str
) -> None:
    rate, burst, learning, seconds = 20.0, 5.0, 3.0, 6.0
    local_aws.admin.set_rate_limits({LIST: {"ratePerSecond": rate, "burst": burst}})
    clients = ClientFactory(client_config(max_attempts=5, pool_size=16))
    assert own_account(clients, REGION) == OWN_ACCOUNT
    # the operator's own identity and a role in its account: AWS counts both against one bucket
    sms = [clients.client("sagemaker", REGION), clients.client("sagemaker", REGION, SAME_ACCOUNT_ROLE)]
    for sm in sms:
        sm.list_model_package_groups()  # credentials and connections before the clock starts
    wait = dict(service="sagemaker", operation="ListModelPackageGroups")
    waited_before = _value("registry_operator_aws_rate_limit_wait_seconds_count", **wait)
    errors = dict(wait, code="ThrottlingException", category="Throttled")
    errors_before = _value("registry_operator_aws_errors_total", **errors)
    local_aws.admin.set_rate_limits({LIST: {"ratePerSecond": rate, "burst": burst}})  # a full bucket
    local_aws.admin.reset_calls()
    started = time.monotonic()

    def hammer(sm: Any) -> None:
        while time.monotonic() < started + seconds:
            sm.list_model_package_groups()

    threads = [threading.Thread(target=hammer, args=(sms[i % 2],)) for i in range(16)]
    for t in threads:
        t.start()
    time.sleep(learning)
    learnt = local_aws.admin.counters()
    for t in threads:
        t.join()
    calls = local_aws.admin.calls()[LIST]
    throttled = local_aws.admin.throttled().get(LIST, 0)
    accepted = calls - throttled
    accepted_since = accepted - (learnt["calls"][LIST] - learnt["throttled"].get(LIST, 0))
    # One limiter for both clients, engaged by the throttling; none for anything else.
    assert list(clients.limiters.engaged()) == [(OWN_ACCOUNT, REGION, "sagemaker", "ListModelPackageGroups")]
    # Past its first seconds (botocore's CUBIC starts low after the first throttle and climbs) it filled
    # the limit, without a storm: without the limiter these 16 threads have about as many attempts
    # throttled as accepted.
    assert accepted_since >= 0.75 * rate * (seconds - learning), (accepted_since, accepted, throttled)
    assert throttled <= 0.25 * calls, (accepted, throttled)
    # Waiting is visible, no call failed: the throttled attempts the retries absorbed are not errors.
    assert (
        _value("registry_operator_aws_rate_limit_wait_seconds_count", **wait) - waited_before >= accepted / 2
    )
    assert _value("registry_operator_aws_rate_limit_waiting", **wait) == 0
    assert _value("registry_operator_aws_errors_total", **errors) == errors_before


def test_other_operations_and_accounts_do_not_wait(local_aws: LocalAWS, endpoint: str) -> None:
    local_aws.admin.set_rate_limits({LIST: {"ratePerSecond": 0.5, "burst": 1}})
    clients = ClientFactory(client_config(max_attempts=2))
    own_account(clients, REGION)
    sm = clients.client("sagemaker", REGION)
    sm.list_model_package_groups()
    sm.list_model_package_groups()  # throttled, then retried once the limiter lets it: it is engaged
    assert list(clients.limiters.engaged()) == [(OWN_ACCOUNT, REGION, "sagemaker", "ListModelPackageGroups")]
    other_account = clients.client("sagemaker", REGION, OTHER_ACCOUNT_ROLE)
    other_account.list_model_packages(ModelPackageGroupName="absent")  # its credentials, not timed
    started = time.monotonic()
    for _ in range(20):  # another operation: no waiting
        sm.list_model_packages(ModelPackageGroupName="absent")
    other_account.list_model_package_groups()  # the same operation in another account: no waiting
    assert time.monotonic() - started < 1.5  # at 0.5 per second, waiting for the limiter would take 2 s+
    assert list(clients.limiters.engaged()) == [(OWN_ACCOUNT, REGION, "sagemaker", "ListModelPackageGroups")]


def test_without_rate_limits_nothing_is_installed(endpoint: str) -> None:
    clients = ClientFactory(client_config(max_attempts=1), rate_limits=False)
    clients.client("sagemaker", REGION).list_model_package_groups()
    assert clients.limiters is None


def test_a_call_waits_before_it_is_signed(endpoint: str) -> None:
    """A wait must not age the call's signature (SigV4 requests expire minutes after their timestamp):
    the limiter runs ahead of botocore's signer on the same event."""
    clients = ClientFactory(client_config(max_attempts=1))
    own_account(clients, REGION)
    sm = clients.client("sagemaker", REGION)
    sm.list_model_package_groups()
    limiter = clients.limiters.get(OWN_ACCOUNT, REGION, "sagemaker", "ListModelPackageGroups")
    limiter.answered(throttled=True)  # engaged, at its lowest rate: the next call waits for a token
    seen: dict[str, float] = {}

    def note(what: str) -> Callable[..., None]:
        def handler(**_: Any) -> None:  # None: a value from a before-send handler would be the response
            seen.setdefault(what, time.monotonic())

        return handler

    sm.meta.events.register("before-sign", note("signed"))
    sm.meta.events.register("before-send", note("sent"))
    started = time.monotonic()
    sm.list_model_package_groups()
    assert seen["signed"] - started >= 0.5  # it waited (a token every 2 s at 0.5 per second) ...
    assert seen["sent"] - seen["signed"] < 0.2  # ... and then was signed and sent at once
