"""The embedded AWS as one WSGI application.

Every AWS request is identified (`service:Operation`), counted, offered to the fault injector and to
the rate limits (`ratelimits.py`: refused as the service throttles when the caller's account is over),
checked or answered here where moto is kinder than AWS (bucket and repository policies, KMS grants:
`intercepted`), answered by the in-memory model registry (the SageMaker model-registry operations moto
lacks or gets wrong), or forwarded to moto's own server application for everything else. Requests under
`/_localaws/` are the control endpoints (`control.py`): never counted, faulted, limited or forwarded.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

import botocore.session
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from . import ecr_policies, eventbridge, s3_policies, sqs_attributes
from .control import ControlEndpoints
from .errors import AWSError, SettingsError
from .eventbridge import ServiceEventBus
from .faults import (
    FAULT_ERRORS,
    THROTTLING,
    CallCounter,
    ConnectionCounter,
    FaultInjector,
    object_of,
    throttling,
)
from .identity import IdentityResolver, access_key_of
from .intercept import Handler, Request, read_body
from .kms_grants import GrantStore
from .operations import AwsCall, OperationIdentifier
from .ratelimits import RateLimitError, RateLimits
from .ratelimits import parse as parse_rate_limits
from .registry import RegistryStore
from .responses import StartResponse, aws_error, json_response
from .sagemaker_api import CallContext, SageMakerRegistryAPI
from .sagemaker_events import PackageEvents

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_localaws"
_JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


class LocalAWSApp:
    """`settings`: what `PUT /_localaws/settings` takes (see control.py), applied at start and again
    after every full reset."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.store = RegistryStore()
        self.identities = IdentityResolver()
        self.operations = OperationIdentifier()
        self.calls = CallCounter()
        self.connections = ConnectionCounter()  # kept by the server that serves this app
        self.faults = FaultInjector()
        self.limits = RateLimits()
        # Loaded up front so the first registry request is not the one that pays for it.
        service_model = botocore.session.get_session().get_service_model("sagemaker")
        self.sagemaker = SageMakerRegistryAPI(self.store, service_model)
        self.service_events = ServiceEventBus()
        sqs_attributes.install()
        self.package_events = PackageEvents(self.store, self.sagemaker.describe, self.service_events)
        self.sagemaker.events = self.package_events
        self.grants = GrantStore()
        self.intercepted: dict[str, Handler] = {
            "s3:PutBucketPolicy": s3_policies.put_bucket_policy,
            "s3:GetBucketPolicy": s3_policies.owner_only,
            "s3:DeleteBucketPolicy": s3_policies.owner_only,
            "ecr:SetRepositoryPolicy": ecr_policies.set_repository_policy,
            "kms:CreateGrant": self.grants.create_grant,
            "kms:ListGrants": self.grants.list_grants,
            "kms:ListRetirableGrants": self.grants.list_retirable_grants,
            "kms:RevokeGrant": self.grants.revoke_grant,
            "kms:RetireGrant": self.grants.retire_grant,
            "events:PutEvents": eventbridge.refuse_reserved_sources,
        }
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.control = ControlEndpoints(self)
        self._start_settings = dict(settings or {})
        self.apply_settings(self._start_settings)

    def settings(self) -> dict[str, Any]:
        return {**self.store.lifecycle.to_json(), "rateLimits": self.limits.to_json()}

    def apply_settings(self, doc: dict[str, Any]) -> None:
        """Apply the settings `doc` names, leaving the others as they are; nothing changes when any of
        them is invalid."""
        unknown = set(doc) - {*self.store.lifecycle.to_json(), "rateLimits"}
        if unknown:
            raise SettingsError(f"unknown settings {sorted(unknown)}")
        numbers = {}
        for key in ("packageCompletionSeconds", "groupDeletionSeconds"):
            if key in doc:
                value = doc[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise SettingsError(f"{key} must be a non-negative number")
                numbers[key] = float(value)
        patterns = doc.get("failPackagesInGroups")
        if "failPackagesInGroups" in doc and (
            not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns)
        ):
            raise SettingsError("failPackagesInGroups must be a list of group name patterns")
        try:
            limits = parse_rate_limits(doc["rateLimits"]) if "rateLimits" in doc else None
        except RateLimitError as exc:
            raise SettingsError(str(exc)) from None
        lifecycle = self.store.lifecycle
        if "packageCompletionSeconds" in numbers:
            lifecycle.package_seconds = numbers["packageCompletionSeconds"]
        if "groupDeletionSeconds" in numbers:
            lifecycle.group_deletion_seconds = numbers["groupDeletionSeconds"]
        if patterns is not None:
            lifecycle.fail_groups = list(patterns)
        if limits is not None:
            self.limits.set(limits)

    def reset_state(self) -> None:
        """Wipe every AWS resource: moto's backends (all processes' state lives there) and the registry."""
        moto_api_backend.reset()
        self._reset_registry()

    def _reset_registry(self) -> None:
        self.package_events.reset()
        self.store.reset()
        self.grants.reset()
        self.identities.clear()
        self.service_events.reset()

    def reset_all(self) -> None:
        """Everything back to how the server started: no state, counters or fault rules, and the
        settings it was started with."""
        self.reset_state()
        self.calls.reset()
        self.faults.clear()
        self.limits.set([])
        self.apply_settings(self._start_settings)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self.control(environ, start_response)
        if path.startswith("/moto-api"):
            if path.rstrip("/") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
                # Someone reset moto directly: the registry's resources must not outlive moto's.
                self._reset_registry()
            return self.moto(environ, start_response)

        call = self.operations.identify(environ)
        self.calls.record_call(call.key, object_of(environ.get("HTTP_USER_AGENT", "")))
        decision = self.faults.decide(call.key)
        if decision.latency_s > 0:
            time.sleep(decision.latency_s)
        # Both refusals come before any backend sees the request: a throttled call has no side effect.
        if self.limits.active and not self._admitted(call, environ):
            self.calls.record_throttled(call.key)
            return self._throttled(call, start_response)
        if decision.error is not None:
            self.calls.record_fault(call.key)
            if decision.error == THROTTLING:
                return self._throttled(call, start_response)
            status, message = FAULT_ERRORS[decision.error]
            return aws_error(start_response, call.protocol, status, decision.error, message)

        handler = self.intercepted.get(call.key)
        if handler is not None:
            answered = self._intercept(handler, call, environ, start_response)
            if answered is not None:
                return answered
        if call.service == "sagemaker" and call.protocol == "json":
            answered = self._registry(call, environ, start_response)
            if answered is not None:
                return answered
        if call.key == "sts:AssumeRole":
            return self._assume_role(environ, start_response)
        return self.moto(environ, start_response)

    def _admitted(self, call: AwsCall, environ: dict[str, Any]) -> bool:
        """Whether the caller's account has a token left for this operation in this region."""
        account = self.identities.resolve(environ, call.region).account
        return self.limits.admit(account, call.region, call.key)

    @staticmethod
    def _throttled(call: AwsCall, start_response: StartResponse) -> Iterable[bytes]:
        """A throttled request, as the called service answers one (injected or over a rate limit)."""
        status, code, message = throttling(call.service, call.protocol)
        return aws_error(start_response, call.protocol, status, code, message)

    def _assume_role(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """moto's AssumeRole, remembering the session's SourceIdentity, which moto drops: SageMaker records
        it in CreatedBy / LastModifiedBy. It "persists across chained role sessions" (botocore sts model,
        AssumeRoleRequest.SourceIdentity), so a session assumed by a session that has one inherits it."""
        params = parse_qs(read_body(environ).decode("utf-8", "replace")) or parse_qs(
            environ.get("QUERY_STRING", "")
        )
        source = (params.get("SourceIdentity") or [None])[0] or self.identities.source_identity_of(
            access_key_of(environ)
        )
        if not source:
            return self.moto(environ, start_response)
        body = b"".join(self.moto(environ, start_response))
        issued = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", body)
        if issued:
            self.identities.remember_source_identity(issued.group(1).decode(), source)
        return [body]

    def _intercept(
        self, handler: Handler, call: AwsCall, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes] | None:
        try:
            caller = self.identities.resolve(environ, call.region)
            result = handler(Request(call, environ, caller, read_body(environ)))
        except AWSError as err:
            return aws_error(start_response, call.protocol, err.status, err.code, err.message)
        except Exception:
            log.exception("embedded AWS failed on %s", call.key)
            message = "The embedded AWS failed."
            return aws_error(start_response, call.protocol, 500, "InternalFailure", message)
        if result is None:
            return None
        return json_response(start_response, 200, result, _JSON_CONTENT_TYPE)

    def _registry(
        self, call: AwsCall, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes] | None:
        needs_body = self.sagemaker.needs_body_to_route(call.operation)
        if not needs_body and not self.sagemaker.handles(call.operation, None):
            return None
        body = read_body(environ)
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return aws_error(
                start_response, "json", 400, "SerializationException", "The request body is not JSON."
            )
        if not isinstance(params, dict) or not self.sagemaker.handles(call.operation, params):
            return None  # read_body left the body in place for moto
        try:
            ctx = CallContext(caller=self.identities.resolve(environ, call.region), region=call.region)
            result = self.sagemaker.call(ctx, call.operation, params)
        except AWSError as err:
            return aws_error(start_response, "json", err.status, err.code, err.message)
        except Exception:
            log.exception("embedded registry failed on %s", call.key)
            return aws_error(start_response, "json", 500, "InternalFailure", "The embedded registry failed.")
        return json_response(start_response, 200, result, _JSON_CONTENT_TYPE)
