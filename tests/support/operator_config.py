"""The operator config the end-to-end and Argo CD tiers run with: the cross-account namespace may act for
the seed's two accounts on anything (scopes '*'), and each test's own namespace (t-<random>) may use the
groups its test makes with boto3."""

from __future__ import annotations

from registry_testbed.localaws.seed_accounts import (
    REGION,
    REGISTRY_ACCOUNT,
    REGISTRY_ROLE,
    TRAINING_ACCOUNT,
    TRAINING_ROLE,
)

CROSS_ACCOUNT_NAMESPACE = "ml-cross-account"
# The namespaces of the apply-order tests: each applies the examples, cross-account part included.
ORDER_NAMESPACES = "order-*"


def text(resync_seconds: int = 5) -> str:
    # A short resync so that registry-side approvals show within a test's patience.
    cross_account = (
        f"    roleArns: ['{REGISTRY_ROLE}', '{TRAINING_ROLE}']\n"
        f"    grantAccounts: ['{REGISTRY_ACCOUNT}', '{TRAINING_ACCOUNT}']\n"
        "    groups: ['*']\n    s3Buckets: ['*']\n    ecrRepositories: ['*']\n    kmsKeys: ['*']\n"
    )
    return (
        f"defaultRegion: {REGION}\nresyncIntervalSeconds: {resync_seconds}\n"
        f"namespaces:\n  {CROSS_ACCOUNT_NAMESPACE}:\n{cross_account}"
        f"  '{ORDER_NAMESPACES}':\n{cross_account}"
        "  't-*':\n    groups: ['*']\n"
    )
