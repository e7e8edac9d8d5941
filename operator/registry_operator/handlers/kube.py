"""The few Kubernetes API calls made outside kopf's handler cycle (the resync's status writes)."""

from __future__ import annotations

from typing import Any

from kubernetes import client, config

from registry_operator.api import model_version
from registry_operator.api.common import API_VERSION, GROUP, VERSION


def connect() -> client.CustomObjectsApi:
    try:
        config.load_incluster_config()
    except config.ConfigException:
        config.load_kube_config()
    return client.CustomObjectsApi()


def patch_version_status(
    api: client.CustomObjectsApi, namespace: str, name: str, status: dict[str, Any]
) -> None:
    api.patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, model_version.PLURAL, name, {"status": status}
    )


def event_target(namespace: str, name: str, uid: str) -> dict[str, Any]:
    """The minimal body kopf.event() needs to post an event about an object."""
    return {
        "apiVersion": API_VERSION,
        "kind": model_version.KIND,
        "metadata": {"namespace": namespace, "name": name, "uid": uid},
    }
