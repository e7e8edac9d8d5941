"""Client-side rate limiting against the embedded AWS's rate limit: N CreateModelPackage calls from 32
threads, through the operator's ClientFactory, spread over one or several roles of one account.

    .venv/bin/python tests/bench/limiter.py [--n 600] [--rate 10] [--burst 20]
        [--modes standard,adaptive,shared] [--clients 1,4] [--describe] [--timeline]

Modes: `standard` (botocore's standard retries alone, the operator before its limiter), `adaptive`
(botocore's adaptive retry mode: a CUBIC rate limiter per client), `shared` (the operator's limiter,
registry_operator/aws/ratelimit.py: one per account, region and operation, shared by every client).
Each mode runs once with the base identity only and once with the calls spread over four clients (the
base identity and three roles in its account), as the operator's ClientFactory makes one client per
role. A call that fails after botocore's retries is tried again 10 s later, as the operator retries a
Throttled reconcile. With --describe each registration also calls DescribeModelPackage, as the operator
does after each create (it is not limited). Figures only; docs/contributors/performance.md quotes them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from registry_operator.aws.session import ClientFactory, client_config, own_account
from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin

REGION = devstack.LOCAL_AWS_ENV["AWS_DEFAULT_REGION"]
ACCOUNT = "123456789012"  # moto's default: the account of the dummy base credentials
ROLES = [None, *(f"arn:aws:iam::{ACCOUNT}:role/registrar-{i}" for i in range(3))]
THREADS = 32
REQUEUE_S = 10.0  # the operator's retry delay for a Throttled reconcile (aws/facts.py)
OPERATION = "sagemaker:CreateModelPackage"
SPEC = {
    "Containers": [
        {"Image": "257758044811.dkr.ecr.us-east-2.amazonaws.com/x:1", "ModelDataUrl": "s3://b/m.tar.gz"}
    ],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}


def factory(mode: str) -> ClientFactory:
    config = client_config(pool_size=THREADS * 2)
    if mode == "adaptive":
        adaptive = config.merge(Config(retries={"mode": "adaptive", "max_attempts": 5}))
        return ClientFactory(adaptive, rate_limits=False)
    return ClientFactory(config, rate_limits=mode == "shared")


def run(
    admin: LocalAWSAdmin, mode: str, roles: list[str | None], n: int, rate: float, describe: bool
) -> dict[str, Any]:
    admin.reset_calls()
    clients = factory(mode)
    own_account(clients, REGION)  # as the operator does at start-up: its roles' account is its own
    group = f"g-{mode}-{len(roles)}-{uuid.uuid4().hex[:6]}"
    clients.client("sagemaker", REGION).create_model_package_group(ModelPackageGroupName=group)
    sm = [clients.client("sagemaker", REGION, role) for role in roles]
    for client in sm:  # credentials and connections ready before the clock starts (AssumeRole is not limited)
        client.list_model_package_groups(MaxResults=1)
    admin.reset_calls()
    lock = threading.Lock()
    waits: list[float] = []
    failures = 0

    def register(i: int) -> None:
        nonlocal failures
        client = sm[i % len(sm)]
        started = time.monotonic()
        while True:
            try:
                arn = client.create_model_package(
                    ModelPackageGroupName=group, InferenceSpecification=SPEC, ClientToken=f"{group}-{i}"
                )["ModelPackageArn"]
                if describe:
                    client.describe_model_package(ModelPackageName=arn)
                break
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ThrottlingException":
                    raise
                with lock:
                    failures += 1
                time.sleep(REQUEUE_S)
        with lock:
            waits.append(time.monotonic() - started)

    timeline: list[tuple[int, int]] = []  # (calls, throttled) at each second
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            counts = admin.counters()
            timeline.append((counts["calls"].get(OPERATION, 0), counts["throttled"].get(OPERATION, 0)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(register, range(n)))
    took = time.monotonic() - started
    done.set()
    sampler.join()
    calls = admin.calls().get(OPERATION, 0)
    throttled = admin.throttled().get(OPERATION, 0)
    return {
        "mode": mode,
        "clients": len(roles),
        "seconds": took,
        "ideal": n / rate,
        "calls": calls,
        "throttled": throttled,
        "failures": failures,
        "max_wait": max(waits),
        "p50_wait": statistics.median(waits),
        "timeline": timeline,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--burst", type=float, default=20.0)
    parser.add_argument("--modes", default="standard,adaptive,shared")
    parser.add_argument("--clients", default="1,4", help="how many clients (roles) the calls are spread over")
    parser.add_argument("--timeline", action="store_true", help="print accepted/throttled calls per second")
    parser.add_argument("--describe", action="store_true", help="a DescribeModelPackage after each create")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="registry-limiter-"))
    limits = {OPERATION: {"ratePerSecond": args.rate, "burst": args.burst}}
    aws, endpoint = devstack.start_local_aws(
        work / "local-aws.log", settings={"rateLimits": limits, "packageCompletionSeconds": 0}
    )
    rows = []
    os.environ.update(devstack.LOCAL_AWS_ENV, AWS_ENDPOINT_URL=endpoint)  # what ClientFactory reads
    try:
        admin = LocalAWSAdmin(endpoint)
        for mode in args.modes.split(","):
            for count in (int(c) for c in args.clients.split(",")):
                admin.set_rate_limits(limits)  # every run starts from a full bucket
                row = run(admin, mode, ROLES[:count], args.n, args.rate, args.describe)
                rows.append(row)
                timeline = row.pop("timeline")
                print(row, file=sys.stderr, flush=True)
                if args.timeline:
                    per_second = [
                        f"{c - pc - (t - pt)}/{t - pt}"
                        for (pc, pt), (c, t) in zip([(0, 0), *timeline], timeline, strict=False)
                    ]
                    print("accepted/throttled per second: " + " ".join(per_second), file=sys.stderr)
    finally:
        aws.stop()
    print(
        f"\n{args.n} CreateModelPackage{' + DescribeModelPackage' if args.describe else ''} from {THREADS} "
        f"threads, limit {args.rate:g}/s burst {args.burst:g} (ideal N/rate {args.n / args.rate:.0f} s)\n"
    )
    print(
        "| mode | clients | s to all done (x N/rate) | throttled / calls | failed after retries "
        "| longest call s (median) |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['mode']} | {r['clients']} | {r['seconds']:.1f} ({r['seconds'] / r['ideal']:.2f}) | "
            f"{r['throttled']} / {r['calls']} ({100 * r['throttled'] / max(r['calls'], 1):.0f}%) | "
            f"{r['failures']} | {r['max_wait']:.1f} ({r['p50_wait']:.1f}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
