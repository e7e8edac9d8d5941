"""The operator's connection to the API server: kopf's session, and the few Kubernetes API calls made
outside kopf's handler cycle (the resync's status writes)."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import kopf
from kubernetes import client, config

from registry_operator.api import model_version
from registry_operator.api.common import API_VERSION, GROUP, VERSION
from registry_operator.reconcile.outcome import Event, now_iso

COMPONENT = "sagemaker-registry-operator"


# kopf's own session has no connection limit: a burst of patches and events (a thousand objects
# applied at once) opened hundreds of TLS connections, and asyncio gives each a 256 KiB receive buffer
# that stays for as long as the connection sits in the keep-alive pool (measured: 346 MB RSS after
# 10,000 versions, most of it those buffers). More connections than this do not make a busy API server
# faster. The watch streams (one per kind) hold one connection each for good, so keep well above them.
API_CONNECTIONS = 24


@kopf.on.login()
async def login(logger: Any, **kwargs: Any) -> kopf.AiohttpSession | None:
    """kopf's usual credentials (in-cluster service account or kubeconfig, through the kubernetes
    client), served through a session with a bounded connection pool."""
    info = kopf.login_via_client(logger=logger, **kwargs)
    if info is None:
        return None
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=API_CONNECTIONS, ssl=info.as_ssl_context()),
        headers=info.as_http_headers(),
        proxy=info.proxy_url,
        trust_env=info.trust_env,
    )
    return kopf.AiohttpSession(
        server=info.server,
        default_namespace=info.default_namespace,
        priority=info.priority,
        expiration=info.expiration,
        aiohttp_session=session,
    )


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
