"""The approval-policy component (guardrails at admission) on a test cluster, installed as an admin installs
it: the component added to a kustomization, built by kustomize and applied with kubectl. Shared by the
end-to-end tests and the hostile-input matrix."""

from __future__ import annotations

import contextlib
import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from kube import Kube
from waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
COMPONENT = ROOT / "manifests" / "components" / "approval-policy"
EXAMPLES = ROOT / "manifests" / "examples" / "approval-policy"
POLICY = "modelversion-approval.modelregistry.io"
CRD = "approvalpolicies.modelregistry.io"
AUTHOR = "modelregistry.io/author"
TICKET = "example.com/change-ticket"


def render(kube: Kube, tmp_dir: Path) -> list[dict[str, Any]]:
    """The component's objects, as `kubectl kustomize` builds them for a kustomization that lists it."""
    tmp_dir.mkdir(parents=True, exist_ok=True)
    (tmp_dir / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "components": [os.path.relpath(COMPONENT, tmp_dir)],
            }
        )
    )
    out = kube.kubectl("kustomize", str(tmp_dir)).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@contextlib.contextmanager
def installed(kube: Kube, tmp_dir: Path) -> Iterator[list[dict[str, Any]]]:
    """The component applied for the duration: the policy binds every namespace of the cluster, but one
    without an ApprovalPolicy is unconstrained, so other tests sharing the API server are not affected
    while it is there. Removed afterwards in the order docs/admins/approval-policy.md gives."""
    docs = render(kube, tmp_dir)
    kube.apply(docs)
    kube.kubectl("wait", "--for=condition=Established", f"crd/{CRD}", "--timeout=60s")
    try:
        yield docs
    finally:
        order = ["ValidatingAdmissionPolicyBinding", "ValidatingAdmissionPolicy", "ClusterRole"]
        for kind in [*order, "CustomResourceDefinition"]:
            for d in docs:
                if d["kind"] == kind:
                    kube.delete(kind.lower(), d["metadata"]["name"], wait=True)


def example(name: str, namespace: str) -> dict[str, Any]:
    """A file of manifests/examples/approval-policy, moved to `namespace`."""
    doc: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    doc["metadata"]["namespace"] = namespace
    return doc


def approval_policy(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "modelregistry.io/v1alpha1",
        "kind": "ApprovalPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def edited(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`doc` with top-level spec keys replaced (None removes one) and `annotations`/`labels` replaced."""
    doc = copy.deepcopy(doc)
    meta = doc["metadata"]
    for key in ("annotations", "labels"):
        if key in changes:
            value = changes.pop(key)
            if value is None:
                meta.pop(key, None)
            else:
                meta[key] = value
    for key, value in changes.items():
        if value is None:
            doc["spec"].pop(key, None)
        else:
            doc["spec"][key] = value
    return doc


def apply_as(kube: Kube, doc: dict[str, Any], user: str | None = None, *extra: str) -> Any:
    """`kubectl apply` of one object, as `user` (impersonated) when given; returns the CompletedProcess
    without raising, so a test reads kubectl's own refusal."""
    as_user = ["--as", user] if user else []
    return kube.kubectl("apply", "-f", "-", *as_user, *extra, input=json.dumps(doc), check=False)


def refusal(kube: Kube, doc: dict[str, Any], user: str | None = None, *extra: str) -> str:
    """kubectl's message when the policy refuses `doc`; fails the test when anything else happens."""
    res = apply_as(kube, doc, user, *extra)
    assert res.returncode != 0, f"admitted, but should have been refused: {res.stdout}"
    assert f"ValidatingAdmissionPolicy '{POLICY}'" in res.stderr, res.stderr
    return str(res.stderr.strip())


def admitted(kube: Kube, doc: dict[str, Any], user: str | None = None) -> str:
    res = apply_as(kube, doc, user)
    assert res.returncode == 0, f"refused, but should have been admitted: {res.stderr}"
    return str(res.stdout.strip())


def wait_enforced(kube: Kube, probe: dict[str, Any], expected: str, timeout: float = 30.0) -> None:
    """Until a server-side dry run of `probe` is refused with `expected` in the message: the API server
    loads policies, bindings and ApprovalPolicies through informers, a moment after they are stored."""

    def refused() -> bool:
        res = apply_as(kube, probe, None, "--dry-run=server")
        return res.returncode != 0 and expected in res.stderr

    eventually(refused, timeout=timeout, interval=0.3, what=f"the policy refuses a probe with {expected!r}")


def wait_admitted(kube: Kube, probe: dict[str, Any], timeout: float = 30.0) -> None:
    """Until a server-side dry run of `probe` is admitted (a policy was removed or relaxed)."""

    def passes() -> bool:
        return bool(apply_as(kube, probe, None, "--dry-run=server").returncode == 0)

    eventually(passes, timeout=timeout, interval=0.3, what="the policy admits the probe")


def whoami(kube: Kube) -> str:
    """The user name the API server sees for the test's own credentials (the author of what it creates)."""
    return str(kube.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").stdout.strip())
