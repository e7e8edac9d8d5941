"""The seed's two accounts; only CROSS_ACCOUNT_NAMESPACE may act across them (the operator config says so)."""

REGION = "us-east-2"
REGISTRY_ACCOUNT, TRAINING_ACCOUNT = "111111111111", "222222222222"
REGISTRY_ROLE = f"arn:aws:iam::{REGISTRY_ACCOUNT}:role/registry-admin"
TRAINING_ROLE = f"arn:aws:iam::{TRAINING_ACCOUNT}:role/registry-access-admin"
CROSS_ACCOUNT_NAMESPACE = "ml-cross-account"
