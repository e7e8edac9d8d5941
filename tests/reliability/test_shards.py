"""Sharding past one replica: operators that each own a label-selected shard, or a set of namespaces
(kopf's namespace patterns), each with its own leader Lease. Two shards never both act on one object
(the embedded AWS counts each object's calls; each operator's log names the objects it registered) and
together they register everything."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import manifests
import pytest
import yaml
from kube import Kube, ready_names
from registry_contents import package_arns
from runner import OperatorRunner
from waiting import eventually

from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localaws.seed_accounts import default_client

STATE = "shards"  # the operators' own namespace: cluster-name record and Leases
LABEL = "modelregistry.io/shard"
FINALIZER = "modelregistry.io/finalizer"
CONFIG = """defaultRegion: us-east-2
namespaces:
  shards:
    groups: ['*']
  'shard-*':
    groups: ['*']
"""
_WRITE = re.compile(r"\[([^/\]\s]+)/([^\]\s]+)\] AWS sagemaker:(\w+) succeeded")


class Bed:
    def __init__(self, kube: Kube, tmp: Path, endpoint: str) -> None:
        self.kube, self.tmp, self.endpoint = kube, tmp, endpoint
        self.admin = LocalAWSAdmin(endpoint)
        self.config = tmp / "operator.yaml"
        self.config.write_text(CONFIG)
        self.sagemaker = default_client(endpoint, "sagemaker", "us-east-2")
        self.operators: list[OperatorRunner] = []

    def operator(self, shard: str, *args: str) -> OperatorRunner:
        runner = OperatorRunner(
            self.kube,
            self.endpoint,
            self.tmp / f"operator-{shard}.log",
            self.config,
            [
                *("--state-namespace", STATE, "--metrics-port", "0", "--shard", shard),
                *("--leader-elect", "--leader-election-namespace", STATE),
                *args,
            ],
        )
        self.operators.append(runner)
        runner.start()
        return runner

    def apply(self, docs: list[dict[str, Any]], name: str) -> None:
        path = self.tmp / f"{name}.yaml"
        path.write_text(yaml.safe_dump_all(docs))
        self.kube.kubectl("apply", "-f", str(path))

    def creates(self, namespace: str, name: str) -> int:
        return self.admin.calls(f"{namespace}/{name}").get("sagemaker:CreateModelPackage", 0)

    def registry(self, group: str) -> list[str]:
        return package_arns(self.sagemaker, group)


@pytest.fixture(scope="module")
def bed(kube: Kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    tmp = tmp_path_factory.mktemp("shards")
    aws, endpoint = devstack.start_local_aws(tmp / "local-aws.log")
    kube.create_namespace(STATE)
    bed = Bed(kube, tmp, endpoint)
    try:
        yield bed
    finally:
        for runner in bed.operators:
            runner.stop()
        aws.stop()


def writes_by_object(runner: OperatorRunner) -> dict[str, list[str]]:
    """The AWS writes an operator's log says it made, by "namespace/name"."""
    found: dict[str, list[str]] = {}
    for ns, name, op in _WRITE.findall(runner.log.read_text(errors="replace")):
        found.setdefault(f"{ns}/{name}", []).append(op)
    return found


def registered(runner: OperatorRunner) -> set[str]:
    return {obj for obj, ops in writes_by_object(runner).items() if "CreateModelPackage" in ops}


def leading(runner: OperatorRunner, lease: str) -> bool:
    return f"is the leader (lease {STATE}/{lease})" in runner.log.read_text(errors="replace")


def labelled(name: str, shard: str | None, **spec: Any) -> dict[str, Any]:
    doc = manifests.version(name, STATE, group_name="shards", **spec)
    if shard:
        doc["metadata"]["labels"] = {LABEL: shard}
    return doc


def test_label_shards_never_both_act_and_together_register_everything(bed: Bed) -> None:
    kube = bed.kube
    bed.sagemaker.create_model_package_group(ModelPackageGroupName="shards")
    a = bed.operator("a", "--namespace", STATE, "--shard-selector", f"{LABEL}=a")
    b = bed.operator("b", "--namespace", STATE, "--shard-selector", f"{LABEL}=b")
    eventually(lambda: leading(a, "sagemaker-registry-operator-a"), timeout=90, what="shard a leads")
    eventually(lambda: leading(b, "sagemaker-registry-operator-b"), timeout=90, what="shard b leads")
    # Every fourth with deletionPolicy: Delete: the objects that hold a finalizer.
    shards = {f"{s}-{i:02d}": s for s in ("a", "b") for i in range(20)}
    docs = [
        labelled(name, s, **({"deletionPolicy": "Delete"} if int(name[2:]) % 4 == 0 else {}))
        for name, s in shards.items()
    ]
    docs += [labelled(f"none-{i}", None) for i in range(3)]  # in no shard: nobody acts on them
    bed.apply(docs, "label-shards")
    eventually(
        lambda: set(shards) <= ready_names(kube, "modelversions", STATE),
        timeout=240,
        interval=2,
        what="40 Ready",
    )

    holders = {
        lease: (kube.try_get("lease", lease, STATE) or {}).get("spec", {}).get("holderIdentity")
        for lease in ("sagemaker-registry-operator-a", "sagemaker-registry-operator-b")
    }
    creates = {name: bed.creates(STATE, name) for name in shards}
    unlabelled = {f"none-{i}": bed.admin.calls(f"{STATE}/none-{i}") for i in range(3)}
    arns = bed.registry("shards")
    by_a, by_b = registered(a), registered(b)
    print(
        f"\nleases {holders}; registered by shard a {len(by_a)}, by shard b {len(by_b)}, by both "
        f"{len(by_a & by_b)}; CreateModelPackage per object: {sorted(set(creates.values()))}; "
        f"versions in the registry {len(arns)} (distinct {len(set(arns))}); calls for unlabelled objects: "
        f"{sum(sum(c.values()) for c in unlabelled.values())}"
    )
    assert all(holders.values()) and len(set(holders.values())) == 2, "one leader per shard, on its own Lease"
    assert by_a == {f"{STATE}/{n}" for n, s in shards.items() if s == "a"}
    assert by_b == {f"{STATE}/{n}" for n, s in shards.items() if s == "b"}
    assert set(creates.values()) == {1}, creates
    assert len(arns) == len(set(arns)) == 40
    assert all(not calls for calls in unlabelled.values()), unlabelled
    for i in range(3):
        status = kube.get("modelversion", f"none-{i}", STATE).get("status") or {}
        assert not status.get("modelPackageArn") and not status.get("conditions"), status

    # The Delete-policy objects keep their finalizer: the other shard never sees them, so never takes it
    # away (no tug of war on metadata either: the objects stay unchanged).
    deleting = [n for n in shards if int(n[2:]) % 4 == 0]
    versions_before = {n: kube.get("modelversion", n, STATE)["metadata"]["resourceVersion"] for n in deleting}
    time.sleep(5)
    for name in deleting:
        meta = kube.get("modelversion", name, STATE)["metadata"]
        assert meta.get("finalizers") == [FINALIZER], (name, meta.get("finalizers"))
        assert meta["resourceVersion"] == versions_before[name], f"{name} keeps being written"
    for name in deleting:
        kube.delete("modelversion", name, STATE)
    for name in deleting:
        kube.wait_deleted("modelversion", name, STATE, timeout=120)
    deletes = {n: bed.admin.calls(f"{STATE}/{n}").get("sagemaker:DeleteModelPackage", 0) for n in deleting}
    # The deletion's log line names no object; which operator deleted is told by the count in its log.
    deleted_by = {
        shard: runner.log.read_text(errors="replace").count("AWS sagemaker:DeleteModelPackage succeeded")
        for shard, runner in (("a", a), ("b", b))
    }
    assert set(deletes.values()) == {1}, deletes
    assert deleted_by == {s: sum(1 for n in deleting if shards[n] == s) for s in ("a", "b")}, deleted_by

    # Moved to the other shard by its label: shard b takes it over as on a restart (nothing to do for a
    # Ready version), then acts on its next change; shard a no longer does.
    moved = "a-01"
    kube.kubectl("label", "modelversion", moved, "-n", STATE, f"{LABEL}=b", "--overwrite")
    time.sleep(3)
    kube.kubectl(
        "patch", "modelversion", moved, "-n", STATE, "--type", "merge", "-p",
        '{"spec": {"approvalStatus": "Approved"}}',
    )  # fmt: skip
    eventually(
        lambda: (
            (kube.get("modelversion", moved, STATE).get("status") or {}).get("approvalStatus") == "Approved"
        ),
        timeout=60,
        what="the moved version approved",
    )
    calls = bed.admin.calls(f"{STATE}/{moved}")
    print(
        f"moved {moved} to shard b: its calls {calls}; writes by a {writes_by_object(a)[f'{STATE}/{moved}']}"
    )
    assert writes_by_object(b).get(f"{STATE}/{moved}") == ["UpdateModelPackage"]
    assert writes_by_object(a)[f"{STATE}/{moved}"] == ["CreateModelPackage"]
    assert calls.get("sagemaker:CreateModelPackage") == 1
    for runner in (a, b):
        runner.stop()


def test_namespace_shards_by_pattern(bed: Bed) -> None:
    """Shards by kopf's namespace patterns: `shard-east-*` and `shard-west-*`, including a namespace
    created after both started."""
    kube = bed.kube
    bed.sagemaker.create_model_package_group(ModelPackageGroupName="shard-ns")
    for ns in ("shard-east-1", "shard-east-2", "shard-west-1"):
        kube.create_namespace(ns)
    east = bed.operator("east", "--namespace", "shard-east-*")
    west = bed.operator("west", "--namespace", "shard-west-*")
    eventually(lambda: leading(east, "sagemaker-registry-operator-east"), timeout=90, what="east leads")
    eventually(lambda: leading(west, "sagemaker-registry-operator-west"), timeout=90, what="west leads")
    kube.create_namespace("shard-east-3")  # after both started: the pattern takes it too
    spread = {
        ns: [f"v-{i}" for i in range(8)]
        for ns in ("shard-east-1", "shard-east-2", "shard-east-3", "shard-west-1")
    }
    bed.apply(
        [
            manifests.version(name, ns, group_name="shard-ns")
            for ns, names in spread.items()
            for name in names
        ],
        "namespace-shards",
    )
    for ns, names in spread.items():
        eventually(
            lambda ns=ns, names=names: set(names) <= ready_names(kube, "modelversions", ns),
            timeout=240,
            interval=2,
            what=f"{ns} Ready",
        )
    creates = {f"{ns}/{n}": bed.creates(ns, n) for ns, names in spread.items() for n in names}
    by_east, by_west = registered(east), registered(west)
    arns = bed.registry("shard-ns")
    print(
        f"\nregistered by east {len(by_east)}, by west {len(by_west)}, by both {len(by_east & by_west)}; "
        f"CreateModelPackage per object {sorted(set(creates.values()))}; versions {len(arns)} "
        f"(distinct {len(set(arns))})"
    )
    assert by_east == {o for o in creates if o.startswith("shard-east-")}
    assert by_west == {o for o in creates if o.startswith("shard-west-")}
    assert set(creates.values()) == {1}
    assert len(arns) == len(set(arns)) == 32
    for runner in (east, west):
        runner.stop()
