"""The ModelVersion views: the start-up listing's claims count once confirmed, kopf's events replace
them, an object deleted between the two listings is found gone by a fresh read (version_views.py)."""

from __future__ import annotations

from typing import Any

from registry_operator.handlers.version_views import VersionViews, served
from registry_operator.reconcile.claims import Claim

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

    def __call__(self, claim: Claim) -> bool:
        self.asked.append(claim.uid)
        return claim.uid in self.alive


def test_a_listed_claim_counts_once_its_object_is_found_and_a_ghost_is_forgotten() -> None:
    views = VersionViews()
    views.listed(_version("a", "1", arn=ARN))
    views.listed(_version("ghost", "2", arn=ARN.upper()))  # SageMaker ARNs are case-insensitive
    lookups = Lookups(alive={"1"})
    assert [c.name for c in views.claims(ARN, lookups)] == ["a"]
    assert sorted(lookups.asked) == ["1", "2"]
    lookups.asked.clear()
    assert [c.name for c in views.claims(ARN, lookups)] == ["a"]
    assert lookups.asked == ["1"]  # the ghost is gone from the view; "a" is still only listed


def test_kopf_events_confirm_replace_and_remove() -> None:
    views = VersionViews()
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
    views = VersionViews()
    views.listed(_version("listed", "1", held=ARN))
    assert views.registered() == []
    views.seen(_version("listed", "1", held=ARN))
    (tracked,) = views.registered()
    assert (tracked.name, tracked.arn) == ("listed", ARN)
    views.gone("1")
    assert views.registered() == []


def test_a_held_package_beats_an_older_adopter_as_before() -> None:
    views = VersionViews()
    views.seen(_version("holder", "2", held=ARN))
    views.seen(_version("adopter", "1", arn=ARN))
    claims = {c.name: c.holds for c in views.claims(ARN, Lookups(alive=set()))}
    assert claims == {"holder": True, "adopter": False}


def test_namespaces_are_served_as_kopf_serves_them() -> None:
    assert served("anything", [])
    assert served("team-a-ml", ["team-a-*"]) and not served("team-b-ml", ["team-a-*"])
    assert served("team-b-ml", ["!team-a-*"]) and not served("team-a-ml", ["!team-a-*"])
    assert served("ml", ["team-a-*", "ml"])
