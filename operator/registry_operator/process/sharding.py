"""Sharding past one operator: several operators, each acting on its own part of the cluster's objects,
each with its own leader Lease (`--shard NAME`: `<leader-election-name>-<NAME>`).

A shard owns either namespaces (`--namespace`, repeatable, with kopf's patterns: `team-a-*`, and
`!team-a-*` for "every other namespace") or the objects carrying a label (`--shard-selector`, a
Kubernetes label selector such as `modelregistry.io/shard=a`).

The label selector is applied by the API server to every list and watch of the operator's kinds
(kopf's `settings.watching.label_selectors`), not by filters on kopf's handlers: with handler filters
every operator would still receive, parse and remember every object of every shard, and kopf removes
its finalizer from an object that no handler of its matches, so each shard would strip the finalizer
the other shard had added to its deletionPolicy: Delete objects. With the selector an operator never
sees another shard's objects at all: they never enter its indexes or its resync.

What that means for users: objects that refer to each other belong in one shard (a ModelVersion and the
ModelPackageGroup its modelPackageGroupRef names; two objects adopting one package), as they do with
namespaces. Moving an object to another shard is a change of its label; the new shard takes it over as
on a restart (no AWS call for a version that is Ready).
"""

from __future__ import annotations

import re

import kopf
from kubernetes import client
from kubernetes.client.rest import ApiException

from registry_operator.api.common import GROUP, VERSION
from registry_operator.reconcile.catalogue import KINDS

# A DNS label: the shard's name ends the Lease's name.
_SHARD_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
REQUEST_TIMEOUT = (5, 30)


def check_shard_name(shard: str) -> str | None:
    """Why `shard` cannot name a shard, or None."""
    if not _SHARD_NAME.fullmatch(shard):
        return f"--shard {shard!r}: lower-case letters, digits and '-', at most 63 (it ends a Lease's name)"
    return None


def lease_name(base: str, shard: str | None) -> str:
    """Each shard elects its leader on a Lease of its own."""
    return f"{base}-{shard}" if shard else base


def select_by_labels(settings: kopf.OperatorSettings, selector: str) -> None:
    """Have the API server send this operator only the objects `selector` matches, for every kind."""
    for info in KINDS:
        settings.watching.label_selectors[GROUP, info.plural] = selector


def check_selector(api: client.ApiClient, selector: str, namespaces: list[str]) -> str | None:
    """The API server's objection to `selector`, or None. Asked once at start-up: kopf would otherwise
    retry a refused watch forever and act on nothing."""
    custom = client.CustomObjectsApi(api)
    plain = [ns for ns in namespaces if not any(c in ns for c in "*?!,")]
    plural = KINDS[0].plural  # any kind: the API server parses the selector the same way for each
    try:
        if plain:
            custom.list_namespaced_custom_object(
                GROUP, VERSION, plain[0], plural, label_selector=selector, limit=1,
                _request_timeout=REQUEST_TIMEOUT,
            )  # fmt: skip
        else:
            custom.list_cluster_custom_object(
                GROUP, VERSION, plural, label_selector=selector, limit=1,
                _request_timeout=REQUEST_TIMEOUT,
            )  # fmt: skip
    except ApiException as exc:
        if exc.status == 400:
            return f"--shard-selector {selector!r}: the API server refuses it: {exc.reason}: {exc.body}"
        # anything else (no permission to list cluster-wide, say) is not about the selector
    return None
