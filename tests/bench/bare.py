"""The bare controller: the least work any controller must do per ModelVersion, the benchmark's yardstick.

One CreateModelPackage and one status write per version, from as many threads as the operator's
`--max-workers`, with no framework: one list and one watch of one namespace, a thread pool, the
product's own request builder (so the registry sees the same request) and a merge patch of `/status`
with the fields, conditions and observedGeneration the operator's Ready status carries.

It does nothing else a real controller must: no diff against the registry, no retry beyond a few
immediate ones, no adoption, ownership or deletion, no events, no persistence of progress. The
embedded AWS is set so that packages are Completed at creation (`packageCompletionSeconds: 0`), the
same for the operator; a Ready status straight after CreateModelPackage is then true.

With `--requeue` (the benchmark's phase at the AWS rate limit) a version whose registration failed,
after botocore's standard retries, goes back to the queue as a controller-runtime controller's would:
after the delay of client-go's default controller rate limiter, the larger of a per-object exponential
backoff (5 ms doubling per failure, at most 1,000 s) and an overall token bucket (10 per second, burst
100) (k8s.io/client-go/util/workqueue, DefaultControllerRateLimiter).

    python tests/bench/bare.py --kubeconfig K --endpoint URL --namespace NS [--workers 32] [--requeue]

Prints `watching` once the initial list is done and the watch is open; runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
from kubernetes import client, config

from registry_operator.api.common import GROUP, VERSION
from registry_operator.api.model_version import ModelVersionSpec
from registry_operator.aws.session import client_config
from registry_operator.reconcile.package_requests import create_model_package_request

PLURAL = "modelversions"
USER_AGENT = "registry-bench-bare/1"  # the audit log tells its writes apart from the benchmark's own
ATTEMPTS = 3
OWNER_KEY = "modelregistry.io/owner"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ready_status(obj: dict[str, Any], arn: str, group: str, region: str, cluster: str) -> dict[str, Any]:
    """The shape of the operator's Ready status for a new version: the same fields and conditions."""
    meta = obj["metadata"]
    generation = meta["generation"]
    version = int(arn.rsplit("/", 1)[1])
    account = arn.split(":")[4]
    stamp = now()

    def condition(ctype: str, status: str, reason: str, message: str) -> dict[str, Any]:
        return {
            "type": ctype,
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": stamp,
            "observedGeneration": generation,
        }

    return {
        "observedGeneration": generation,
        "conditions": [
            condition("Ready", "True", "Registered", f"{arn} is PendingManualApproval"),
            condition("Reconciling", "False", "ReconcileComplete", ""),
            condition("Stalled", "False", "NotStalled", ""),
        ],
        "modelPackageArn": arn,
        "modelPackageVersion": version,
        "modelPackageGroupName": group,
        "modelPackageGroupArn": f"arn:aws:sagemaker:{region}:{account}:model-package-group/{group}",
        "approvalStatus": "PendingManualApproval",
        "modelPackageStatus": "Completed",
        "region": region,
        "owner": f"{cluster}/{meta['namespace']}/{meta['name']}/{meta['uid']}",
        "lastSyncedTime": stamp,
    }


def is_ready(obj: dict[str, Any]) -> bool:
    status = obj.get("status") or {}
    return status.get("observedGeneration") == obj["metadata"].get("generation") and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
    )


class RequeueDelay:
    """client-go's DefaultControllerRateLimiter: max(ItemExponentialFailureRateLimiter(5 ms, 1000 s),
    BucketRateLimiter(10 qps, burst 100)), written out here since it has no Python counterpart."""

    BASE_S, MAX_S, QPS, BURST = 0.005, 1000.0, 10.0, 100.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._tokens, self._updated = self.BURST, time.monotonic()

    def when(self, uid: str) -> float:
        with self._lock:
            failures = self._failures.get(uid, 0)
            self._failures[uid] = failures + 1
            item = min(self.BASE_S * 2**failures, self.MAX_S)
            now = time.monotonic()
            self._tokens = min(self.BURST, self._tokens + (now - self._updated) * self.QPS)
            self._updated = now
            self._tokens -= 1  # a reservation: a negative balance is a wait
            bucket = max(0.0, -self._tokens / self.QPS)
            return max(item, bucket)


class Bare:
    def __init__(self, args: argparse.Namespace) -> None:
        cfg = client.Configuration()
        config.load_kube_config(config_file=args.kubeconfig, client_configuration=cfg)
        cfg.connection_pool_maxsize = args.workers * 2
        self.api = client.ApiClient(cfg)
        self.api.user_agent = USER_AGENT
        self.custom = client.CustomObjectsApi(self.api)
        self.namespace, self.region, self.prefix = args.namespace, args.region, args.group_prefix
        self.cluster = args.cluster_name
        # The operator's own HTTP settings for boto3: the same pool size for the same number of threads.
        self.sagemaker = boto3.client(
            "sagemaker",
            region_name=args.region,
            endpoint_url=args.endpoint,
            config=client_config(pool_size=args.workers * 2),
        )
        self.pool = ThreadPoolExecutor(args.workers, thread_name_prefix="bare")
        self.taken: set[str] = set()  # uids handed to the pool: one registration per object
        self.failed = 0
        self.stop = threading.Event()
        self.requeue = RequeueDelay() if args.requeue else None
        self.attempts = 1 if args.requeue else ATTEMPTS  # requeued: the queue's backoff retries it

    def offer(self, obj: dict[str, Any]) -> None:
        uid = obj["metadata"]["uid"]
        if uid in self.taken or is_ready(obj) or obj["metadata"].get("deletionTimestamp"):
            return
        self.taken.add(uid)
        self.pool.submit(self.register, obj)

    def register(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        spec = ModelVersionSpec.model_validate(obj["spec"])
        group = self.prefix + obj["spec"]["modelPackageGroupRef"]["name"]
        request = create_model_package_request(spec, group, meta["uid"])
        request["CustomerMetadataProperties"] = {
            OWNER_KEY: f"{self.cluster}/{meta['namespace']}/{meta['name']}/{meta['uid']}"
        }
        for attempt in range(self.attempts):
            try:
                arn = self.sagemaker.create_model_package(**request)["ModelPackageArn"]
                status = ready_status(obj, arn, group, self.region, self.cluster)
                self.custom.patch_namespaced_custom_object_status(
                    GROUP, VERSION, meta["namespace"], PLURAL, meta["name"], {"status": status}
                )
                return
            except Exception as exc:  # the ClientToken makes a repeated create return the same version
                print(f"{meta['name']}: attempt {attempt + 1}: {exc}", file=sys.stderr, flush=True)
        self.failed += 1
        if self.requeue is not None and not self.stop.is_set():
            timer = threading.Timer(self.requeue.when(meta["uid"]), self.pool.submit, (self.register, obj))
            timer.daemon = True
            timer.start()

    def run(self) -> None:
        token, rv = None, ""
        while True:
            page = self.custom.list_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, limit=500, _continue=token
            )
            for obj in page["items"]:
                self.offer(obj)
            token = page["metadata"].get("continue")
            if not token:
                rv = page["metadata"]["resourceVersion"]
                break
        print("watching", flush=True)
        while not self.stop.is_set():
            # Raw lines, parsed with json: the client's model classes would cost more than the work.
            response = self.custom.list_namespaced_custom_object(
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                watch=True,
                resource_version=rv,
                allow_watch_bookmarks=True,
                timeout_seconds=300,
                _preload_content=False,
            )
            try:
                for line in response:
                    event = json.loads(line)
                    obj = event["object"]
                    if event["type"] == "ERROR":
                        raise RuntimeError(f"watch: {obj.get('message')}")
                    rv = obj["metadata"]["resourceVersion"]
                    if event["type"] in ("ADDED", "MODIFIED"):
                        self.offer(obj)
            finally:
                response.release_conn()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--endpoint", required=True, help="the embedded AWS")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--region", default="us-east-2")
    parser.add_argument(
        "--group-prefix", default="", help="SageMaker group = prefix + modelPackageGroupRef.name"
    )
    parser.add_argument("--cluster-name", default="default")
    parser.add_argument(
        "--requeue",
        action="store_true",
        help="requeue a failed registration with client-go's default backoff",
    )
    args = parser.parse_args()
    bare = Bare(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    bare.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
