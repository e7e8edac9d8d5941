"""Credentials and session tokens never appear in the operator's logs (even verbose), events or status."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import manifests

from registry_testbed.localaws.seed_accounts import TRAINING_ROLE, client_as

NAMESPACES = ["secrets"]
SECRET = f"canarySecret{uuid.uuid4().hex}"
TOKEN = f"canaryToken{uuid.uuid4().hex}"
OPERATOR_ENV = {"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": TOKEN}
OPERATOR_ARGS = ["--verbose"]  # debug logging is where signed request headers would show up
OPERATOR_CONFIG = f"""
defaultRegion: us-east-2
namespaces:
  secrets:
    roleArns: ["{TRAINING_ROLE}"]
    grantAccounts: ["111111111111"]
    groups: ["*"]
    s3Buckets: ["*"]
    ecrRepositories: ["*"]
    kmsKeys: ["*"]
"""
# What temporary credentials from STS look like: an ASIA access key id, and the session token.
TEMPORARY_KEY = re.compile(r"ASIA[0-9A-Z]{16}")


def test_no_credential_in_logs_events_or_status(stack: Any) -> None:
    kube = stack.kube
    sm = client_as(stack.endpoint, "sagemaker", TRAINING_ROLE)
    sm.create_model_package_group(ModelPackageGroupName="secrets")
    # Everything here runs with the assumed role, so STS-issued credentials are in play.
    kube.apply(manifests.version("v", "secrets", group_name="secrets", roleArn=TRAINING_ROLE))
    kube.apply(
        manifests.version(
            "denied",
            "secrets",
            roleArn=TRAINING_ROLE,
            group_name="arn:aws:sagemaker:us-east-2:111111111111:model-package-group/x",
        )
    )
    kube.kubectl("wait", "--for=condition=Ready", "mv/v", "-n", "secrets", "--timeout=60s")
    kube.kubectl("wait", "--for=condition=Reconciling", "mv/denied", "-n", "secrets", "--timeout=60s")
    failed = kube.get("mv", "denied", "secrets")
    assert "failed with" in next(c for c in failed["status"]["conditions"] if c["type"] == "Ready")["message"]
    sts = client_as(stack.endpoint, "sts", TRAINING_ROLE)
    issued = sts.get_session_token()["Credentials"]  # the same kind of token the operator gets

    log = stack.operator.log.read_text(errors="replace")
    events = kube.kubectl("get", "events", "-n", "secrets", "-o", "json").stdout
    objects = kube.kubectl("get", "modelversions", "-n", "secrets", "-o", "json").stdout
    print(
        f"\nscanned {len(log):,} bytes of verbose operator log, {len(json.loads(events)['items'])} events, "
        f"{len(json.loads(objects)['items'])} objects"
    )
    assert "Sending http request" in log or "DEBUG" in log  # the log really is verbose
    for where, text in (("log", log), ("events", events), ("status", objects)):
        assert SECRET not in text, f"secret access key in {where}"
        assert TOKEN not in text, f"session token in {where}"
        assert not TEMPORARY_KEY.search(text), f"temporary access key id in {where}"
        assert issued["SessionToken"][:24] not in text, f"an STS session token in {where}"
        assert "Security-Token" not in text and "Signature=" not in text, f"signed request headers in {where}"
