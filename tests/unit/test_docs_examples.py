"""The examples in README.md and docs/ do what they say, checked without a cluster: every YAML and JSON
block is parsed and handed to what would read it (operator configs to the config loader, Helm values
and Helm commands to `helm template`, kustomizations to `kubectl kustomize`, a Prometheus config to
promtool, the operator's own resources to their spec models, IAM policies against the operator's
policy and the ServiceAccount the install renders, EventBridge patterns and queue policies against the
events the operator reads, CloudFormation templates resolved and checked the same way), and every
command of this repository that the pages name exists with the arguments they give it. The server-side
dry run of the manifests is in tests/e2e/test_docs_dry_run.py.

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
from cloudformation import Stack
from docpages import CHART, ROOT, Block, Command, blocks, commands, yaml_kind
from docrender import flux_build, gitops_objects, helm_template, kustomization_dir, kustomize, render_helm
from monitoring import RULES, promtool_run
from moto.events.models import EventPattern

from registry_operator import cli
from registry_operator.api import approval_policy
from registry_operator.config import ConfigError, OperatorConfig, load_config
from registry_operator.reconcile import registry_events
from registry_operator.reconcile.catalogue import KINDS
from registry_testbed import cli as testbed_cli
from registry_testbed.localaws.resource_policy import Decision, evaluate, parse_policy
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
        f"{block.where}: neither objects, a kustomization, an operator config, Helm values, a Prometheus "
        "config nor a CloudFormation template; if it is partial on purpose, mark it "
        "<!-- docs-test: skip: why -->"
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


def _resources(statement: dict[str, Any]) -> set[str]:
    found = statement.get("Resource", [])
    return {found} if isinstance(found, str) else set(found)


WIDE_ACTIONS = set().union(*map(_actions, _statements(WIDE_POLICY)))
# What the operator calls on each queue of `eventQueues` (aws/sqs.py), as the identity that reads it.
QUEUE_ACTIONS = {a for a in WIDE_ACTIONS if a.startswith("sqs:")}
EVENTS_PRINCIPAL = {"Service": "events.amazonaws.com"}
QUEUE_ARN = re.compile(r"arn:aws:sqs:([a-z0-9-]+):(\d{12}):[\w-]+(\.fifo)?")
# SageMaker's own example of the event the operator reads (tests/unit/test_registry_event_parser.py).
DOCUMENTED_EVENT = ROOT / "tests" / "unit" / "data" / "sagemaker-model-package-state-change.json"


def _iam(block: Block) -> dict[str, Any] | None:
    """An IAM policy; or one statement, as a page shows one to add to a policy, as a policy of it."""
    doc = json.loads(block.text)
    if isinstance(doc, dict) and "Statement" in doc:
        return doc
    if isinstance(doc, dict) and "Effect" in doc and "Action" in doc:
        return {"Statement": [doc]}
    return None


def _is_queue_policy(statements: list[dict[str, Any]]) -> bool:
    """A queue's resource policy: statements with principals, on SQS queues only."""
    resources = set().union(*map(_resources, statements))
    return (
        any("Principal" in s for s in statements)
        and bool(resources)
        and all(QUEUE_ARN.fullmatch(r) for r in resources)
    )


def _check_event_pattern(pattern: Any, where: str) -> None:
    """An EventBridge rule's pattern (matched as the embedded AWS matches it, by moto's EventPattern)
    delivers SageMaker's documented model package event, which the operator reads, and no other kind of
    event, which the operator would only delete unread."""
    matcher = EventPattern.load(json.dumps(pattern))
    event = json.loads(DOCUMENTED_EVENT.read_text()) | {"source": registry_events.SOURCE}
    assert isinstance(registry_events.parse_event(event), registry_events.PackageStateChange)
    assert matcher.matches_event(event), f"{where}: the pattern does not deliver SageMaker's package events"
    for other in ({"detail-type": "SageMaker Model State Change"}, {"source": "aws.s3"}):
        assert not matcher.matches_event(event | other), f"{where}: the pattern also delivers {other}"


def _check_queue_policy(policy: dict[str, Any], where: str) -> set[str]:
    """A queue's policy lets EventBridge send the events of a rule of the queue's own account and region
    (where SageMaker puts them), and of no other rule; whoever else it lets in (the reader: the
    operator's role, or a queue entry's roleArn) is granted every action the operator calls on a queue,
    and nothing the operator never calls. Evaluated as the embedded AWS evaluates a queue policy;
    returns the rules it lets in."""
    statements = _statements(policy)
    (queue,) = set().union(*map(_resources, statements))
    found = QUEUE_ARN.fullmatch(queue)
    assert found, f"{where}: {queue} is no queue"
    region, account = found.group(1), found.group(2)
    parsed = parse_policy(json.dumps(policy))
    rules: set[str] = set()
    for s in statements:
        if s.get("Principal") == EVENTS_PRINCIPAL:
            assert _actions(s) == {"sqs:SendMessage"}, f"{where}: EventBridge needs sqs:SendMessage only"
            for operator, keys in s.get("Condition", {}).items():
                for key, value in keys.items():
                    if operator.startswith("Arn") and key.lower() == "aws:sourcearn":
                        rules.update([value] if isinstance(value, str) else value)
        else:
            assert "AWS" in s.get("Principal", {}), f"{where}: whom does {s.get('Sid')} let in?"
            given = _actions(s)
            assert given <= WIDE_ACTIONS, f"{where}: actions the operator never calls: {given - WIDE_ACTIONS}"
            for reader in (
                [s["Principal"]["AWS"]] if isinstance(s["Principal"]["AWS"], str) else s["Principal"]["AWS"]
            ):
                for action in sorted(QUEUE_ACTIONS):
                    decision = evaluate(parsed, frozenset({reader}), action, [queue])
                    assert decision is Decision.ALLOW, (
                        f"{where}: {reader} may not {action}, which the operator calls"
                    )
    assert rules, f"{where}: EventBridge is let in for any rule of any account: name the rule (aws:SourceArn)"
    events = frozenset({"Service:events.amazonaws.com"})
    for rule in rules:
        assert re.fullmatch(rf"arn:aws:events:{region}:{account}:rule/[\w.-]+", rule), (
            f"{where}: {rule} is not a rule of the default bus of the queue's account and region, where "
            "SageMaker puts its events"
        )
        context = {"aws:SourceArn": rule, "aws:SourceAccount": account}
        assert evaluate(parsed, events, "sqs:SendMessage", [queue], context) is Decision.ALLOW, (
            f"{where}: EventBridge may not send the events of {rule}"
        )
    another = {
        "aws:SourceArn": f"arn:aws:events:{region}:{account}:rule/another-rule",
        "aws:SourceAccount": account,
    }
    assert evaluate(parsed, events, "sqs:SendMessage", [queue], another) is not Decision.ALLOW, (
        f"{where}: any rule may send to the queue"
    )
    return rules


def _helm_service_account(command: Command, tmp_path: Path) -> tuple[str, str]:
    rendered = render_helm(command, tmp_path)
    account = next(
        d for d in yaml.safe_load_all(rendered) if d and d["kind"] == "ServiceAccount"
    )  # the chart's only one
    return account["metadata"]["namespace"], account["metadata"]["name"]


@pytest.mark.parametrize("block", _params([b for b in BLOCKS if b.lang == "json"]))
def test_json_blocks(block: Block, tmp_path: Path) -> None:
    doc = json.loads(block.text)
    if isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in ("source", "detail-type")):
        _check_event_pattern(doc, block.where)  # an EventBridge rule's
        return
    policy = _iam(block)
    if policy is None:
        return  # a log line or an API answer: it parsed
    if "Statement" in doc:  # a whole policy, not a statement to add to one
        assert policy.get("Version") == "2012-10-17", block.where
    statements = _statements(policy)
    for s in statements:
        assert s["Effect"] in ("Allow", "Deny"), block.where
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z*]+", a) for a in _actions(s)), block.where
    if _is_queue_policy(statements):
        _check_queue_policy(policy, block.where)
        return
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
    given = set().union(*map(_actions, statements))
    assert given <= WIDE_ACTIONS, f"{block.where}: actions the operator never calls: {given - WIDE_ACTIONS}"


@pytest.mark.parametrize("page", sorted({b.page for b in BLOCKS if b.lang == "json" and _iam(b)}), ids=str)
def test_permissions_on_a_page_add_up_to_every_action_the_operator_calls(page: Path) -> None:
    """A page that narrows the operator's policy (shows a whole identity policy), split over its own
    role and the roles it assumes, still grants each action the operator calls somewhere. A page that
    shows only statements to add for one purpose (reading the registry event queues) grants every
    action the operator calls for it: all of each statement of the wide policy that it draws on."""
    shown = [(json.loads(b.text), _iam(b)) for b in blocks([page]) if b.lang == "json" and _iam(b)]
    permissions = [p for _, p in shown if p and not any("Principal" in s for s in _statements(p))]
    given = set().union(*(_actions(s) for p in permissions for s in _statements(p)))
    assert given, f"{page.relative_to(ROOT)}: policies, but none that grants the operator anything"
    if any("Statement" in doc for doc, p in shown if p in permissions):
        expected = WIDE_ACTIONS
    else:
        expected = set().union(*(_actions(s) for s in _statements(WIDE_POLICY) if _actions(s) & given))
    assert given == expected, f"{page.relative_to(ROOT)}: no policy grants {sorted(expected - given)}"


# --------------------------------------------------------------------------- CloudFormation


@pytest.mark.parametrize("block", _of("cloudformation"))
def test_cloudformation_templates(block: Block) -> None:
    """What the stack would make, resolved (tests/support/cloudformation.py): rules on the default bus
    whose pattern delivers the events the operator reads, whole, to the stack's queue; a queue policy
    that lets those rules send and the reader read, as the JSON blocks are checked; and the queue, rule
    and policy the rest of the page names are the stack's."""
    (template,) = block.documents()
    stack = Stack(template, block.where)
    queues = stack.resources("AWS::SQS::Queue")
    rules = stack.resources("AWS::Events::Rule")
    queue_arns = {stack.resolve({"Fn::GetAtt": [q, "Arn"]}) for q in queues}
    queue_urls = {stack.resolve({"Ref": q}) for q in queues}
    rule_arns = {stack.resolve({"Fn::GetAtt": [r, "Arn"]}) for r in rules}
    for name, queue in queues.items():
        if queue.get("FifoQueue"):  # EventBridge sends to a FIFO queue only with this
            assert queue.get("ContentBasedDeduplication") is True, f"{block.where}: {name}"
    for name, rule in rules.items():
        where = f"{block.where}: {name}"
        _check_event_pattern(rule["EventPattern"], where)
        assert rule.get("EventBusName", "default") == "default", f"{where}: SageMaker uses the default bus"
        assert rule.get("State") in ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"), where
        targets = rule.get("Targets", [])
        assert {t["Arn"] for t in targets} & queue_arns, f"{where}: no target is the stack's queue"
        for t in targets:  # the operator reads the whole event
            assert not {"Input", "InputPath", "InputTransformer"} & set(t), f"{where}: {t['Id']}"
    policies = stack.resources("AWS::SQS::QueuePolicy")
    assert policies or not rules, f"{block.where}: no queue policy lets EventBridge send to the queue"
    events_statements = []
    for name, policy in policies.items():
        where = f"{block.where}: {name}"
        assert set(policy["Queues"]) <= queue_urls, where
        document = policy["PolicyDocument"]
        assert document.get("Version") == "2012-10-17", where
        assert _check_queue_policy(document, where) <= rule_arns, f"{where}: lets in a rule of no stack"
        events_statements += [s for s in _statements(document) if s.get("Principal") == EVENTS_PRINCIPAL]
    outputs = stack.outputs()
    for url in (v for v in outputs.values() if v in queue_urls):  # accepted as eventQueues[].queueUrl
        OperatorConfig.model_validate({"eventQueues": [{"queueUrl": url}]})
    # The rest of the page shows the same queue policy for the console and reads the same queue.
    for other in blocks([block.page]):
        if other.lang == "json" and (shown := _iam(other)) and _is_queue_policy(_statements(shown)):
            assert [
                s for s in _statements(shown) if s.get("Principal") == EVENTS_PRINCIPAL
            ] == events_statements, f"{other.where}: not the queue policy the stack of {block.where} writes"
        if other.lang in ("yaml", "yml") and not other.skip and yaml_kind(other) == "operator-config":
            for entry in other.documents()[0].get("eventQueues", []):
                url = entry["queueUrl"]
                if f".{stack.region}." in url and f"/{stack.account}/" in url:
                    assert url in outputs.values(), f"{other.where}: {url} is not the queue of {block.where}"


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
