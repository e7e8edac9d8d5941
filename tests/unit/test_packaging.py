"""Packaging, checked without a cluster: the chart and the kustomize base say the same thing, the
Argo CD health checks pass Argo CD's own test layout (assessed by the argocd binary built from its Go
module, like helm and kstatus here), the committed testdata are real objects, and the
Dockerfile keeps its promises (pinned base, non-root, no build tools in the final stage)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import types
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops_health import (
    ARGOCD_CM,
    CUSTOMIZATIONS,
    HEALTH_DIR,
    KINDS,
    KSTATUS,
    argocd_health,
    entry_key,
    health_script,
    health_tests,
    kstatus,
    sample_path,
)

from registry_operator.api import approval_policy as policy_api
from registry_operator.api.crd import rendered_files
from registry_operator.api.package_shapes import MetricsSource, ModelMetrics
from registry_operator.reconcile.catalogue import KINDS as KINDS_INFO
from registry_testbed import approval_policy, health_checks, kind_rbac
from registry_testbed.localcluster.build import binaries
from registry_testbed.localcluster.tools import tools

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "sagemaker-registry-operator"
MANIFESTS = ROOT / "manifests"
NAME = "sagemaker-registry-operator"
IRSA = "arn:aws:iam::111111111111:role/sagemaker-registry-operator"


# --------------------------------------------------------------------------- Argo CD health


@pytest.mark.parametrize("kind", KINDS)
def test_argocd_health_tests_pass(kind: str) -> None:
    """Argo CD's layout: every health_test.yaml entry of the kind, its testdata assessed by Argo CD
    itself with the shipped argocd-cm file."""
    entries = [e for e in health_tests() if entry_key(e)[0] == kind]
    assert entries
    for entry in entries:
        obj = yaml.safe_load((HEALTH_DIR / entry["inputPath"]).read_text())
        assert argocd_health(obj) == entry["healthStatus"], entry["inputPath"]


@pytest.mark.parametrize("kind", KINDS)
def test_testdata_are_objects_the_operator_produced(kind: str) -> None:
    """Every testdata file is referenced, and carries what only a real server and operator write."""
    referenced = {name for k, name in map(entry_key, health_tests()) if k == kind}
    on_disk = {p.name for p in (HEALTH_DIR / "testdata" / kind).glob("*.yaml")}
    assert referenced == on_disk == {name for k, name in KSTATUS if k == kind}
    for name in on_disk:
        obj = yaml.safe_load(sample_path(kind, name).read_text())
        meta = obj["metadata"]
        assert (obj["apiVersion"], obj["kind"]) == ("modelregistry.io/v1alpha1", kind)
        assert {"uid", "creationTimestamp", "generation"} <= set(meta), name  # server-assigned
        if name in ("new.yaml", "generation-behind.yaml"):
            continue  # API-server answers (dry runs) before the operator saw the spec
        conditions = {c["type"]: c for c in obj["status"]["conditions"]}
        assert {"Ready", "Reconciling", "Stalled"} <= set(conditions), name
        assert obj["status"]["observedGeneration"] == meta["generation"], name
        for c in conditions.values():  # the operator's condition shape
            assert {"status", "reason", "message", "observedGeneration", "lastTransitionTime"} <= set(c), name


def test_every_testdata_file_is_a_health_test() -> None:
    """One health_test.yaml for every kind: each entry once, and nothing in testdata/ it leaves out."""
    paths = [e["inputPath"] for e in health_tests()]
    assert len(paths) == len(set(paths))
    on_disk = {
        p.relative_to(HEALTH_DIR).as_posix() for p in (HEALTH_DIR / "testdata").rglob("*") if p.is_file()
    }
    assert set(paths) == on_disk


def test_wildcard_directory_is_the_only_health_script() -> None:
    """modelregistry.io/_ (Argo CD reads `_` as `*`) holds the one script every kind gets: no per-kind
    directory, and no other health.lua beside it."""
    assert sorted(p.relative_to(CUSTOMIZATIONS).as_posix() for p in CUSTOMIZATIONS.glob("*/*")) == [
        "modelregistry.io/_"
    ]
    assert sorted(p.relative_to(MANIFESTS).as_posix() for p in MANIFESTS.rglob("*.lua")) == [
        "argocd/resource_customizations/modelregistry.io/_/health.lua"
    ]
    pattern = HEALTH_DIR.relative_to(CUSTOMIZATIONS).as_posix().replace("_", "*")
    assert all(fnmatch.fnmatchcase(f"modelregistry.io/{kind}", pattern) for kind in KINDS)


def test_health_checks_are_generated_from_their_one_source() -> None:
    for path, content in health_checks.rendered().items():
        assert path.read_text() == content, f"{path} is stale: run `registry-testbed health-checks`"


def test_argocd_cm_snippet_installs_exactly_the_health_script() -> None:
    """The one script, under a key of its own for every kind."""
    data = yaml.safe_load(ARGOCD_CM.read_text())["data"]
    assert set(data) == {f"resource.customizations.health.modelregistry.io_{k}" for k in KINDS}
    for kind in KINDS:
        assert data[f"resource.customizations.health.modelregistry.io_{kind}"] == health_script().read_text()


def test_health_script_stays_inside_argocd_lua_sandbox() -> None:
    code = re.sub(r"--[^\n]*", "", health_script().read_text())  # comments may say anything
    assert not re.search(
        r"(?<![\w.])(os|io|debug|package)\.|\b(require|dofile|loadfile|loadstring|goto)\b", code
    )


def test_example_applications() -> None:
    apps = list(yaml.safe_load_all((MANIFESTS / "argocd" / "application.yaml").read_text()))
    assert {a["kind"] for a in apps} == {"Application"}
    for app in apps:
        assert (ROOT / app["spec"]["source"]["path"]).is_dir(), app["spec"]["source"]["path"]


def test_committed_testdata_kstatus() -> None:
    """kstatus (cli-utils, as Flux) over the committed objects; the e2e tier does it on fresh ones."""
    keys = sorted(KSTATUS)
    objects = [yaml.safe_load(sample_path(kind, name).read_text()) for kind, name in keys]
    results = kstatus(tools().kstatus, objects)
    assert {k: r["status"] for k, r in zip(keys, results, strict=True)} == KSTATUS


# --------------------------------------------------------------------------- kustomize and Helm


def test_chart_crds_are_the_generated_ones() -> None:
    committed = {p.name: p.read_text() for p in (CHART / "crds").iterdir()}
    assert committed == rendered_files(KINDS_INFO), "run `make crds`"


def test_rbac_for_the_kinds_is_generated_from_them() -> None:
    for path, content in kind_rbac.rendered().items():
        assert path.read_text() == content, f"{path.relative_to(ROOT)} is stale: run `make crds`"
    plurals = {info.plural for info in KINDS_INFO}
    for docs in (_kustomize("cluster-wide"), _helm()):
        (role,) = [d for d in docs if d["kind"] == "ClusterRole" and d["metadata"]["name"] == NAME]
        assert role["rules"] == kind_rbac.rules()
        assert set(role["rules"][0]["resources"]) == plurals


def _kustomize(overlay: str) -> list[dict[str, Any]]:
    out = subprocess.run(
        [str(binaries().kubectl), "kustomize", str(MANIFESTS / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _helm(*sets: str, kube_version: str | None = None) -> list[dict[str, Any]]:
    args = [str(tools().helm), "template", NAME, str(CHART), "--namespace", NAME, "--include-crds"]
    if kube_version:
        args += ["--kube-version", kube_version]
    for s in sets:
        args += ["--set", s]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _index(docs: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    found = {}
    for d in docs:
        name = re.sub(r"-[a-z0-9]{10}$", "", d["metadata"]["name"]) if d["kind"] == "ConfigMap" else None
        found[(d["kind"], d["metadata"].get("namespace", ""), name or d["metadata"]["name"])] = d
    return found


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """What both packagings must agree on: everything but labels, the image and Helm's checksum."""
    doc = json.loads(json.dumps(doc))
    meta = doc["metadata"]
    meta.pop("labels", None)
    if doc["kind"] == "ConfigMap":
        meta["name"] = re.sub(r"-[a-z0-9]{10}$", "", meta["name"])
        doc["data"] = {k: yaml.safe_load(v) for k, v in doc["data"].items()}
    if doc["kind"] == "Deployment":
        template = doc["spec"]["template"]
        template["metadata"].pop("annotations", None)
        for c in template["spec"]["containers"]:
            c.pop("image")
        volumes = template["spec"]["volumes"]
        for v in volumes:
            if "configMap" in v:
                v["configMap"]["name"] = re.sub(r"-[a-z0-9]{10}$", "", v["configMap"]["name"])
    return doc


@pytest.mark.parametrize(
    ("overlay", "sets"),
    [
        ("cluster-wide", [f"serviceAccount.roleArn={IRSA}"]),
        ("namespaced", [f"serviceAccount.roleArn={IRSA}", "watchNamespaces={ml}"]),
        (
            "sharded",
            [
                f"serviceAccount.roleArn={IRSA}",
                *("shards[0].name=a", "shards[0].selector=modelregistry.io/shard=a"),
                *("shards[1].name=b", "shards[1].selector=modelregistry.io/shard=b"),
            ],
        ),
    ],
)
def test_helm_chart_and_kustomize_render_the_same_operator(overlay: str, sets: list[str]) -> None:
    kustomized = _index(_kustomize(overlay))
    helmed = _index(_helm(*sets))
    kustomized.pop(("Namespace", "", NAME))  # Helm installs into a namespace it is given
    assert set(kustomized) == set(helmed)
    for key, doc in kustomized.items():
        assert _comparable(doc) == _comparable(helmed[key]), key


def test_deployment_runs_one_restricted_operator() -> None:
    deployment = next(d for d in _kustomize("cluster-wide") if d["kind"] == "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert {"requests", "limits"} <= set(container["resources"])
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert "--metrics-port=8080" in container["args"] and "--log-format=json" in container["args"]
    # the Dockerfile's user is the one the pod runs as
    user = next(
        line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("USER ")
    )
    assert user == f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}"


def test_shards_each_lead_on_their_own_lease_and_select_apart() -> None:
    docs = _kustomize("sharded")
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    role = next(d for d in docs if d["kind"] == "Role")
    leases = next(r for r in role["rules"] if r["resources"] == ["leases"] and "resourceNames" in r)
    shards = {}
    for d in deployments:
        args = d["spec"]["template"]["spec"]["containers"][0]["args"]
        flags = dict(a.split("=", 1) for a in args if "=" in a)
        assert "--leader-elect" in args
        shards[flags["--shard"]] = (flags["--shard-selector"], d["spec"]["selector"]["matchLabels"])
    assert set(shards) == {"a", "b"}
    assert {sel for sel, _ in shards.values()} == {"modelregistry.io/shard=a", "modelregistry.io/shard=b"}
    assert shards["a"][1] != shards["b"][1], "each Deployment selects its own pods"
    assert {f"sagemaker-registry-operator-{s}" for s in shards} <= set(leases["resourceNames"])


def test_operator_config_in_manifests_is_valid() -> None:
    from registry_operator.config import OperatorConfig

    OperatorConfig.model_validate(yaml.safe_load((MANIFESTS / "base" / "operator-config.yaml").read_text()))
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    OperatorConfig.model_validate(values["config"])


# --------------------------------------------------------------------------- the approval-policy component

COMPONENT = MANIFESTS / "components" / "approval-policy"
POLICY = "modelversion-approval.modelregistry.io"
COMPONENT_KINDS = {
    ("CustomResourceDefinition", "approvalpolicies.modelregistry.io"),
    ("ValidatingAdmissionPolicy", POLICY),
    ("ValidatingAdmissionPolicyBinding", POLICY),
    ("ClusterRole", "modelregistry.io-approvalpolicies-view"),
}


def _kustomize_with_component(tmp_path: Path, overlay: str) -> list[dict[str, Any]]:
    """An admin's kustomization as docs/admins/approval-policy.md shows it: an overlay plus the component."""
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(MANIFESTS / "overlays" / overlay, tmp_path)],
                "components": [os.path.relpath(COMPONENT, tmp_path)],
            }
        )
    )
    out = subprocess.run(
        [str(binaries().kubectl), "kustomize", str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def _policy_objects(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (d["kind"], d["metadata"]["name"]): d
        for d in docs
        if (d["kind"], d["metadata"]["name"]) in COMPONENT_KINDS
    }


def _helm_fails(*sets: str, kube_version: str = "1.36.3") -> str:
    args = [str(tools().helm), "template", NAME, str(CHART), "--kube-version", kube_version]
    for s in sets:
        args += ["--set", s]
    res = subprocess.run(args, capture_output=True, text=True)
    assert res.returncode != 0, "rendered, but should have been refused"
    return res.stderr


def test_approval_policy_files_are_generated_from_their_sources() -> None:
    """The CRD from the pydantic model, and the chart's copies of the component's hand-written objects."""
    for path, content in approval_policy.rendered().items():
        assert path.read_text() == content, f"{path} is stale: run `registry-testbed approval-policy`"
    listed = yaml.safe_load((COMPONENT / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in COMPONENT.glob("*.yaml") if p.name != "kustomization.yaml"
    )


def test_approval_policy_crd_is_a_plain_parameter_kind() -> None:
    """Structural, namespaced, without status (nothing reconciles it: a status would read as never
    observed to kstatus and Flux) and outside the modelregistry category (uninstall deletes that)."""
    crd = approval_policy.crd()
    (version,) = crd["spec"]["versions"]
    assert crd["spec"]["scope"] == "Namespaced" and "categories" not in crd["spec"]["names"]
    assert "subresources" not in version
    schema = version["schema"]["openAPIV3Schema"]
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec"}
    spec = schema["properties"]["spec"]
    assert spec["default"] == {}
    for banned in ("$ref", "anyOf", "title"):
        assert banned not in json.dumps(schema), banned
    assert spec["properties"]["requiredModelCardStatus"]["enum"] == [
        "Draft",
        "PendingReview",
        "Approved",
        "Archived",
    ]
    assert spec["properties"]["forbidSelfApproval"]["default"] is False
    for key in ("requiredLabels", "requiredAnnotations"):
        items = spec["properties"][key]["items"]
        assert re.fullmatch(items["pattern"], "example.com/change-ticket")
        assert not re.fullmatch(items["pattern"], "Example.com/ticket")  # a prefix is a lower-case DNS name
        assert spec["properties"][key]["x-kubernetes-list-type"] == "set"


def _metric_paths_of_model_metrics() -> set[str]:
    """Every MetricsSource member of ModelMetrics, as its path under spec.modelMetrics."""
    paths = set()
    for report_group in ModelMetrics.model_fields.values():
        (model,) = [a for a in typing.get_args(report_group.annotation) if a is not type(None)]
        for report in model.model_fields.values():
            assert isinstance(report.annotation, types.UnionType)
            if MetricsSource in typing.get_args(report.annotation):
                paths.add(f"{report_group.alias}.{report.alias}")
    return paths


def test_required_metrics_name_every_report_and_the_policy_reads_each() -> None:
    """ApprovalPolicy's metric paths, CreateModelPackage's reports and what the policy's CEL looks at are
    the same set: a botocore upgrade adding a report is noticed, and no enum value is a path the policy
    never finds present (which would refuse every approval)."""
    vap = yaml.safe_load((COMPONENT / "validatingadmissionpolicy.yaml").read_text())
    present = next(v for v in vap["spec"]["variables"] if v["name"] == "presentMetrics")["expression"]
    read = re.findall(r"object\.spec\.\?modelMetrics\.\?(\w+)\.\?(\w+)\.hasValue\(\) \? '([\w.]+)'", present)
    assert all(f"{a}.{b}" == name for a, b, name in read), read
    assert {name for *_, name in read} == set(policy_api.ModelMetric) == _metric_paths_of_model_metrics()


def test_approval_policy_names_the_author_annotation_the_api_declares() -> None:
    spec = yaml.safe_load((COMPONENT / "validatingadmissionpolicy.yaml").read_text())["spec"]
    cel = " ".join(v["expression"] for v in spec["variables"])
    assert set(re.findall(r"'(modelregistry\.io/[a-z-]+)'", cel)) == {policy_api.AUTHOR_ANNOTATION}


def test_helm_leaves_the_approval_policy_out_by_default() -> None:
    assert _policy_objects(_helm()) == {}
    assert _policy_objects(_helm("approvalPolicy.enabled=false")) == {}


def test_helm_approval_policy_is_the_kustomize_component(tmp_path: Path) -> None:
    """The component added to an overlay and the chart with approvalPolicy.enabled install the same four
    objects (the chart's CRD is also kept by Helm on uninstall), and nothing else changes."""
    kustomized = _kustomize_with_component(tmp_path, "cluster-wide")
    helmed = _helm("approvalPolicy.enabled=true")
    from_component, from_chart = _policy_objects(kustomized), _policy_objects(helmed)
    assert set(from_component) == set(from_chart) == COMPONENT_KINDS
    crd = from_chart[("CustomResourceDefinition", "approvalpolicies.modelregistry.io")]
    assert crd["metadata"].pop("annotations") == {"helm.sh/resource-policy": "keep"}
    for key, doc in from_component.items():
        assert _comparable(doc) == _comparable(from_chart[key]), key
    without = _index(_kustomize("cluster-wide"))
    assert set(_index(kustomized)) - set(without) == {(k, "", n) for k, n in COMPONENT_KINDS}
    binding = from_component[("ValidatingAdmissionPolicyBinding", POLICY)]["spec"]
    assert binding["paramRef"] == {"selector": {}, "parameterNotFoundAction": "Allow"}
    assert binding["validationActions"] == ["Deny"]
    role = from_component[("ClusterRole", "modelregistry.io-approvalpolicies-view")]
    assert role["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert {v for r in role["rules"] for v in r["verbs"]} == {"get", "list", "watch"}


def test_helm_approval_policy_values() -> None:
    docs = _helm(
        "approvalPolicy.enabled=true",
        "approvalPolicy.parameterNotFoundAction=Deny",
        "approvalPolicy.validationActions={Warn,Audit}",
        kube_version="1.30.0",
    )
    binding = _policy_objects(docs)[("ValidatingAdmissionPolicyBinding", POLICY)]["spec"]
    assert binding["paramRef"]["parameterNotFoundAction"] == "Deny"
    assert binding["validationActions"] == ["Warn", "Audit"]


def test_helm_refuses_the_approval_policy_where_it_cannot_work() -> None:
    """Before 1.30 the API has no admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy: say so, rather
    than let the install fail half way on an unknown kind. A misspelt action is refused by name."""
    assert "needs Kubernetes >= 1.30" in _helm_fails("approvalPolicy.enabled=true", kube_version="1.29.9")
    assert _helm("approvalPolicy.enabled=false", kube_version="1.29.9"), "the rest of the chart still renders"
    stderr = _helm_fails("approvalPolicy.enabled=true", "approvalPolicy.parameterNotFoundAction=deny")
    assert "parameterNotFoundAction must be Allow or Deny, not deny" in stderr


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_promises() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    base = next(line.split("=", 1)[1] for line in lines if line.startswith("ARG PYTHON_IMAGE="))
    assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+", base), "a pinned patch version and distribution"
    froms = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(froms) == 2
    final = lines[froms[-1] :]
    for line in final:
        if line.startswith("RUN "):
            assert not re.search(r"apt-get install|apk add|pip install|gcc|make ", line), line
    assert any(line.startswith("COPY --from=build /opt/venv") for line in final)
    user = next(line for line in final if line.startswith("USER "))
    assert not user.split()[1].startswith(("0", "root"))
    assert 'ENTRYPOINT ["registry-operator", "run"]' in final
    ignored = (ROOT / ".dockerignore").read_text()
    assert ignored.splitlines()[1] == "*" or "\n*\n" in ignored


def test_health_of_states_the_testdata_do_not_cover() -> None:
    """Derived from real objects: no status at all (a CRD without the -1 default, an old object),
    and deletion in progress."""
    new = yaml.safe_load(sample_path("ModelVersion", "new.yaml").read_text())
    new.pop("status")
    assert argocd_health(new) == {
        "status": "Progressing",
        "message": "Waiting for the operator to reconcile generation 1",
    }
    for kind, name in (("ModelVersion", "ready-approved.yaml"), ("CrossAccountRegistryAccess", "ready.yaml")):
        deleting = yaml.safe_load(sample_path(kind, name).read_text())
        deleting["metadata"]["deletionTimestamp"] = "2026-11-28T19:00:00Z"
        assert argocd_health(deleting)["status"] == "Progressing"
    stale_ready = yaml.safe_load(sample_path("ModelPackageGroup", "ready.yaml").read_text())
    stale_ready["metadata"]["generation"] = 2  # spec changed, status still about generation 1
    assert argocd_health(stale_ready)["status"] == "Progressing"


def test_helm_lint() -> None:
    out = subprocess.run([str(tools().helm), "lint", "--strict", str(CHART)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
