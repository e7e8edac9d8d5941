"""Which AWS operation a raw request is: `service:Operation` for call counters and fault rules.

The service is the SigV4 signing name from the credential scope. The operation comes from `X-Amz-Target`
(JSON protocols), the `Action` parameter (query protocols), or, for REST protocols such as S3, from the
botocore service model: the operation whose HTTP method, URI template, literal query keys and required
query/header members fit the request best (so `PUT /bucket?policy` is PutBucketPolicy, `PUT /bucket/key`
is PutObject and the same URI with `partNumber`+`uploadId` is UploadPart).
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationModel

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_QUERY_SCOPE = re.compile(
    r"X-Amz-Credential=[^&]*?(?:/|%2F)\d{8}(?:/|%2F)([^/%&]+)(?:/|%2F)([^/%&]+)(?:/|%2F)"
)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
# Signing names whose botocore service model has another name.
_MODEL_ALIASES = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "states": "stepfunctions",
    "execute-api": "apigateway",
}


@dataclass(frozen=True, slots=True)
class AwsCall:
    service: str  # SigV4 signing name: "sagemaker", "s3", "kms", ...
    operation: str
    region: str
    protocol: str  # "json", "query", "rest-xml", "rest-json" or "unknown"

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass(frozen=True, slots=True)
class _Route:
    name: str
    path: re.Pattern[str]
    literal_query: tuple[tuple[str, str | None], ...]
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    literal_chars: int

    def specificity(self) -> tuple[int, int]:
        return (
            len(self.literal_query) + len(self.required_query) + len(self.required_headers),
            self.literal_chars,
        )


def _compile_route(op: OperationModel) -> tuple[str, _Route]:
    method = op.http.get("method", "POST").upper()
    uri = op.http.get("requestUri", "/")
    path_template, _, query_template = uri.partition("?")
    pattern = ""
    literal_chars = 0
    for piece in re.split(r"(\{[^}]+\})", path_template):
        if piece.startswith("{"):
            pattern += "(.+)" if piece.endswith("+}") else "([^/]+)"
        else:
            pattern += re.escape(piece)
            literal_chars += len(piece)
    literal_query = tuple(
        (k, v if v != "" or "=" in item else None)
        for item in query_template.split("&")
        if item
        for k, _, v in [item.partition("=")]
    )
    required_query: list[str] = []
    required_headers: list[str] = []
    shape = op.input_shape
    if shape is not None:
        for member_name in shape.required_members:
            member = shape.members[member_name]
            location = member.serialization.get("location")
            if location == "querystring":
                required_query.append(member.serialization.get("name", member_name))
            elif location == "header":
                required_headers.append(member.serialization.get("name", member_name).lower())
    route = _Route(
        name=op.name,
        path=re.compile(pattern.rstrip("/") + "/?"),
        literal_query=literal_query,
        required_query=tuple(required_query),
        required_headers=tuple(required_headers),
        literal_chars=literal_chars,
    )
    return method, route


class OperationIdentifier:
    """Maps WSGI requests to `AwsCall`s; REST route tables are built once per service and cached."""

    def __init__(self) -> None:
        self._session = botocore.session.get_session()
        self._lock = threading.Lock()
        self._routes: dict[str, dict[str, list[_Route]] | None] = {}

    def identify(self, environ: dict[str, Any]) -> AwsCall:
        service, region = self._scope(environ)
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return AwsCall(service or target.split(".")[0].lower(), target.rsplit(".", 1)[-1], region, "json")
        action = self._query_action(environ)
        if action:
            return AwsCall(service or "unknown", action, region, "query")
        if service:
            model_name = "s3control" if service == "s3" and self._is_s3_control(environ) else service
            routes = self._routes_for(model_name)
            if routes is not None:
                name = self._match_rest(routes, environ, service)
                protocol = "rest-xml" if service.startswith("s3") else "rest-json"
                if name:
                    return AwsCall(service, name, region, protocol)
        method = environ.get("REQUEST_METHOD", "GET")
        first = environ.get("PATH_INFO", "/").strip("/").split("/", 1)[0]
        return AwsCall(service or "unknown", f"{method} /{first}", region, "unknown")

    @staticmethod
    def _scope(environ: dict[str, Any]) -> tuple[str | None, str]:
        match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", "")) or _QUERY_SCOPE.search(
            environ.get("QUERY_STRING", "")
        )
        if match:
            return match.group(2).lower(), match.group(1)
        return None, "us-east-1"

    @staticmethod
    def _is_s3_control(environ: dict[str, Any]) -> bool:
        return environ.get("PATH_INFO", "").startswith("/v20180820/") or "s3-control" in environ.get(
            "HTTP_HOST", ""
        )

    @staticmethod
    def _query_action(environ: dict[str, Any]) -> str | None:
        actions = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        if actions:
            return actions[0]
        if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return None
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length <= 0:
            return None
        body = environ["wsgi.input"].read(length)
        # The backend reads the body again: put an identical stream back.
        environ["wsgi.input"] = io.BytesIO(body)
        for key, value in parse_qsl(body.decode("utf-8", "replace")):
            if key == "Action":
                return value
        return None

    def _routes_for(self, model_name: str) -> dict[str, list[_Route]] | None:
        with self._lock:
            if model_name in self._routes:
                return self._routes[model_name]
            # Built under the lock: loading a model is slow and happens once per service.
            table: dict[str, list[_Route]] | None = None
            try:
                model = self._session.get_service_model(_MODEL_ALIASES.get(model_name, model_name))
            except UnknownServiceError:
                model = None
            if model is not None and model.protocol in ("rest-xml", "rest-json"):
                table = {}
                for op_name in model.operation_names:
                    method, route = _compile_route(model.operation_model(op_name))
                    table.setdefault(method, []).append(route)
            self._routes[model_name] = table
            return table

    @staticmethod
    def _match_rest(routes: dict[str, list[_Route]], environ: dict[str, Any], service: str) -> str | None:
        path = environ.get("PATH_INFO", "/") or "/"
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        if service == "s3":
            host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
            bucket = _virtual_host_bucket(host)
            if bucket:
                path = f"/{bucket}{path}" if path != "/" else f"/{bucket}"
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        best: _Route | None = None
        for route in routes.get(environ.get("REQUEST_METHOD", "GET").upper(), ()):
            if route.path.fullmatch(path) is None:
                continue
            if any(k not in query or (v is not None and query[k] != v) for k, v in route.literal_query):
                continue
            if any(k not in query for k in route.required_query):
                continue
            if any(f"HTTP_{h.upper().replace('-', '_')}" not in environ for h in route.required_headers):
                continue
            if best is None or route.specificity() > best.specificity():
                best = route
        return best.name if best else None


def _virtual_host_bucket(host: str) -> str | None:
    """The bucket of a virtual-hosted S3 request (`bucket.localhost`, `bucket.s3.amazonaws.com`)."""
    if not host or _IPV4.fullmatch(host) or host == "localhost" or host.startswith(("s3.", "s3-")):
        return None
    if host.endswith(".localhost"):
        return host[: -len(".localhost")]
    match = re.match(r"(.+?)\.s3[.-]", host)
    return match.group(1) if match else None


def s3_bucket(environ: dict[str, Any]) -> str:
    """The bucket an S3 request addresses, virtual-hosted (`bucket.localhost`) or path-style (`/bucket`)."""
    bucket = _virtual_host_bucket(environ.get("HTTP_HOST", "").rsplit(":", 1)[0])
    if bucket:
        return bucket
    path = environ.get("PATH_INFO", "/") or "/"
    return path.lstrip("/").split("/", 1)[0]
