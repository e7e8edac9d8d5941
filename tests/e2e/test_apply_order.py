"""Order never matters: a folder applied at once converges without a restart, whatever the order the API
server delivers it in, and a version waits for the group its namespace declares instead of stalling."""

from __future__ import annotations

import contextlib
import json
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import manifests
import pytest
import yaml
from accounts import REGION, REGISTRY_ROLE, TRAINING_ROLE, client_as, default_client
from kube import Kube
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from waiting import eventually

pytestmark = pytest.mark.usefixtures("operator")


@pytest.fixture
def unscoped_namespace(kube: Kube) -> Iterator[str]:
    """A namespace the operator config does not list: its versions may register only into groups its own
    ModelPackageGroups manage (no `groups` scope)."""
    name = kube.create_namespace(f"o-{uuid.uuid4().hex[:8]}")
    yield name
    kube.delete("namespace", name)


def _write_folder(folder: Path, docs: list[dict[str, Any]]) -> None:
    # kubectl applies a folder's files in name order: the versions first, their group last.
    for i, doc in enumerate(docs):
        (folder / f"{i:02d}-{doc['kind'].lower()}-{doc['metadata']['name']}.yaml").write_text(
            yaml.safe_dump(doc)
        )


def _conditions(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}


def test_version_by_name_applied_before_its_group_becomes_ready(
    kube: Kube, unscoped_namespace: str, sagemaker: Any, tmp_path: Path
) -> None:
    namespace = unscoped_namespace
    group = f"churn-{namespace}"
    _write_folder(
        tmp_path,
        [
            manifests.version("by-name", namespace, group_name=group),
            manifests.version("by-ref", namespace, group_ref="churn"),
            manifests.group("churn", namespace, modelPackageGroupName=group),
        ],
    )
    kube.kubectl("apply", "-f", str(tmp_path))
    seen_stalled: list[str] = []

    def ready() -> bool:
        done = True
        for name in ("by-name", "by-ref"):
            conditions = _conditions(kube.get("modelversion", name, namespace))
            if conditions.get("Stalled", {}).get("status") == "True":
                seen_stalled.append(f"{name}: {conditions['Stalled'].get('message')}")
            done = done and conditions.get("Ready", {}).get("status") == "True"
        return done

    eventually(ready, timeout=60, interval=0.2, what="both versions Ready without a restart")
    assert not seen_stalled, f"Stalled on the way, for an order: {seen_stalled}"
    packages = sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert len(packages) == 2


def test_a_group_deleted_before_its_versions_waits_for_them_however_late_they_follow(
    kube: Kube, unscoped_namespace: str, sagemaker: Any
) -> None:
    """Deleted together, objects reach the operator one by one, late when it is busy: a group whose
    version's deletion comes seconds after its own waits for it (naming it), never tries AWS first."""
    namespace = unscoped_namespace
    group = f"late-{namespace}"
    kube.apply(manifests.group("late", namespace, modelPackageGroupName=group, deletionPolicy="Delete"))
    kube.apply(manifests.version("v", namespace, group_ref="late", deletionPolicy="Delete"))
    eventually(
        lambda: not _not_ready(kube, namespace), timeout=60, interval=0.5, what="group and version Ready"
    )
    recorder = Recorder(kube.info.kubeconfig, namespace)
    try:
        kube.kubectl("delete", "mpg", "late", "-n", namespace, "--wait=false")
        time.sleep(8)  # several of the group's looks at its dependents
        waiting = _conditions(kube.get("mpg", "late", namespace))["Ready"]
        assert waiting["reason"] == "WaitingForDependents", waiting
        assert f"ModelVersion {namespace}/v" in waiting["message"], waiting
        assert (
            sagemaker.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupStatus"]
            == "Completed"
        )
        kube.kubectl("delete", "mv", "v", "-n", namespace, "--wait=false")
        eventually(lambda: _all_gone(kube, namespace), timeout=30, interval=0.5, what="both gone")
        assert not recorder.stalled, recorder.stalled
    finally:
        recorder.stop()
    assert sagemaker.list_model_package_groups(NameContains=group)["ModelPackageGroupSummaryList"] == []
    assert sagemaker.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"] == []


# --------------------------------------------------------------------------- any order, any split

EXAMPLES = Path(__file__).resolve().parents[2] / "manifests" / "examples"
SEEDS = range(20)
AT_ONCE = 4  # permutations run side by side, each in its own namespace
OWN_ACCOUNT = "123456789012"  # the embedded AWS's default account: the operator's own identity
GROUP_KIND = "ModelPackageGroup"
ORDER = "order"


class Recorder:
    """Every state the namespace's objects pass through, from a watch per kind (kubectl polling would
    miss the short ones): what was Stalled, and for what."""

    def __init__(self, kubeconfig: Path, namespace: str) -> None:
        self.namespace = namespace
        self.stalled: list[str] = []
        self._api = k8s_config.new_client_from_config(str(kubeconfig))
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._watch, args=(plural,), daemon=True)
            for plural in ("modelpackagegroups", "modelversions", "crossaccountregistryaccesses")
        ]
        for t in self._threads:
            t.start()

    def _watch(self, plural: str) -> None:
        objects = k8s_client.CustomObjectsApi(self._api)
        while not self._stop.is_set():
            stream = k8s_watch.Watch().stream(
                objects.list_namespaced_custom_object,
                "modelregistry.io",
                "v1alpha1",
                self.namespace,
                plural,
                timeout_seconds=2,
            )
            for event in stream:
                body = event["object"]
                for c in (body.get("status") or {}).get("conditions") or []:
                    if c.get("type") == "Stalled" and c.get("status") == "True":
                        self.stalled.append(f"{body['kind']} {body['metadata']['name']}: {c.get('reason')}")

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)


def _order_world(endpoint: str, suffix: str) -> dict[str, str]:
    """The training account's bucket, repository and key the cross-account example writes policies
    on, one set per namespace."""
    s3, ecr, kms = (client_as(endpoint, s, TRAINING_ROLE) for s in ("s3", "ecr", "kms"))
    bucket, repository = f"training-artifacts-{suffix}", f"decision-trees-{suffix}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    ecr.create_repository(repositoryName=repository)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    return {"bucket": bucket, "repository": repository, "key": key}


def _example_docs(namespace: str, suffix: str, world: dict[str, str]) -> list[dict[str, Any]]:
    """The examples (iris and cross-account) made this namespace's own, every object deleting what it
    made, plus a version naming its group by name and one naming it by ARN."""
    docs = [
        doc
        for folder in ("iris", "cross-account")
        for path in sorted((EXAMPLES / folder).glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc["kind"] != "Namespace"
    ]
    groups = {
        d["metadata"]["name"]: f"{d['metadata']['name']}-{suffix}" for d in docs if d["kind"] == GROUP_KIND
    }
    for doc in docs:
        doc["metadata"]["namespace"] = namespace
        spec = doc["spec"]
        spec["deletionPolicy"] = "Delete"
        if doc["kind"] == GROUP_KIND:
            spec["modelPackageGroupName"] = groups[doc["metadata"]["name"]]
        elif doc["kind"] == "CrossAccountRegistryAccess":
            spec["modelPackageGroupName"] = groups[spec["modelPackageGroupName"]]
            spec["training"].update(
                ecrRepository=world["repository"], s3Bucket=world["bucket"], kmsKeyId=world["key"]
            )
            # the version registered from the training account is deleted from there too
            spec["registry"]["actions"] += ["sagemaker:DescribeModelPackage", "sagemaker:DeleteModelPackage"]
        elif str(spec.get("modelPackageGroupName", "")).startswith("arn:"):
            arn = str(spec["modelPackageGroupName"])
            base, name = arn.rsplit("/", 1)
            spec["modelPackageGroupName"] = f"{base}/{groups[name]}"
    iris = groups["iris"]
    docs.append(manifests.version("iris-by-name", namespace, group_name=iris, deletionPolicy="Delete"))
    by_arn = f"arn:aws:sagemaker:{REGION}:{OWN_ACCOUNT}:model-package-group/{iris}"
    docs.append(manifests.version("iris-by-arn", namespace, group_name=by_arn, deletionPolicy="Delete"))
    return docs


def _applies(rng: random.Random, docs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The documents shuffled and cut into one to three applies."""
    shuffled = list(docs)
    rng.shuffle(shuffled)
    cuts = sorted(rng.sample(range(1, len(shuffled)), rng.randint(0, 2)))
    return [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]


def _not_ready(kube: Kube, namespace: str) -> list[str]:
    listed = json.loads(kube.kubectl("get", "modelregistry", "-n", namespace, "-o", "json").stdout)["items"]
    return [
        f"{o['kind']} {o['metadata']['name']}"
        for o in listed
        if _conditions(o).get("Ready", {}).get("status") != "True"
        or _conditions(o)["Ready"].get("observedGeneration") != o["metadata"]["generation"]
    ]


def _all_gone(kube: Kube, namespace: str) -> bool:
    """True once the namespace holds none of our objects; else fails naming what is left and why."""
    listed = json.loads(kube.kubectl("get", "modelregistry", "-n", namespace, "-o", "json").stdout)["items"]
    left = [
        f"{o['kind']} {o['metadata']['name']} (finalizers {o['metadata'].get('finalizers')}, "
        + ", ".join(
            f"{t} {c.get('status')} {c.get('reason')}: {c.get('message')}" for t, c in _conditions(o).items()
        )
        + ")"
        for o in listed
    ]
    assert not left, "; ".join(left)
    return True


def _one_permutation(kube: Kube, endpoint: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    suffix = f"{seed}-{uuid.uuid4().hex[:6]}"
    namespace = kube.create_namespace(f"{ORDER}-{suffix}")
    world = _order_world(endpoint, suffix)
    docs = _example_docs(namespace, suffix, world)
    recorder = Recorder(kube.info.kubeconfig, namespace)
    folder = Path(tempfile.mkdtemp(prefix=f"order-{seed}-"))
    try:
        applies = _applies(rng, docs)
        for i, chunk in enumerate(applies):
            if i:
                time.sleep(rng.uniform(0, 2))
            part = folder / f"apply-{i}"
            part.mkdir()
            _write_folder(part, chunk)
            kube.kubectl("apply", "-f", str(part))
        last_apply = time.monotonic()
        eventually(
            lambda: not _not_ready(kube, namespace), timeout=60, interval=0.5, what=f"seed {seed} Ready"
        )
        to_ready = time.monotonic() - last_apply
        stalled = list(recorder.stalled)
        assert not stalled, f"seed {seed}: Stalled on the way, for an order: {stalled}"
        versions = [d for d in docs if d["kind"] == "ModelVersion"]
        arns = [
            kube.get("modelversion", d["metadata"]["name"], namespace)["status"]["modelPackageArn"]
            for d in versions
        ]
        assert len(set(arns)) == len(versions), f"seed {seed}: {arns}"
        registered = _packages(endpoint, suffix)
        assert sorted(registered) == sorted(arns), f"seed {seed}: exactly one package per version"

        # Every object deleted at once: all gone, the registry clean (the groups last).
        kube.kubectl("delete", "-R", "-f", str(folder), "--wait=false")
        started = time.monotonic()
        eventually(
            lambda: _all_gone(kube, namespace),
            timeout=60,
            interval=0.5,
            what=f"seed {seed}: every object gone",
        )
        to_gone = time.monotonic() - started
        assert _packages(endpoint, suffix) == [] and _groups(endpoint, suffix) == []
        assert _left_in_training_account(endpoint, world) == {}
        return {
            "seed": seed,
            "applies": len(applies),
            "to_ready_s": round(to_ready, 1),
            "to_gone_s": round(to_gone, 1),
        }
    finally:
        recorder.stop()
        kube.delete("namespace", namespace)


def _groups(endpoint: str, suffix: str) -> list[str]:
    found = []
    for sm in (default_client(endpoint, "sagemaker"), client_as(endpoint, "sagemaker", REGISTRY_ROLE)):
        listed = sm.list_model_package_groups(NameContains=suffix, MaxResults=100)[
            "ModelPackageGroupSummaryList"
        ]
        found += [g["ModelPackageGroupName"] for g in listed if g["ModelPackageGroupStatus"] != "Deleting"]
    return found


def _packages(endpoint: str, suffix: str) -> list[str]:
    arns = []
    for sm in (default_client(endpoint, "sagemaker"), client_as(endpoint, "sagemaker", REGISTRY_ROLE)):
        for group in sm.list_model_package_groups(NameContains=suffix, MaxResults=100)[
            "ModelPackageGroupSummaryList"
        ]:
            listed = sm.list_model_packages(
                ModelPackageGroupName=group["ModelPackageGroupName"], MaxResults=100
            )
            arns += [p["ModelPackageArn"] for p in listed["ModelPackageSummaryList"]]
    return arns


def _left_in_training_account(endpoint: str, world: dict[str, str]) -> dict[str, Any]:
    """What the access wrote in the training account and did not take back."""
    s3, ecr, kms = (client_as(endpoint, s, TRAINING_ROLE) for s in ("s3", "ecr", "kms"))
    left: dict[str, Any] = {}
    with contextlib.suppress(s3.exceptions.ClientError):
        left["bucket policy"] = s3.get_bucket_policy(Bucket=world["bucket"])["Policy"]
    with contextlib.suppress(ecr.exceptions.RepositoryPolicyNotFoundException):
        left["repository policy"] = ecr.get_repository_policy(repositoryName=world["repository"])[
            "policyText"
        ]
    grants = kms.list_grants(KeyId=world["key"])["Grants"]
    if grants:
        left["grants"] = grants
    return left


def test_the_examples_in_any_order_and_split_converge_and_delete_cleanly(
    kube: Kube, aws_endpoint: str
) -> None:
    """20 seeded permutations of the examples (plus a version by name and one by ARN), each cut into one
    to three applies with 0-2 s between them, each in a fresh namespace: every object Ready within 60 s
    of the last apply without a restart, never Stalled on the way, one package per version; then every
    object deleted at once, and nothing left in AWS."""
    with ThreadPoolExecutor(AT_ONCE) as pool:
        futures = {pool.submit(_one_permutation, kube, aws_endpoint, seed): seed for seed in SEEDS}
        results, failures = [], []
        for future, seed in futures.items():
            try:
                results.append(future.result())
            except Exception as exc:  # every seed runs; all failures are reported together
                failures.append(f"seed {seed}: {exc}")
    for r in sorted(results, key=lambda r: r["seed"]):
        print(r)
    assert not failures, "\n".join(failures)
