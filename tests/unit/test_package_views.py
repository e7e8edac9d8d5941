"""The ModelVersion views: listed before the first claim is answered and only then, the listing's claims
count once confirmed, kopf's events win over the listing, an object deleted around the listing is found
gone by a fresh read (package_views.py)."""

from __future__ import annotations

import threading
from typing import Any

from registry_operator.handlers.package_views import PackageViews, served
from registry_operator.reconcile.claims import PackageClaim

ARN = "arn:aws:sagemaker:us-east-2:123456789012:model-package/iris/1"


def _version(name: str, uid: str, arn: str | None = None, held: str | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if held:
        status = {"modelPackageArn": held, "region": "us-east-2", "modelPackageGroupName": "iris"}
    return {
        "metadata": {
            "namespace": "ml",
            "name": name,
            "uid": uid,
            "creationTimestamp": f"2026-11-30T00:00:0{uid}Z",
        },
        "spec": {"modelPackageArn": arn, "modelPackageGroupName": "iris"}
        if arn
        else {"modelPackageGroupName": "iris"},
        "status": status,
    }


class Lookups:
    def __init__(self, alive: set[str]) -> None:
        self.alive = alive
        self.asked: list[str] = []

    def __call__(self, claim: PackageClaim) -> bool:
        self.asked.append(claim.uid)
        return claim.uid in self.alive


def test_a_listed_claim_counts_once_its_object_is_found_and_a_ghost_is_forgotten() -> None:
    views = PackageViews()
    views.listed(_version("a", "1", arn=ARN))
    views.listed(_version("ghost", "2", arn=ARN.upper()))  # SageMaker ARNs are case-insensitive
    lookups = Lookups(alive={"1"})
    assert [c.name for c in views.claims(ARN, lookups)] == ["a"]
    assert sorted(lookups.asked) == ["1", "2"]
    lookups.asked.clear()
    assert [c.name for c in views.claims(ARN, lookups)] == ["a"]
    assert lookups.asked == ["1"]  # the ghost is gone from the view; "a" is still only listed


def test_kopf_events_confirm_replace_and_remove() -> None:
    views = PackageViews()
    views.listed(_version("a", "1", arn=ARN))
    views.seen(_version("a", "1", arn=ARN))
    never = Lookups(alive=set())
    assert [c.name for c in views.claims(ARN, never)] == ["a"] and never.asked == []
    other = ARN.replace("/1", "/2")
    views.seen(_version("a", "1", arn=other))  # its spec now adopts another package
    assert views.claims(ARN, never) == [] and [c.name for c in views.claims(other, never)] == ["a"]
    views.seen(_version("a", "1", arn=other), deleted=True)
    assert views.claims(other, never) == []


def test_the_resync_lists_only_what_kopf_has_delivered() -> None:
    views = PackageViews()
    views.listed(_version("listed", "1", held=ARN))
    assert views.registered() == []
    views.seen(_version("listed", "1", held=ARN))
    (tracked,) = views.registered()
    assert (tracked.key.name, tracked.arn) == ("listed", ARN)
    views.gone("1")
    assert views.registered() == []


def test_a_held_package_beats_an_older_adopter_as_before() -> None:
    views = PackageViews()
    views.seen(_version("holder", "2", held=ARN))
    views.seen(_version("adopter", "1", arn=ARN))
    claims = {c.name: c.holds for c in views.claims(ARN, Lookups(alive=set()))}
    assert claims == {"holder": True, "adopter": False}


def test_namespaces_are_served_as_kopf_serves_them() -> None:
    assert served("anything", [])
    assert served("team-a-ml", ["team-a-*"]) and not served("team-b-ml", ["team-a-*"])
    assert served("team-b-ml", ["!team-a-*"]) and not served("team-a-ml", ["!team-a-*"])
    assert served("ml", ["team-a-*", "ml"])


class Lister:
    """Lists the given objects into the views, as list_into does from the API server."""

    def __init__(self, *bodies: dict[str, Any], gate: threading.Event | None = None) -> None:
        self.bodies, self.calls, self.gate = bodies, 0, gate

    def __call__(self, views: PackageViews) -> None:
        self.calls += 1
        if self.gate is not None:
            self.gate.wait(10)
        for body in self.bodies:
            views.listed(body)


def test_nothing_is_listed_until_a_claim_is_asked_and_then_once() -> None:
    lister = Lister(_version("a", "1", arn=ARN))
    views = PackageViews(lister)
    views.seen(_version("b", "2", held=ARN.replace("/1", "/2")))
    assert len(views.registered()) == 1 and lister.calls == 0  # events and the resync need no listing
    lookups = Lookups(alive={"1"})
    assert [c.name for c in views.claims(ARN, lookups)] == ["a"]
    assert [c.name for c in views.claims(ARN, lookups)] == ["a"]
    assert lister.calls == 1


def test_claims_asked_during_the_listing_wait_for_all_of_it() -> None:
    gate = threading.Event()
    views = PackageViews(Lister(_version("a", "1", arn=ARN), gate=gate))
    answers: list[list[str]] = []

    def ask() -> None:
        answers.append([c.name for c in views.claims(ARN, Lookups(alive={"1"}))])

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for t in askers:
        t.start()
    gate.set()
    for t in askers:
        t.join(10)
    assert answers == [["a"], ["a"], ["a"]]


def test_a_listing_after_an_event_never_undoes_the_event() -> None:
    other = ARN.replace("/1", "/2")
    # kopf delivered "a" adopting package 2; the listing, read around it, still had package 1.
    views = PackageViews(Lister(_version("a", "1", arn=ARN), _version("b", "2", held=ARN)))
    views.seen(_version("a", "1", arn=other))
    views.seen(_version("b", "2", held=ARN), deleted=True)  # deleted after the listing read it
    never = Lookups(alive=set())
    assert [c.name for c in views.claims(other, never)] == ["a"] and never.asked == []
    assert views.claims(ARN, never) == []  # "a" moved on; "b" is gone, a GET says so
    assert never.asked == ["2"]
    assert [v.name for v in views.registered()] == []  # "a" holds nothing; "b" was listed, never seen


def test_a_failed_listing_is_tried_again_by_the_next_claim() -> None:
    calls = 0

    def flaky(views: PackageViews) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("API server unreachable")
        views.listed(_version("a", "1", arn=ARN))

    views = PackageViews(flaky)
    try:
        views.claims(ARN, Lookups(alive={"1"}))
        raise AssertionError("the first claim must fail with its listing")
    except ConnectionError:
        pass
    assert [c.name for c in views.claims(ARN, Lookups(alive={"1"}))] == ["a"] and calls == 2
