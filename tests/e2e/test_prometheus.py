"""The shipped alerts and dashboard against a real Prometheus scraping the real operator.

Prometheus (Debian's package) scrapes the operator every second and evaluates the shipped rule file,
with every `for:` shortened to 2 s and every rate window to 90 s (longer than the one-minute retry of
a failing reconcile, so a lasting cause keeps its alert firing). The operator runs with
`--leader-elect` against its own embedded AWS, watching only this test's namespaces; the session's
operator is paused meanwhile. Each alert is brought about by a real cause and resolved by removing it:

- RegistryOperatorNoLeader: no operator scraped yet (absent), then the operator waiting for a Lease
  another holder keeps renewing; resolved when that holder stops renewing and the operator takes over.
- RegistryOperatorResourcesStalled: a version whose role the operator config refuses (NotPermitted)
  and one naming a group in another region (RegionMismatch); resolved by deleting both.
- RegistryOperatorAwsAccessDenied: a version registering into another account's group before any
  CrossAccountRegistryAccess exists; resolved by applying the access.
- RegistryOperatorResyncLagging (and AccessDenied on ListModelPackages): that version, once
  registered, cannot be listed by the resync; resolved by granting sagemaker:ListModelPackages.
- RegistryOperatorAwsThrottled: every CreateModelPackage throttled (embedded AWS fault rule, rate 1.0)
  while versions are applied; resolved by lifting the fault.
- RegistryOperatorReconcileErrors: a ValidatingAdmissionPolicy refusing the status writes of accesses
  in one namespace; resolved by deleting its binding.
- RegistryOperatorEventQueueUnreadable: the operator reads a registry event queue (an approval made in
  the registry reaches status through it), then every ReceiveMessage fails (embedded AWS fault rule);
  an approval made meanwhile still reaches status through the resync; resolved by lifting the fault.
  Its threshold (60 s unread) is the shipped one: only `for:` is shortened.
- RegistryOperatorApprovalFight: a version whose approval git decides, set to Rejected in the registry
  three times (the operator sets it back each time); resolved by deleting the version.

Then every alert expression and every dashboard query is run through Prometheus's HTTP API over the
whole scenario: each returns data.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import manifests
import pytest
import yaml
from accounts import REGION, REGISTRY_ACCOUNT, REGISTRY_ROLE, TRAINING_ACCOUNT, TRAINING_ROLE, client_as
from event_queues import wire
from kube import Kube, KubectlError, condition
from monitoring import alert_rules, panel_queries, prometheus, resolve_variables, shortened_rules
from prometheus_server import Prometheus, finite_points, with_data
from runner import OperatorRunner
from waiting import eventually

from registry_testbed import devstack
from registry_testbed.localaws.client import LocalAWSAdmin
from registry_testbed.localaws.seed_accounts import default_client

JOB = "sagemaker-registry-operator-metrics"
RESYNC_SECONDS = 5
FOR = "2s"
WINDOW = "90s"
RATE_INTERVAL = "15s"  # Grafana's $__rate_interval: four scrape intervals or more
# Generous: the 2-core machine may be busy with other work; these are ceilings, never expectations.
PATIENCE = 240.0
FROZEN_LABEL = "registry-operator-test/status-frozen"
# Every ReceiveMessage of the embedded AWS refused: the operator's event queue cannot be read.
QUEUE_UNREADABLE = {"operation": "sqs:ReceiveMessage", "rate": 1.0, "error": "ServiceUnavailable"}
REFUSED_ROLE = "arn:aws:iam::999999999999:role/not-in-the-config"


class Timeline:
    """When each alert was seen firing and seen resolved, in seconds from the start, for the report."""

    def __init__(self) -> None:
        self.start = time.time()
        self.events: list[str] = []

    def note(self, what: str) -> None:
        self.events.append(f"{time.time() - self.start:6.1f} s  {what}")


def _now_micro() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ForeignLeader:
    """Another replica holding the operator's Lease and renewing it, until it lets go."""

    def __init__(self, kube: Kube, namespace: str, name: str) -> None:
        self.kube, self.namespace, self.name = kube, namespace, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="foreign-leader", daemon=True)

    def hold(self) -> None:
        now = _now_micro()
        self.kube.apply(
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": {
                    "holderIdentity": "previous-leader",
                    "leaseDurationSeconds": 15,
                    "acquireTime": now,
                    "renewTime": now,
                },
            }
        )
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(2.0):
            patch = json.dumps({"spec": {"renewTime": _now_micro()}})
            self.kube.kubectl(
                "patch", "lease", self.name, "-n", self.namespace, "--type=merge", "-p", patch, check=False
            )

    def let_go(self) -> None:
        """Stop renewing, as a holder that died would: the lease expires 15 s after its last renewal."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)


def _freeze_access_status(kube: Kube, name: str) -> list[dict[str, Any]]:
    """An admission policy refusing every status write of CrossAccountRegistryAccesses in namespaces
    labelled FROZEN_LABEL=name (an RBAC or policy change gone wrong, as the operator would meet it)."""
    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": name},
            "spec": {
                "failurePolicy": "Fail",
                "matchConstraints": {
                    "resourceRules": [
                        {
                            "apiGroups": ["modelregistry.io"],
                            "apiVersions": ["*"],
                            "operations": ["UPDATE"],
                            "resources": ["crossaccountregistryaccesses/status"],
                        }
                    ]
                },
                "validations": [{"expression": "false", "message": "status writes are frozen by policy"}],
            },
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": name},
            "spec": {
                "policyName": name,
                "validationActions": ["Deny"],
                "matchResources": {"namespaceSelector": {"matchLabels": {FROZEN_LABEL: name}}},
            },
        },
    ]


def _access(name: str, namespace: str, group: str, actions: list[str], registry_role: str | None) -> dict:
    registry: dict[str, Any] = {"actions": actions}
    if registry_role:
        registry["roleArn"] = registry_role
    return manifests.access(name, namespace, group, registry=registry)


def _reason(kube: Kube, kind: str, name: str, namespace: str) -> str | None:
    obj = kube.try_get(kind, name, namespace)
    return condition(obj).get("reason") if obj else None


@pytest.fixture
def own_aws(tmp_path: Path) -> Iterator[str]:
    """An embedded AWS of this test alone: its fault rules and failing groups touch no other test."""
    process, endpoint = devstack.start_local_aws(tmp_path / "local-aws.log")
    yield endpoint
    process.stop()


def test_alerts_fire_and_resolve_and_every_panel_has_data(
    kube: Kube, operator: OperatorRunner, own_aws: str, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:6]
    ns, cross, frozen, probe = (
        f"obs-{suffix}",
        f"obs-x-{suffix}",
        f"obs-err-{suffix}",
        f"obs-probe-{suffix}",
    )
    policy = f"obs-freeze-{suffix}"
    for name in (ns, cross):
        kube.create_namespace(name)
    for name in (frozen, probe):  # probe is not watched: it shows when the policy is in force
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": {FROZEN_LABEL: policy}},
            }
        )
    admin = LocalAWSAdmin(own_aws)
    queue = wire(default_client(own_aws, "sqs"), default_client(own_aws, "events"), f"obs-events-{suffix}")
    config = tmp_path / "operator.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "defaultRegion": REGION,
                # stated: with eventQueues the default would be 600
                "resyncIntervalSeconds": RESYNC_SECONDS,
                # one long poll: once a receive is refused, nothing reads the queue
                "eventQueues": [{"queueUrl": queue.url, "pollers": 1}],
                "namespaces": {
                    cross: {
                        "roleArns": [TRAINING_ROLE, REGISTRY_ROLE],
                        "grantAccounts": [REGISTRY_ACCOUNT, TRAINING_ACCOUNT],
                        "groups": ["*"],
                        "s3Buckets": ["*"],
                        "ecrRepositories": ["*"],
                        "kmsKeys": ["*"],
                    }
                },
            }
        )
    )
    port = devstack.free_port()
    prom = Prometheus(
        prometheus(), tmp_path / "prometheus", JOB, [f"127.0.0.1:{port}"], shortened_rules(FOR, WINDOW)
    )
    leader = ForeignLeader(kube, ns, "sagemaker-registry-operator")
    timeline = Timeline()
    ours: devstack.Process | None = None

    def wait(check: Callable[[], Any], what: str, timeout: float = PATIENCE) -> Any:
        found = eventually(check, timeout=timeout, interval=1.0, what=what)
        timeline.note(what)
        return found

    def firing(name: str, **labels: str) -> bool:
        return any(labels.items() <= a.items() for a in prom.alerts(name))

    def quiet(name: str, **labels: str) -> bool:
        return not any(labels.items() <= a.items() for a in prom.alerts(name) + prom.alerts(name, "pending"))

    operator.stop()  # one operator at a time
    try:
        prom.start()
        timeline.start = time.time()
        # --------------------------------------------------------------- no leader
        wait(
            lambda: any("job" not in a for a in prom.alerts("RegistryOperatorNoLeader")),
            "NoLeader fires: nothing scraped",
        )
        leader.hold()
        ours = devstack.start_operator(
            kube.info.kubeconfig,
            own_aws,
            tmp_path / "operator.log",
            [
                "--config", str(config),
                f"--metrics-port={port}", "--metrics-bind-address=127.0.0.1",
                "--leader-elect", f"--leader-election-namespace={ns}",
                *(f"--namespace={n}" for n in (ns, cross, frozen)),
            ],
        )  # fmt: skip
        wait(
            lambda: firing("RegistryOperatorNoLeader", job=JOB),
            "NoLeader fires: the operator waits for the lease",
        )
        assert prom.value(f'registry_operator_leader{{job="{JOB}"}}') == 0
        leader.let_go()
        wait(lambda: prom.value("registry_operator_leader") == 1, "the operator leads")
        wait(lambda: quiet("RegistryOperatorNoLeader"), "NoLeader resolved")

        # --------------------------------------------------------------- registrations, refusals, errors
        own_account = default_client(own_aws, "sts").get_caller_identity()["Account"]
        registry_group = f"obs-dt-{suffix}"
        group_arn = client_as(own_aws, "sagemaker", REGISTRY_ROLE).create_model_package_group(
            ModelPackageGroupName=registry_group
        )["ModelPackageGroupArn"]
        kube.apply(_freeze_access_status(kube, policy))
        kube.apply(_access("probe", probe, registry_group, ["sagemaker:CreateModelPackage"], None))

        def frozen_in_force() -> bool:
            res = kube.kubectl(
                "patch", "crossaccountregistryaccess", "probe", "-n", probe, "--subresource=status",
                "--type=merge", "-p", '{"status": {"observedGeneration": 1}}', check=False,
            )  # fmt: skip
            return res.returncode != 0 and "frozen by policy" in res.stderr

        wait(frozen_in_force, "the admission policy refuses access status writes")
        group = f"obs-group-{suffix}"
        kube.apply(
            [
                manifests.group(group, ns),
                manifests.version("registered-1", ns, group_ref=group),
                manifests.version("registered-2", ns, group_ref=group, n=2),
                manifests.version("refused-role", ns, group_name=group, roleArn=REFUSED_ROLE),
                manifests.version(
                    "other-region", ns,
                    group_name=f"arn:aws:sagemaker:eu-west-1:{own_account}:model-package-group/{group}",
                ),
                manifests.version("cross", cross, group_name=group_arn, roleArn=TRAINING_ROLE),
                _access("frozen", frozen, registry_group, ["sagemaker:CreateModelPackage"], None),
            ]
        )  # fmt: skip
        wait(
            lambda: _reason(kube, "modelversion", "cross", cross) == "AccessDenied",
            "cross: AccessDenied in status",
        )
        wait(
            lambda: firing("RegistryOperatorAwsAccessDenied", operation="CreateModelPackage"),
            "AwsAccessDenied fires: CreateModelPackage into another account",
        )
        # the cure: the access for that group, granting CreateModelPackage only
        kube.apply(
            _access("decision-trees", cross, registry_group, ["sagemaker:CreateModelPackage"], REGISTRY_ROLE)
        )
        for name in ("registered-1", "registered-2"):
            kube.wait("modelversion", name, ns, timeout=PATIENCE)
        timeline.note("registered-1 and registered-2 Ready")

        # --------------------------------------------------------------- registry events, then none
        registry = default_client(own_aws, "sagemaker")

        def approve(name: str) -> None:
            arn = kube.get("modelversion", name, ns)["status"]["modelPackageArn"]
            registry.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")

        def approved(name: str) -> bool:
            return kube.get("modelversion", name, ns)["status"].get("approvalStatus") == "Approved"

        approve("registered-1")
        wait(lambda: approved("registered-1"), "registered-1: a registry approval in status (the queue)")

        # --------------------------------------------------------------- someone fighting git
        kube.apply(manifests.version("fought", ns, group_ref=group, approvalStatus="Approved"))
        kube.wait("modelversion", "fought", ns, timeout=PATIENCE)
        fought = kube.get("modelversion", "fought", ns)["status"]["modelPackageArn"]
        for attempt in range(3):
            registry.update_model_package(ModelPackageArn=fought, ModelApprovalStatus="Rejected")
            wait(
                lambda: (
                    registry.describe_model_package(ModelPackageName=fought)["ModelApprovalStatus"]
                    == "Approved"
                ),
                f"fought: the registry's Rejected set back ({attempt + 1})",
            )
        wait(lambda: firing("RegistryOperatorApprovalFight"), "ApprovalFight fires: three reverts")
        kube.delete("modelversion", "fought", ns)
        wait(lambda: quiet("RegistryOperatorApprovalFight"), "ApprovalFight resolved: the version deleted")
        admin.set_faults([QUEUE_UNREADABLE])
        timeline.note("every ReceiveMessage refused: the event queue is unreadable")
        # the long poll under way may still answer: wait until a receive has been refused
        wait(lambda: admin.faults_injected().get("sqs:ReceiveMessage", 0) >= 1, "a ReceiveMessage refused")
        approve("registered-2")
        wait(lambda: approved("registered-2"), "registered-2: a registry approval in status (the resync)")
        assert queue.depth() >= 1, "the approval's event waits on the unreadable queue"
        wait(lambda: firing("RegistryOperatorResourcesStalled", kind="ModelVersion", reason="NotPermitted"),
             "ResourcesStalled fires: NotPermitted")  # fmt: skip
        wait(lambda: firing("RegistryOperatorResourcesStalled", kind="ModelVersion", reason="RegionMismatch"),
             "ResourcesStalled fires: RegionMismatch")  # fmt: skip
        wait(lambda: firing("RegistryOperatorReconcileErrors", kind="CrossAccountRegistryAccess"),
             "ReconcileErrors fires: access status writes refused")  # fmt: skip
        kube.wait("modelversion", "cross", cross, timeout=PATIENCE)
        timeline.note("cross Ready in the registry account")

        # --------------------------------------------------------------- remove those causes
        kube.delete("modelversion", "refused-role", ns)
        kube.delete("modelversion", "other-region", ns)
        timeline.note("stalled versions deleted")
        wait(
            lambda: quiet("RegistryOperatorResourcesStalled", kind="ModelVersion"),
            "ResourcesStalled resolved",
        )
        kube.delete("validatingadmissionpolicybinding", policy)
        timeline.note("admission policy binding deleted")
        # written by the periodic re-check or kopf's retry, whichever comes first; it is Stalled
        # (NotPermitted: the namespace is not in the config), so it goes too
        wait(lambda: condition(kube.get("craa", "frozen", frozen), "Stalled").get("status") == "True",
             "frozen access: status written again")  # fmt: skip
        kube.delete("craa", "frozen", frozen)

        # --------------------------------------------------------------- a failing resync
        wait(lambda: firing("RegistryOperatorResyncLagging"), "ResyncLagging fires: ListModelPackages denied")
        wait(lambda: firing("RegistryOperatorAwsAccessDenied", operation="ListModelPackages"),
             "AwsAccessDenied fires: ListModelPackages")  # fmt: skip

        # --------------------------------------------------------------- a throttled period
        admin.set_faults(
            [
                QUEUE_UNREADABLE,
                {"operation": "sagemaker:CreateModelPackage", "rate": 1.0, "error": "ThrottlingException"},
            ]
        )
        timeline.note("every CreateModelPackage throttled (the queue still unreadable)")
        kube.apply([manifests.version(f"throttled-{i}", ns, group_ref=group) for i in (1, 2)])
        wait(
            lambda: _reason(kube, "modelversion", "throttled-1", ns) == "Throttled",
            "throttled-1: Throttled in status",
        )
        wait(
            lambda: firing("RegistryOperatorAwsThrottled", operation="CreateModelPackage"),
            "AwsThrottled fires",
        )
        wait(
            lambda: firing("RegistryOperatorEventQueueUnreadable", queue=queue.name),
            "EventQueueUnreadable fires: the queue unread for over 60 s",
        )

        # --------------------------------------------------------------- remove the rest
        admin.clear_faults()
        timeline.note("throttling lifted, the queue readable again")
        kube.apply(
            _access("decision-trees", cross, registry_group,
                    ["sagemaker:CreateModelPackage", "sagemaker:ListModelPackages"], REGISTRY_ROLE)
        )  # fmt: skip
        timeline.note("access grants ListModelPackages too")
        for name in ("throttled-1", "throttled-2"):
            kube.wait("modelversion", name, ns, timeout=PATIENCE)
        timeline.note("throttled-1 and throttled-2 Ready")
        wait(lambda: quiet("RegistryOperatorResyncLagging"), "ResyncLagging resolved")
        wait(lambda: quiet("RegistryOperatorAwsAccessDenied", operation="CreateModelPackage"),
             "AwsAccessDenied (CreateModelPackage) resolved")  # fmt: skip
        wait(lambda: quiet("RegistryOperatorAwsThrottled"), "AwsThrottled resolved")
        wait(lambda: quiet("RegistryOperatorEventQueueUnreadable"), "EventQueueUnreadable resolved")
        wait(lambda: queue.depth() == 0, "the event that waited on the queue read and deleted")
        wait(lambda: quiet("RegistryOperatorAwsAccessDenied"), "AwsAccessDenied (ListModelPackages) resolved")
        wait(lambda: quiet("RegistryOperatorReconcileErrors"), "ReconcileErrors resolved")
        wait(lambda: not prom.active_alerts(), "no alert active")
        end = time.time()

        # --------------------------------------------------------------- every query returns data
        counts: list[str] = []
        for rule in alert_rules(shortened_rules(FOR, WINDOW)):
            result = prom.query_range(rule["expr"], timeline.start, end, 2)
            assert finite_points(result), f"alert {rule['alert']}: no data over the scenario"
            counts.append(f"alert {rule['alert']}: {with_data(result)} series with data")
        for title, ref, expr in panel_queries():
            query = resolve_variables(expr, JOB, RATE_INTERVAL)
            result = prom.query_range(query, timeline.start, end, 2)
            assert finite_points(result), f"panel {title} ({ref}): no data over the scenario: {query}"
            counts.append(f"panel {title} ({ref}): {with_data(result)} series with data")
        assert prom.label_values("job", "registry_operator_build_info") == [JOB]  # the dashboard's $job
        print("\n" + "\n".join(timeline.events) + "\n" + "\n".join(counts))
    except BaseException:
        print("\n".join(timeline.events))
        if ours is not None:
            print(f"--- operator log (tail) ---\n{ours.tail(120)}")
        if prom.process is not None:
            print(f"--- prometheus log (tail) ---\n{prom.process.tail(40)}")
        raise
    finally:
        leader.let_go()
        kube.kubectl("delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", policy,
                     "--ignore-not-found", check=False)  # fmt: skip
        admin.clear_faults()
        for name in (ns, cross, frozen, probe):
            kube.kubectl("delete", "modelregistry", "--all", "-n", name, "--wait=false", check=False)
        if ours is not None:
            # accesses hold a finalizer until this operator has withdrawn their statements
            # (best effort: the session's operator finishes what is left)
            with contextlib.suppress(AssertionError, KubectlError):
                eventually(
                    lambda: not kube.kubectl("get", "craa", "-n", cross, "-o", "name").stdout.strip(),
                    timeout=60, what="accesses deleted",
                )  # fmt: skip
            ours.stop()
        prom.stop()
        operator.start()
