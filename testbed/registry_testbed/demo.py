"""`make demo`: the seed's model registration done by the operator on the local stack."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from registry_testbed import devstack
from registry_testbed.localcluster import cluster

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "manifests" / "examples" / "iris"
CROSS_ACCOUNT = ROOT / "manifests" / "examples" / "cross-account"
CONFIG = ROOT / "manifests" / "examples" / "operator-config.yaml"
NAMESPACE = "ml"


def _say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="leave everything running for exploring")
    parser.add_argument("--state-dir", default=str(ROOT / ".local"))
    args = parser.parse_args(argv)
    state = Path(args.state_dir)
    logs = state / "logs"

    started = time.monotonic()
    _say("local control plane (kube-apiserver + etcd; the first run builds them from Go modules)")
    info = cluster.up(state)
    kubectl = [str(info.kubectl), "--kubeconfig", str(info.kubeconfig)]

    def k(*a: str, check: bool = True, input: str | None = None) -> str:
        out = subprocess.run([*kubectl, *a], capture_output=True, text=True, input=input)
        if check and out.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(a)} failed: {out.stderr.strip()}")
        return out.stdout

    aws_proc = None
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        _say(f"using the AWS endpoint in AWS_ENDPOINT_URL: {endpoint}")
    else:
        _say("embedded AWS (registry-testbed local-aws)")
        aws_proc, endpoint = devstack.start_local_aws(logs / "local-aws.log")
    operator = None
    try:
        _say("CRDs")
        k("apply", "-f", str(ROOT / "crds"))
        k("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
        _say(f"operator (log: {logs / 'operator.log'})")
        operator = devstack.start_operator(
            info.kubeconfig, endpoint, logs / "operator.log", ["--config", str(CONFIG)]
        )
        _say(
            f"kubectl apply -f {EXAMPLES.relative_to(ROOT)}/ (groups and versions: a pipeline, "
            "a large model, one with metrics, lineage and a model card)"
        )
        print(k("apply", "-f", str(EXAMPLES)), end="")
        _say("waiting for every resource to be Ready")
        for kind in ("modelpackagegroup", "modelversion"):
            out = subprocess.run(
                [*kubectl, "wait", "--for=condition=Ready", kind, "--all", "-n", NAMESPACE, "--timeout=120s"],
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(k("get", "modelregistry", "-n", NAMESPACE, "-o", "wide", check=False))
                raise RuntimeError(
                    f"not Ready in time: {out.stderr.strip()}\n--- operator log ---\n{operator.tail()}"
                )
        print()
        print(k("get", "modelregistry", "-n", NAMESPACE, "-o", "wide"))
        versions = json.loads(k("get", "modelversions", "-n", NAMESPACE, "-o", "json"))["items"]
        for v in versions:
            st = v["status"]
            print(f"{v['metadata']['name']:<16} {st['modelPackageArn']}  approval: {st['approvalStatus']}")
        print()
        if endpoint and not os.environ.get("AWS_ENDPOINT_URL"):
            cross_account_story(k, endpoint, operator)
        _say(f"done in {time.monotonic() - started:.0f} s")
        if args.keep:
            print(f"\nStill running. export KUBECONFIG={info.kubeconfig} AWS_ENDPOINT_URL={endpoint}")
            print(
                f"Operator log: {logs / 'operator.log'}. Stop everything with: make cluster-down "
                f"&& kill {operator.proc.pid} {aws_proc.proc.pid if aws_proc else ''}"
            )
            operator = aws_proc = None
            return 0
        return 0
    finally:
        if operator is not None:
            operator.stop()
        if aws_proc is not None:
            aws_proc.stop()
        if not args.keep and not info.external:
            _say("stopping the local control plane")
            cluster.down(state)


def _ready(obj: dict) -> dict:
    return next((c for c in obj.get("status", {}).get("conditions", []) if c["type"] == "Ready"), {})


def cross_account_story(k: Any, endpoint: str, operator: devstack.Process) -> None:
    """The seed's cross-account registration: refused before the access exists, registered after."""
    from registry_testbed.localaws.seed_accounts import TRAINING_ROLE, client_as, training_resources

    _say("cross-account: the training account (222222222222) has its bucket, ECR repository and KMS key")
    key_arn = training_resources(endpoint)
    _say("cross-account: a registry-account group and a version from the training account, before any access")
    k(
        "apply",
        "-f",
        str(CROSS_ACCOUNT / "10-registry-group.yaml"),
        "-f",
        str(CROSS_ACCOUNT / "30-version.yaml"),
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        version = json.loads(k("get", "mv", "decision-trees-1", "-n", NAMESPACE, "-o", "json"))
        if _ready(version).get("reason") == "AccessDenied":
            print(f"    Ready=False AccessDenied: {_ready(version)['message'][:160]}...")
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"the version was not refused as expected:\n{operator.tail()}")
    _say("cross-account: kubectl apply the CrossAccountRegistryAccess")
    access = yaml.safe_load((CROSS_ACCOUNT / "20-access.yaml").read_text())
    access["spec"]["training"]["kmsKeyId"] = key_arn  # the embedded AWS names its keys itself
    k("apply", "-f", "-", input=yaml.safe_dump(access))
    k("wait", "--for=condition=Ready", "craa/decision-trees", "-n", NAMESPACE, "--timeout=90s")
    k("wait", "--for=condition=Ready", "mv/decision-trees-1", "-n", NAMESPACE, "--timeout=120s")
    status = json.loads(k("get", "craa", "decision-trees", "-n", NAMESPACE, "-o", "json"))["status"]
    s3 = client_as(endpoint, "s3", TRAINING_ROLE)
    print("    bucket policy of training-artifacts:")
    print(json.dumps(json.loads(s3.get_bucket_policy(Bucket="training-artifacts")["Policy"]), indent=2))
    for applied in status.get("appliedPolicies", []):  # what the access recorded, to withdraw on delete
        print(f"    {applied['service']} statement(s) {', '.join(applied['sids'])} on {applied['target']}")
    print(f"    KMS grant {status['kmsGrantId']}")
    version = json.loads(k("get", "mv", "decision-trees-1", "-n", NAMESPACE, "-o", "json"))
    print(f"    registered from the training account: {version['status']['modelPackageArn']}")
    print()
    print(k("get", "modelregistry", "-n", NAMESPACE))


if __name__ == "__main__":
    sys.exit(main())
