"""Shard flags: the Lease per shard, shard names, and the label selector kopf sends with every watch."""

from __future__ import annotations

import kopf
from kopf._cogs.structs.references import Resource

from registry_operator.api.common import GROUP, VERSION
from registry_operator.process import sharding
from registry_operator.reconcile.catalogue import KINDS


def test_each_shard_its_own_lease() -> None:
    assert sharding.lease_name("sagemaker-registry-operator", None) == "sagemaker-registry-operator"
    assert sharding.lease_name("sagemaker-registry-operator", "a") == "sagemaker-registry-operator-a"


def test_shard_names_are_dns_labels() -> None:
    assert sharding.check_shard_name("team-a") is None
    for bad in ("Team", "a_b", "-a", "a" * 64, ""):
        assert sharding.check_shard_name(bad), bad


def test_the_selector_goes_with_every_watch_of_every_kind() -> None:
    settings = kopf.OperatorSettings()
    sharding.select_by_labels(settings, "modelregistry.io/shard=a")
    for info in KINDS:
        resource = Resource(GROUP, VERSION, info.plural, kind=info.kind, namespaced=True)
        assert settings.watching.label_selectors.collect(resource) == ["modelregistry.io/shard=a"]
    other = Resource("", "v1", "namespaces", kind="Namespace", namespaced=False)
    assert settings.watching.label_selectors.collect(other) == []
