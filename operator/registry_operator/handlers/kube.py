"""The operator's connection to the API server: kopf's session (its watches and the deletion handler's
patches), and the calls the work queue's runs make themselves (a fresh read, the status write, events)."""

from __future__ import annotations

import asyncio.sslproto
import uuid
from typing import Any

import aiohttp
import kopf
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from registry_operator.api import approval_policy
from registry_operator.api.approval_policy import ApprovalPolicySpec
from registry_operator.api.common import API_VERSION, GROUP, VERSION
from registry_operator.reconcile.outcome import Event, now_iso

COMPONENT = "sagemaker-registry-operator"
# Calls made outside kopf (status writes, fresh reads, events) never wait longer than this.
REQUEST_TIMEOUT = (5, 30)


# kopf's own session has no connection limit: a burst of patches and events (a thousand objects
# applied at once) opened ~180 TLS connections, and asyncio gives each a 256 KiB receive buffer for as
# long as it sits in the keep-alive pool. Measured with 2,000 versions applied at once: unlimited
# 205 MB RSS, 64 connections 172 MB and as fast, 24 connections 199 MB and 30% slower (the backlog of
# waiting requests costs more than the buffers). The watch streams (one per kind) hold one connection
# each for good, so this stays well above their number.
API_CONNECTIONS = 64
# asyncio's per-connection TLS read buffer (SSLProtocol.max_size, 256 KiB); the API server's answers
# read as well in 32 KiB pieces, and 64 connections then hold 2 MB instead of 16 MB.
TLS_READ_BUFFER = 32 * 1024


@kopf.on.login()
async def login(logger: Any, **kwargs: Any) -> kopf.AiohttpSession | None:
    """kopf's usual credentials (in-cluster service account or kubeconfig, through the kubernetes
    client), served through a session with a bounded connection pool."""
    info = kopf.login_via_client(logger=logger, **kwargs)
    if info is None:
        return None
    asyncio.sslproto.SSLProtocol.max_size = TLS_READ_BUFFER  # read by each new TLS connection
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


def connect(workers: int) -> client.ApiClient:
    """The client the work queue's runs share. Its urllib3 pool holds a connection per worker: the
    kubernetes client's default (5 per CPU, 10 here) made 32 workers discard ~400 kept-alive
    connections per 1,000 versions applied at once, each replaced by a new TLS handshake that cost the
    operator and the API server CPU."""
    configuration = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=configuration)
    except config.ConfigException:
        config.load_kube_config(client_configuration=configuration)
    configuration.connection_pool_maxsize = workers
    return client.ApiClient(configuration)


def get_object(api: client.ApiClient, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
    """The object as the API server holds it now; None when it is gone."""
    try:
        found = client.CustomObjectsApi(api).get_namespaced_custom_object(
            GROUP, VERSION, namespace, plural, name, _request_timeout=REQUEST_TIMEOUT
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return dict(found)


def list_objects(
    api: client.ApiClient, plural: str, namespace: str, label_selector: str | None = None
) -> list[dict[str, Any]]:
    """A namespace's objects of one kind (those of this shard), as the API server holds them now."""
    listed = client.CustomObjectsApi(api).list_namespaced_custom_object(
        GROUP,
        VERSION,
        namespace,
        plural,
        label_selector=label_selector or "",
        _request_timeout=REQUEST_TIMEOUT,
    )
    return [dict(item) for item in listed.get("items", [])]


def patch_status(
    api: client.ApiClient, plural: str, namespace: str, name: str, status: dict[str, Any]
) -> dict[str, Any]:
    """A merge patch of the status subresource; the object as the write left it."""
    written = client.CustomObjectsApi(api).patch_namespaced_custom_object_status(
        GROUP, VERSION, namespace, plural, name, {"status": status}, _request_timeout=REQUEST_TIMEOUT
    )
    return dict(written)


def post_event(api: client.ApiClient, kind: str, namespace: str, name: str, uid: str, event: Event) -> None:
    """An event about an object, posted outside kopf's handler cycle (kopf.event() needs a handler)."""
    now = now_iso()
    response = client.CoreV1Api(api).create_namespaced_event(
        namespace,
        {
            "metadata": {"name": f"{name}.{uuid.uuid4().hex[:12]}", "namespace": namespace},
            "involvedObject": {
                "apiVersion": API_VERSION,
                "kind": kind,
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
        _request_timeout=REQUEST_TIMEOUT,
        # The Event as written is not needed: building the client's model of it was a third of the CPU
        # an Event cost. Errors still raise ApiException.
        _preload_content=False,
    )
    response.drain_conn()
    response.release_conn()


def approval_policies(api: client.ApiClient, namespace: str) -> list[tuple[str, ApprovalPolicySpec]]:
    """The namespace's ApprovalPolicies, read now (an approval made in the registry is rare); none when
    the optional component, and so its CRD, is not installed."""
    try:
        listed = list_objects(api, approval_policy.PLURAL, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return []
        raise
    return [
        (str(item["metadata"]["name"]), ApprovalPolicySpec.model_validate(item.get("spec") or {}))
        for item in listed
    ]
