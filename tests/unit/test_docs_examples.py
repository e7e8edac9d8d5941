"""The examples in README.md and docs/ do what they say, checked without a cluster: every YAML and JSON
block is parsed and handed to what would read it (operator configs to the config loader, Helm values
and Helm commands to `helm template`, kustomizations to `kubectl kustomize`, a Prometheus config to
promtool, the operator's own resources to their spec models, IAM policies against the operator's
policy and the ServiceAccount the install renders), and every command of this repository that the
pages name exists with the arguments they give it. The server-side dry run of the manifests is in
tests/e2e/test_docs_dry_run.py.

A block that is deliberately partial is marked before its fence (see tests/support/docpages.py); it
shows up here as skipped, with the marker's reason.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from docpages import CHART, ROOT, Block, Command, blocks, commands, yaml_kind
from docrender import flux_build, gitops_objects, helm_template, kustomization_dir, kustomize, render_helm
from monitoring import RULES, promtool_run

from registry_operator import cli
from registry_operator.api import approval_policy
from registry_operator.config import ConfigError, load_config
from registry_operator.reconcile.catalogue import KINDS
from registry_testbed import cli as testbed_cli
from registry_testbed.localcluster.build import binaries

pytestmark = pytest.mark.docs

BLOCKS = blocks()
WIDE_POLICY = json.loads((ROOT / "manifests" / "iam" / "operator-policy.json").read_text())


def _params(selected: list[Block]) -> list[Any]:
    return [
        pytest.param(b, id=b.where, marks=[pytest.mark.skip(reason=f"{b.where}: {b.skip}")] if b.skip else [])
        for b in selected
    ]


def _of(kind: str) -> list[Any]:
    return _params([b for b in BLOCKS if b.lang in ("yaml", "yml") and not b.skip and yaml_kind(b) == kind])


# --------------------------------------------------------------------------- YAML


@pytest.mark.parametrize("block", _params([b for b in BLOCKS if b.lang in ("yaml", "yml")]))
def test_every_yaml_block_is_one_this_tier_checks(block: Block) -> None:
    assert yaml_kind(block) != "unknown", (
        f"{block.where}: neither objects, a kustomization, an operator config, Helm values nor a Prometheus "
        "config; if it is partial on purpose, mark it <!-- docs-test: skip: why -->"
    )


def loads(text: str, where: str, tmp_path: Path) -> None:
    """The operator would start with this config."""
    path = tmp_path / "operator-config.yaml"
    path.write_text(text)
    try:
        load_config(path)
    except ConfigError as exc:
        pytest.fail(f"{where}: the operator would refuse to start: {exc}")


def configs_in(rendered: str) -> list[str]:
    """The operator configs in rendered objects: the data of the operator's ConfigMap."""
    return [
        d["data"]["config.yaml"]
        for d in yaml.safe_load_all(rendered)
        if d
        and d["kind"] == "ConfigMap"
        and d["metadata"]["name"].startswith("sagemaker-registry-operator-config")
    ]


@pytest.mark.parametrize("block", _of("operator-config"))
def test_operator_configs_are_accepted_by_the_config_loader(block: Block, tmp_path: Path) -> None:
    loads(block.text, block.where, tmp_path)


@pytest.mark.parametrize("block", _of("helm-values"))
def test_helm_values_render(block: Block, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(block.text)
    out = helm_template("sagemaker-registry-operator", str(CHART), "-f", str(values))
    assert out.returncode == 0, f"{block.where}: {out.stderr}"
    for config in configs_in(out.stdout):
        loads(config, block.where, tmp_path)


@pytest.mark.parametrize("block", _of("kustomization"))
def test_kustomizations_render(block: Block, tmp_path: Path) -> None:
    rendered = kustomize(kustomization_dir(block, tmp_path), block.where)
    for config in configs_in(rendered):
        loads(config, block.where, tmp_path)


@pytest.mark.parametrize("block", _of("prometheus-config"))
def test_prometheus_configs_pass_promtool(block: Block, tmp_path: Path) -> None:
    shutil.copyfile(RULES, tmp_path / RULES.name)
    config = yaml.safe_load(block.text)
    # Debian builds Prometheus without Kubernetes service discovery, so its promtool refuses
    # kubernetes_sd_configs: the rest (rule files, relabelling) is checked with a static target instead.
    for job in config.get("scrape_configs", []):
        if job.pop("kubernetes_sd_configs", None) is not None:
            job["static_configs"] = [{"targets": ["127.0.0.1:8080"]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    out = promtool_run("check", "config", "prometheus.yml", cwd=tmp_path)
    assert out.returncode == 0, f"{block.where}: {out.stdout}{out.stderr}"


@pytest.mark.parametrize("block", _of("manifest"))
def test_operator_resources_pass_the_operator_s_own_checks(block: Block) -> None:
    """The schema is the API server's (tests/e2e/test_docs_dry_run.py); what the operator checks beyond
    it, its spec models, must accept the examples too. ApprovalPolicy is no kind the operator reconciles,
    but its CRD is generated from its spec model all the same."""
    models = {k.kind: k.spec_model for k in KINDS} | {
        approval_policy.KIND: approval_policy.ApprovalPolicySpec
    }
    for doc in block.documents():
        if doc["apiVersion"].startswith("modelregistry.io/"):
            assert doc["kind"] in models, f"{block.where}: no model of our kind {doc['kind']}"
            models[doc["kind"]].model_validate(doc.get("spec", {}))


@pytest.mark.parametrize(
    "block", _params([b for b in BLOCKS if b.lang in ("yaml", "yml") and not b.skip and gitops_objects(b)])
)
def test_gitops_objects_point_at_this_repository_and_each_other(block: Block) -> None:
    """The CRDs of Flux and Argo CD are not on the local control plane, so what they would act on is
    checked here: the paths exist, and every dependsOn names an object of the same example."""
    docs = gitops_objects(block)
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for d in docs:
        spec = d["spec"]
        path = spec.get("path") or spec.get("source", {}).get("path")
        chart = spec.get("chart", {}).get("spec", {}).get("chart")
        for p in (path, chart):
            if p and not p.startswith(("oci://", "http")) and "/" in p:
                assert (ROOT / p).exists(), f"{block.where}: {d['kind']} {d['metadata']['name']}: {p}"
        for dep in spec.get("dependsOn", []):
            assert (d["kind"], dep["name"]) in names, f"{block.where}: {d['metadata']['name']} needs {dep}"


@pytest.mark.parametrize(
    "block", _params([b for b in BLOCKS if b.lang in ("yaml", "yml") and not b.skip and gitops_objects(b)])
)
def test_flux_kustomizations_build_and_their_operator_config_loads(block: Block, tmp_path: Path) -> None:
    for d in gitops_objects(block):
        if d["kind"] == "Kustomization":
            for config in configs_in(flux_build(d, tmp_path, block.where)):
                loads(config, block.where, tmp_path)


# --------------------------------------------------------------------------- JSON and IAM


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    found = policy["Statement"]
    return found if isinstance(found, list) else [found]


def _actions(statement: dict[str, Any]) -> set[str]:
    found = statement.get("Action", [])
    return {found} if isinstance(found, str) else set(found)


def _iam(block: Block) -> dict[str, Any] | None:
    doc = json.loads(block.text)
    return doc if isinstance(doc, dict) and "Statement" in doc else None


def _helm_service_account(command: Command, tmp_path: Path) -> tuple[str, str]:
    rendered = render_helm(command, tmp_path)
    account = next(
        d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "ServiceAccount"
    )  # the chart's only one
    return account["metadata"]["namespace"], account["metadata"]["name"]


@pytest.mark.parametrize("block", _params([b for b in BLOCKS if b.lang == "json"]))
def test_json_blocks(block: Block, tmp_path: Path) -> None:
    policy = _iam(block)
    if policy is None:
        return  # a log line or an API answer: it parsed
    assert policy.get("Version") == "2012-10-17", block.where
    statements = _statements(policy)
    for s in statements:
        assert s["Effect"] in ("Allow", "Deny"), block.where
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", a) for a in _actions(s)), block.where
    subjects = [
        v
        for s in statements
        for cond in s.get("Condition", {}).values()
        for k, v in cond.items()
        if k.endswith(":sub")
    ]
    if any("Principal" in s for s in statements):  # a trust policy
        principal = statements[0]["Principal"]
        if "Federated" in principal:  # IRSA: the subject is the ServiceAccount both installs render
            assert _actions(statements[0]) == {"sts:AssumeRoleWithWebIdentity"}, block.where
            assert len(subjects) == 1, f"{block.where}: one system:serviceaccount subject"
            _, namespace, name = subjects[0].rsplit(":", 2)
            installs = [
                c for c in commands([block.page]) if c.argv[:2] in (("helm", "install"), ("helm", "upgrade"))
            ]
            assert installs, f"{block.where}: no helm install on the page to compare the subject with"
            for install in installs:
                assert _helm_service_account(install, tmp_path) == (namespace, name), install.where
            assert (namespace, name) == _kustomize_service_account(), block.where
        elif "Service" in principal:  # EKS Pod Identity
            assert principal == {"Service": "pods.eks.amazonaws.com"}, block.where
            assert _actions(statements[0]) == {"sts:AssumeRole", "sts:TagSession"}, block.where
        else:  # a role the operator assumes, trusting the operator's role
            assert _actions(statements[0]) == {"sts:AssumeRole"}, block.where
        return
    wide = set().union(*map(_actions, _statements(WIDE_POLICY)))
    given = set().union(*map(_actions, statements))
    assert given <= wide, f"{block.where}: actions the operator never calls: {given - wide}"


@pytest.mark.parametrize("page", sorted({b.page for b in BLOCKS if b.lang == "json" and _iam(b)}), ids=str)
def test_permissions_on_a_page_add_up_to_every_action_the_operator_calls(page: Path) -> None:
    """A page that narrows the operator's policy, split over its own role and the roles it assumes,
    still grants each action the operator calls somewhere."""
    policies = [_iam(b) for b in blocks([page]) if b.lang == "json" and _iam(b)]
    permissions = [p for p in policies if p and not any("Principal" in s for s in _statements(p))]
    wide = set().union(*map(_actions, _statements(WIDE_POLICY)))
    given = set().union(*(_actions(s) for p in permissions for s in _statements(p)))
    assert given == wide, f"{page.relative_to(ROOT)}: no policy grants {sorted(wide - given)}"


def _kustomize_service_account() -> tuple[str, str]:
    out = subprocess.run(
        [str(binaries().kubectl), "kustomize", str(ROOT / "manifests" / "overlays" / "cluster-wide")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    account = next(d for d in yaml.safe_load_all(out) if d and d["kind"] == "ServiceAccount")
    return account["metadata"]["namespace"], account["metadata"]["name"]


# --------------------------------------------------------------------------- commands

COMMANDS = commands()
MAKEFILE = (ROOT / "Makefile").read_text()
# Read by the AWS SDK, kubectl or the shell rather than by this repository.
ENVIRONMENT = re.compile(r"^(AWS_[A-Z_]+|KUBECONFIG|PATH)$")


def _parses(parser: Any, argv: list[str], where: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            parser.parse_args(argv)
        except SystemExit as exit:
            assert exit.code == 0, f"{where}: {err.getvalue().strip()}"


def _check_helm(command: Command, tmp_path: Path) -> None:
    sub = command.argv[1] if len(command.argv) > 1 else ""
    assert sub in ("install", "upgrade", "template", "uninstall", "lint"), command.where
    if sub in ("install", "upgrade", "template") and len(command.argv) > 3:
        chart = next(a for a in command.argv[2:] if "/" in a and not a.startswith("-") and "=" not in a)
        assert (ROOT / chart).is_dir(), f"{command.where}: {chart}"
        render_helm(command, tmp_path)


def _check_kubectl(command: Command) -> None:
    args = list(command.argv[1:])
    for flag in ("-f", "-k", "--filename", "--kustomize", "--patch-file"):
        for i, arg in enumerate(args[:-1]):
            path = args[i + 1]
            if arg == flag and path != "-" and not re.search(r"[A-Z<]|\.\.\.", path) and "/" in path:
                assert (ROOT / path).exists(), f"{command.where}: {path}"
                if flag in ("-k", "--kustomize"):
                    out = subprocess.run(
                        [str(binaries().kubectl), "kustomize", str(ROOT / path)],
                        capture_output=True,
                        text=True,
                    )
                    assert out.returncode == 0, f"{command.where}: {out.stderr}"


def _check_python(command: Command) -> None:
    args = list(command.argv[1:])
    if not args or args[0] == "-c":
        return
    if args[0] == "-m":
        module, rest = args[1], args[2:]
        assert importlib.util.find_spec(module) is not None, f"{command.where}: no module {module}"
        loaded = importlib.import_module(module)
        if hasattr(loaded, "build_parser"):
            _parses(loaded.build_parser(), rest, command.where)
        else:
            assert not rest, f"{command.where}: {module} takes no arguments"
        return
    assert (ROOT / args[0]).is_file(), f"{command.where}: {args[0]}"


def _check_make(command: Command) -> None:
    targets = set(re.findall(r"^([a-z][\w-]*):", MAKEFILE, flags=re.M))
    for arg in command.argv[1:]:
        if "=" in arg:
            name = arg.split("=", 1)[0]
            assert f"$({name})" in MAKEFILE, f"{command.where}: the Makefile reads no {name}"
        elif not arg.startswith("-"):
            assert arg in targets, f"{command.where}: no make target {arg}"


def _check_environment(command: Command) -> None:
    code = [
        ROOT / "Makefile",
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("testbed/**/*.py"),
        *ROOT.glob("operator/**/*.py"),
    ]
    for name in command.env:
        if not ENVIRONMENT.match(name):
            assert any(name in p.read_text() for p in code), f"{command.where}: nothing here reads {name}"


@pytest.mark.parametrize(
    "command", [pytest.param(c, id=f"{c.where}: {' '.join(c.argv)}"[:150]) for c in COMMANDS]
)
def test_commands_exist_with_the_arguments_given(command: Command, tmp_path: Path) -> None:
    _check_environment(command)
    program, argv = command.argv[0], list(command.argv[1:])
    if not argv or argv == ["-m"]:
        return  # the program named in passing, with nothing to check
    if program == "registry-operator" and argv:
        _parses(cli.build_parser(), argv, command.where)
    elif program == "registry-testbed" and argv:
        _parses(testbed_cli.build_parser(), argv, command.where)
    elif program == "python":
        _check_python(command)
    elif program == "make":
        _check_make(command)
    elif program == "helm":
        _check_helm(command, tmp_path)
    elif program == "kubectl":
        _check_kubectl(command)
