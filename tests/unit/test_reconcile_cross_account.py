"""CrossAccountRegistryAccess reconcile against the embedded AWS with two accounts (seed: 111.../222...)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from accounts import cross_account_world, foreign_bucket_statement

from registry_operator.api.cross_account import CrossAccountRegistryAccessSpec
from registry_operator.aws.session import ClientFactory
from registry_operator.config import OperatorConfig
from registry_operator.reconcile import cross_account, model_version, runner
from registry_operator.reconcile.context import ReconcileContext
from registry_operator.reconcile.cross_account.parts import CONDITIONS
from registry_operator.reconcile.outcome import ObjectRef, State
from registry_testbed.localaws.seed_accounts import REGION, REGISTRY_ROLE, TRAINING_ROLE
from registry_testbed.localaws.seed_accounts import REGISTRY_ACCOUNT as REGISTRY
from registry_testbed.localaws.seed_accounts import TRAINING_ACCOUNT as TRAINING
from registry_testbed.localaws.server import LocalAWS

FOREIGN = foreign_bucket_statement("artifacts")


@pytest.fixture
def world(operator_aws: LocalAWS) -> dict[str, Any]:
    made = cross_account_world(operator_aws.endpoint_url, "artifacts")
    config = OperatorConfig.model_validate(
        {
            "namespaces": {
                "ml": {
                    "roleArns": [REGISTRY_ROLE, TRAINING_ROLE],
                    "grantAccounts": [REGISTRY, TRAINING],
                    **SCOPES,
                }
            }
        }
    )
    ctx = ReconcileContext(config, ClientFactory(), lambda ns, n: None)
    operator_aws.admin.reset_calls()
    return {
        "ctx": ctx,
        "s3": made.s3,
        "ecr": made.ecr,
        "kms": made.kms,
        "sm": made.registry,
        "key": made.key,
        "admin": operator_aws.admin,
    }


def _spec(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "modelPackageGroupName": "decision-trees",
        "registryAccountId": REGISTRY,
        "trainingAccountId": TRAINING,
        "region": REGION,
        "training": {
            "roleArn": TRAINING_ROLE,
            "ecrRepository": "decision-trees-sample",
            "s3Bucket": "artifacts",
            "s3KeyPrefix": "decision-trees/",
            "kmsKeyId": key,
        },
        "registry": {"roleArn": REGISTRY_ROLE, "actions": ["sagemaker:CreateModelPackage"]},
        **extra,
    }


REF = ObjectRef("ml", "decision-trees", "uid-1", 1)
SCOPES = {"groups": ["*"], "s3Buckets": ["*"], "ecrRepositories": ["*"], "kmsKeys": ["*"]}


def _statements(text: str) -> list[dict[str, Any]]:
    return json.loads(text)["Statement"]


def test_apply_every_part_then_nothing_to_write(world: dict[str, Any]) -> None:
    out = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), {}, world["ctx"])
    assert out.state is State.READY, out
    conds = {c[0]: c[1] for c in out.extra_conditions}
    assert conds == dict.fromkeys(CONDITIONS.values(), True)
    bucket = _statements(world["s3"].get_bucket_policy(Bucket="artifacts")["Policy"])
    assert bucket[0] == FOREIGN and len(bucket) == 3
    (s3_part,) = (p for p in out.status["appliedPolicies"] if p["service"] == "s3")
    assert {s["Sid"] for s in bucket[1:]} == set(s3_part["sids"])
    objects = next(s for s in bucket[1:] if "s3:GetObject" in s["Action"])
    assert objects["Resource"] == "arn:aws:s3:::artifacts/decision-trees/*"
    group_policy = _statements(
        world["sm"].get_model_package_group_policy(ModelPackageGroupName="decision-trees")["ResourcePolicy"]
    )
    assert group_policy[0]["Principal"] == {"AWS": f"arn:aws:iam::{TRAINING}:root"}
    grants = world["kms"].list_grants(KeyId=world["key"])["Grants"]
    assert [g["GrantId"] for g in grants] == [out.status["kmsGrantId"]]
    assert sorted(grants[0]["Operations"]) == ["Decrypt", "GenerateDataKey"]

    world["admin"].reset_calls()
    again = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), out.status, world["ctx"])
    assert again.state is State.READY and again.events == []
    writes = {
        op for op in world["admin"].calls() if not op.split(":")[1].startswith(("Get", "List", "Describe"))
    }
    assert writes == set(), writes  # a restart rewrites nothing and creates no second grant


def test_cross_account_version_denied_before_and_registered_after(world: dict[str, Any]) -> None:
    group_arn = world["sm"].describe_model_package_group(ModelPackageGroupName="decision-trees")[
        "ModelPackageGroupArn"
    ]
    version_spec = {
        "modelPackageGroupName": group_arn,
        "roleArn": TRAINING_ROLE,
        "inferenceSpecification": {
            "containers": [
                {
                    "image": f"{TRAINING}.dkr.ecr.us-east-2.amazonaws.com/decision-trees-sample:latest",
                    "modelDataUrl": "s3://artifacts/decision-trees/model.tar.gz",
                }
            ]
        },
    }
    mv_ref = ObjectRef("ml", "dt-1", "6b1d6c2e-0000-4000-8000-0000000000aa", 1)
    denied = runner.reconcile(model_version.MANAGED, mv_ref, version_spec, {}, world["ctx"])
    assert (denied.state, denied.reason) == (State.PROGRESSING, "AccessDenied"), denied
    assert (
        runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), {}, world["ctx"]).state
        is State.READY
    )
    registered = runner.reconcile(model_version.MANAGED, mv_ref, version_spec, {}, world["ctx"])
    assert registered.state is State.READY, registered
    assert registered.status["modelPackageArn"].startswith(
        f"arn:aws:sagemaker:{REGION}:{REGISTRY}:model-package/"
    )
    # The group policy grants CreateModelPackage only (the seed's set-up): registered, but unobservable.
    observed = {c[0]: c for c in registered.extra_conditions}[model_version.OBSERVED_CONDITION]
    assert observed[1:3] == (False, "AccessDenied") and "sagemaker:DescribeModelPackage" in observed[3]


def test_delete_removes_exactly_ours(world: dict[str, Any]) -> None:
    out = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), {}, world["ctx"])
    deleted = runner.delete(cross_account.MANAGED, REF, _spec(world["key"]), out.status, world["ctx"])
    assert deleted is not None and deleted.state is State.READY, deleted
    assert _statements(world["s3"].get_bucket_policy(Bucket="artifacts")["Policy"]) == [FOREIGN]
    with pytest.raises(world["ecr"].exceptions.RepositoryPolicyNotFoundException):
        world["ecr"].get_repository_policy(repositoryName="decision-trees-sample")  # only ours was there
    assert world["kms"].list_grants(KeyId=world["key"])["Grants"] == []
    with pytest.raises(world["sm"].exceptions.ClientError, match="Cannot find resource policy"):
        world["sm"].get_model_package_group_policy(ModelPackageGroupName="decision-trees")
    assert out.status["kmsGrantId"]


def test_two_resources_on_one_bucket_both_applied(world: dict[str, Any]) -> None:
    other = ObjectRef("ml", "another-model", "uid-2", 1)
    spec_other = _spec(world["key"])
    spec_other["training"] = {"roleArn": TRAINING_ROLE, "s3Bucket": "artifacts", "s3KeyPrefix": "other/"}
    spec_other.pop("registry")
    assert (
        runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), {}, world["ctx"]).state
        is State.READY
    )
    assert runner.reconcile(cross_account.MANAGED, other, spec_other, {}, world["ctx"]).state is State.READY
    resources = {
        s["Resource"] for s in _statements(world["s3"].get_bucket_policy(Bucket="artifacts")["Policy"])
    }
    assert {"arn:aws:s3:::artifacts/decision-trees/*", "arn:aws:s3:::artifacts/other/*"} <= resources


def test_grant_past_the_first_list_grants_page_is_found_not_duplicated(world: dict[str, Any]) -> None:
    # ListGrants returns at most 100 grants a page (botocore kms model, ListGrantsRequest.Limit), so on a
    # key other tenants already use, this object's grant is on the second page: the adapter must follow
    # NextMarker to find it, or every re-check would create another grant.
    for i in range(120):
        world["kms"].create_grant(
            KeyId=world["key"],
            GranteePrincipal="arn:aws:iam::333333333333:root",
            Operations=["Decrypt"],
            Name=f"other-tenant-{i}",
        )
    out = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), {}, world["ctx"])
    assert out.state is State.READY, out
    world["admin"].reset_calls()
    again = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), out.status, world["ctx"])
    assert again.state is State.READY and again.events == []
    assert again.status["kmsGrantId"] == out.status["kmsGrantId"]
    assert "kms:CreateGrant" not in world["admin"].calls()
    assert world["admin"].calls()["kms:ListGrants"] >= 2  # two pages at least
    deleted = runner.delete(cross_account.MANAGED, REF, _spec(world["key"]), again.status, world["ctx"])
    assert deleted is not None and deleted.state is State.READY, deleted
    grants: list[dict[str, Any]] = []
    for page in world["kms"].get_paginator("list_grants").paginate(KeyId=world["key"]):
        grants += page["Grants"]
    assert len(grants) == 120 and out.status["kmsGrantId"] not in {g["GrantId"] for g in grants}


def test_grant_removed_out_of_band_is_recreated_and_key_change_retires_old(world: dict[str, Any]) -> None:
    out = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), {}, world["ctx"])
    world["kms"].revoke_grant(KeyId=world["key"], GrantId=out.status["kmsGrantId"])
    again = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), out.status, world["ctx"])
    assert [e.reason for e in again.events] == ["GrantRecreated"]
    assert len(world["kms"].list_grants(KeyId=world["key"])["Grants"]) == 1
    new_key = world["kms"].create_key()["KeyMetadata"]["KeyId"]
    moved = runner.reconcile(cross_account.MANAGED, REF, _spec(new_key), again.status, world["ctx"])
    assert moved.state is State.READY
    assert world["kms"].list_grants(KeyId=world["key"])["Grants"] == []
    assert len(world["kms"].list_grants(KeyId=new_key)["Grants"]) == 1


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({}, "spec.training.roleArn"),
        (
            {
                "namespaces": {
                    "ml": {"roleArns": [REGISTRY_ROLE, TRAINING_ROLE], "grantAccounts": [TRAINING], **SCOPES}
                }
            },
            "spec.registryAccountId",
        ),
        (
            {
                "namespaces": {
                    "ml": {"roleArns": [REGISTRY_ROLE, TRAINING_ROLE], "grantAccounts": [REGISTRY], **SCOPES}
                }
            },
            "spec.trainingAccountId",
        ),
    ],
)
def test_allowlist_refuses_without_aws_calls(world: dict[str, Any], config: dict, field: str) -> None:
    ctx = ReconcileContext(OperatorConfig.model_validate(config), ClientFactory(), lambda ns, n: None)
    out = runner.reconcile(cross_account.MANAGED, REF, _spec(world["key"]), {}, ctx)
    assert (out.state, out.reason) == (State.STALLED, "NotPermitted")
    assert out.message.startswith(field)
    assert world["admin"].calls() == {}


def test_concurrent_resources_on_one_bucket_keep_every_statement(world: dict[str, Any]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def apply(i: int) -> State:
        spec = _spec(world["key"])
        spec["training"] = {"roleArn": TRAINING_ROLE, "s3Bucket": "artifacts", "s3KeyPrefix": f"model-{i}/"}
        spec.pop("registry")
        return runner.reconcile(
            cross_account.MANAGED, ObjectRef("ml", f"m{i}", f"u{i}", 1), spec, {}, world["ctx"]
        ).state

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(apply, range(8))) == {State.READY}
    resources = {
        s["Resource"] for s in _statements(world["s3"].get_bucket_policy(Bucket="artifacts")["Policy"])
    }
    assert {f"arn:aws:s3:::artifacts/model-{i}/*" for i in range(8)} <= resources
    assert FOREIGN in _statements(world["s3"].get_bucket_policy(Bucket="artifacts")["Policy"])


REFUSED_ROLE = "arn:aws:iam::222222222222:role/not-allowed"


def _random_spec(rng: random.Random, keys: list[str], allowed: bool = True) -> dict[str, Any]:
    training: dict[str, Any] = {"roleArn": TRAINING_ROLE if allowed else REFUSED_ROLE}
    if rng.random() < 0.8:
        training["s3Bucket"] = rng.choice(["artifacts", "artifacts-2"])
        if rng.random() < 0.5:
            training["s3KeyPrefix"] = rng.choice(["a/", "b/"])
    if rng.random() < 0.7:
        training["ecrRepository"] = rng.choice(["decision-trees-sample", "repo-2"])
    if rng.random() < 0.6:
        training["kmsKeyId"] = rng.choice(keys)
    spec = _spec(keys[0])
    spec["training"] = training
    if rng.random() < 0.4:
        spec.pop("registry")
    return spec


def _ours(doc_text: str | None) -> list[dict[str, Any]]:
    if doc_text is None:
        return []
    return [s for s in _statements(doc_text) if str(s.get("Sid", "")).startswith("ModelRegistry")]


def _policy_text(fn: Any, key: str, missing: type[Exception], **kwargs: Any) -> str | None:
    try:
        return str(fn(**kwargs)[key])
    except missing:
        return None


@pytest.mark.parametrize("seed", range(6))
def test_any_sequence_of_edits_refusals_faults_crashes_and_rechecks_converges(
    world: dict[str, Any], seed: int
) -> None:
    """Random edits among allowed and refused targets, injected AWS failures, periodic re-checks and
    crashes that lose a status write: the policies end with exactly the current spec's statements."""
    rng = random.Random(seed)
    s3, ecr, kms, sm = world["s3"], world["ecr"], world["kms"], world["sm"]
    s3.create_bucket(Bucket="artifacts-2", CreateBucketConfiguration={"LocationConstraint": REGION})
    ecr.create_repository(repositoryName="repo-2")
    keys = [world["key"], kms.create_key()["KeyMetadata"]["KeyId"]]
    recorded: dict[str, Any] = {}

    def checkpoint(status: dict[str, Any]) -> None:
        recorded.clear()
        recorded.update(status)

    spec = _random_spec(rng, keys)
    for _ in range(14):
        action = rng.choice(["edit", "edit", "refused-edit", "recheck", "crash"])
        if action == "edit":
            spec = _random_spec(rng, keys)
        elif action == "refused-edit":
            spec = _random_spec(rng, keys, allowed=False)
        world["admin"].set_faults(
            [
                {"operation": op, "rate": rng.choice([0.0, 0.5, 0.9]), "error": "InternalFailure"}
                for op in (
                    "s3:PutBucketPolicy",
                    "ecr:SetRepositoryPolicy",
                    "kms:CreateGrant",
                    "kms:RevokeGrant",
                    "sagemaker:PutModelPackageGroupPolicy",
                )
            ],
            seed=seed,
        )
        out = runner.reconcile(
            cross_account.MANAGED, REF, spec, dict(recorded), world["ctx"], checkpoint=checkpoint
        )
        if action != "crash":  # a crash loses the final status write; the checkpoints stay
            recorded.clear()
            recorded.update(out.status)
    world["admin"].clear_faults()
    spec = _random_spec(rng, keys)  # whoever edited last, the spec ends allowed
    for _ in range(3):
        out = runner.reconcile(
            cross_account.MANAGED, REF, spec, dict(recorded), world["ctx"], checkpoint=checkpoint
        )
        recorded.clear()
        recorded.update(out.status)
    assert out.state is State.READY, out

    wanted = cross_account.plan(
        CrossAccountRegistryAccessSpec.model_validate(spec), REF.namespace, REF.name, REGION
    )
    expected = {(p.service, p.target): sorted(p.statements, key=lambda s: s["Sid"]) for p in wanted.policies}
    for bucket in ("artifacts", "artifacts-2"):
        text = _policy_text(s3.get_bucket_policy, "Policy", s3.exceptions.ClientError, Bucket=bucket)
        assert sorted(_ours(text), key=lambda s: s["Sid"]) == expected.get(("s3", bucket), []), bucket
        if bucket == "artifacts":
            assert text is not None and FOREIGN in _statements(text)  # foreign statements untouched
    for repo in ("decision-trees-sample", "repo-2"):
        text = _policy_text(
            ecr.get_repository_policy,
            "policyText",
            ecr.exceptions.RepositoryPolicyNotFoundException,
            repositoryName=repo,
        )
        assert _ours(text) == expected.get(("ecr", repo), []), repo
    text = _policy_text(
        sm.get_model_package_group_policy,
        "ResourcePolicy",
        sm.exceptions.ClientError,
        ModelPackageGroupName="decision-trees",
    )
    assert _ours(text) == expected.get(("sagemaker", "decision-trees"), [])
    for key in keys:
        names = [g.get("Name") for g in kms.list_grants(KeyId=key)["Grants"]]
        assert names == [g.name for g in wanted.grants if g.key_id == key], key


def test_a_crash_after_the_aws_write_forgets_nothing(world: dict[str, Any]) -> None:
    """The new bucket is recorded (checkpointed) before its policy is written: a crash that loses the
    final status write still lets the next edit withdraw from it."""
    world["s3"].create_bucket(Bucket="artifacts-2", CreateBucketConfiguration={"LocationConstraint": REGION})
    spec = _spec(world["key"])
    spec["training"] = {"roleArn": TRAINING_ROLE, "s3Bucket": "artifacts"}
    spec.pop("registry")
    checkpoints: list[dict[str, Any]] = []
    first = runner.reconcile(
        cross_account.MANAGED, REF, spec, {}, world["ctx"], checkpoint=checkpoints.append
    )
    assert first.state is State.READY
    moved = {**spec, "training": {"roleArn": TRAINING_ROLE, "s3Bucket": "artifacts-2"}}
    checkpoints.clear()
    crashed = runner.reconcile(
        cross_account.MANAGED, REF, moved, first.status, world["ctx"], checkpoint=checkpoints.append
    )
    assert crashed.state is State.READY and _ours(
        world["s3"].get_bucket_policy(Bucket="artifacts-2")["Policy"]
    )
    # what the status holds: the crash lost `crashed.status`, not what was checkpointed before the write
    after_crash = checkpoints[-1] if checkpoints else first.status
    back = {**spec, "training": {"roleArn": TRAINING_ROLE, "s3Bucket": "artifacts"}}
    out = runner.reconcile(cross_account.MANAGED, REF, back, after_crash, world["ctx"])
    assert out.state is State.READY, out
    with pytest.raises(world["s3"].exceptions.ClientError):  # nothing of ours left: the policy is gone
        world["s3"].get_bucket_policy(Bucket="artifacts-2")
