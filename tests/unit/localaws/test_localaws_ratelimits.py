"""Rate limits: a token bucket per account, region and operation, refusals shaped as each service
throttles (and recognised as throttling by botocore), no side effect, counted; settable at start and at
run time."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.retries.standard import RetryEventAdapter, ThrottlingErrorDetector
from localaws_support import NO_RETRY, REGION, REGISTRY_ROLE, TRAINER_ROLE, ClientFactory, refusal

from registry_testbed.localaws.client import LocalAWSAdmin, LocalAWSAdminError
from registry_testbed.localaws.ratelimits import RateLimits, parse
from registry_testbed.localaws.server import LocalAWS

CREATE_GROUP = "sagemaker:CreateModelPackageGroup"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limits(settings: dict[str, Any]) -> tuple[RateLimits, Clock]:
    clock = Clock()
    limits = RateLimits(clock)
    limits.set(parse(settings))
    return limits, clock


def _admitted(
    limits: RateLimits, n: int, account: str = "1", key: str = CREATE_GROUP, region: str = REGION
) -> int:
    """How many of n requests in a row (no time passing) the bucket admits."""
    return sum(limits.admit(account, region, key) for _ in range(n))


def test_a_bucket_refuses_past_its_burst_and_refills_at_its_rate() -> None:
    limits, clock = _limits({CREATE_GROUP: {"ratePerSecond": 10, "burst": 20}})
    assert _admitted(limits, 25) == 20  # a full bucket: the burst, then refusals
    clock.now += 0.1
    assert _admitted(limits, 5) == 1  # 10 per second: one token in 0.1 s
    clock.now += 0.35
    assert _admitted(limits, 5) == 3  # 3.5 tokens: three requests, half a token kept
    clock.now += 0.05
    assert _admitted(limits, 5) == 1  # ... which the next 0.05 s makes whole
    clock.now += 60
    assert _admitted(limits, 30) == 20  # never more than the burst, however long it rested
    # A refused request takes no token: refusals do not push the next admission further away.
    assert _admitted(limits, 100) == 0
    clock.now += 0.1
    assert _admitted(limits, 5) == 1


def test_buckets_are_per_account_region_and_operation() -> None:
    limits, _ = _limits({"sagemaker:*": {"ratePerSecond": 1, "burst": 2}})
    assert _admitted(limits, 5, account="111111111111") == 2
    assert _admitted(limits, 5, account="222222222222") == 2  # another account: a bucket of its own
    assert _admitted(limits, 5, account="111111111111", region="eu-west-1") == 2
    # a pattern gives each operation it matches a bucket of its own, as AWS limits each API on its own
    assert _admitted(limits, 5, account="111111111111", key="sagemaker:ListModelPackages") == 2
    assert _admitted(limits, 5, account="111111111111", key="s3:ListBuckets") == 5  # not limited


def test_an_exact_key_wins_then_the_first_pattern() -> None:
    limits, _ = _limits(
        {
            "*": {"ratePerSecond": 1, "burst": 1},
            "sagemaker:*": {"ratePerSecond": 1, "burst": 2},
            CREATE_GROUP: {"ratePerSecond": 1, "burst": 3},
        }
    )
    assert _admitted(limits, 10, key=CREATE_GROUP) == 3
    assert _admitted(limits, 10, key="sagemaker:ListModelPackages") == 1  # "*" was given first
    assert _admitted(limits, 10, key="kms:CreateGrant") == 1


def test_burst_defaults_to_one_seconds_worth() -> None:
    assert parse({"*": {"ratePerSecond": 2.5}})[0].burst == 3
    assert parse({"*": {"ratePerSecond": 0.2}})[0].burst == 1


def test_an_sdk_call_over_the_limit_is_throttled_before_any_side_effect(
    local_aws: LocalAWS, aws_client: ClientFactory
) -> None:
    # SageMaker answers a request over its rate with HTTP 400, ThrottlingException, "Rate exceeded".
    sm = aws_client("sagemaker", config=NO_RETRY)
    local_aws.admin.set_rate_limits({CREATE_GROUP: {"ratePerSecond": 0.01, "burst": 2}})
    sm.create_model_package_group(ModelPackageGroupName="a")
    sm.create_model_package_group(ModelPackageGroupName="b")
    got = refusal(lambda: sm.create_model_package_group(ModelPackageGroupName="c"))
    assert got == ("ThrottlingException", "Rate exceeded", 400)
    names = {
        g["ModelPackageGroupName"] for g in sm.list_model_package_groups()["ModelPackageGroupSummaryList"]
    }
    assert names == {"a", "b"}  # the refused request created nothing
    assert local_aws.admin.calls()[CREATE_GROUP] == 3
    assert local_aws.admin.throttled() == {CREATE_GROUP: 1}
    assert local_aws.admin.faults_injected() == {}


def test_each_account_has_its_own_bucket(
    local_aws: LocalAWS, aws_client: ClientFactory, assume: Callable[[str], dict[str, str]]
) -> None:
    registry = aws_client("sagemaker", assume(REGISTRY_ROLE), NO_RETRY)
    trainer = aws_client("sagemaker", assume(TRAINER_ROLE), NO_RETRY)
    local_aws.admin.set_rate_limits({CREATE_GROUP: {"ratePerSecond": 0.01, "burst": 1}})
    registry.create_model_package_group(ModelPackageGroupName="r1")
    assert refusal(lambda: registry.create_model_package_group(ModelPackageGroupName="r2")).code == (
        "ThrottlingException"
    )
    trainer.create_model_package_group(ModelPackageGroupName="t1")  # the other account's first token
    assert local_aws.admin.throttled() == {CREATE_GROUP: 1}


def _detected_throttling(client: Any) -> list[bool]:
    """For every attempt the client makes: did botocore's own throttling detector (the one its standard
    and adaptive retry modes use) classify the answer as throttling?"""
    detector = ThrottlingErrorDetector(RetryEventAdapter())
    seen: list[bool] = []

    def check(**kwargs: Any) -> None:
        seen.append(detector.is_throttling_error(**kwargs))

    client.meta.events.register("needs-retry", check)
    return seen


@pytest.mark.parametrize(
    ("service", "call", "shape"),
    [
        ("sagemaker", lambda c: c.list_model_package_groups(), ("ThrottlingException", "Rate exceeded", 400)),
        ("s3", lambda c: c.list_buckets(), ("SlowDown", "Please reduce your request rate.", 503)),
        ("sts", lambda c: c.get_caller_identity(), ("Throttling", "Rate exceeded", 400)),
        (
            "kms",
            lambda c: c.list_keys(),
            (
                "ThrottlingException",
                "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
                400,
            ),
        ),
    ],
)
def test_the_refusal_is_what_botocore_treats_as_throttling(
    local_aws: LocalAWS,
    aws_client: ClientFactory,
    service: str,
    call: Callable[[Any], Any],
    shape: tuple[str, str, int],
) -> None:
    # botocore's standard mode retries it as throttling (1 s backoff scale): two attempts, both throttled.
    client = aws_client(service, config=Config(retries={"total_max_attempts": 2, "mode": "standard"}))
    detected = _detected_throttling(client)
    call(client)
    local_aws.admin.set_rate_limits({"*": {"ratePerSecond": 0.001, "burst": 1}})
    call(client)  # the bucket's one token
    assert refusal(lambda: call(client)) == shape
    assert detected == [False, False, True, True]
    assert sum(local_aws.admin.throttled().values()) == 2


def test_an_injected_throttling_fault_has_the_same_shape(
    local_aws: LocalAWS, aws_client: ClientFactory
) -> None:
    # One code path for both: a ThrottlingException fault on S3 answers as S3 throttles.
    s3 = aws_client("s3", config=NO_RETRY)
    local_aws.admin.set_faults([{"operation": "s3:ListBuckets", "rate": 1.0, "error": "ThrottlingException"}])
    assert refusal(s3.list_buckets) == ("SlowDown", "Please reduce your request rate.", 503)
    assert local_aws.admin.throttled() == {}  # a fault, not a rate limit
    assert local_aws.admin.faults_injected() == {"s3:ListBuckets": 1}


def test_limits_change_at_run_time_and_invalid_ones_are_refused(
    local_aws: LocalAWS, aws_client: ClientFactory
) -> None:
    sm = aws_client("sagemaker", config=NO_RETRY)
    limit = {CREATE_GROUP: {"ratePerSecond": 10.0, "burst": 1.0}}
    assert local_aws.admin.set_rate_limits(limit) == limit
    assert local_aws.admin.rate_limits() == limit
    for bad in (
        {CREATE_GROUP: {"ratePerSecond": 0}},
        {CREATE_GROUP: {"ratePerSecond": 1, "burst": 0.5}},
        {CREATE_GROUP: {"ratePerSecond": 1, "brust": 2}},
        {CREATE_GROUP: 5},
        {"": {"ratePerSecond": 1}},
    ):
        with pytest.raises(LocalAWSAdminError):
            local_aws.admin.set_rate_limits(bad)
    with pytest.raises(LocalAWSAdminError):
        local_aws.admin.set_settings(rateLimit={})  # a misspelt setting is refused, not ignored
    assert local_aws.admin.rate_limits() == limit  # nothing changed
    sm.create_model_package_group(ModelPackageGroupName="a")
    assert refusal(lambda: sm.create_model_package_group(ModelPackageGroupName="b")).status == 400
    local_aws.admin.set_rate_limits({})
    sm.create_model_package_group(ModelPackageGroupName="b")
    local_aws.admin.set_rate_limits(limit)  # replaced: the buckets start full again
    sm.create_model_package_group(ModelPackageGroupName="c")
    local_aws.admin.reset()
    assert local_aws.admin.rate_limits() == {}


def test_limits_given_at_start_survive_a_reset() -> None:
    limit = {CREATE_GROUP: {"ratePerSecond": 10.0, "burst": 20.0}}
    with LocalAWS(settings={"rateLimits": limit, "packageCompletionSeconds": 0}) as aws:
        admin = LocalAWSAdmin(aws.endpoint_url, timeout=5)
        assert admin.rate_limits() == limit
        admin.set_rate_limits({})
        admin.set_settings(packageCompletionSeconds=3)
        admin.reset()
        settings = admin.settings()
        assert (settings["rateLimits"], settings["packageCompletionSeconds"]) == (limit, 0)


def test_the_cli_refuses_invalid_settings() -> None:
    bad = json.dumps({"rateLimits": {CREATE_GROUP: {"ratePerSecond": -1}}})
    done = subprocess.run(
        [sys.executable, "-m", "registry_testbed.cli", "local-aws", "--port", "0", "--settings", bad],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ratePerSecond must be a positive number" in done.stderr
