"""The embedded AWS keeps HTTP connections alive, as AWS endpoints do: an SDK's pooled connection
serves many calls, instead of a new TCP connection (and a socket in TIME-WAIT) per call."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import time
from typing import Any

from localaws_support import ClientFactory

from registry_testbed.localaws.server import LocalAWS

SAGEMAKER_JSON = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "SageMaker.ListModelPackageGroups",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-2/sagemaker/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
}


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, str | None, bytes]:
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.getheader("Connection"), response.read()


def _read_response(reader: Any) -> tuple[int, dict[str, str], bytes]:
    """One response off a stream that holds several (http.client closes its stream after one)."""
    status = int(reader.readline().split()[1])
    headers = {}
    while (line := reader.readline().strip()) != b"":
        name, value = line.decode().split(":", 1)
        headers[name.strip().lower()] = value.strip()
    return status, headers, reader.read(int(headers["content-length"]))


def test_two_requests_over_one_connection(local_aws: LocalAWS) -> None:
    accepted = local_aws.admin.connections()["accepted"]
    conn = http.client.HTTPConnection(local_aws.host, local_aws.port, timeout=10)
    try:
        assert _get(conn, "/_localaws/health")[:2] == (200, None)  # no "Connection: close"
        sock = conn.sock
        assert sock is not None, "the connection was closed after the first response"
        conn.request("POST", "/", body=b"{}", headers=SAGEMAKER_JSON)
        response = conn.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) == {"ModelPackageGroupSummaryList": []}
        assert conn.sock is sock, "the second request went over the same socket"
    finally:
        conn.close()
    # the two requests and the counter's own request: two connections
    assert local_aws.admin.connections()["accepted"] - accepted == 2


def test_an_unread_body_does_not_become_the_next_request(local_aws: LocalAWS) -> None:
    """A body the application never reads (a control endpoint that takes none) is consumed anyway."""
    with socket.create_connection((local_aws.host, local_aws.port), timeout=10) as sock:
        body = b'{"ignored": true}'
        sock.sendall(
            b"POST /_localaws/calls/reset HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
            # the next request, chunked, sent at once behind the first
            + b"POST /_localaws/calls/reset HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"5\r\nhello\r\n0\r\n\r\n"
            + b"GET /_localaws/health HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        reader = sock.makefile("rb")
        statuses = []
        for _ in range(3):
            status, headers, last = _read_response(reader)
            statuses.append(status)
            assert "connection" not in headers
        assert statuses == [200, 200, 200]
        assert json.loads(last) == {"status": "ok"}


def test_the_client_may_still_close(local_aws: LocalAWS) -> None:
    conn = http.client.HTTPConnection(local_aws.host, local_aws.port, timeout=10)
    try:
        conn.request("GET", "/_localaws/health", headers={"Connection": "close"})
        response = conn.getresponse()
        assert response.getheader("Connection") == "close"
        response.read()
        assert conn.sock is None  # http.client closes the socket the server said it would close
    finally:
        conn.close()


def test_an_sdk_client_makes_many_calls_over_one_connection(
    local_aws: LocalAWS, aws_client: ClientFactory
) -> None:
    sm = aws_client("sagemaker")
    sm.list_model_package_groups()  # the client's one pooled connection is open from here on
    accepted = local_aws.admin.connections()["accepted"]
    for _ in range(50):
        sm.list_model_package_groups()
    assert local_aws.admin.connections()["accepted"] - accepted == 1  # the counter's own request


def test_sequential_calls_on_one_connection_do_not_stall(
    local_aws: LocalAWS, aws_client: ClientFactory
) -> None:
    """No Nagle/delayed-ACK stall: with a response written in two pieces (headers, then body) and Nagle's
    algorithm on, each call on a kept-alive connection waited for the client's delayed ACK, 40-47 ms,
    instead of answering in about a millisecond (DESIGN §6)."""
    sm = aws_client("sagemaker")
    sm.list_model_package_groups()  # opens the client's one pooled connection
    accepted = local_aws.admin.connections()["accepted"]
    took = []
    for _ in range(100):
        started = time.perf_counter()
        sm.list_model_package_groups()
        took.append(time.perf_counter() - started)
    assert local_aws.admin.connections()["accepted"] - accepted == 1  # the counter's own request
    median_ms = 1000 * statistics.median(took)
    assert median_ms < 5.0, f"median {median_ms:.1f} ms per call on one kept-alive connection"
