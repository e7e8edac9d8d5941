"""`make bench`: the figures of docs/contributors/performance.md from one run on the local control plane
and embedded AWS.

Starts a private kube-apiserver+etcd (audit log of writes on) and the embedded AWS, then:

1. the yardstick, for each run (N = 1,000 at 0 and at 100 ms per SageMaker call, and in the full run
   N = 10,000 at 100 ms): the bare controller (`bare.py`: one CreateModelPackage and one status write
   per version, from as many threads as the operator's `--max-workers`, no framework) and then the
   operator, each in a namespace of its own, each timed from the start of the bulk create of N
   ModelVersions (10 groups) to the last Ready. For the operator also: AWS calls and API-server writes
   per version (audit log, events excluded), the same in a steady state afterwards (no resync pass
   falls in the window), its CPU per version and peak RSS (a fresh operator process per run), TCP
   connections to the embedded AWS;
2. AWS alone: 1,000 CreateModelPackage calls from the same number of threads, at each latency;
3. a restart of the operator with the largest namespace's versions all Ready: seconds until idle, AWS
   writes and reads, API writes, peak RSS; then an approval made in the registry (seconds until status
   shows it, ListModelPackages calls per group per resync pass) and a deletionPolicy: Delete sample;
4. at the AWS limit (phase `limit`): N versions (2,000; 1,000 quick) in 10 groups with CreateModelPackage
   limited to 10 per second (burst 20) per account by the embedded AWS, the bare controller with
   botocore's standard retries (a failed registration requeued with client-go's default backoff) and
   then the operator: time to all Ready against the ideal N/rate, throttled attempts as a share of all
   calls, the longest any version waited from its creation to Ready (the targets:
   docs/contributors/performance.md);
5. registry events (`events`): N versions (10,000; 2,000 in the quick run) in 10 groups, then 1,000
   approvals made in the registry with boto3, evenly over 60 s, twice: an operator reading an event queue
   with the resync at 600 s, then (on other versions) an operator with the resync alone at 60 s and no
   queue. Latency is from the return of each UpdateModelPackage to the approval seen on a watch of the
   objects; also ListModelPackages calls, AWS calls, API writes and operator CPU per approval.

Both controllers see the same package lifecycle: `packageCompletionSeconds: 0`, so a package is
Completed when CreateModelPackage returns. Prints one table; figures only, nothing asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import procstat
import sockets
from audit import AuditLog, WriteCounts
from kubebench import Watcher, api_client, create_all, create_namespace
from kubernetes import client

from registry_operator.api.common import GROUP, VERSION
from registry_operator.api.model_version import ModelVersionSpec
from registry_operator.aws.session import client_config
from registry_operator.reconcile.package_requests import create_model_package_request
from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localcluster import cluster

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
REGION = "us-east-2"
GROUPS = 10
OPERATOR_WORKERS = 32  # `registry-operator run --max-workers` default: the operator's concurrent AWS calls
LATENCIES_MS = (0, 100)
# The targets, operator / bare controller over 1,000 versions applied at once in the same run.
APPLY_RATIO_TARGETS = {0: 1.5, 100: 1.2}
CPU_RATIO_TARGET = 2.0
RSS_RATIO_TARGET = 1.15
# Timed runs: no resync pass falls inside a run or its steady-state window.
TIMED_RESYNC = 3600
IMAGE = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.2-1"
WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Add", "Tag", "Untag", "Start", "Stop")


@dataclass(frozen=True)
class Scale:
    runs: tuple[tuple[int, int], ...]  # (ms per SageMaker call, versions applied at once) per yardstick run
    resync: int  # the operator's resyncIntervalSeconds in the restart and approval phase
    steady: float  # seconds of the steady-state window after each operator run
    limit_n: int  # versions applied at once in the phase at the AWS rate limit
    events: int  # versions in the registry events phase


# 10,000 at 100 ms only: at that size the API server sets the pace whatever the AWS latency, and the
# full run stays within its 30 minutes on two cores.
FULL = Scale(runs=((0, 1000), (100, 1000), (100, 10000)), resync=60, steady=30.0, limit_n=2000, events=10000)
QUICK = Scale(runs=((0, 1000), (100, 1000)), resync=15, steady=20.0, limit_n=1000, events=2000)
# The phase at the limit: CreateModelPackage at 10 per second, burst 20, per account (ratelimits.py).
LIMIT_OPERATION = "sagemaker:CreateModelPackage"
LIMIT = {"ratePerSecond": 10.0, "burst": 20.0}


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------- workload


def version_spec(group: str, i: int) -> dict[str, Any]:
    return {
        "modelPackageGroupRef": {"name": group},
        "modelPackageDescription": f"benchmark version {i}",
        "inferenceSpecification": {
            "containers": [{"image": IMAGE, "modelDataUrl": f"s3://bench-models/{i}/model.tar.gz"}],
            "supportedContentTypes": ["text/csv"],
            "supportedResponseMIMETypes": ["text/csv"],
        },
    }


def group_name(g: int) -> str:
    return f"g{g}"


def aws_group(namespace: str, g: int) -> str:
    """Each namespace its own SageMaker groups: a group belongs to the namespace that created it."""
    return f"{namespace}-{group_name(g)}"


def version_name(i: int) -> str:
    return f"v-{i:05d}"


def versions(namespace: str, n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ModelVersion",
            "metadata": {"name": version_name(i), "namespace": namespace},
            "spec": version_spec(group_name(i % GROUPS), i),
        }


def groups(namespace: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ModelPackageGroup",
            "metadata": {"name": group_name(g), "namespace": namespace},
            "spec": {
                "modelPackageGroupName": aws_group(namespace, g),
                "modelPackageGroupDescription": "bench",
            },
        }
        for g in range(GROUPS)
    ]


# ----------------------------------------------------------------------------------------- the stack


class Stack:
    """The private control plane and the embedded AWS; `close()` stops them and any controller left."""

    def __init__(self, work: Path, scale: Scale, profile: Path | None) -> None:
        self.work, self.scale, self.profile = work, scale, profile
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.state_dir = work / "cluster"
        self.aws: devstack.Process | None = None
        self.controller: devstack.Process | None = None  # the operator or the bare controller running now
        self.cluster_up = False
        self._profiler: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        os.environ.pop("KUBECONFIG", None)  # a private cluster: its audit log is what the figures count
        self.info = cluster.up(self.state_dir)
        self.cluster_up = True
        self.audit = AuditLog(self.state_dir / "logs" / "audit.log")
        kubectl = [str(self.info.kubectl), "--kubeconfig", str(self.info.kubeconfig)]
        subprocess.run([*kubectl, "apply", "-f", str(ROOT / "crds")], check=True, capture_output=True)
        subprocess.run(
            [*kubectl, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"],
            check=True,
            capture_output=True,
        )
        self.aws, self.endpoint = devstack.start_local_aws(self.logs / "local-aws.log")
        self.aws_port = int(self.endpoint.rsplit(":", 1)[1])
        self.admin = LocalAWSAdmin(self.endpoint)
        # The same package lifecycle for both controllers: Completed when CreateModelPackage returns.
        self.admin.set_settings(packageCompletionSeconds=0)
        self.api = api_client(self.info.kubeconfig)
        self.sagemaker = boto3.client(
            "sagemaker",
            region_name=REGION,
            endpoint_url=self.endpoint,
            config=client_config(pool_size=OPERATOR_WORKERS * 2),
            aws_access_key_id=devstack.LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=devstack.LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=devstack.LOCAL_AWS_ENV["AWS_SESSION_TOKEN"],
        )

    def set_latency(self, ms: int) -> None:
        if ms:
            self.admin.set_faults([{"operation": "sagemaker:*", "rate": 0.0, "latencyMs": ms}])
        else:
            self.admin.clear_faults()

    def start_operator(
        self,
        name: str,
        namespaces: list[str],
        resync: int,
        extra: list[str] | None = None,
        queue_url: str | None = None,
    ) -> devstack.Process:
        config = self.work / f"operator-resync-{resync}{'-events' if queue_url else ''}.yaml"
        config.write_text(
            f"defaultRegion: {REGION}\nresyncIntervalSeconds: {resync}\n"
            + (f"eventQueues:\n  - queueUrl: {queue_url}\n" if queue_url else "")
        )
        args = ["--config", str(config), "--max-workers", str(OPERATOR_WORKERS), *(extra or [])]
        for ns in namespaces:
            args += ["--namespace", ns]
        self.controller = devstack.start_operator(
            self.info.kubeconfig, self.endpoint, self.logs / f"{name}.log", args
        )
        return self.controller

    def start_bare(self, namespace: str, requeue: bool = False) -> devstack.Process:
        log_path = self.logs / f"bare-{namespace}.log"
        out = open(log_path, "ab")  # noqa: SIM115 (lives as long as the process)
        args = [
            *(sys.executable, str(BENCH / "bare.py"), "--kubeconfig", str(self.info.kubeconfig)),
            *("--endpoint", self.endpoint, "--namespace", namespace, "--workers", str(OPERATOR_WORKERS)),
            *("--group-prefix", f"{namespace}-", "--region", REGION),
            *(["--requeue"] if requeue else []),
        ]
        env = {**os.environ, **devstack.LOCAL_AWS_ENV}
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.controller = devstack.Process("bare", proc, log_path, out)
        deadline = time.monotonic() + 60
        while "watching" not in log_path.read_text(errors="replace"):
            if not self.controller.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the bare controller did not start:\n{self.controller.tail()}")
            time.sleep(0.1)
        return self.controller

    def stop_controller(self) -> None:
        if self.controller is not None:
            self.controller.stop(timeout=60)
            self.controller = None

    def pids(self) -> dict[str, int]:
        state = json.loads((self.state_dir / "cluster.json").read_text())
        pids = {"kube-apiserver": state["apiserver"]["pid"], "etcd": state["etcd"]["pid"]}
        if self.controller is not None and self.controller.alive():
            pids[self.controller.name] = self.controller.proc.pid
        if self.aws is not None:
            pids["embedded AWS"] = self.aws.proc.pid
        pids["benchmark"] = os.getpid()
        return pids

    def cpu(self) -> dict[str, float]:
        """CPU seconds each process of the run has used so far (the system-level profile)."""
        return {name: procstat.cpu_seconds(pid) for name, pid in self.pids().items()}

    def profile_start(self, phase: str) -> None:
        """With --profile: sample the operator with py-spy (all threads) until profile_stop()."""
        if self.profile is None or self.controller is None or self.controller.name != "operator":
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.profile.mkdir(parents=True, exist_ok=True)
        self._profiler = subprocess.Popen(
            [
                *(spy, "record", "--pid", str(self.controller.proc.pid), "--rate", "200", "--gil"),
                *("--format", "raw", "--output", str(self.profile / f"{phase}.txt"), "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def profile_stop(self) -> None:
        if self._profiler is not None:
            self._profiler.send_signal(signal.SIGINT)
            self._profiler.wait(60)
            self._profiler = None

    def close(self) -> None:
        self.profile_stop()
        self.stop_controller()
        if self.aws is not None:
            self.aws.stop()
        if self.cluster_up:
            cluster.down(self.state_dir)


# ----------------------------------------------------------------------------------------- results


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def add(self, figure: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append(Row(figure, value, target, met))


@dataclass
class Run:
    """One timed run of one controller over n versions at one latency."""

    controller: str
    namespace: str
    n: int
    latency_ms: int
    apply_seconds: float = 0.0
    ready_seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU s by process, apply start to quiet
    quiet_seconds: float = 0.0  # apply start until the last write of the run
    writes: WriteCounts = field(default_factory=WriteCounts)
    aws_calls: dict[str, int] = field(default_factory=dict)  # all calls the embedded AWS received
    object_calls: dict[str, int] = field(default_factory=dict)  # those made for this namespace's objects
    connections: int = 0  # TCP connections the embedded AWS accepted meanwhile
    time_wait: int = 0  # sockets in TIME-WAIT on its port at the end
    in_registry: int = 0
    status_bytes: int = 0
    steady_writes: WriteCounts | None = None
    steady_calls: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: float = 0.0

    @property
    def creates(self) -> int:
        return self.aws_calls.get("sagemaker:CreateModelPackage", 0)

    def to_json(self) -> dict[str, Any]:
        raw = {k: v for k, v in vars(self).items() if not isinstance(v, WriteCounts | type(None))}
        raw["api_writes"] = dict(self.writes.by_kind)
        raw["api_writes_failed"] = self.writes.failed
        raw["events"] = self.writes.events
        if self.steady_writes is not None:
            raw["steady_api_writes"] = dict(self.steady_writes.by_kind)
        return raw


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def cpu_delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: sec - before.get(name, 0.0) for name, sec in after.items()}


def aws_split(calls: dict[str, int]) -> tuple[int, int]:
    writes = sum(n for op, n in calls.items() if op.split(":", 1)[1].startswith(WRITE_PREFIXES))
    return writes, sum(calls.values()) - writes


def describe_calls(calls: dict[str, int], per: int = 1) -> str:
    shown = (
        f"{op.split(':', 1)[1]} {n / per:.2f}" if per > 1 else f"{op.split(':', 1)[1]} {n}"
        for op, n in sorted(calls.items())
    )
    return ", ".join(shown) or "none"


def describe_writes(w: WriteCounts, per: int) -> str:
    parts = [f"{kind} {n / per:.2f}" for kind, n in sorted(w.by_kind.items())]
    if w.failed:
        parts.append(f"of which refused {w.failed / per:.2f}")
    return ", ".join(parts) or "none"


def describe_cpu(cpu: dict[str, float], wall: float) -> str:
    parts = [f"{name} {sec:.1f}" for name, sec in sorted(cpu.items(), key=lambda kv: -kv[1]) if sec >= 0.05]
    return f"{', '.join(parts)} (of {2 * wall:.0f} core-s)"


def registry_count(stack: Stack, namespace: str) -> int:
    total = 0
    paginator = stack.sagemaker.get_paginator("list_model_packages")
    for g in range(GROUPS):
        for page in paginator.paginate(ModelPackageGroupName=aws_group(namespace, g)):
            total += len(page["ModelPackageSummaryList"])
    return total


# ----------------------------------------------------------------------------------------- the yardstick


def timed_apply(stack: Stack, run: Run, watcher: Watcher) -> None:
    """Create run.n versions at once, wait for all Ready and for the controller's writes to stop; fills
    in times, CPU, writes, AWS calls and connections of `run`."""
    ns, n = run.namespace, run.n
    calls0, objects0 = stack.admin.calls(), stack.admin.calls(f"{ns}/")
    conns0 = stack.admin.connections()["accepted"]  # counts itself; the closing read below does too
    offset = stack.audit.offset()
    cpu0 = stack.cpu()
    stack.profile_start(f"apply-{run.latency_ms}ms-{n}")
    started = time.monotonic()
    run.apply_seconds = create_all(stack.api, "modelversions", versions(ns, n))
    log(f"{run.controller}: created {n} ModelVersions in {run.apply_seconds:.1f} s; waiting for Ready")
    watcher.wait(lambda w: len(w.ready) >= n, max(600.0, n * 0.3), f"{n} ModelVersions Ready in {ns}")
    run.ready_seconds = time.monotonic() - started
    stack.profile_stop()
    log(f"{run.controller}: {n} Ready {run.ready_seconds:.1f} s after the create started")
    stack.audit.wait_quiet(offset, ns)
    run.quiet_seconds = time.monotonic() - started
    run.cpu = cpu_delta(stack.cpu(), cpu0)
    run.connections = stack.admin.connections()["accepted"] - conns0 - 1  # less this request's own
    run.writes = stack.audit.count(offset, ns)
    run.aws_calls = delta(stack.admin.calls(), calls0)
    run.object_calls = delta(stack.admin.calls(f"{ns}/"), objects0)
    run.time_wait = sockets.time_wait(stack.aws_port)
    run.in_registry = registry_count(stack, ns)
    obj = client.CustomObjectsApi(stack.api).get_namespaced_custom_object(
        GROUP, VERSION, ns, "modelversions", version_name(0)
    )
    run.status_bytes = len(json.dumps(obj.get("status") or {}, separators=(",", ":")))


def run_bare(stack: Stack, n: int, latency_ms: int) -> Run:
    ns = f"bare-{latency_ms}ms-{n}"
    run = Run("bare controller", ns, n, latency_ms)
    create_namespace(stack.api, ns)
    for g in range(GROUPS):
        stack.sagemaker.create_model_package_group(ModelPackageGroupName=aws_group(ns, g))
    process = stack.start_bare(ns)
    watcher = Watcher(stack.api, ns, "modelversions")
    try:
        timed_apply(stack, run, watcher)
        run.peak_rss_mb = procstat.status_kb(process.proc.pid, "VmHWM") / 1024
    finally:
        watcher.stop()
        stack.stop_controller()
    return run


def groups_ready(stack: Stack, ns: str, operator: Any, started: float) -> None:
    """The namespace's groups applied and Ready, and the operator idle again, before versions are timed."""
    group_watcher = Watcher(stack.api, ns, "modelpackagegroups")
    create_all(stack.api, "modelpackagegroups", groups(ns))
    group_watcher.wait(lambda w: len(w.ready) >= GROUPS, 180, f"{GROUPS} groups Ready in {ns}")
    group_watcher.stop()
    procstat.wait_idle(operator.proc.pid, started, quiet=3.0)


def run_operator(stack: Stack, n: int, latency_ms: int, steady: float) -> Run:
    ns = f"op-{latency_ms}ms-{n}"
    run = Run("operator", ns, n, latency_ms)
    create_namespace(stack.api, ns)
    process = stack.start_operator(f"operator-{ns}", [ns], TIMED_RESYNC)
    started = time.monotonic()
    try:
        groups_ready(stack, ns, process, started)
        watcher = Watcher(stack.api, ns, "modelversions")
        try:
            timed_apply(stack, run, watcher)
        finally:
            watcher.stop()
        # The steady state: everything Ready, no resync pass due (TIMED_RESYNC), nothing changing.
        offset, objects0 = stack.audit.offset(), stack.admin.calls(f"{ns}/")
        time.sleep(steady)
        run.steady_writes = stack.audit.count(offset, ns)
        run.steady_calls = delta(stack.admin.calls(f"{ns}/"), objects0)
        run.peak_rss_mb = procstat.status_kb(process.proc.pid, "VmHWM") / 1024
    finally:
        stack.stop_controller()
    return run


def aws_alone(stack: Stack, n: int, latency_ms: int) -> tuple[float, int]:
    """Seconds for n CreateModelPackage calls from OPERATOR_WORKERS threads, and the TCP connections the
    embedded AWS accepted for them."""
    group = f"aws-alone-{latency_ms}ms-{n}"
    stack.sagemaker.create_model_package_group(ModelPackageGroupName=group)
    requests = [
        create_model_package_request(
            ModelVersionSpec.model_validate(version_spec("unused", i)), group, str(uuid.uuid4())
        )
        for i in range(n)
    ]
    conns0 = stack.admin.connections()["accepted"]
    started = time.monotonic()
    with ThreadPoolExecutor(OPERATOR_WORKERS) as pool:
        list(pool.map(lambda r: stack.sagemaker.create_model_package(**r), requests))
    took = time.monotonic() - started
    return took, stack.admin.connections()["accepted"] - conns0 - 1  # less this request's own


def phase_yardstick(stack: Stack, res: Results) -> None:
    runs: list[tuple[Run, Run]] = []
    alone: dict[tuple[int, int], tuple[float, int]] = {}
    for latency, n in stack.scale.runs:
        stack.set_latency(latency)
        log(f"yardstick: {n} versions at {latency} ms per SageMaker call: the bare controller")
        bare = run_bare(stack, n, latency)
        log(f"yardstick: {n} versions at {latency} ms: the operator")
        op = run_operator(stack, n, latency, stack.scale.steady)
        runs.append((bare, op))
        log(
            f"yardstick: {n} at {latency} ms: operator {op.ready_seconds:.1f} s, "
            f"bare {bare.ready_seconds:.1f} s"
        )
        if not any(lat == latency for lat, _ in alone):
            alone[(latency, 1000)] = aws_alone(stack, 1000, latency)
    stack.set_latency(0)
    res.raw["yardstick"] = [{"bare": b.to_json(), "operator": o.to_json()} for b, o in runs]
    res.raw["aws_alone"] = {f"{lat}ms-{n}": v for (lat, n), v in alone.items()}

    res.add("**the yardstick: apply of N versions (10 groups) to the last Ready**", "")
    for bare, op in runs:
        n, lat = op.n, op.latency_ms
        ratio = op.ready_seconds / bare.ready_seconds
        target = APPLY_RATIO_TARGETS.get(lat) if n == 1000 else None
        res.add(
            f"N = {n:,}, {lat} ms per SageMaker call: operator / bare controller",
            f"{ratio:.2f} ({op.ready_seconds:.1f} s / {bare.ready_seconds:.1f} s)",
            f"<= {target}" if target else "",
            ratio <= target if target else None,
        )
        res.add(
            "  creating the N objects in the API server (8 client threads): s, operator run / bare run",
            f"{op.apply_seconds:.1f} / {bare.apply_seconds:.1f}",
        )
        res.add("  CPU s by process, operator run (apply to quiet)", describe_cpu(op.cpu, op.quiet_seconds))
        res.add("  CPU s by process, bare run", describe_cpu(bare.cpu, bare.quiet_seconds))
    res.add("**per version, operator (bare controller)**", "")
    for bare, op in runs:
        n, lat = op.n, op.latency_ms
        res.add(
            f"N = {n:,}, {lat} ms: CreateModelPackage per version",
            f"{op.creates / n:.3f} ({op.creates} for {n}; {op.in_registry} in the registry) "
            f"({bare.creates / n:.3f}; {bare.in_registry})",
            "exactly 1",
            op.creates == n and op.in_registry == n,
        )
        others = {k: v for k, v in op.object_calls.items() if k != "sagemaker:CreateModelPackage"}
        res.add("  other AWS calls per version", describe_calls(others, n))
        per = op.writes.total / n
        res.add(
            "  API-server writes per version, apply to Ready (events excluded)",
            f"{per:.2f} ({describe_writes(op.writes, n)}) ({bare.writes.total / n:.2f})",
            "1.00",
            op.writes.total == n,
        )
        res.add("  Kubernetes Events per version (excluded above)", f"{op.writes.events / n:.2f}")
        if op.steady_writes is not None:
            calls = sum(op.steady_calls.values())
            res.add(
                f"  steady state ({stack.scale.steady:.0f} s, no resync pass): AWS calls, API writes "
                "per version",
                f"{calls / n:.3f}, {op.steady_writes.total / n:.3f} "
                f"({calls} calls, {op.steady_writes.total} writes)",
                "0, 0",
                calls == 0 and op.steady_writes.total == 0,
            )
        cpu_ms = 1000 * op.cpu.get("operator", 0.0) / n
        bare_cpu_ms = 1000 * bare.cpu.get("bare", 0.0) / n
        cpu_ratio = cpu_ms / bare_cpu_ms if bare_cpu_ms else float("inf")
        rated = n == 1000  # the ratio targets are for 1,000 versions applied at once
        res.add(
            "  operator CPU per version: operator / bare controller (ms, ms)",
            f"{cpu_ratio:.2f} ({cpu_ms:.1f} / {bare_cpu_ms:.1f})",
            f"<= {CPU_RATIO_TARGET}" if rated else "",
            cpu_ratio <= CPU_RATIO_TARGET if rated else None,
        )
        rss_ratio = op.peak_rss_mb / bare.peak_rss_mb if bare.peak_rss_mb else float("inf")
        res.add(
            f"  peak RSS with {n:,} versions: operator / bare controller (MB, MB)",
            f"{rss_ratio:.2f} ({op.peak_rss_mb:.0f} / {bare.peak_rss_mb:.0f})",
            f"<= {RSS_RATIO_TARGET}" if rated else "",
            rss_ratio <= RSS_RATIO_TARGET if rated else None,
        )
        calls_total = sum(op.aws_calls.values())
        res.add(
            "  TCP connections to the embedded AWS per 1,000 AWS calls; TIME-WAIT sockets at the end",
            f"{1000 * op.connections / max(calls_total, 1):.1f} ({op.connections} for {calls_total} calls); "
            f"{op.time_wait} "
            f"(bare {1000 * bare.connections / max(sum(bare.aws_calls.values()), 1):.1f}; {bare.time_wait})",
        )
        res.add(
            "  Ready status size: bytes of JSON (bare controller)", f"{op.status_bytes} ({bare.status_bytes})"
        )
    for (lat, n), (took, conns) in alone.items():
        res.add(
            f"AWS alone: {n:,} CreateModelPackage from {OPERATOR_WORKERS} threads at {lat} ms: s; "
            "TCP connections per 1,000 calls",
            f"{took:.1f}; {1000 * conns / n:.1f} ({conns} for {n})",
        )


# ----------------------------------------------------------------------------------------- restart, approval


DELETE_NAMESPACE = "bench-delete"
DELETE_SAMPLE = 20


def observe_passes(stack: Stack, passes: int, timeout: float) -> list[int]:
    """ListModelPackages calls of each of the next `passes` resync passes (a pass: calls within 2 s)."""
    bursts: list[int] = []
    last = stack.admin.calls().get("sagemaker:ListModelPackages", 0)
    deadline = time.monotonic() + timeout
    last_change, in_burst, burst_start = time.monotonic(), False, last
    while time.monotonic() < deadline and len(bursts) < passes:
        time.sleep(0.2)
        now_count = stack.admin.calls().get("sagemaker:ListModelPackages", 0)
        if now_count != last:
            if not in_burst:
                in_burst, burst_start = True, last
            last, last_change = now_count, time.monotonic()
        elif in_burst and time.monotonic() - last_change > 2.0:
            bursts.append(last - burst_start)
            in_burst = False
    return bursts


def phase_restart(
    stack: Stack, res: Results, ns: str, total: int, fallback: tuple[str, int] | None = None
) -> None:
    """A fresh operator over a namespace whose `total` versions are all Ready (the timed runs' operator
    has stopped): what a restart costs, then approvals and a deletionPolicy: Delete sample (over
    `fallback`, a smaller namespace, if the operator could not start on this one)."""
    create_namespace(stack.api, DELETE_NAMESPACE)
    calls0 = stack.admin.calls()
    offset = stack.audit.offset()
    cpu0 = {k: v for k, v in stack.cpu().items()}
    started = time.monotonic()
    log(f"restart: an operator over {total} Ready versions in {ns}, resync every {stack.scale.resync} s")
    operator = stack.start_operator("operator-restarted", [ns, DELETE_NAMESPACE], stack.scale.resync)
    stack.profile_start("restart")
    idle = procstat.wait_idle(operator.proc.pid, started)
    stack.profile_stop()
    # An operator that stopped (a failed initial listing ends kopf) uses no CPU either: say which.
    exited = operator.proc.poll() is not None
    log(
        f"restarted operator {'exited' if exited else 'idle'} after {idle.seconds:.1f} s "
        f"({idle.cpu_seconds:.1f} s CPU)"
    )
    calls = delta(stack.admin.calls(), calls0)
    cpu = cpu_delta(stack.cpu(), cpu0)
    cpu.pop("operator", None)
    cpu["operator"] = idle.cpu_seconds
    writes = stack.audit.count(offset, ns)
    group_writes = stack.audit.count(offset, ns, "modelpackagegroups")
    hwm = procstat.status_kb(operator.proc.pid, "VmHWM") / 1024
    aws_writes, aws_reads = aws_split(calls)
    pages = -(-total // (GROUPS * 100))
    per_version_reads = calls.get("sagemaker:DescribeModelPackage", 0)
    res.raw["restart"] = {
        "versions": total,
        "seconds": idle.seconds,
        "cpu_seconds": idle.cpu_seconds,
        "aws_calls": calls,
        "api_writes": dict(writes.by_kind),
        "api_writes_groups": dict(group_writes.by_kind),
        "peak_rss_mb": hwm,
        "cpu": cpu,
    }
    res.add("**restart, registry changes, deletion (0 ms)**", "")
    res.raw["restart"]["exited"] = exited
    res.add(
        f"restart with {total:,} Ready ModelVersions: s until the operator is idle",
        f"{idle.seconds:.1f} ({idle.cpu_seconds:.1f} s operator CPU)"
        + (f"; it EXITED meanwhile: {last_error(operator)}" if exited else ""),
    )
    res.add("  CPU s used until idle, by process", describe_cpu(cpu, idle.seconds))
    res.add("  AWS writes during restart", str(aws_writes), "0", aws_writes == 0)
    res.add(
        f"  AWS reads during restart ({GROUPS} groups)",
        f"{aws_reads} ({describe_calls(calls)})",
        f"proportional to groups ({GROUPS})",
        # a Describe and a ListTags per group, a resync pass's List pages, one GetCallerIdentity
        per_version_reads == 0 and aws_reads <= GROUPS * (2 + pages) + 1,
    )
    res.add("  API-server writes during restart (versions, groups)", f"{writes.total}, {group_writes.total}")
    res.add(f"  operator peak RSS during restart with {total:,}: MB", f"{hwm:.0f}")
    if exited and fallback is not None:
        # The approval and deletion figures from a namespace the operator can start on.
        stack.stop_controller()
        ns, total = fallback
        log(f"the restarted operator exited; approval and deletion over {ns} ({total} versions) instead")
        started = time.monotonic()
        operator = stack.start_operator("operator-fallback", [ns, DELETE_NAMESPACE], stack.scale.resync)
        procstat.wait_idle(operator.proc.pid, started)
    elif exited:
        res.add("registry approval, resync passes, deletionPolicy: Delete", "not run: the operator exited")
        stack.stop_controller()
        return
    try:
        phase_approval(stack, res, ns, total)
        phase_delete_policy(stack, res)
    finally:
        stack.stop_controller()


def last_error(process: devstack.Process) -> str:
    """The operator's first ERROR line, shortened: why it stopped (those after it are the shutdown's)."""
    errors = [line for line in process.log.read_text(errors="replace").splitlines() if "[ERROR" in line]
    return errors[0].split("] ", 2)[-1][:200] if errors else "no error logged"


def phase_approval(stack: Stack, res: Results, ns: str, total: int) -> None:
    interval = stack.scale.resync
    watcher = Watcher(stack.api, ns, "modelversions")
    try:
        custom = client.CustomObjectsApi(stack.api)
        names = [version_name(g) for g in range(GROUPS)]  # one version in each group
        arns = [
            custom.get_namespaced_custom_object(GROUP, VERSION, ns, "modelversions", name)["status"][
                "modelPackageArn"
            ]
            for name in names
        ]
        log(f"approving {len(arns)} versions in the registry; resync interval {interval} s")
        approved_at = time.monotonic()
        for arn in arns:
            stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        watcher.wait(
            lambda w: all(w.approval.get(n, (None, 0))[0] == "Approved" for n in names),
            interval * 3 + 60,
            "registry approvals in status",
        )
        latencies = sorted(watcher.approval[n][1] - approved_at for n in names)
    finally:
        watcher.stop()
    log(f"approvals visible after {latencies[0]:.1f} .. {latencies[-1]:.1f} s; watching resync passes")
    bursts = observe_passes(stack, passes=2, timeout=interval * 3 + 30)
    per_group_versions = total // GROUPS
    pages = -(-per_group_versions // 100)  # SageMaker's ListModelPackages returns at most 100 a page
    res.raw["approval"] = {"latencies": latencies, "list_calls_per_pass": bursts, "interval": interval}
    res.add(
        f"registry approval to status.approvalStatus: s (resync interval {interval} s)",
        f"{latencies[-1]:.1f} (slowest of {len(names)}; fastest {latencies[0]:.1f})",
        f"<= {interval}",
        latencies[-1] <= interval,
    )
    per_group = [b / GROUPS for b in bursts]
    res.add(
        f"ListModelPackages calls per group per resync pass ({per_group_versions:,} versions a group)",
        f"{max(per_group):.2f} ({len(bursts)} passes, List calls in each: {', '.join(map(str, bursts))})"
        if per_group
        else "no resync pass seen",
        f"{pages} (pages of 100)",
        bool(per_group) and max(per_group) == pages,
    )


def phase_delete_policy(stack: Stack, res: Results) -> None:
    """A small sample with deletionPolicy: Delete, the one case that holds a finalizer: its writes
    from apply to Ready, then deleting them (DeleteModelPackage, the finalizer's release)."""
    n, ns = DELETE_SAMPLE, DELETE_NAMESPACE
    group_watcher = Watcher(stack.api, ns, "modelpackagegroups")
    create_all(stack.api, "modelpackagegroups", groups(ns)[:1])
    group_watcher.wait(lambda w: len(w.ready) >= 1, 120, "the Delete sample's group Ready")
    group_watcher.stop()
    watcher = Watcher(stack.api, ns, "modelversions")
    docs = []
    for i in range(n):
        spec = version_spec(group_name(0), 100000 + i)
        spec["deletionPolicy"] = "Delete"
        docs.append(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "ModelVersion",
                "metadata": {"name": f"d-{i:05d}", "namespace": ns},
                "spec": spec,
            }
        )
    calls0 = stack.admin.calls(f"{ns}/")
    offset = stack.audit.offset()
    create_all(stack.api, "modelversions", docs)
    watcher.wait(lambda w: len(w.ready) >= n, 120, f"{n} Delete-policy versions Ready")
    stack.audit.wait_quiet(offset, ns)
    writes = stack.audit.count(offset, ns)
    offset = stack.audit.offset()
    custom = client.CustomObjectsApi(stack.api)
    for doc in docs:
        custom.delete_namespaced_custom_object(GROUP, VERSION, ns, "modelversions", doc["metadata"]["name"])
    watcher.wait(lambda w: not w.approval, 120, "Delete-policy versions gone")
    stack.audit.wait_quiet(offset, ns)
    deletion = stack.audit.count(offset, ns)
    watcher.stop()
    calls = delta(stack.admin.calls(f"{ns}/"), calls0)
    res.raw["delete_policy"] = {
        "versions": n,
        "api_writes": dict(writes.by_kind),
        "deletion_api_writes": dict(deletion.by_kind),
        "aws_calls": calls,
    }
    res.add(
        f"deletionPolicy: Delete ({n} versions): API writes per version, apply to Ready",
        f"{writes.total / n:.2f} ({describe_writes(writes, n)})",
    )
    res.add(
        "  ... and deleting them: API writes, DeleteModelPackage calls per version",
        f"{deletion.total / n:.2f} ({describe_writes(deletion, n)}), "
        f"{calls.get('sagemaker:DeleteModelPackage', 0) / n:.2f}",
    )


# ----------------------------------------------------------------------------------------- at the limit


@dataclass
class LimitRun:
    """One controller registering n versions against CreateModelPackage's rate limit."""

    controller: str
    n: int
    rate: float
    seconds: float  # from the start of the create to the last Ready, or to the deadline
    ready: int
    calls: dict[str, int]  # AWS calls the embedded AWS received meanwhile, throttled ones included
    throttled: dict[str, int]  # those it refused over the rate limit
    waits: dict[str, float]  # per version: created to Ready (to the deadline when never Ready)
    failed_registrations: int  # registrations that failed after botocore's retries (retried later)
    in_registry: int = 0
    limiter: dict[str, float] = field(default_factory=dict)  # the operator's own wait metrics

    @property
    def ideal(self) -> float:
        return self.n / self.rate

    @property
    def attempts(self) -> int:
        return self.calls.get(LIMIT_OPERATION, 0)

    @property
    def throttled_attempts(self) -> int:
        return self.throttled.get(LIMIT_OPERATION, 0)

    def to_json(self) -> dict[str, Any]:
        raw = {k: v for k, v in vars(self).items() if k != "waits"}
        waits = sorted(self.waits.values())
        raw["wait_p50"], raw["wait_max"] = waits[len(waits) // 2], waits[-1]
        return raw


def timed_at_limit(stack: Stack, controller: str, ns: str, n: int, watcher: Watcher) -> LimitRun:
    """Create n versions with CreateModelPackage limited (a full bucket, as after a quiet spell) and wait
    until all are Ready or 4 x N/rate has passed."""
    rate = float(LIMIT["ratePerSecond"])
    stack.admin.set_rate_limits({LIMIT_OPERATION: LIMIT})
    before = stack.admin.counters()
    created: dict[str, float] = {}
    started = time.monotonic()
    create_all(stack.api, "modelversions", versions(ns, n), created)
    log(f"{controller} at the limit: created {n} ModelVersions in {time.monotonic() - started:.1f} s")
    deadline = max(600.0, 4 * n / rate)
    try:
        watcher.wait(lambda w: len(w.ready) >= n, deadline - (time.monotonic() - started), "all Ready")
        seconds = max(watcher.ready_at.values()) - started
    except TimeoutError:
        seconds = time.monotonic() - started
        log(f"{controller} at the limit: {len(watcher.ready)} of {n} Ready after {seconds:.0f} s; stopped")
    end = started + seconds
    after = stack.admin.counters()
    stack.admin.set_rate_limits({})
    waits = {name: watcher.ready_at.get(name, end) - at for name, at in created.items()}
    return LimitRun(
        controller,
        n,
        rate,
        seconds,
        len(watcher.ready),
        delta(after["calls"], before["calls"]),
        delta(after.get("throttled", {}), before.get("throttled", {})),
        waits,
        0,
    )


def run_bare_at_limit(stack: Stack, n: int) -> LimitRun:
    ns = f"limit-bare-{n}"
    create_namespace(stack.api, ns)
    for g in range(GROUPS):
        stack.sagemaker.create_model_package_group(ModelPackageGroupName=aws_group(ns, g))
    process = stack.start_bare(ns, requeue=True)
    watcher = Watcher(stack.api, ns, "modelversions")
    try:
        run = timed_at_limit(stack, "bare controller", ns, n, watcher)
    finally:
        watcher.stop()
        stack.stop_controller()
    # bare.py prints one line per registration that failed after botocore's retries (then requeued)
    run.failed_registrations = process.log.read_text(errors="replace").count(": attempt 1: ")
    run.in_registry = registry_count(stack, ns)
    return run


def _scrape(port: int) -> dict[str, float]:
    """The operator's rate-limiter and throttling figures for CreateModelPackage, from its /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    wanted = {"service": "sagemaker", "operation": LIMIT_OPERATION.split(":", 1)[1]}
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if all(sample.labels.get(k) == v for k, v in wanted.items()):
                key = sample.name + ("" if "le" not in sample.labels else f"{{le={sample.labels['le']}}}")
                if "category" in sample.labels:
                    key += f"{{{sample.labels['category']}}}"
                found[key] = found.get(key, 0.0) + sample.value
    return found


def run_operator_at_limit(stack: Stack, n: int) -> LimitRun:
    ns = f"limit-op-{n}"
    create_namespace(stack.api, ns)
    port = devstack.free_port()
    process = stack.start_operator(f"operator-{ns}", [ns], TIMED_RESYNC, ["--metrics-port", str(port)])
    started = time.monotonic()
    try:
        groups_ready(stack, ns, process, started)
        offset = process.log.stat().st_size
        watcher = Watcher(stack.api, ns, "modelversions")
        try:
            run = timed_at_limit(stack, "operator", ns, n, watcher)
        finally:
            watcher.stop()
        run.limiter = _scrape(port)
        with process.log.open("rb") as f:
            f.seek(offset)
            # kopf's line for a reconcile that ended Throttled and will be retried
            run.failed_registrations = sum(
                1 for line in f if b"failed temporarily" in line and b"Throttl" in line
            )
    finally:
        stack.stop_controller()
    run.in_registry = registry_count(stack, ns)
    return run


def phase_limit(stack: Stack, res: Results, n: int) -> None:
    stack.set_latency(0)
    rate, burst = LIMIT["ratePerSecond"], LIMIT["burst"]
    log(f"at the limit: {n} versions, {LIMIT_OPERATION} at {rate:g}/s (burst {burst:g}): the bare controller")
    bare = run_bare_at_limit(stack, n)
    log(f"at the limit: bare controller {bare.seconds:.1f} s; the operator")
    op = run_operator_at_limit(stack, n)
    log(f"at the limit: operator {op.seconds:.1f} s")
    res.raw["limit"] = {"bare": bare.to_json(), "operator": op.to_json()}
    ideal = n / rate
    res.add(
        f"**at the AWS limit: N = {n:,} versions (10 groups), CreateModelPackage limited to {rate:g} per "
        f"second (burst {burst:g}) per account; ideal N/rate = {ideal:.0f} s**",
        "",
    )
    for run in (op, bare):
        who = "operator" if run is op else "bare controller (botocore standard retries, requeue)"
        all_ready = run.ready == run.n
        ratio = run.seconds / ideal
        res.add(
            f"{who}: apply to all Ready: s (x N/rate)",
            f"{run.seconds:.1f} ({ratio:.2f})"
            if all_ready
            else f"{run.ready:,} of {run.n:,} Ready after {run.seconds:.0f} s ({ratio:.2f})",
            "<= 1.15 x N/rate",
            all_ready and ratio <= 1.15,
        )
        share = run.throttled_attempts / max(run.attempts, 1)
        all_calls = sum(run.calls.values())
        res.add(
            f"{who}: throttled CreateModelPackage attempts, share of its attempts (of all AWS calls)",
            f"{100 * share:.1f}% ({run.throttled_attempts:,} of {run.attempts:,}; "
            f"{100 * sum(run.throttled.values()) / max(all_calls, 1):.1f}% of {all_calls:,} calls)",
            "<= 10%",
            share <= 0.10,
        )
        longest = max(run.waits.values())
        waits = sorted(run.waits.values())
        res.add(
            f"{who}: longest a version waited, created to Ready: s (x N/rate; median)",
            f"{longest:.1f} ({longest / ideal:.2f}; {waits[len(waits) // 2]:.1f})",
            "<= 2 x N/rate",
            all_ready and longest <= 2 * ideal,
        )
        res.add(
            f"  {who}: CreateModelPackage attempts per version; in the registry; registrations failed "
            "after botocore's retries (retried later)",
            f"{run.attempts / run.n:.2f}; {run.in_registry:,}; {run.failed_registrations:,}",
        )
    wait_count = op.limiter.get("registry_operator_aws_rate_limit_wait_seconds_count", 0.0)
    if wait_count:
        wait_sum = op.limiter.get("registry_operator_aws_rate_limit_wait_seconds_sum", 0.0)
        errors = op.limiter.get("registry_operator_aws_errors_total{Throttled}", 0.0)
        deferred = op.limiter.get("registry_operator_aws_rate_limit_deferred_total", 0.0)
        res.add(
            "  operator's metrics: calls paced by its limiter, mean wait s; deferred; throttled attempts "
            "counted; calls failed Throttled after retries",
            f"{wait_count:,.0f}, {wait_sum / wait_count:.2f}; {deferred:,.0f}; "
            f"{op.limiter.get('registry_operator_aws_throttled_requests_total', 0.0):,.0f}; {errors:,.0f}",
        )


# ----------------------------------------------------------------------------------------- registry events

EVENT_APPROVALS = 1000
EVENT_SPREAD_S = 60.0
EVENTS_RESYNC = 600  # with a queue the resync is the safety net only (the default with eventQueues)
RESYNC_ALONE = 60  # without one: the default interval, which is what brings the approvals
EVENT_TARGETS = {"p50": 1.0, "p99": 3.0}
FIRST_CLAIM_S = 5.0


@dataclass
class ApprovalRun:
    """1,000 approvals made in the registry and what it took for the operator to show them."""

    label: str
    latencies: list[float]  # UpdateModelPackage returned -> approval seen on the watch, sorted
    in_order: list[tuple[float, float]]  # (seconds since the first approval returned, latency), in order
    behind: float  # how late the last approval was issued against its schedule
    seconds: float  # the first approval to the last one seen
    calls: dict[str, int]  # AWS calls meanwhile, the benchmark's own UpdateModelPackage excluded
    writes: WriteCounts = field(default_factory=WriteCounts)
    operator_cpu: float = 0.0
    restart_seconds: float = 0.0  # the fresh operator's start over the namespace, until idle
    queue_left: int | None = None  # messages on the queue once the approvals were all seen (and drained)

    def quantile(self, q: float, after: float = 0.0) -> float:
        """Nearest rank, of the approvals returned `after` seconds or more after the first."""
        chosen = self.latencies if not after else sorted(lat for t, lat in self.in_order if t >= after)
        return chosen[max(0, -(-int(q * 1000) * len(chosen) // 1000) - 1)]

    @property
    def lists(self) -> int:
        return self.calls.get("sagemaker:ListModelPackages", 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "p50": self.quantile(0.5),
            "p90": self.quantile(0.9),
            "p99": self.quantile(0.99),
            "max": self.latencies[-1],
            "behind_schedule": self.behind,
            "seconds": self.seconds,
            "aws_calls": self.calls,
            "api_writes": dict(self.writes.by_kind),
            "events": self.writes.events,
            "operator_cpu": self.operator_cpu,
            "restart_seconds": self.restart_seconds,
            "queue_left": self.queue_left,
            "latencies_in_order": self.in_order,
        }


def approval_picks(n: int, offset: int) -> list[int]:
    """EVENT_APPROVALS distinct versions of n, one in each run of n / 1,000, so spread over every group;
    offsets 0 and 1 pick disjoint sets."""
    stride = n // EVENT_APPROVALS
    if stride < 2:
        raise ValueError(f"the events phase needs at least {2 * EVENT_APPROVALS} versions, not {n}")
    return [i * stride + (i + offset) % stride for i in range(EVENT_APPROVALS)]


def package_arns(stack: Stack, ns: str) -> dict[str, str]:
    """status.modelPackageArn of every ModelVersion in the namespace, by name."""
    custom = client.CustomObjectsApi(stack.api)
    found: dict[str, str] = {}
    token = None
    while True:
        page = custom.list_namespaced_custom_object(
            GROUP, VERSION, ns, "modelversions", limit=500, _continue=token
        )
        for item in page["items"]:
            found[item["metadata"]["name"]] = (item.get("status") or {}).get("modelPackageArn", "")
        token = page["metadata"].get("continue")
        if not token:
            return found


def approve_spread(stack: Stack, arns: list[str], spread: float) -> tuple[list[float], float]:
    """UpdateModelPackage Approved for each package, evenly over `spread` seconds from one thread (a call
    takes a few ms): when each call returned, and how late the last one was issued against its slot."""
    gap = spread / len(arns)
    returned: list[float] = []
    behind = 0.0
    start = time.monotonic()
    for i, arn in enumerate(arns):
        due = start + i * gap
        now = time.monotonic()
        if now < due:
            time.sleep(due - now)
        else:
            behind = max(behind, now - due)
        stack.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        returned.append(time.monotonic())
    return returned, behind


def measure_approvals(
    stack: Stack, ns: str, names: list[str], arns: dict[str, str], label: str, timeout: float
) -> ApprovalRun:
    """Approve `names` in the registry over EVENT_SPREAD_S and wait until a watch shows every one."""
    watcher = Watcher(stack.api, ns, "modelversions")
    try:
        calls0, offset, cpu0 = stack.admin.calls(), stack.audit.offset(), stack.cpu()
        stack.profile_start(f"events-{label}")
        log(f"events, {label}: {len(names)} approvals in the registry over {EVENT_SPREAD_S:.0f} s")
        returned, behind = approve_spread(stack, [arns[n] for n in names], EVENT_SPREAD_S)
        watcher.wait(
            lambda w: all(w.approval.get(n, (None, 0.0))[0] == "Approved" for n in names),
            timeout,
            f"{label}: {len(names)} approvals in status",
        )
        last_seen = max(watcher.approval[n][1] for n in names)
        stack.profile_stop()
        in_order = [
            (r - returned[0], watcher.approval[n][1] - r) for n, r in zip(names, returned, strict=True)
        ]
    finally:
        watcher.stop()
    stack.audit.wait_quiet(offset, ns)
    calls = delta(stack.admin.calls(), calls0)
    calls["sagemaker:UpdateModelPackage"] = calls.get("sagemaker:UpdateModelPackage", 0) - len(names)
    run = ApprovalRun(
        label,
        sorted(lat for _, lat in in_order),
        in_order,
        behind,
        last_seen - returned[0],
        {k: v for k, v in calls.items() if v},
        stack.audit.count(offset, ns),
        cpu_delta(stack.cpu(), cpu0).get("operator", 0.0),
    )
    log(
        f"events, {label}: p50 {run.quantile(0.5):.2f} s, p99 {run.quantile(0.99):.2f} s, "
        f"max {run.latencies[-1]:.2f} s; ListModelPackages {run.lists}"
    )
    return run


def phase_events(stack: Stack, res: Results, n: int) -> None:
    """N versions in 10 groups, registered by an operator without a queue (so no registration events are
    left to drain), then 1,000 registry approvals for an operator reading a queue (resync 600 s) and
    1,000 others for an operator with the resync alone (60 s)."""
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    import event_queues  # the queue and rule wired as the admin docs say

    ns = f"events-{n}"
    stack.set_latency(0)
    create_namespace(stack.api, ns)
    log(f"events: registering {n} versions in {ns}")
    setup = stack.start_operator(f"operator-{ns}-setup", [ns], TIMED_RESYNC)
    started = time.monotonic()
    try:
        groups_ready(stack, ns, setup, started)
        watcher = Watcher(stack.api, ns, "modelversions")
        try:
            create_all(stack.api, "modelversions", versions(ns, n))
            watcher.wait(lambda w: len(w.ready) >= n, max(600.0, n * 0.3), f"{n} ModelVersions Ready in {ns}")
        finally:
            watcher.stop()
    finally:
        stack.stop_controller()
    log(f"events: {n} versions Ready after {time.monotonic() - started:.0f} s")
    arns = package_arns(stack, ns)

    def aws(service: str) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=stack.endpoint,
            aws_access_key_id=devstack.LOCAL_AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=devstack.LOCAL_AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=devstack.LOCAL_AWS_ENV["AWS_SESSION_TOKEN"],
        )

    events = aws("events")
    queue = event_queues.wire(aws("sqs"), events, f"bench-{ns}")
    runs: list[ApprovalRun] = []
    for label, resync, queue_url, offset, patience in (
        ("queue", EVENTS_RESYNC, queue.url, 0, 120.0),
        ("resync alone", RESYNC_ALONE, None, 1, EVENT_SPREAD_S + 2 * RESYNC_ALONE + 120.0),
    ):
        names = [version_name(i) for i in approval_picks(n, offset)]
        # A fresh operator for each: no resync pass of an earlier one falls in the window, and its first
        # pass comes one interval after its start.
        operator = stack.start_operator(
            f"operator-{ns}-{label.replace(' ', '-')}", [ns], resync, queue_url=queue_url
        )
        restarted = time.monotonic()
        try:
            idle = procstat.wait_idle(operator.proc.pid, restarted)
            run = measure_approvals(stack, ns, names, arns, label, patience)
            run.restart_seconds = idle.seconds
            runs.append(run)
            if queue_url:
                deadline = time.monotonic() + 120
                while queue.depth() and time.monotonic() < deadline:
                    time.sleep(0.5)
                run.queue_left = queue.depth()
                events.disable_rule(Name=f"bench-{ns}-rule")  # the next operator reads no queue
        finally:
            stack.stop_controller()
    res.raw["events"] = {"versions": n, "runs": [r.to_json() for r in runs]}
    report_events(res, n, runs)


def report_events(res: Results, n: int, runs: list[ApprovalRun]) -> None:
    res.add(
        f"**registry events: {EVENT_APPROVALS:,} registry approvals over {EVENT_SPREAD_S:.0f} s, "
        f"{n:,} versions in {GROUPS} groups (0 ms)**",
        "",
    )
    for run in runs:
        queued = run.label == "queue"
        how = f"queue, resync {EVENTS_RESYNC} s" if queued else f"resync alone, {RESYNC_ALONE} s, no queue"
        for name, q in (("p50", 0.5), ("p99", 0.99)):
            value = run.quantile(q)
            target = EVENT_TARGETS[name] if queued else None
            res.add(
                f"{how}: UpdateModelPackage returned to status.approvalStatus on a watch, {name}: s",
                f"{value:.2f}",
                f"<= {target:.0f}" if target else "",
                value <= target if target else None,
            )
        res.add(
            "  max; first approval to the last seen: s; approvals issued behind schedule by at most: s",
            f"{run.latencies[-1]:.2f}; {run.seconds:.1f}; {run.behind:.2f}",
        )
        if queued:
            # The first event's claim makes the operator list every ModelVersion once (its package views
            # are filled on the first claim, handlers/package_views.py): the approvals of those seconds
            # wait for it.
            res.add(
                f"  p50; p99 of the approvals after the first {FIRST_CLAIM_S:.0f} s (the first event makes "
                "the operator list every ModelVersion once): s",
                f"{run.quantile(0.5, FIRST_CLAIM_S):.2f}; {run.quantile(0.99, FIRST_CLAIM_S):.2f}",
            )
        res.add(
            "  ListModelPackages calls meanwhile",
            str(run.lists),
            "0" if queued else "",
            run.lists == 0 if queued else None,
        )
        others = {k: v for k, v in run.calls.items() if k != "sagemaker:ListModelPackages"}
        res.add("  other AWS calls meanwhile (the benchmark's approvals excluded)", describe_calls(others))
        if run.queue_left is not None:
            res.add("  messages left on the queue at the end", str(run.queue_left), "0", run.queue_left == 0)
        res.add(
            "  API-server writes per approval (events excluded); Kubernetes Events per approval",
            f"{run.writes.total / EVENT_APPROVALS:.2f} ({describe_writes(run.writes, EVENT_APPROVALS)}); "
            f"{run.writes.events / EVENT_APPROVALS:.2f}",
        )
        res.add(
            "  operator CPU per approval: ms; its start over the namespace until idle: s",
            f"{1000 * run.operator_cpu / EVENT_APPROVALS:.1f}; {run.restart_seconds:.1f}",
        )


# ----------------------------------------------------------------------------------------- output


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    total_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), {total_kb / 1024 / 1024:.0f} GiB, Python {sys.version.split()[0]}"
    )


def render(res: Results, title: str) -> str:
    headers = ("figure", "value", "target", "met")
    rows = [
        (r.figure, r.value, r.target, "" if r.met is None else ("yes" if r.met else "no")) for r in res.rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    lines = [title, ""]
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="N = 1,000 only, resync 15 s")
    parser.add_argument("--workdir", help="where logs, the cluster state and results go (default: a tmp dir)")
    parser.add_argument("--profile", action="store_true", help="record py-spy profiles of the operator")
    parser.add_argument(
        "--runs", help="override the yardstick runs: LATENCY_MS:N, comma-separated (e.g. 0:300,100:300)"
    )
    parser.add_argument("--resync", type=int, help="override the resync interval of the restart phase")
    parser.add_argument(
        "--phases",
        default="yardstick,restart,limit,events",
        help="a subset (yardstick, restart, limit, events), comma-separated",
    )
    parser.add_argument("--limit-n", type=int, help="override the versions of the phase at the AWS limit")
    parser.add_argument(
        "--events", type=int, help="override the versions of the events phase (at least 2,000)"
    )
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    runs = (
        tuple((int(lat), int(n)) for lat, n in (r.split(":") for r in args.runs.split(",")))
        if args.runs
        else scale.runs
    )
    scale = Scale(
        runs, args.resync or scale.resync, scale.steady, args.limit_n or scale.limit_n,
        args.events or scale.events,
    )  # fmt: skip
    phases = set(args.phases.split(","))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="registry-bench-")).absolute()
    work.mkdir(parents=True, exist_ok=True)
    stack = Stack(work, scale, work / "profiles" if args.profile else None)
    res = Results()
    started = time.monotonic()
    log(f"{'quick' if args.quick else 'full'} run in {work}")
    try:
        stack.start()
        if "yardstick" in phases:
            phase_yardstick(stack, res)
        if "restart" in phases:
            latency, biggest = max(runs, key=lambda r: (r[1], -r[0]))
            stack.set_latency(0)
            if "yardstick" not in phases:  # its versions, Ready, from an operator of its own
                run_operator(stack, biggest, latency, 0.0)
            smallest = min(runs, key=lambda r: (r[1], r[0]))
            ran = "yardstick" in phases and smallest[1] < biggest
            fallback = (f"op-{smallest[0]}ms-{smallest[1]}", smallest[1]) if ran else None
            phase_restart(stack, res, f"op-{latency}ms-{biggest}", biggest, fallback)
        if "limit" in phases:
            phase_limit(stack, res, scale.limit_n)
        if "events" in phases:
            phase_events(stack, res, scale.events)
    except BaseException:
        print(render(res, "partial results (the run failed)"))
        raise
    finally:
        stack.close()
    elapsed = time.monotonic() - started
    mode = "quick" if args.quick else "full"
    ran = [f"N = {n:,} at {lat} ms" for lat, n in runs] if phases & {"yardstick", "restart"} else []
    if "limit" in phases:
        ran.append(f"N = {scale.limit_n:,} at the AWS limit")
    if "events" in phases:
        ran.append(f"registry events over {scale.events:,} versions")
    title = (
        f"registry-operator benchmark ({mode}: {', '.join(ran)}, {GROUPS} groups, "
        f"{OPERATOR_WORKERS} workers, packages Completed at creation) on {machine()}; "
        f"run took {elapsed / 60:.1f} min"
    )
    res.raw["elapsed_seconds"] = elapsed
    (work / "results.json").write_text(json.dumps(res.raw, indent=2) + "\n")
    print(render(res, title))
    log(f"logs and results.json in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
