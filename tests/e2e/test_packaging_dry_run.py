"""Both packagings against the real API server: `kubectl apply --dry-run=server` of every kustomize
overlay and of the Helm chart rendered with the common choices (Helm built from its Go module)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kube import Kube

from registry_testbed.localcluster.tools import ensure_tools

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "sagemaker-registry-operator"
IRSA = "arn:aws:iam::111111111111:role/sagemaker-registry-operator"


@pytest.fixture(scope="module")
def namespaces(kube: Kube) -> None:
    # Namespaced objects need their namespace to exist even in a dry run; the operator's own
    # namespace is applied from the base for real, so its Pod Security label is in force.
    kube.apply(ROOT / "manifests" / "base" / "namespace.yaml")
    for ns in ("ml", "team-b"):
        kube.create_namespace(ns)


def _dry_run(kube: Kube, rendered: str) -> str:
    res = kube.kubectl("apply", "--dry-run=server", "-f", "-", input=rendered)
    assert "would violate PodSecurity" not in res.stderr, res.stderr
    return res.stdout


@pytest.mark.usefixtures("namespaces")
@pytest.mark.parametrize("overlay", ["cluster-wide", "namespaced"])
def test_kustomize_overlay_dry_run(kube: Kube, overlay: str) -> None:
    rendered = kube.kubectl("kustomize", str(ROOT / "manifests" / "overlays" / overlay)).stdout
    out = _dry_run(kube, rendered)
    for expected in (
        "deployment.apps/sagemaker-registry-operator",
        "clusterrole.rbac.authorization.k8s.io/sagemaker-registry-operator",
        "serviceaccount/sagemaker-registry-operator",
        "customresourcedefinition.apiextensions.k8s.io/modelversions.modelregistry.io",
    ):
        assert expected in out, out
    if overlay == "namespaced":
        assert "rolebinding.rbac.authorization.k8s.io/sagemaker-registry-operator" in out
        assert "clusterrolebinding.rbac.authorization.k8s.io/sagemaker-registry-operator " not in out


@pytest.mark.usefixtures("namespaces")
@pytest.mark.parametrize(
    "values",
    [
        [],
        [f"serviceAccount.roleArn={IRSA}", "watchNamespaces={ml,team-b}"],
        ["logFormat=text", "verbose=true", "maxWorkers=8", "metrics.port=9090",
         "metrics.service.enabled=false"],
        ["serviceAccount.create=false", "serviceAccount.name=existing", "rbac.create=false"],
        ["image.repository=registry.example.com/ml/registry-operator", "image.tag=0.1.0-rc1",
         "env[0].name=AWS_REGION", "env[0].value=eu-west-1", "config.resyncIntervalSeconds=300"],
        ["approvalPolicy.enabled=true", "approvalPolicy.parameterNotFoundAction=Deny",
         "approvalPolicy.validationActions={Warn,Audit}"],
    ],
    ids=["defaults", "namespaced-irsa", "text-logs-metrics-port", "existing-account", "image-env-config",
         "approval-policy"],
)  # fmt: skip
def test_helm_chart_dry_run(kube: Kube, values: list[str]) -> None:
    helm = ensure_tools().helm
    args = [
        str(helm),
        "template",
        "sagemaker-registry-operator",
        str(ROOT / "charts" / "sagemaker-registry-operator"),
    ]
    args += ["--namespace", NAMESPACE, "--include-crds", "--kube-version", "1.36.3"]
    for value in values:
        args += ["--set", value]
    rendered = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
    out = _dry_run(kube, rendered)
    assert "deployment.apps/sagemaker-registry-operator" in out, out
    policy = "validatingadmissionpolicy.admissionregistration.k8s.io/modelversion-approval.modelregistry.io"
    assert (policy in out) == ("approvalPolicy.enabled=true" in values), out
