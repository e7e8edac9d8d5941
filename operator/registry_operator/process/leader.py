"""Leader election over a Kubernetes Lease, so that of several replicas exactly one acts at a time.

The election algorithm is the kubernetes client's own (kubernetes.leaderelection); it ships only a
ConfigMap lock, so the Lease lock below is written here. Updates are conditional on the Lease's
resourceVersion, so two candidates racing for an expired lease cannot both win.

Two leaders must never act at once, so:
- every Lease request times out well inside the renew deadline (a hung connection to a restarting API
  server must not outlive the lease);
- a failed request (API server down, TLS error, time-out) is a failed renewal: the library retries until
  its renew deadline, then the leader exits;
- any other exception in the election thread ends the process (the library's thread would otherwise
  die silently and leave a leader acting without a lease); the pod restarts and stands by again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.leaderelection import electionconfig, leaderelection
from kubernetes.leaderelection.leaderelectionrecord import LeaderElectionRecord

from registry_operator.process import metrics

LEASE_SECONDS = 15
RENEW_DEADLINE_SECONDS = 10
RETRY_SECONDS = 2
# (connect, read) seconds for each Lease request: a renewal that cannot finish in this time has failed.
REQUEST_TIMEOUT = (2, 3)

log = logging.getLogger("registry_operator.process.leader")


class LeaseLock:
    """The lock interface kubernetes.leaderelection expects (get/create/update), on coordination.k8s.io/v1."""

    def __init__(self, name: str, namespace: str, identity: str, api: client.ApiClient) -> None:
        self.name, self.namespace, self.identity = name, namespace, identity
        self._api = client.CoordinationV1Api(api)
        self._version: str | None = None

    def get(self, name: str, namespace: str) -> tuple[bool, Any]:
        try:
            lease = self._api.read_namespaced_lease(name, namespace, _request_timeout=REQUEST_TIMEOUT)
        except ApiException as exc:
            return False, exc
        except Exception as exc:  # unreachable, TLS, time-out: the same as a failed read to the library
            log.warning(f"cannot read lease {namespace}/{name}: {exc}")
            return False, _Unavailable(str(exc))
        self._version = lease.metadata.resource_version
        spec = lease.spec
        if spec is None or not spec.holder_identity:
            return True, None
        return True, LeaderElectionRecord(
            spec.holder_identity,
            str(spec.lease_duration_seconds),
            str(spec.acquire_time),
            str(spec.renew_time),
        )

    def _body(self, record: LeaderElectionRecord) -> client.V1Lease:
        return client.V1Lease(
            metadata=client.V1ObjectMeta(
                name=self.name, namespace=self.namespace, resource_version=self._version
            ),
            spec=client.V1LeaseSpec(
                holder_identity=record.holder_identity,
                lease_duration_seconds=int(float(record.lease_duration)),
                acquire_time=_micro_time(record.acquire_time),
                renew_time=_micro_time(record.renew_time),
            ),
        )

    def create(self, name: str, namespace: str, election_record: LeaderElectionRecord) -> bool:
        # A Lease seen earlier and deleted since: a create must not carry the old resourceVersion.
        self._version = None
        try:
            self._api.create_namespaced_lease(
                namespace, self._body(election_record), _request_timeout=REQUEST_TIMEOUT
            )
        except Exception as exc:  # 409 (someone else created it), or the API server unreachable
            log.debug(f"cannot create lease {namespace}/{name}: {exc}")
            return False
        return True

    def update(self, name: str, namespace: str, updated_record: LeaderElectionRecord) -> bool:
        try:
            self._api.replace_namespaced_lease(
                name, namespace, self._body(updated_record), _request_timeout=REQUEST_TIMEOUT
            )
        except Exception as exc:  # 409: someone else wrote it since our read; or the API server is away
            log.debug(f"cannot renew lease {namespace}/{name}: {exc}")
            return False
        return True


class _Unavailable:
    """What the library reads of a failed lease read it did not get an HTTP answer for: not a 404, so it
    does not try to create the lease, and counts the attempt as failed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.body = json.dumps({"code": 503, "message": reason})


def _micro_time(value: str) -> str:
    """The election record carries str(datetime) (naive local time from the library, or aware from a
    Lease read back); a Lease wants RFC 3339 with microseconds."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the library stamps local time
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _exit() -> None:
    logging.shutdown()
    os._exit(1)


def identity() -> str:
    return f"{os.environ.get('POD_NAME') or socket.gethostname()}-{uuid.uuid4().hex[:6]}"


def wait_for_leadership(api: client.ApiClient, namespace: str, name: str, me: str) -> threading.Event:
    """Block until this process leads; from then on losing the lease ends the process at once, since a
    replica that cannot renew must stop acting before another one starts."""
    leading = threading.Event()
    metrics.LEADER.set(0)

    def started() -> None:
        metrics.LEADER.set(1)
        leading.set()

    def lost() -> None:
        log.error(f"{me} lost the leader lease {namespace}/{name}; exiting so that only the new leader acts")
        _exit()

    def elect() -> None:
        try:
            election.run()
        except BaseException:
            log.exception(f"{me}: leader election failed; exiting so that no replica acts without a lease")
            _exit()
        # run() returns only after losing the lease, and lost() has ended the process by then.
        _exit()

    config = electionconfig.Config(
        LeaseLock(name, namespace, me, api),
        lease_duration=LEASE_SECONDS,
        renew_deadline=RENEW_DEADLINE_SECONDS,
        retry_period=RETRY_SECONDS,
        onstarted_leading=started,
        onstopped_leading=lost,
    )
    election = leaderelection.LeaderElection(config)
    threading.Thread(target=elect, name="leader-election", daemon=True).start()
    log.info(f"{me} waiting to lead (lease {namespace}/{name})")
    while not leading.wait(1.0):
        pass
    log.info(f"{me} is the leader (lease {namespace}/{name})")
    return leading
