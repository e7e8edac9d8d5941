"""The cluster's name, recorded once in the operator's namespace, so that it cannot change while AWS
carries the old one (in owner tags, Sids and grant names) and the operator would stop recognising what
it owns.

Renaming: add the old name to `previousClusterNames`, set `clusterName`, restart. What the old name
owned is claimed again under the new one as each object reconciles, and the record moves on.
"""

from __future__ import annotations

from kubernetes import client
from kubernetes.client.rest import ApiException

from registry_operator.config import ConfigError, OperatorConfig

RECORD = "sagemaker-registry-operator-cluster"
KEY = "clusterName"
REQUEST_TIMEOUT = (5, 30)


def ensure(api: client.ApiClient, namespace: str, config: OperatorConfig) -> str | None:
    """Record `clusterName` (first start) or check it against the record; returns the name it replaced.
    Raises ConfigError when the name changed without `previousClusterNames` naming the old one."""
    core = client.CoreV1Api(api)
    try:
        found = core.read_namespaced_config_map(RECORD, namespace, _request_timeout=REQUEST_TIMEOUT)
    except ApiException as exc:
        if exc.status != 404:
            raise
        found = None
    body = {
        "metadata": {
            "name": RECORD,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": "sagemaker-registry-operator"},
        },
        "data": {KEY: config.cluster_name},
    }
    if found is None:
        try:
            core.create_namespaced_config_map(namespace, body, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as exc:
            if exc.status != 409:  # another replica recorded it first: check against that
                raise
            return ensure(api, namespace, config)
        return None
    recorded = (found.data or {}).get(KEY)
    if recorded in (None, config.cluster_name):
        return None
    if recorded not in config.previous_cluster_names:
        raise ConfigError(
            f"clusterName is {config.cluster_name!r}, but this cluster's objects carry {recorded!r} in AWS "
            f"(ConfigMap {namespace}/{RECORD}); the operator would no longer recognise what they own. Keep "
            f"clusterName: {recorded}, or rename: add previousClusterNames: [{recorded}] and restart"
        )
    core.replace_namespaced_config_map(RECORD, namespace, body, _request_timeout=REQUEST_TIMEOUT)
    return str(recorded)
