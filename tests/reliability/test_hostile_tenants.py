"""Hostile tenants: namespace `tenant-b` tries to act on what namespace `tenant-a` owns (its groups,
versions, bucket, repository and key), on what no namespace owns but lies outside its scopes, with a
role or account the admin took back, and as a second cluster sharing the account. Every attempt ends
with a condition naming the reason and zero AWS writes to the other tenant's resources."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import manifests
import pytest
from accounts import REGION, REGISTRY_ACCOUNT, REGISTRY_ROLE, TRAINING_ACCOUNT, TRAINING_ROLE, client_as
from kube import Kube, condition, open_test_cluster, stop_test_cluster
from runner import OperatorRunner
from waiting import eventually

from registry_testbed import devstack

NAMESPACES = ["tenant-a", "tenant-b"]
OWN_ACCOUNT = "123456789012"  # the embedded AWS's default account: the operator's own identity
B_ROLE = f"arn:aws:iam::{TRAINING_ACCOUNT}:role/tenant-b-trainer"
SCOPES_A = """    groups: ["a-*", "shared-owned-by-a"]
    s3Buckets: ["a-bucket"]
    ecrRepositories: ["222222222222/a-repo"]
    kmsKeys: ["*"]
"""
SCOPES_B = """    groups: ["b-*", "shared-*"]
    s3Buckets: ["b-bucket", "shared-bucket"]
    ecrRepositories: ["222222222222/b-repo"]
    kmsKeys: ["{b_key}"]
"""
CONFIG = """clusterName: blue
defaultRegion: us-east-2
resyncIntervalSeconds: 5
namespaces:
  tenant-a:
    roleArns: ["{registry_role}", "{training_role}"]
    grantAccounts: ["{registry}", "{training}"]
{scopes_a}  tenant-b:
    roleArns: [{b_roles}]
    grantAccounts: [{b_accounts}]
{scopes_b}"""
OPERATOR_CONFIG = "defaultRegion: us-east-2\n"  # replaced by _configure before anything is applied
WRITES = ("Create", "Put", "Set", "Update", "Delete", "Add", "Revoke", "Retire")
RESULTS: Counter[str] = Counter()
CASES: list[tuple[str, str]] = []


def _config(b_key: str, b_roles: list[str], b_accounts: list[str]) -> str:
    return CONFIG.format(
        registry_role=REGISTRY_ROLE,
        training_role=TRAINING_ROLE,
        registry=REGISTRY_ACCOUNT,
        training=TRAINING_ACCOUNT,
        scopes_a=SCOPES_A,
        scopes_b=SCOPES_B.format(b_key=b_key),
        b_roles=", ".join(f'"{r}"' for r in b_roles),
        b_accounts=", ".join(f'"{a}"' for a in b_accounts),
    )


def _restart_with(stack: Any, text: str) -> None:
    stack.operator.config.write_text(text)
    stack.operator.restart()


def _access(name: str, ns: str, training: dict[str, Any] | None = None, registry: str | None = None) -> dict:
    """Training-side parts in account 222222222222 with the namespace's role; a registry-side part on a
    group in the operator's own account (no role)."""
    return manifests.access(
        name,
        ns,
        registry or "unused",
        registryAccountId=OWN_ACCOUNT if registry else REGISTRY_ACCOUNT,
        training=None
        if training is None
        else {"roleArn": TRAINING_ROLE if ns == "tenant-a" else B_ROLE, **training},
        registry=None if registry is None else {"actions": ["sagemaker:CreateModelPackage"]},
    )


def _writes(calls: dict[str, int]) -> dict[str, int]:
    return {op: n for op, n in calls.items() if op.split(":")[1].startswith(WRITES)}


def _refused(kube: Kube, kind: str, name: str, reason: str, what: str, stack: Any) -> None:
    """The attempt is Stalled with `reason`, and made no AWS write."""

    def stalled() -> dict[str, Any] | None:
        c = condition(kube.get(kind, name, "tenant-b"), "Stalled")
        return c if c.get("status") == "True" else None

    found = eventually(stalled, timeout=90, what=f"{kind}/{name} Stalled")
    assert found["reason"] == reason, found
    writes = _writes(stack.admin.calls(f"tenant-b/{name}"))
    assert writes == {}, writes
    RESULTS[reason] += 1
    CASES.append((what, f"Stalled {reason}: {found['message']}"))


@pytest.fixture(scope="module")
def world(stack: Any) -> dict[str, Any]:
    """tenant-a's belongings, made through the operator; the shared and un-owned things, by hand."""
    kube, endpoint = stack.kube, stack.endpoint
    sm = stack.client("sagemaker")
    s3, ecr, kms = (client_as(endpoint, s, TRAINING_ROLE) for s in ("s3", "ecr", "kms"))
    registry = client_as(endpoint, "sagemaker", REGISTRY_ROLE)
    for bucket in ("a-bucket", "b-bucket", "shared-bucket"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for repo in ("a-repo", "b-repo"):
        ecr.create_repository(repositoryName=repo)
    a_key, b_key = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    _restart_with(stack, _config(b_key, [B_ROLE], [REGISTRY_ACCOUNT, TRAINING_ACCOUNT]))

    # tenant-a: its groups (one inside tenant-b's scope), versions, and an access on its bucket and key
    kube.apply(manifests.group("a-iris", "tenant-a"))
    kube.apply(manifests.group("shared-owned-by-a", "tenant-a"))
    for group in ("a-iris", "shared-owned-by-a"):
        kube.wait("mpg", group, "tenant-a", timeout=90)
    kube.apply(manifests.version("a-v1", "tenant-a", group_ref="a-iris"))
    kube.apply(manifests.version("a-v2", "tenant-a", group_ref="shared-owned-by-a"))
    kube.apply(
        _access(
            "a-access", "tenant-a", {"s3Bucket": "a-bucket", "ecrRepository": "a-repo", "kmsKeyId": a_key}
        )
    )
    for kind, name in (("mv", "a-v1"), ("mv", "a-v2"), ("craa", "a-access")):
        kube.wait(kind, name, "tenant-a", timeout=120)
    # un-owned: made by a pipeline, outside tenant-b's scopes
    sm.create_model_package_group(ModelPackageGroupName="loose-group")
    loose = sm.create_model_package(
        ModelPackageGroupName="loose-group", InferenceSpecification=manifests.AWS_INFERENCE
    )
    a_v1 = kube.get("mv", "a-v1", "tenant-a")["status"]["modelPackageArn"]
    a_v2 = kube.get("mv", "a-v2", "tenant-a")["status"]["modelPackageArn"]
    return {
        "a_v1": a_v1,
        "a_v2": a_v2,
        "loose": loose["ModelPackageArn"],
        "a_key": a_key,
        "b_key": b_key,
        "s3": s3,
        "ecr": ecr,
        "kms": kms,
        "sm": sm,
        "registry": registry,
        "a_bucket_policy": s3.get_bucket_policy(Bucket="a-bucket")["Policy"],
        "a_grants": kms.list_grants(KeyId=a_key)["Grants"],
    }


def test_adopt_anothers_version_by_arn_and_approve_it(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(manifests.adopted("steal-approve", "tenant-b", world["a_v1"], approvalStatus="Approved"))
    _refused(
        stack.kube, "mv", "steal-approve", "NotPermitted", "adopt tenant-a's version by ARN, Approved", stack
    )
    assert (
        world["sm"].describe_model_package(ModelPackageName=world["a_v1"])["ModelApprovalStatus"]
        != "Approved"
    )


def test_adopt_anothers_version_in_a_group_within_scope(stack: Any, world: dict[str, Any]) -> None:
    """Even where tenant-b's scopes reach the group: the cluster's own view (which object holds which
    package) refuses it before any AWS call."""
    stack.kube.apply(manifests.adopted("steal-owned", "tenant-b", world["a_v2"], approvalStatus="Approved"))
    _refused(
        stack.kube,
        "mv",
        "steal-owned",
        "AlreadyManaged",
        "adopt tenant-a's version in a shared-* group, held by tenant-a/a-v2",
        stack,
    )
    assert (
        world["sm"].describe_model_package(ModelPackageName=world["a_v2"])["ModelApprovalStatus"]
        != "Approved"
    )


def test_delete_anothers_retained_version_through_adoption(stack: Any, world: dict[str, Any]) -> None:
    """tenant-a deleted its object and kept the version (Retain): no object holds it any more, but the
    owner recorded in the version itself still refuses tenant-b."""
    kube = stack.kube
    kube.apply(manifests.version("a-kept", "tenant-a", group_ref="shared-owned-by-a"))
    kube.wait("mv", "a-kept", "tenant-a", timeout=120)
    kept = kube.get("mv", "a-kept", "tenant-a")["status"]["modelPackageArn"]
    kube.kubectl("delete", "mv", "a-kept", "-n", "tenant-a", "--timeout=60s")
    kube.apply(manifests.adopted("steal-delete", "tenant-b", kept, deletionPolicy="Delete"))
    _refused(
        kube,
        "mv",
        "steal-delete",
        "OwnedElsewhere",
        "adopt a version tenant-a retained, with deletionPolicy Delete",
        stack,
    )
    kube.kubectl("delete", "mv", "steal-delete", "-n", "tenant-b", "--timeout=60s")
    world["sm"].describe_model_package(ModelPackageName=kept)  # still there


def test_declare_anothers_group_with_delete_and_delete_it(stack: Any, world: dict[str, Any]) -> None:
    kube = stack.kube
    kube.apply(manifests.group("a-iris", "tenant-b", deletionPolicy="Delete"))
    _refused(kube, "mpg", "a-iris", "OwnedElsewhere", "declare tenant-a's group a-iris with Delete", stack)
    kube.kubectl("delete", "mpg", "a-iris", "-n", "tenant-b", "--timeout=60s")
    world["sm"].describe_model_package_group(ModelPackageGroupName="a-iris")  # still there


def test_declare_anothers_group_within_scope_to_retag_it(stack: Any, world: dict[str, Any]) -> None:
    kube = stack.kube
    kube.apply(manifests.group("shared-owned-by-a", "tenant-b", tags={"owner-team": "b"}))
    _refused(
        kube, "mpg", "shared-owned-by-a", "OwnedElsewhere", "retag tenant-a's group in a shared-* name", stack
    )
    arn = world["sm"].describe_model_package_group(ModelPackageGroupName="shared-owned-by-a")[
        "ModelPackageGroupArn"
    ]
    assert "owner-team" not in {t["Key"] for t in world["sm"].list_tags(ResourceArn=arn)["Tags"]}


def test_register_into_anothers_group_by_name(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(manifests.version("squat", "tenant-b", group_name="a-iris"))
    _refused(
        stack.kube, "mv", "squat", "NotPermitted", "register a version into tenant-a's group by name", stack
    )


def test_create_a_group_outside_the_names_it_may_create(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(manifests.group("z-anything", "tenant-b"))
    _refused(
        stack.kube, "mpg", "z-anything", "NotPermitted", "create a group outside its groups patterns", stack
    )


def test_adopt_an_unowned_version_outside_its_scope(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(manifests.adopted("loose-version", "tenant-b", world["loose"]))
    _refused(
        stack.kube,
        "mv",
        "loose-version",
        "NotPermitted",
        "adopt an un-owned version outside its scope",
        stack,
    )


def test_adopt_an_unowned_group_outside_its_scope(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(manifests.group("loose-group", "tenant-b"))
    _refused(
        stack.kube, "mpg", "loose-group", "NotPermitted", "adopt an un-owned group outside its scope", stack
    )


def test_policy_statement_on_anothers_bucket(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(_access("b-on-a-bucket", "tenant-b", {"s3Bucket": "a-bucket"}))
    _refused(
        stack.kube, "craa", "b-on-a-bucket", "NotPermitted", "bucket policy statement on a-bucket", stack
    )
    assert world["s3"].get_bucket_policy(Bucket="a-bucket")["Policy"] == world["a_bucket_policy"]


def test_policy_statement_on_anothers_repository(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(_access("b-on-a-repo", "tenant-b", {"ecrRepository": "a-repo"}))
    _refused(
        stack.kube, "craa", "b-on-a-repo", "NotPermitted", "repository policy statement on a-repo", stack
    )


def test_grant_on_anothers_key(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(_access("b-on-a-key", "tenant-b", {"kmsKeyId": world["a_key"]}))
    _refused(stack.kube, "craa", "b-on-a-key", "NotPermitted", "KMS grant on tenant-a's key", stack)
    assert world["kms"].list_grants(KeyId=world["a_key"])["Grants"] == world["a_grants"]


def test_group_policy_on_anothers_group(stack: Any, world: dict[str, Any]) -> None:
    stack.kube.apply(_access("b-on-a-group", "tenant-b", registry="a-iris"))
    _refused(
        stack.kube,
        "craa",
        "b-on-a-group",
        "NotPermitted",
        "group policy statement on tenant-a's group",
        stack,
    )


def test_role_and_account_taken_back_are_not_used_at_the_next_pass(stack: Any, world: dict[str, Any]) -> None:
    """tenant-b registers with its role and grants to the registry account; the admin takes both back:
    at the next pass the objects are Stalled, and the role makes no further call."""
    kube = stack.kube
    kube.apply(manifests.group("b-train", "tenant-b", roleArn=B_ROLE))  # in the training account
    kube.wait("mpg", "b-train", "tenant-b", timeout=90)
    kube.apply(manifests.version("b-with-role", "tenant-b", group_ref="b-train", roleArn=B_ROLE))
    kube.apply(_access("b-grant", "tenant-b", {"s3Bucket": "b-bucket"}))
    kube.wait("craa", "b-grant", "tenant-b", timeout=90)
    kube.wait("mv", "b-with-role", "tenant-b", timeout=90)
    _restart_with(stack, _config(world["b_key"], [], [TRAINING_ACCOUNT]))
    stack.admin.reset_calls()
    _refused(kube, "mv", "b-with-role", "NotPermitted", "keep using a role the admin removed", stack)
    _refused(kube, "craa", "b-grant", "NotPermitted", "keep granting to an account the admin removed", stack)
    assert stack.admin.calls("tenant-b/b-with-role") == {}
    _restart_with(stack, _config(world["b_key"], [B_ROLE], [REGISTRY_ACCOUNT, TRAINING_ACCOUNT]))


def test_a_second_cluster_with_the_same_names_keeps_its_own_statements(
    stack: Any, world: dict[str, Any], tmp_path: Path
) -> None:
    """Cluster green shares the account and has the very same namespace/name: its statement and grant
    never replace or revoke blue's."""
    kube = stack.kube
    shared = {"s3Bucket": "shared-bucket", "kmsKeyId": world["b_key"]}
    kube.apply(_access("same-name", "tenant-b", shared))
    kube.wait("craa", "same-name", "tenant-b", timeout=90)
    s3, kms = world["s3"], world["kms"]
    blue_sids = {
        s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket="shared-bucket")["Policy"])["Statement"]
    }
    blue_grants = {g["Name"] for g in kms.list_grants(KeyId=world["b_key"])["Grants"]}
    green_dir = tmp_path / "green"
    green = open_test_cluster(green_dir, Path(__file__).resolve().parents[2] / "crds")
    config = tmp_path / "green.yaml"
    config.write_text(
        _config(world["b_key"], [B_ROLE], [REGISTRY_ACCOUNT, TRAINING_ACCOUNT]).replace(
            "clusterName: blue", "clusterName: green"
        )
    )
    runner = OperatorRunner(
        green, stack.endpoint, tmp_path / "green.log", config, ["--namespace", "tenant-b"]
    )
    try:
        green.create_namespace("tenant-b")
        runner.start()
        green.apply(_access("same-name", "tenant-b", shared))
        green.wait("craa", "same-name", "tenant-b", timeout=120)
        both = {
            s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket="shared-bucket")["Policy"])["Statement"]
        }
        assert blue_sids < both and len(both) == 2 * len(blue_sids)
        assert blue_grants < {g["Name"] for g in kms.list_grants(KeyId=world["b_key"])["Grants"]}
        green.kubectl("delete", "craa", "same-name", "-n", "tenant-b", "--timeout=90s")
        left = {
            s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket="shared-bucket")["Policy"])["Statement"]
        }
        assert left == blue_sids
        assert {g["Name"] for g in kms.list_grants(KeyId=world["b_key"])["Grants"]} == blue_grants
        RESULTS["kept apart"] += 1
        CASES.append(("a second cluster with the same namespace/name on one bucket and key", "kept apart"))
    finally:
        runner.stop()
        stop_test_cluster(green.info, green_dir)


def test_renaming_the_cluster_without_saying_so_is_refused_at_start(
    stack: Any, world: dict[str, Any]
) -> None:
    renamed = stack.operator.config.parent / "renamed.yaml"
    renamed.write_text(stack.operator.config.read_text().replace("clusterName: blue", "clusterName: red"))
    env = devstack.operator_env(stack.kube.info.kubeconfig, stack.endpoint)
    args = ["run", "--config", str(renamed), "--namespace", "tenant-b", "--state-namespace", "tenant-a"]
    started = subprocess.run(
        [sys.executable, "-m", "registry_operator.cli", *args, "--metrics-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 2, started.stderr
    assert "previousClusterNames: [blue]" in started.stderr
    RESULTS["refused at start"] += 1
    CASES.append(("rename the cluster without previousClusterNames", started.stderr.strip().splitlines()[-1]))


def test_tenant_a_is_untouched_and_the_figure(stack: Any, world: dict[str, Any]) -> None:
    kube = stack.kube
    for kind, name in (("mv", "a-v1"), ("mv", "a-v2"), ("mpg", "a-iris"), ("craa", "a-access")):
        assert condition(kube.get(kind, name, "tenant-a")).get("status") == "True", (kind, name)
    assert world["s3"].get_bucket_policy(Bucket="a-bucket")["Policy"] == world["a_bucket_policy"]
    print(f"\n{len(CASES)} cross-tenant attempts, each refused with zero AWS writes to the other tenant:")
    for what, how in CASES:
        print(f"  - {what}: {how}")
    print("  by outcome: " + ", ".join(f"{n} {k}" for k, n in sorted(RESULTS.items())))
    assert len(CASES) >= 15
