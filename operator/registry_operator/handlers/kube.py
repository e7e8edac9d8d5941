"""The few Kubernetes API calls made outside kopf's handler cycle (the resync's status writes)."""

from __future__ import annotations

import uuid
from typing import Any

from kubernetes import client, config

from registry_operator.api import model_version
from registry_operator.api.common import API_VERSION, GROUP, VERSION
from registry_operator.reconcile.outcome import Event, now_iso

COMPONENT = "sagemaker-registry-operator"


def connect() -> client.ApiClient:
    try:
        config.load_incluster_config()
    except config.ConfigException:
        config.load_kube_config()
    return client.ApiClient()


def patch_version_status(api: client.ApiClient, namespace: str, name: str, status: dict[str, Any]) -> None:
    client.CustomObjectsApi(api).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, model_version.PLURAL, name, {"status": status}
    )


def post_version_event(api: client.ApiClient, namespace: str, name: str, uid: str, event: Event) -> None:
    """An event about a ModelVersion, posted outside a handler (kopf.event() only works inside one)."""
    now = now_iso()
    client.CoreV1Api(api).create_namespaced_event(
        namespace,
        {
            "metadata": {"name": f"{name}.{uuid.uuid4().hex[:12]}", "namespace": namespace},
            "involvedObject": {
                "apiVersion": API_VERSION,
                "kind": model_version.KIND,
                "namespace": namespace,
                "name": name,
                "uid": uid,
            },
            "type": event.type,
            "reason": event.reason,
            "message": event.message,
            "source": {"component": COMPONENT},
            "reportingComponent": COMPONENT,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        },
    )
