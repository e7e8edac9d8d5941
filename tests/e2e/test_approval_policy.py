"""Guardrails at admission on a real API server: the approval-policy component installed as an admin
installs it, each namespace's ApprovalPolicy, and ModelVersions applied with kubectl, as users impersonated
with `kubectl --as` where who applies matters. The operator is not needed: admission happens in the API
server before any controller sees the object, so a refusal here is what a user or Argo CD gets.

The messages are printed (pytest -rP shows them); docs/users/approval-policy.md quotes them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from approval_policy import (
    AUTHOR,
    POLICY,
    TICKET,
    admitted,
    apply_as,
    approval_policy,
    edited,
    example,
    installed,
    refusal,
    wait_admitted,
    wait_enforced,
)
from kube import Kube
from waiting import eventually

# Impersonated users (`kubectl --as`): the admin credentials of the tests may impersonate anyone.
ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture(scope="module")
def component(kube: Kube, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, Any]]]:
    with installed(kube, tmp_path_factory.mktemp("approval-policy")) as docs:
        yield docs


@pytest.fixture
def namespaces(kube: Kube) -> Iterator[Any]:
    """Makes more namespaces for one test (each unconstrained until it gets an ApprovalPolicy)."""
    made: list[str] = []

    def make() -> str:
        made.append(kube.create_namespace(f"t-{uuid.uuid4().hex[:8]}"))
        return made[-1]

    yield make
    for ns in made:
        kube.delete("namespace", ns)


def _release_gate(kube: Kube, namespace: str) -> dict[str, Any]:
    """The example policy (approved card, quality statistics, change ticket) in `namespace`, in force."""
    gate = example("release-gate.yaml", namespace)
    kube.apply(gate)
    probe = edited(example("approved-version.yaml", namespace), annotations=None)
    wait_enforced(kube, probe, "rule requiredAnnotations")
    return gate


def _renamed(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """A copy of `doc` under another name: a probe that is a create, whatever exists under the first."""
    copy = json.loads(json.dumps(doc))
    copy["metadata"]["name"] = name
    return copy


def _print(title: str, text: str) -> None:
    print(f"--- {title}\n{text}")


def test_policy_expressions_are_well_typed(kube: Kube, component: list[dict[str, Any]]) -> None:
    """The API server type-checks a policy against the schemas it matches (ModelVersion) and its params
    (ApprovalPolicy) and reports problems in status.typeChecking, but only for validations: an expression
    of a variable that names a missing field would read as "absent" at run time and silently refuse, or
    pass, everything. So each variable is also checked as a validation of a throwaway copy; a copy with
    a misspelt field shows that the check sees into them."""
    shipped = next(d for d in component if d["kind"] == "ValidatingAdmissionPolicy")

    def type_checking(doc: dict[str, Any]) -> dict[str, Any]:
        def checked() -> tuple[dict[str, Any]] | None:
            got = kube.get("validatingadmissionpolicy", doc["metadata"]["name"])
            status = got.get("status", {})
            done = (
                status.get("observedGeneration") == got["metadata"]["generation"] and "typeChecking" in status
            )
            return (status["typeChecking"],) if done else None  # a tuple: no warnings is an empty dict

        return eventually(checked, timeout=60, what=f"{doc['metadata']['name']} type-checked")[0]

    def inlined(name: str, variables: list[dict[str, str]]) -> dict[str, Any]:
        doc = json.loads(json.dumps(shipped))
        doc["metadata"] = {"name": name}
        doc["spec"]["variables"] = variables
        doc["spec"].pop("auditAnnotations")
        doc["spec"]["validations"] = [{"expression": f"size([{v['expression']}]) == 1"} for v in variables]
        return doc

    variables = shipped["spec"]["variables"]
    misspelt = json.loads(json.dumps(variables))
    card = next(v for v in misspelt if v["name"] == "cardViolation")
    card["expression"] = card["expression"].replace(
        "?modelCard.?modelCardStatus", "?modelCard.?modelCardStatsu", 1
    )
    check, broken = inlined("typecheck-variables", variables), inlined("typecheck-misspelt", misspelt)
    kube.apply([check, broken])
    try:
        assert type_checking(shipped) == {}, "the shipped policy has type-check warnings"
        assert type_checking(check) == {}, "a variable of the shipped policy has type-check warnings"
        warnings = type_checking(broken).get("expressionWarnings", [])
        assert any("undefined field 'modelCardStatsu'" in w["warning"] for w in warnings), warnings
    finally:
        for doc in (check, broken):
            kube.delete("validatingadmissionpolicy", doc["metadata"]["name"])


def test_approval_needs_each_piece_of_evidence(
    kube: Kube, component: list[dict[str, Any]], namespace: str
) -> None:
    """The shipped example: refused without an approved card, without the quality statistics, without a
    change ticket (or with one that is only spaces), each refusal naming its rule and only that one;
    admitted with all three. A server-side dry run (what Argo CD's server-side diff does) is refused the
    same way."""
    _release_gate(kube, namespace)
    approved = example("approved-version.yaml", namespace)
    missing = {
        "requiredModelCardStatus": edited(
            approved, modelCard={"modelCardStatus": "Draft", "modelCardContent": "{}"}
        ),
        "requiredModelMetrics": edited(approved, modelMetrics=None),
        "requiredAnnotations": edited(approved, annotations={TICKET: "   "}),
    }
    expected = {
        "requiredModelCardStatus": "spec.modelCard.modelCardStatus must be Approved (it is Draft)",
        "requiredModelMetrics": "spec.modelMetrics.modelQuality.statistics must be set",
        "requiredAnnotations": f"metadata.annotations[{TICKET}] must be set to a value with a letter or "
        "digit",
    }
    for rule, doc in missing.items():
        message = refusal(kube, doc)
        _print(f"without {rule}", message)
        assert f"ApprovalPolicy {namespace}/release-gate refuses this approval: rule {rule}: " in message
        assert expected[rule] in message
        assert message.count("rule ") == 1, "only the rule that failed is named"
        assert "is forbidden" in message and "Error from server (Forbidden)" in message
        assert kube.try_get("modelversion", approved["metadata"]["name"], namespace) is None

    dry_run = refusal(kube, missing["requiredModelMetrics"], None, "--dry-run=server")
    assert "rule requiredModelMetrics" in dry_run

    out = admitted(kube, approved)
    _print("with all three", out)
    assert out == f"modelversion.modelregistry.io/{approved['metadata']['name']} created"
    stored = kube.get("modelversion", approved["metadata"]["name"], namespace)
    assert stored["spec"]["approvalStatus"] == "Approved"


def test_one_refusal_names_every_missing_piece(
    kube: Kube, component: list[dict[str, Any]], namespace: str
) -> None:
    _release_gate(kube, namespace)
    bare = edited(
        example("approved-version.yaml", namespace), annotations=None, modelMetrics=None, modelCard=None
    )
    message = refusal(kube, bare)
    _print("without any evidence", message)
    assert message.endswith(
        f"ApprovalPolicy {namespace}/release-gate refuses this approval: "
        "rule requiredModelCardStatus: spec.modelCard.modelCardStatus must be Approved (it is not set); "
        "rule requiredModelMetrics: spec.modelMetrics.modelQuality.statistics must be set (metrics cannot be "
        "added after registration: register a new version); "
        f"rule requiredAnnotations: metadata.annotations[{TICKET}] must be set to a value with a letter "
        "or digit"
    ), message


def test_update_to_approved_is_checked_and_metadata_writes_are_not(
    kube: Kube, component: list[dict[str, Any]], namespace: str
) -> None:
    """An update is checked when it approves, and when it changes the spec of an Approved version; one
    that changes only metadata (the operator's finalizer, a label) passes even after the namespace's
    policy got stricter; withdrawing an approval always passes."""
    gate = _release_gate(kube, namespace)
    approved = example("approved-version.yaml", namespace)
    name = approved["metadata"]["name"]
    pending = edited(
        approved,
        approvalStatus="PendingManualApproval",
        annotations=None,
        modelCard={"modelCardStatus": "PendingReview"},
    )
    assert admitted(kube, pending).endswith("created"), "a pending version needs no evidence"

    flip = {"spec": {"approvalStatus": "Approved"}}
    res = kube.kubectl(
        "patch", "modelversion", name, "-n", namespace, "--type=merge", "-p", json.dumps(flip), check=False
    )
    _print("kubectl patch to Approved", res.stderr.strip())
    assert res.returncode != 0
    assert f"ApprovalPolicy {namespace}/release-gate refuses this approval: " in res.stderr
    assert "rule requiredModelCardStatus" in res.stderr and "(it is PendingReview)" in res.stderr
    assert "rule requiredAnnotations" in res.stderr and "rule requiredModelMetrics" not in res.stderr

    # The card reviewed and the ticket added in the same commit that approves: admitted.
    assert admitted(kube, approved).endswith("configured")

    # Taking the card back to Draft under an approval is a spec change of an Approved version.
    draft = {"spec": {"modelCard": {"modelCardStatus": "Draft"}}}
    res = kube.kubectl(
        "patch", "mv", name, "-n", namespace, "--type=merge", "-p", json.dumps(draft), check=False
    )
    assert res.returncode != 0 and "refuses this change: rule requiredModelCardStatus" in res.stderr, (
        res.stderr
    )

    # The namespace now also wants a team label, which the approved version lacks.
    stricter = edited(gate, requiredLabels=["team"])
    kube.apply(stricter)
    wait_enforced(kube, _renamed(approved, "probe"), "rule requiredLabels")
    for metadata_only in (
        ["label", "mv", name, "reviewed-by=carol"],
        ["annotate", "mv", name, "example.com/dashboard=https://grafana.example.com/d/iris"],
        # what the operator writes on the main resource (its status goes through the subresource)
        [
            "patch",
            "mv",
            name,
            "--type=merge",
            "-p",
            '{"metadata": {"finalizers": ["modelregistry.io/finalizer"]}}',
        ],
        ["patch", "mv", name, "--type=merge", "-p", '{"metadata": {"finalizers": null}}'],
    ):
        kube.kubectl(*metadata_only, "-n", namespace)
    metadata = {"spec": {"customerMetadataProperties": {"gitCommit": "3f2a9c1"}}}
    res = kube.kubectl(
        "patch", "mv", name, "-n", namespace, "--type=merge", "-p", json.dumps(metadata), check=False
    )
    assert res.returncode != 0, "a spec change of an Approved version meets today's policy"
    assert "refuses this change: rule requiredLabels: metadata.labels[team] must be set" in res.stderr, (
        res.stderr
    )

    withdraw = {
        "spec": {"approvalStatus": "Rejected", "customerMetadataProperties": {"gitCommit": "3f2a9c1"}}
    }
    kube.kubectl("patch", "mv", name, "-n", namespace, "--type=merge", "-p", json.dumps(withdraw))
    assert kube.get("mv", name, namespace)["spec"]["approvalStatus"] == "Rejected"


def test_namespace_without_an_approval_policy_is_unconstrained(
    kube: Kube, component: list[dict[str, Any]], namespaces: Any
) -> None:
    """parameterNotFoundAction: Allow, as shipped. Shown beside a namespace where the same object is
    refused, so the admission is not just the policy not being loaded yet."""
    gated, free = namespaces(), namespaces()
    _release_gate(kube, gated)
    bare = edited(
        example("approved-version.yaml", gated), annotations=None, modelMetrics=None, modelCard=None
    )
    assert "rule requiredModelCardStatus" in refusal(kube, bare)
    moved = example("approved-version.yaml", free)
    moved = edited(moved, annotations=None, modelMetrics=None, modelCard=None)
    assert admitted(kube, moved).endswith("created")
    assert kube.get("mv", bare["metadata"]["name"], free)["spec"]["approvalStatus"] == "Approved"


def test_deny_when_a_namespace_has_no_approval_policy(
    kube: Kube, component: list[dict[str, Any]], namespaces: Any
) -> None:
    """The documented alternative, parameterNotFoundAction: Deny (approvalPolicy.parameterNotFoundAction in
    Helm): a namespace without an ApprovalPolicy gets no ModelVersion written at all, pending or not, until
    it has one; an empty ApprovalPolicy then requires nothing. A second binding of the shipped policy,
    limited to one labelled namespace so that the rest of the cluster keeps the shipped behaviour."""
    ns = namespaces()
    kube.kubectl("label", "namespace", ns, f"approval-policy-test={ns}")
    binding = json.loads(
        json.dumps(next(d for d in component if d["kind"] == "ValidatingAdmissionPolicyBinding"))
    )
    binding["metadata"] = {"name": f"deny-test-{ns}"}
    binding["spec"]["paramRef"]["parameterNotFoundAction"] = "Deny"
    binding["spec"]["matchResources"] = {"namespaceSelector": {"matchLabels": {"approval-policy-test": ns}}}
    kube.apply(binding)
    try:
        pending = edited(example("approved-version.yaml", ns), approvalStatus="PendingManualApproval")
        wait_enforced(kube, pending, "no params found")
        message = refusal(kube, pending)
        _print("Deny, no ApprovalPolicy, a pending version", message)
        assert (
            f"with binding 'deny-test-{ns}' denied request: failed to configure binding: "
            "no params found for policy binding with `Deny` parameterNotFoundAction"
        ) in message

        kube.apply(approval_policy("opt-out", ns))
        bare = edited(
            example("approved-version.yaml", ns), annotations=None, modelMetrics=None, modelCard=None
        )
        wait_admitted(kube, bare)
        assert admitted(kube, bare).endswith("created"), "an empty ApprovalPolicy requires nothing"
    finally:
        kube.delete("validatingadmissionpolicybinding", binding["metadata"]["name"])


def _writers(kube: Kube, namespace: str, *users: str) -> None:
    """What a team's members may do with ModelVersions in their namespace (RBAC the impersonated users need;
    the component's ClusterRole already lets them read ApprovalPolicies once they may view the namespace)."""
    kube.apply(
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": "modelversion-writer", "namespace": namespace},
                "rules": [
                    {
                        "apiGroups": ["modelregistry.io"],
                        "resources": ["modelversions"],
                        "verbs": ["get", "list", "watch", "create", "update", "patch"],
                    }
                ],
            },
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "modelversion-writers", "namespace": namespace},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "modelversion-writer",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": u} for u in users
                ],
            },
        ]
    )


def test_the_author_cannot_approve_their_own_version(
    kube: Kube, component: list[dict[str, Any]], namespace: str
) -> None:
    """forbidSelfApproval with two users (`kubectl --as`): the author annotation must be the creator's own
    name, cannot be changed afterwards, and the author's approval is refused while another user's passes."""
    _writers(kube, namespace, ALICE, BOB)
    kube.apply(approval_policy("four-eyes", namespace, forbidSelfApproval=True))
    pending = edited(
        example("approved-version.yaml", namespace), approvalStatus="PendingManualApproval", annotations=None
    )
    wait_enforced(kube, pending, "rule forbidSelfApproval")
    name = pending["metadata"]["name"]

    unrecorded = refusal(kube, pending, ALICE)
    _print("alice creates without an author", unrecorded)
    assert (
        "refuses this change: rule forbidSelfApproval: a new version must record its author: "
        f"set metadata.annotations[{AUTHOR}] to your user name, {ALICE}"
    ) in unrecorded

    forged = refusal(kube, edited(pending, annotations={AUTHOR: BOB}), ALICE)
    _print("alice records bob as the author", forged)
    assert (
        f"rule authorAnnotation: metadata.annotations[{AUTHOR}] can only be set to your own user name, "
        f"{ALICE}"
    ) in forged

    by_alice = edited(pending, annotations={AUTHOR: ALICE})
    assert admitted(kube, by_alice, ALICE).endswith("created")

    approving = edited(by_alice, approvalStatus="Approved")
    own = refusal(kube, approving, ALICE)
    _print("alice approves her own version", own)
    assert (
        f"refuses this approval: rule forbidSelfApproval: {ALICE} is the author of this version "
        f"(metadata.annotations[{AUTHOR}]) and cannot approve it; another user must"
    ) in own

    for rewritten in ({AUTHOR: BOB}, {}):
        taken = refusal(kube, edited(approving, annotations=rewritten), BOB)
        _print(f"bob rewrites the author to {rewritten}", taken)
        assert (
            f"rule authorAnnotation: metadata.annotations[{AUTHOR}] records who created this version "
            f"({ALICE}) and cannot be changed or removed"
        ) in taken

    assert admitted(kube, approving, BOB).endswith("configured")
    stored = kube.get("mv", name, namespace)
    assert (stored["spec"]["approvalStatus"], stored["metadata"]["annotations"][AUTHOR]) == (
        "Approved",
        ALICE,
    )

    # Created Approved by its own author: can never pass; create it pending and let someone else approve.
    direct = _renamed(edited(approving, annotations={AUTHOR: BOB}), "approved-at-birth")
    assert f"rule forbidSelfApproval: {BOB} is the author" in refusal(kube, direct, BOB)


def test_a_version_from_before_the_policy_is_claimed_once(
    kube: Kube, component: list[dict[str, Any]], namespace: str
) -> None:
    """A version created before the namespace had an ApprovalPolicy has no author: nobody can approve it
    until a user records themselves as its author, which only they can do, once."""
    _writers(kube, namespace, ALICE, BOB)
    old = edited(
        example("approved-version.yaml", namespace), approvalStatus="PendingManualApproval", annotations=None
    )
    assert admitted(kube, old, ALICE).endswith("created"), "no ApprovalPolicy yet: nothing is required"
    kube.apply(approval_policy("four-eyes", namespace, forbidSelfApproval=True))
    approving = edited(old, approvalStatus="Approved")
    wait_enforced(kube, _renamed(approving, "probe"), "no author is recorded")

    message = refusal(kube, approving, BOB)
    assert "rule forbidSelfApproval: no author is recorded" in message, message
    claim = ["annotate", "mv", old["metadata"]["name"], "-n", namespace, f"{AUTHOR}={BOB}", "--as", ALICE]
    assert "can only be set to your own user name" in kube.kubectl(*claim, check=False).stderr
    kube.kubectl(*claim[:-3], f"{AUTHOR}={ALICE}", "--as", ALICE)
    assert admitted(kube, edited(approving, annotations={AUTHOR: ALICE}), BOB).endswith("configured")


def test_approvals_are_recorded_in_the_audit_log(
    kube: Kube, component: list[dict[str, Any]], namespace: str
) -> None:
    """The audit annotation on every request that sets Approved, refused or admitted. The private API
    server of the tests logs writes at level Metadata; another cluster's audit log is not ours to read."""
    if kube.info.external:
        pytest.skip("the audit log of a cluster from KUBECONFIG is not readable here")
    audit_log = kube.info.kubeconfig.parent / "logs" / "audit.log"
    _writers(kube, namespace, ALICE, BOB)
    kube.apply(approval_policy("four-eyes", namespace, forbidSelfApproval=True))
    pending = edited(
        example("approved-version.yaml", namespace),
        approvalStatus="PendingManualApproval",
        annotations={AUTHOR: ALICE},
    )
    wait_enforced(kube, edited(pending, annotations=None), "rule forbidSelfApproval")
    admitted(kube, pending, ALICE)
    approving = edited(pending, approvalStatus="Approved")
    refusal(kube, approving, ALICE)
    admitted(kube, approving, BOB)

    def approvals() -> list[tuple[str, int, str]]:
        found = []
        for line in audit_log.read_text().splitlines():
            event = json.loads(line)
            value = event.get("annotations", {}).get(f"{POLICY}/approval")
            if value and event["objectRef"].get("namespace") == namespace:
                found.append((event["impersonatedUser"]["username"], event["responseStatus"]["code"], value))
        return found

    found = eventually(lambda: len(approvals()) >= 2 and approvals(), timeout=30, what="audit events")
    assert found == [
        (ALICE, 403, f"{ALICE} sets approvalStatus Approved; author: {ALICE}"),
        (BOB, 200, f"{BOB} sets approvalStatus Approved; author: {ALICE}"),
    ]


def test_namespace_members_read_their_policy_but_cannot_change_it(
    kube: Kube, component: list[dict[str, Any]], namespace: str
) -> None:
    """The component's ClusterRole is aggregated into the built-in view role, hence into edit and admin:
    a namespace admin reads the policy, and cannot edit or delete it."""
    admin = f"ns-admin-{namespace}"
    kube.kubectl(
        "create", "rolebinding", "team-admin", "--clusterrole=admin", f"--user={admin}", "-n", namespace
    )
    gate = _release_gate(kube, namespace)

    def can_read() -> bool:
        res = kube.kubectl(
            "get", "approvalpolicy", "release-gate", "-n", namespace, "--as", admin, check=False
        )
        return res.returncode == 0

    eventually(can_read, timeout=30, what="the aggregated view role lets a namespace admin read the policy")
    loosened = apply_as(kube, edited(gate, requiredAnnotations=[]), admin)
    assert loosened.returncode != 0 and "Forbidden" in loosened.stderr, loosened.stderr
    deleted = kube.kubectl(
        "delete", "approvalpolicy", "release-gate", "-n", namespace, "--as", admin, check=False
    )
    assert deleted.returncode != 0 and "Forbidden" in deleted.stderr, deleted.stderr
    assert kube.get("approvalpolicy", "release-gate", namespace)["spec"]["requiredAnnotations"] == [TICKET]
