"""Control endpoints: health, per-operation counters for every service, reset, and the server's lifecycle."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from localaws_support import REGION, ClientFactory

from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localaws.server import LocalAWS


def test_health(local_aws: LocalAWS) -> None:
    assert local_aws.admin.health() is True
    with urllib.request.urlopen(f"{local_aws.endpoint_url}/_localaws/health") as response:
        assert json.loads(response.read()) == {"status": "ok"}


def test_counters_name_operations_of_every_protocol(local_aws: LocalAWS, aws_client: ClientFactory) -> None:
    # S3 REST operations are named after their API operation (method + path + query), JSON and query
    # protocols after X-Amz-Target / Action; the control endpoints themselves are never counted.
    s3 = aws_client("s3")
    bucket = "training-artifacts"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    s3.get_bucket_policy(Bucket=bucket)
    s3.delete_bucket_policy(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="iris/model.tar.gz", Body=b"model")
    s3.get_object(Bucket=bucket, Key="iris/model.tar.gz")
    s3.list_objects_v2(Bucket=bucket)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")
    s3.upload_part(Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"x")
    aws_client("sts").get_caller_identity()
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_grant(KeyId=key, GranteePrincipal="arn:aws:iam::111111111111:root", Operations=["Decrypt"])
    aws_client("sagemaker").list_model_package_groups()
    local_aws.admin.health()

    calls = local_aws.admin.calls()
    for key_name in (
        "s3:CreateBucket",
        "s3:PutBucketPolicy",
        "s3:GetBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListObjectsV2",
        "s3:CreateMultipartUpload",
        "s3:UploadPart",
        "sts:GetCallerIdentity",
        "kms:CreateKey",
        "kms:CreateGrant",
        "sagemaker:ListModelPackageGroups",
    ):
        assert calls.get(key_name) == 1, (key_name, calls)
    assert not any(k.startswith("_localaws") or "health" in k for k in calls)
    assert local_aws.admin.faults_injected() == {}


def test_reset_calls(local_aws: LocalAWS, aws_client: ClientFactory) -> None:
    aws_client("sagemaker").list_model_package_groups()
    assert local_aws.admin.calls()
    local_aws.admin.reset_calls()
    assert local_aws.admin.calls() == {}


def test_reset_wipes_moto_registry_counters_and_faults(
    local_aws: LocalAWS, aws_client: ClientFactory
) -> None:
    s3 = aws_client("s3")
    sm = aws_client("sagemaker")
    s3.create_bucket(Bucket="to-be-wiped", CreateBucketConfiguration={"LocationConstraint": REGION})
    sm.create_model_package_group(ModelPackageGroupName="to-be-wiped")
    local_aws.admin.set_faults([{"operation": "kms:*", "rate": 1.0, "error": "InternalFailure"}])

    local_aws.admin.reset()

    assert local_aws.admin.calls() == {}
    assert local_aws.admin.get_faults() == []
    assert s3.list_buckets()["Buckets"] == []
    with pytest.raises(ClientError):
        sm.describe_model_package_group(ModelPackageGroupName="to-be-wiped")


def test_concurrent_burst_does_not_leak_threads(local_aws: LocalAWS, aws_client: ClientFactory) -> None:
    # 32 concurrent clients (the operator's ceiling), 256 calls; once clients close, handler threads end.
    baseline = threading.active_count()
    clients = [aws_client("sagemaker") for _ in range(32)]
    clients[0].create_model_package_group(ModelPackageGroupName="burst")

    def call(i: int) -> str:
        return clients[i % 32].create_model_package(
            ModelPackageGroupName="burst", InferenceSpecification={"Containers": [{"Image": "img:1"}]}
        )["ModelPackageArn"]

    with ThreadPoolExecutor(max_workers=32) as pool:
        arns = list(pool.map(call, range(256)))
    assert len(set(arns)) == 256
    for c in clients:
        c.close()
    deadline = time.monotonic() + 10
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= baseline


def test_a_second_server_starts_and_stops_cleanly() -> None:
    # LocalAWS is a context manager: the port is served inside the block and closed after it.
    with LocalAWS() as aws:
        admin = LocalAWSAdmin(aws.endpoint_url, timeout=2)
        assert admin.health()
        url: Any = aws.endpoint_url
    assert LocalAWSAdmin(url, timeout=2).health() is False


def test_serve_runs_until_sigterm_and_logs_its_url() -> None:
    # `registry-testbed local-aws`: one log line with the URL, then serves until SIGTERM and exits 0.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "registry_testbed.cli", "local-aws", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        admin = LocalAWSAdmin(f"http://127.0.0.1:{port}", timeout=2)
        deadline = time.monotonic() + 30
        while not admin.health():
            assert proc.poll() is None, proc.communicate()[0]
            assert time.monotonic() < deadline, "local-aws did not become healthy"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}" in output


def test_connections_counts_accepted_and_open(local_aws: LocalAWS) -> None:
    before = local_aws.admin.connections()
    with socket.create_connection((local_aws.host, local_aws.port)) as held:
        held.sendall(b"GET /_localaws/health HTTP/1.1\r\nHost: localaws\r\n\r\n")
        held.recv(4096)
        during = local_aws.admin.connections()
    # the admin's own requests each open a connection: one before, one during
    assert during["accepted"] - before["accepted"] == 2
    assert during["open"] >= 1  # at least the admin's own request, answered over it
