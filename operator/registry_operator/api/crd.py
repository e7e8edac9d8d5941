"""Generate the CRDs from the pydantic models, so the models stay the single source of truth.

Pydantic emits JSON Schema; Kubernetes wants a *structural* OpenAPI v3 schema: no $ref, no anyOf for
optional fields, no patternProperties/propertyNames, no additionalProperties: false. This module does
that transform and moves what structural schemas cannot say (map-key patterns) into CEL rules.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import BaseModel

from registry_operator.api.common import CATEGORY, GROUP, VERSION
from registry_operator.api.kinds import KindInfo

_DROP = {"title", "$defs"}


def _resolve_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return _resolve_refs({**target, **siblings}, defs)
        return {k: _resolve_refs(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve_refs(v, defs) for v in node]
    return node


def _map_key_rule(
    pattern: str | None, max_length: int | None, min_length: int | None = None
) -> dict[str, str]:
    checks = []
    if min_length:
        checks.append(f"size(k) >= {min_length}")
    if max_length is not None:
        checks.append(f"size(k) <= {max_length}")
    if pattern is not None:
        checks.append(f"k.matches(r'{pattern}')")
    condition = " && ".join(checks)
    detail = f"match {pattern}" if pattern else ""
    if max_length is not None:
        size = f"{min_length} to {max_length}" if min_length else f"at most {max_length}"
        detail = f"{detail} and be {size} characters" if detail else f"be {size} characters"
    return {"rule": f"self.all(k, {condition})", "message": f"every key must {detail}"}


def _structural(node: Any) -> Any:
    if isinstance(node, list):
        return [_structural(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    any_of = node.pop("anyOf", None)
    if any_of is not None:
        # Optional[X] arrives as anyOf [X, null]; an absent field already means "not set".
        non_null = [s for s in any_of if s.get("type") != "null"]
        if len(non_null) != 1:
            raise ValueError(f"cannot express a union in a structural schema: {any_of}")
        node = {**non_null[0], **node}
    for key in _DROP:
        node.pop(key, None)
    if "const" in node:  # a one-value Literal; OpenAPI v3 has no const
        node["enum"] = [node.pop("const")]
    if node.get("default", "unset") is None:
        node.pop("default")
    if node.get("additionalProperties") is False:
        node.pop("additionalProperties")
    if node.get("x-kubernetes-preserve-unknown-fields") and node.get("additionalProperties") is True:
        node.pop("additionalProperties")  # "any keys" is what preserving unknown fields already says
    pattern_props = node.pop("patternProperties", None)
    names = node.pop("propertyNames", None)
    if pattern_props is not None or names is not None:
        rules = node.setdefault("x-kubernetes-validations", [])
        if pattern_props is not None:
            ((key_pattern, value_schema),) = pattern_props.items()
            node["additionalProperties"] = value_schema
        else:
            key_pattern = None
        names = names or {}
        rules.append(
            _map_key_rule(names.get("pattern", key_pattern), names.get("maxLength"), names.get("minLength"))
        )
    return {k: _structural(v) for k, v in node.items()}


def structural_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    schema: dict[str, Any] = _structural(_resolve_refs(raw, raw.get("$defs", {})))
    return schema


def crd(info: KindInfo) -> dict[str, Any]:
    spec_schema = structural_schema(info.spec_model)
    status_schema = structural_schema(info.status_model)
    # As Flux's own CRDs do: a new object reads as not yet observed (observedGeneration -1), so kstatus
    # and Argo CD show it InProgress, not Current, until the operator's first status write.
    status_schema["default"] = {"observedGeneration": -1}
    root: dict[str, Any] = {
        "type": "object",
        "description": info.description,
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema,
            "status": status_schema,
        },
    }
    if info.root_rules:
        root["x-kubernetes-validations"] = info.root_rules
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{info.plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.kind.lower(),
                "shortNames": info.short_names,
                "categories": [CATEGORY],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": info.printer_columns,
                    "schema": {"openAPIV3Schema": root},
                }
            ],
        },
    }


def render(info: KindInfo) -> str:
    header = "# Generated by `registry-operator crds` from registry_operator/api. Do not edit.\n"
    return header + yaml.safe_dump(crd(info), sort_keys=False, width=120)


def file_name(info: KindInfo) -> str:
    return f"{info.plural}.{GROUP}.yaml"


def kustomization(infos: Iterable[KindInfo]) -> str:
    """crds/Kustomization: lets kustomize bases include the generated CRDs without copying them."""
    header = (
        "# Generated by `registry-operator crds`. Lets kustomize bases include the generated CRDs without\n"
        "# copying them (a file named `Kustomization` is ignored by `kubectl apply -f crds/`, which applies\n"
        "# only .yaml/.yml/.json).\n"
    )
    body = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(file_name(info) for info in infos),
    }
    return header + yaml.safe_dump(body, sort_keys=False)


def rendered_files(infos: Iterable[KindInfo], with_kustomization: bool = False) -> dict[str, str]:
    """File name -> content of every CRD (and of the folder's Kustomization), as committed under crds/."""
    infos = list(infos)
    files = {file_name(info): render(info) for info in infos}
    if with_kustomization:
        files["Kustomization"] = kustomization(infos)
    return files
