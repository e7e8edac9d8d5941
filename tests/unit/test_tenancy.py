"""Tenancy at the reconcile layer: what the config lets a namespace do, and ownership recorded in AWS."""

from __future__ import annotations

import pytest

from registry_operator.config import OperatorConfig
from registry_operator.reconcile import ownership
from registry_operator.reconcile.outcome import ObjectRef, Stalled
from registry_operator.reconcile.permissions import Authorizer, Request

CONFIG = OperatorConfig.model_validate(
    {
        "clusterName": "prod",
        "previousClusterNames": ["old"],
        "namespaces": {
            "ml": {
                "roleArns": ["arn:aws:iam::222222222222:role/registrar"],
                "grantAccounts": ["111111111111"],
                "groups": ["iris-*", "arn:aws:sagemaker:us-east-2:111111111111:model-package-group/shared"],
                "s3Buckets": ["artifacts"],
                "ecrRepositories": ["222222222222/models-*"],
                "kmsKeys": ["arn:aws:kms:us-east-2:222222222222:key/*"],
            }
        },
    }
)


def _authorizer(managed: set[tuple[str, str]] = frozenset()) -> Authorizer:  # type: ignore[assignment]
    return Authorizer(CONFIG, "123456789012", lambda ns, group: (ns, group) in managed)


@pytest.mark.parametrize(
    ("namespace", "request_", "names"),
    [
        ("ml", Request(roles=(("spec.roleArn", "arn:aws:iam::222222222222:role/admin"),)), "roleArns"),
        ("team", Request(roles=(("spec.roleArn", "arn:aws:iam::222222222222:role/registrar"),)), "roleArns"),
        ("ml", Request(grant_to=(("spec.trainingAccountId", "333333333333"),)), "grantAccounts"),
        ("ml", Request(into_groups=(("spec.modelPackageGroupName", "payments"),)), "groups"),
        ("team", Request(into_groups=(("spec.modelPackageGroupName", "iris-1"),)), "groups"),
        ("ml", Request(create_groups=(("metadata.name", "payments"),)), "groups"),
        ("ml", Request(buckets=(("spec.training.s3Bucket", "finance"),)), "s3Buckets"),
        (
            "ml",
            Request(repositories=(("spec.training.ecrRepository", "222222222222/other"),)),
            "ecrRepositories",
        ),
        (
            "ml",
            Request(keys=(("spec.training.kmsKeyId", "1234abcd-12ab-34cd-56ef-1234567890ab"),)),
            "kmsKeys",
        ),
        (
            "ml",
            Request(
                accounts=(
                    (
                        "spec.modelPackageArn",
                        "arn:aws:sagemaker:us-east-2:444444444444:model-package/x/1",
                        None,
                    ),
                )
            ),
            "grantAccounts",
        ),
    ],
)
def test_refusals_name_the_field_and_the_config_key(namespace: str, request_: Request, names: str) -> None:
    with pytest.raises(Stalled) as refused:
        _authorizer().authorize(namespace, request_)
    field = next(v for v in vars(request_).values() if v)[0][0]
    assert refused.value.reason == "NotPermitted"
    assert (
        refused.value.message.startswith(field) and f"namespaces.{namespace}.{names}" in refused.value.message
    )


def test_allowed_within_scopes_and_for_what_the_namespace_manages() -> None:
    authorizer = _authorizer({("team", "payments")})
    authorizer.authorize(
        "ml",
        Request(
            roles=(("spec.roleArn", "arn:aws:iam::222222222222:role/registrar"),),
            grant_to=(("spec.registryAccountId", "111111111111"),),
            into_groups=(
                ("spec.modelPackageGroupName", "iris-2"),
                (
                    "spec.modelPackageGroupName",
                    "arn:aws:sagemaker:us-east-2:111111111111:model-package-group/shared",
                ),
            ),
            create_groups=(("metadata.name", "iris-new"),),
            buckets=(("spec.training.s3Bucket", "artifacts"),),
            repositories=(("spec.training.ecrRepository", "222222222222/models-xgb"),),
            keys=(("spec.training.kmsKeyId", "arn:aws:kms:us-east-2:222222222222:key/abc"),),
        ),
    )
    # a namespace not listed manages only what its own ModelPackageGroups created, and creates freely
    authorizer.authorize("team", Request(into_groups=(("spec.modelPackageGroupName", "payments"),)))
    authorizer.authorize("team", Request(create_groups=(("metadata.name", "anything"),)))


REF = ObjectRef("ml", "iris", "uid-1", 1)


def test_ownership() -> None:
    mine = ownership.me(REF, CONFIG).render()
    assert mine == "prod/ml/iris/uid-1"
    assert ownership.check(mine, REF, CONFIG, "group iris") is ownership.OwnerCheck.OURS
    assert ownership.check(None, REF, CONFIG, "group iris") is ownership.OwnerCheck.TAKE  # un-owned
    assert (
        ownership.check("old/ml/iris/uid-1", REF, CONFIG, "group iris") is ownership.OwnerCheck.TAKE
    )  # renamed
    assert ownership.check("prod/ml/gone/uid-9", REF, CONFIG, "group iris") is ownership.OwnerCheck.TAKE
    with pytest.raises(Stalled) as held:
        ownership.check("prod/ml/other/uid-2", REF, CONFIG, "group iris", still_managed=lambda o: True)
    assert held.value.reason == "AlreadyManaged"
    for foreign in ("prod/finance/iris/uid-3", "staging/ml/iris/uid-1"):
        with pytest.raises(Stalled) as refused:
            ownership.check(foreign, REF, CONFIG, "group iris")
        assert refused.value.reason == "OwnedElsewhere" and foreign.split("/")[1] in refused.value.message
