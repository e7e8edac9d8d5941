"""The seed's two accounts; only CROSS_ACCOUNT_NAMESPACE may act across them (the operator config says so)."""

from operator_config import CROSS_ACCOUNT_NAMESPACE

from registry_testbed.localaws.seed_accounts import (
    REGION,
    REGISTRY_ACCOUNT,
    REGISTRY_ROLE,
    TRAINING_ACCOUNT,
    TRAINING_ROLE,
    client_as,
    default_client,
)

__all__ = [
    "CROSS_ACCOUNT_NAMESPACE",
    "REGION",
    "REGISTRY_ACCOUNT",
    "REGISTRY_ROLE",
    "TRAINING_ACCOUNT",
    "TRAINING_ROLE",
    "client_as",
    "default_client",
]
