"""`make bench`: DESIGN §8's performance figures from one run on the local control plane and embedded AWS.

Starts a private kube-apiserver+etcd (audit log of writes on), the embedded AWS and the operator as a
real process, then:

1. bare boto3: N CreateModelPackage calls straight at the embedded AWS, one after another and from as
   many threads as the operator has workers (the yardstick for everything the operator adds);
2. N ModelVersions across 10 groups created at once: seconds until every one is Ready, AWS calls and
   API-server writes per version (counted from the audit log, events excluded);
3. an approval made in the registry: seconds until status.approvalStatus shows it, and the
   ListModelPackages calls each resync pass makes per group;
4. up to M ModelVersions in all: seconds until Ready, the operator's peak RSS;
5. an operator restart with M Ready versions: seconds until it is idle, AWS writes and reads, API writes.

N, M = 1,000, 10,000 (`--quick`: 100, 1,000). Prints one table; figures only, nothing asserted.
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
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import procstat
from audit import AuditLog, WriteCounts
from kubebench import Watcher, api_client, create_all, create_namespace
from kubernetes import client

from registry_operator.api.common import GROUP, VERSION
from registry_operator.api.model_version import ModelVersionSpec
from registry_operator.aws.session import client_config
from registry_operator.reconcile.requests import create_model_package_request
from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localcluster import cluster

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-2"
NAMESPACE = "bench"
GROUPS = 10
OPERATOR_WORKERS = 32  # `registry-operator run --max-workers` default: the operator's concurrent AWS calls
IMAGE = "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.2-1"
WRITE_PREFIXES = ("Create", "Update", "Delete", "Put", "Add", "Tag", "Untag", "Start", "Stop")


@dataclass(frozen=True)
class Scale:
    first: int  # versions applied at once for the speed, call and write figures
    total: int  # versions in all for memory and restart
    resync: int  # the operator's resyncIntervalSeconds


FULL = Scale(first=1000, total=10000, resync=60)
QUICK = Scale(first=100, total=1000, resync=15)


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


def version_name(i: int) -> str:
    return f"v-{i:05d}"


def versions(start: int, stop: int) -> Iterator[dict[str, Any]]:
    for i in range(start, stop):
        yield {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ModelVersion",
            "metadata": {"name": version_name(i), "namespace": NAMESPACE},
            "spec": version_spec(group_name(i % GROUPS), i),
        }


def groups() -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "ModelPackageGroup",
            "metadata": {"name": group_name(g), "namespace": NAMESPACE},
            "spec": {
                "modelPackageGroupName": f"bench-{group_name(g)}",
                "modelPackageGroupDescription": "bench",
            },
        }
        for g in range(GROUPS)
    ]


# ----------------------------------------------------------------------------------------- the stack


class Stack:
    """The private control plane, the embedded AWS and the operator; `close()` stops all of them."""

    def __init__(self, work: Path, scale: Scale, profile: Path | None) -> None:
        self.work, self.scale, self.profile = work, scale, profile
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.state_dir = work / "cluster"
        self.aws: devstack.Process | None = None
        self.operator: devstack.Process | None = None
        self.cluster_up = False
        self._profiler: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        os.environ.pop("KUBECONFIG", None)  # a private cluster: its audit log is what the figures count
        self.info = cluster.up(self.state_dir)
        self.cluster_up = True
        self.audit = AuditLog(self.state_dir / "logs" / "audit.log")
        subprocess.run(
            [*self.kubectl_args(), "apply", "-f", str(ROOT / "crds")], check=True, capture_output=True
        )
        subprocess.run(
            [*self.kubectl_args(), "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"],
            check=True,
            capture_output=True,
        )
        self.aws, self.endpoint = devstack.start_local_aws(self.logs / "local-aws.log")
        self.admin = LocalAWSAdmin(self.endpoint)
        self.config = self.work / "operator.yaml"
        self.config.write_text(f"defaultRegion: {REGION}\nresyncIntervalSeconds: {self.scale.resync}\n")
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

    def start_operator(self, name: str) -> devstack.Process:
        self.operator = devstack.start_operator(
            self.info.kubeconfig, self.endpoint, self.logs / f"{name}.log", ["--config", str(self.config)]
        )
        return self.operator

    def kubectl_args(self) -> list[str]:
        return [str(self.info.kubectl), "--kubeconfig", str(self.info.kubeconfig)]

    def pids(self) -> dict[str, int]:
        state = json.loads((self.state_dir / "cluster.json").read_text())
        pids = {"kube-apiserver": state["apiserver"]["pid"], "etcd": state["etcd"]["pid"]}
        if self.operator is not None and self.operator.alive():
            pids["operator"] = self.operator.proc.pid
        if self.aws is not None:
            pids["embedded AWS"] = self.aws.proc.pid
        pids["benchmark"] = os.getpid()
        return pids

    def cpu(self) -> dict[str, float]:
        """CPU seconds each process of the run has used so far (the system-level profile)."""
        return {name: procstat.cpu_seconds(pid) for name, pid in self.pids().items()}

    def profile_start(self, phase: str) -> None:
        """With --profile: sample the operator with py-spy (all threads) until profile_stop()."""
        if self.profile is None or self.operator is None:
            return
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.profile.mkdir(parents=True, exist_ok=True)
        self._profiler = subprocess.Popen(
            [
                *(spy, "record", "--pid", str(self.operator.proc.pid), "--rate", "200", "--gil"),
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
        if self.operator is not None:
            self.operator.stop()
        if self.aws is not None:
            self.aws.stop()
        if self.cluster_up:
            cluster.down(self.state_dir)


# ----------------------------------------------------------------------------------------- phases


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


def bare_boto3(stack: Stack, n: int) -> tuple[float, float]:
    """Seconds for n CreateModelPackage calls one after another, and from OPERATOR_WORKERS threads."""
    sm = stack.sagemaker
    timings = []
    for mode in ("seq", "par"):
        group = f"bench-baseline-{mode}"
        sm.create_model_package_group(ModelPackageGroupName=group)
        requests = [
            create_model_package_request(
                ModelVersionSpec.model_validate(version_spec("unused", i)), group, str(uuid.uuid4())
            )
            for i in range(n)
        ]
        sm.list_model_packages(ModelPackageGroupName=group)  # connection and signing warmed up
        started = time.monotonic()
        if mode == "seq":
            for request in requests:
                sm.create_model_package(**request)
        else:
            with ThreadPoolExecutor(OPERATOR_WORKERS) as pool:
                list(pool.map(lambda r: sm.create_model_package(**r), requests))
        timings.append(time.monotonic() - started)
    return timings[0], timings[1]


def aws_split(calls: dict[str, int]) -> tuple[int, int]:
    writes = sum(n for op, n in calls.items() if op.split(":", 1)[1].startswith(WRITE_PREFIXES))
    return writes, sum(calls.values()) - writes


def describe_calls(calls: dict[str, int]) -> str:
    return ", ".join(f"{op.split(':', 1)[1]} {n}" for op, n in sorted(calls.items())) or "none"


def describe_writes(w: WriteCounts, per: int) -> str:
    parts = [f"{kind} {n / per:.2f}" for kind, n in sorted(w.by_kind.items())]
    if w.failed:
        parts.append(f"of which refused {w.failed / per:.2f}")
    return ", ".join(parts) or "none"


def cpu_since(stack: Stack, before: dict[str, float], wall: float) -> str:
    used = {name: cpu - before.get(name, 0.0) for name, cpu in stack.cpu().items()}
    parts = [f"{name} {sec:.1f}" for name, sec in sorted(used.items(), key=lambda kv: -kv[1])]
    return f"{', '.join(parts)} (of {2 * wall:.0f} core-s)" if wall else ", ".join(parts)


def registry_count(stack: Stack) -> int:
    total = 0
    for g in range(GROUPS):
        paginator = stack.sagemaker.get_paginator("list_model_packages")
        for page in paginator.paginate(ModelPackageGroupName=f"bench-{group_name(g)}"):
            total += len(page["ModelPackageSummaryList"])
    return total


def apply_and_wait(
    stack: Stack, watcher: Watcher, start: int, stop: int, timeout: float
) -> tuple[float, float]:
    """Create versions [start, stop) at once; (seconds to create them, seconds until all are Ready)."""
    started = time.monotonic()
    applied = create_all(stack.api, "modelversions", versions(start, stop))
    log(f"created {stop - start} ModelVersions in {applied:.1f} s; waiting for Ready")
    watcher.wait(lambda w: len(w.ready) >= stop, timeout, f"{stop} ModelVersions Ready")
    return applied, time.monotonic() - started


def phase_first(stack: Stack, watcher: Watcher, res: Results) -> None:
    n = stack.scale.first
    log(f"bare boto3: {n} CreateModelPackage calls, sequential and from {OPERATOR_WORKERS} threads")
    seq, par = bare_boto3(stack, n)
    log(f"bare boto3: {seq:.1f} s sequential, {par:.1f} s in {OPERATOR_WORKERS} threads")

    stack.admin.reset_calls()
    offset = stack.audit.offset()
    stack.profile_start("first-apply")
    cpu_before = stack.cpu()
    applied, ready = apply_and_wait(stack, watcher, 0, n, timeout=max(600.0, n * 0.5))
    cpu = cpu_since(stack, cpu_before, ready)
    stack.profile_stop()
    log(f"{n} ModelVersions Ready {ready:.1f} s after the apply started")
    stack.audit.wait_quiet(offset, NAMESPACE)
    writes = stack.audit.count(offset, NAMESPACE)
    calls = stack.admin.calls()
    creates = calls.get("sagemaker:CreateModelPackage", 0)
    in_registry = registry_count(stack)

    res.raw["first"] = {
        "versions": n,
        "apply_seconds": applied,
        "ready_seconds": ready,
        "bare_sequential_seconds": seq,
        "bare_parallel_seconds": par,
        "aws_calls": calls,
        "api_writes": dict(writes.by_kind),
        "api_writes_failed": writes.failed,
        "api_writes_by_agent": dict(writes.by_agent),
        "events": writes.events,
        "in_registry": in_registry,
        "cpu": cpu,
    }
    ratio = ready / seq
    res.add(f"{n:,} ModelVersions in {GROUPS} groups applied at once: s until all Ready", f"{ready:.1f}")
    res.add("  of which creating them in the API server (8 client threads)", f"{applied:.1f}")
    res.add("  CPU s used meanwhile, by process", cpu)
    res.add(f"{n:,} bare boto3 CreateModelPackage calls, one after another: s", f"{seq:.1f}")
    res.add(f"{n:,} bare boto3 CreateModelPackage calls from {OPERATOR_WORKERS} threads: s", f"{par:.1f}")
    res.add("ratio: all Ready / bare boto3 one after another", f"{ratio:.2f}", "<= 1.5", ratio <= 1.5)
    res.add(f"ratio: all Ready / bare boto3 from {OPERATOR_WORKERS} threads", f"{ready / par:.2f}")
    res.add(
        "CreateModelPackage calls per ModelVersion",
        f"{creates / n:.3f} ({creates} for {n}; {in_registry} versions in the registry)",
        "exactly 1",
        creates == n and in_registry == n,
    )
    others = {op: c for op, c in calls.items() if op != "sagemaker:CreateModelPackage"}
    res.add("  other AWS calls while creating", describe_calls(others))
    per = writes.total / n
    res.add(
        "API-server writes per ModelVersion, apply to Ready (events excluded)",
        f"{per:.2f} ({describe_writes(writes, n)})",
        "<= 3",
        per <= 3,
    )
    res.add("  Kubernetes Events posted per ModelVersion (excluded above)", f"{writes.events / n:.2f}")
    phase_delete_policy(stack, res, retain_metadata=writes.by_kind.get("metadata", 0) / n)


DELETE_NAMESPACE = "bench-delete"
DELETE_SAMPLE = 20


def phase_delete_policy(stack: Stack, res: Results, retain_metadata: float) -> None:
    """A small sample with deletionPolicy: Delete, the one case that holds a finalizer: its writes
    from apply to Ready, then deleting them (DeleteModelPackage, the finalizer's release)."""
    n = DELETE_SAMPLE
    create_namespace(stack.api, DELETE_NAMESPACE)
    watcher = Watcher(stack.api, DELETE_NAMESPACE, "modelversions")
    docs = []
    for i in range(n):
        spec = version_spec("unused", 100000 + i)
        del spec["modelPackageGroupRef"]
        spec["modelPackageGroupName"] = f"bench-{group_name(i % GROUPS)}"
        spec["deletionPolicy"] = "Delete"
        docs.append(
            {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "ModelVersion",
                "metadata": {"name": f"d-{i:05d}", "namespace": DELETE_NAMESPACE},
                "spec": spec,
            }
        )
    stack.admin.reset_calls()
    offset = stack.audit.offset()
    create_all(stack.api, "modelversions", docs)
    watcher.wait(lambda w: len(w.ready) >= n, 120, f"{n} Delete-policy versions Ready")
    stack.audit.wait_quiet(offset, DELETE_NAMESPACE)
    writes = stack.audit.count(offset, DELETE_NAMESPACE)
    offset = stack.audit.offset()
    custom = client.CustomObjectsApi(stack.api)
    for doc in docs:
        custom.delete_namespaced_custom_object(
            GROUP, VERSION, DELETE_NAMESPACE, "modelversions", doc["metadata"]["name"]
        )
    watcher.wait(lambda w: not w.approval, 120, "Delete-policy versions gone")
    stack.audit.wait_quiet(offset, DELETE_NAMESPACE)
    deletion = stack.audit.count(offset, DELETE_NAMESPACE)
    watcher.stop()
    calls = stack.admin.calls()
    metadata = writes.by_kind.get("metadata", 0) / n
    res.raw["delete_policy"] = {
        "versions": n,
        "api_writes": dict(writes.by_kind),
        "deletion_api_writes": dict(deletion.by_kind),
        "aws_calls": calls,
    }
    res.add(
        f"  with deletionPolicy: Delete ({n} versions): writes per ModelVersion, apply to Ready",
        f"{writes.total / n:.2f} ({describe_writes(writes, n)}; finalizer = metadata minus Retain's "
        f"{retain_metadata:.2f} = {metadata - retain_metadata:.2f})",
        "<= 3",
        writes.total / n <= 3,
    )
    res.add(
        "  ... and deleting them: writes, DeleteModelPackage calls per ModelVersion",
        f"{deletion.total / n:.2f} ({describe_writes(deletion, n)}), "
        f"{calls.get('sagemaker:DeleteModelPackage', 0) / n:.2f}",
    )


def observe_passes(stack: Stack, passes: int, timeout: float) -> list[int]:
    """ListModelPackages calls of each of the next `passes` resync passes (a pass: calls within 2 s)."""
    bursts: list[int] = []
    stack.admin.reset_calls()
    deadline = time.monotonic() + timeout
    last, last_change, in_burst = 0, time.monotonic(), False
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


def phase_approval(stack: Stack, watcher: Watcher, res: Results) -> None:
    interval = stack.scale.resync
    custom = client.CustomObjectsApi(stack.api)
    names = [version_name(g) for g in range(GROUPS)]  # one version in each group
    arns = [
        custom.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "modelversions", name)["status"][
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
    log(f"approvals visible after {latencies[0]:.1f} .. {latencies[-1]:.1f} s; watching resync passes")
    bursts = observe_passes(stack, passes=2, timeout=interval * 3 + 30)
    per_group = [b / GROUPS for b in bursts]
    per_version_group = stack.scale.first // GROUPS
    res.raw["approval"] = {"latencies": latencies, "list_calls_per_pass": bursts, "interval": interval}
    res.add(
        f"registry approval to status.approvalStatus: s (resync interval {interval} s)",
        f"{latencies[-1]:.1f} (slowest of {len(names)}; fastest {latencies[0]:.1f})",
        f"<= {interval}",
        latencies[-1] <= interval,
    )
    if per_group:
        res.add(
            f"ListModelPackages calls per group per resync interval ({per_version_group} versions a group)",
            f"{max(per_group):.2f} ({len(bursts)} passes, List calls in each: "
            f"{', '.join(map(str, bursts))} for {GROUPS} groups)",
            "1",
            max(per_group) == 1,
        )
    else:
        res.add("ListModelPackages calls per group per resync interval", "no resync pass seen", "1", False)


def phase_total(stack: Stack, watcher: Watcher, res: Results) -> None:
    first, total = len(watcher.ready), stack.scale.total
    stack.admin.reset_calls()
    offset = stack.audit.offset()
    cpu_before = stack.cpu()
    applied, ready = apply_and_wait(stack, watcher, first, total, timeout=max(900.0, total * 0.3))
    cpu = cpu_since(stack, cpu_before, ready)
    log(f"{total - first} more ModelVersions Ready after {ready:.1f} s; {total} in all")
    stack.audit.wait_quiet(offset, NAMESPACE)
    writes = stack.audit.count(offset, NAMESPACE)
    calls = stack.admin.calls()
    assert stack.operator is not None
    pid = stack.operator.proc.pid
    hwm, rss = procstat.status_kb(pid, "VmHWM") / 1024, procstat.status_kb(pid, "VmRSS") / 1024
    res.raw["total"] = {
        "versions": total,
        "added": total - first,
        "apply_seconds": applied,
        "ready_seconds": ready,
        "aws_calls": calls,
        "api_writes": dict(writes.by_kind),
        "peak_rss_mb": hwm,
        "rss_mb": rss,
        "cpu": cpu,
    }
    added = total - first
    res.add(f"{added:,} more ModelVersions ({total:,} in all): s until all Ready", f"{ready:.1f}")
    res.add("  of which creating them in the API server", f"{applied:.1f}")
    res.add("  CPU s used meanwhile, by process", cpu)
    res.add(
        "  CreateModelPackage calls, API writes per ModelVersion",
        f"{calls.get('sagemaker:CreateModelPackage', 0) / added:.3f}, {writes.total / added:.2f}",
    )
    res.raw["peak_rss_mb"] = hwm


def phase_restart(stack: Stack, watcher: Watcher, res: Results) -> None:
    total = stack.scale.total
    assert stack.operator is not None
    log("stopping the operator")
    stack.operator.stop(timeout=60)
    stack.admin.reset_calls()
    offset = stack.audit.offset()
    cpu_before = {k: v for k, v in stack.cpu().items() if k != "operator"}
    started = time.monotonic()
    operator = stack.start_operator("operator-restarted")
    stack.profile_start("restart")
    idle = procstat.wait_idle(operator.proc.pid, started)
    stack.profile_stop()
    log(f"restarted operator idle after {idle.seconds:.1f} s ({idle.cpu_seconds:.1f} s CPU)")
    calls = stack.admin.calls()
    cpu = cpu_since(stack, cpu_before, idle.seconds)
    writes = stack.audit.count(offset, NAMESPACE)
    group_writes = stack.audit.count(offset, NAMESPACE, "modelpackagegroups")
    hwm = procstat.status_kb(operator.proc.pid, "VmHWM") / 1024
    aws_writes, aws_reads = aws_split(calls)
    # Reads that grow with versions would be Describe/ListTags per package; a group costs a Describe
    # (plus ListTags when it has tags) and, if a resync pass falls into the window, its List pages.
    pages = -(-total // (GROUPS * 100))
    per_version_reads = calls.get("sagemaker:DescribeModelPackage", 0)
    res.raw["restart"] = {
        "seconds": idle.seconds,
        "cpu_seconds": idle.cpu_seconds,
        "aws_calls": calls,
        "api_writes": dict(writes.by_kind),
        "api_writes_groups": dict(group_writes.by_kind),
        "peak_rss_mb": hwm,
        "still_ready": len(watcher.ready),
        "cpu": cpu,
    }
    res.add(
        f"restart with {total:,} Ready ModelVersions: s until the operator is idle",
        f"{idle.seconds:.1f} ({idle.cpu_seconds:.1f} s CPU)",
    )
    res.add("  CPU s used until idle, by process", cpu)
    res.add("  AWS writes during restart", str(aws_writes), "0", aws_writes == 0)
    res.add(
        f"  AWS reads during restart ({GROUPS} groups)",
        f"{aws_reads} ({describe_calls(calls)})",
        f"proportional to groups ({GROUPS})",
        per_version_reads == 0 and aws_reads <= GROUPS * (2 + pages),
    )
    res.add(
        "  API-server writes during restart (versions, groups)",
        f"{writes.total}, {group_writes.total}",
    )
    peak = max(res.raw.get("peak_rss_mb", 0.0), hwm)
    res.add(
        f"operator peak RSS with {total:,} ModelVersions: MB",
        f"{peak:.0f} (creating them {res.raw.get('peak_rss_mb', 0.0):.0f}, restart {hwm:.0f})",
        "< 200",
        peak < 200,
    )
    per_group_versions = total // GROUPS
    if per_group_versions > 100:
        # SageMaker's ListModelPackages returns at most 100 versions a page (MaxResults <= 100).
        log(f"watching one resync pass with {per_group_versions} versions a group")
        bursts = observe_passes(stack, passes=1, timeout=stack.scale.resync * 2 + 30)
        pages = -(-per_group_versions // 100)
        res.raw["restart"]["list_calls_per_pass"] = bursts
        res.add(
            f"  ListModelPackages calls per group per interval ({per_group_versions:,} versions a group)",
            f"{bursts[0] / GROUPS:.2f} (pages of 100, SageMaker's largest)" if bursts else "no pass seen",
            f"{pages} pages",
            bool(bursts) and bursts[0] == GROUPS * pages,
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
        (r.figure, r.value, r.target, "" if r.met is None else ("yes" if r.met else "NO")) for r in res.rows
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
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 versions, 15 s resync")
    parser.add_argument("--workdir", help="where logs, the cluster state and results go (default: a tmp dir)")
    parser.add_argument("--profile", action="store_true", help="record py-spy profiles of the operator")
    parser.add_argument("--first", type=int, help="override the number of versions applied at once")
    parser.add_argument("--total", type=int, help="override the number of versions in all")
    parser.add_argument("--resync", type=int, help="override the resync interval")
    parser.add_argument(
        "--phases", default="first,approval,total,restart", help="a subset, for profiling one phase"
    )
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    scale = Scale(args.first or scale.first, args.total or scale.total, args.resync or scale.resync)
    phases = set(args.phases.split(","))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="registry-bench-")).absolute()
    work.mkdir(parents=True, exist_ok=True)
    stack = Stack(work, scale, work / "profiles" if args.profile else None)
    res = Results()
    started = time.monotonic()
    log(f"{'quick' if args.quick else 'full'} run in {work}")
    try:
        stack.start()
        create_namespace(stack.api, NAMESPACE)
        stack.start_operator("operator")
        group_watcher = Watcher(stack.api, NAMESPACE, "modelpackagegroups")
        create_all(stack.api, "modelpackagegroups", groups())
        group_watcher.wait(lambda w: len(w.ready) >= GROUPS, 120, f"{GROUPS} groups Ready")
        group_watcher.stop()
        watcher = Watcher(stack.api, NAMESPACE, "modelversions")
        for name, phase in (
            ("first", phase_first),
            ("approval", phase_approval),
            ("total", phase_total),
            ("restart", phase_restart),
        ):
            if name in phases:
                phase(stack, watcher, res)
        watcher.stop()
    except BaseException:
        print(render(res, "partial results (the run failed)"))
        raise
    finally:
        stack.close()
    elapsed = time.monotonic() - started
    mode = "quick" if args.quick else "full"
    title = (
        f"registry-operator benchmark ({mode}: {scale.first:,} and {scale.total:,} ModelVersions, "
        f"{GROUPS} groups, resync {scale.resync} s) on {machine()}; run took {elapsed / 60:.1f} min"
    )
    res.raw["elapsed_seconds"] = elapsed
    (work / "results.json").write_text(json.dumps(res.raw, indent=2) + "\n")
    print(render(res, title))
    log(f"logs and results.json in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
