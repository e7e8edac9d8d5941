"""CloudFormation templates as the pages show them, resolved the way a stack would resolve them, so that the
docs tier can check what the stack makes (its event rule, its queue, its queue policy) against the code.

Only what the pages use is modelled: `Ref` (parameters, pseudo parameters, resources), `Fn::GetAtt`,
`Fn::Sub` and `Fn::Join`, and the return values of the resource types below (CloudFormation User Guide,
each type's "Return values"). Anything else fails with a message that says what to teach this module,
rather than being passed unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# The registry account and region the pages' examples use.
ACCOUNT = "111111111111"
REGION = "us-east-2"
STACK = "registry-events"


def is_template(doc: Any) -> bool:
    """A template: a mapping whose Resources each have an AWS::Service::Type."""
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict) or not doc["Resources"]:
        return False
    return all(
        isinstance(r, dict) and re.fullmatch(r"AWS::\w+::\w+", str(r.get("Type", "")))
        for r in doc["Resources"].values()
    )


@dataclass
class Stack:
    template: dict[str, Any]
    where: str
    account: str = ACCOUNT
    region: str = REGION
    parameters: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, declared in (self.template.get("Parameters") or {}).items():
            if name in self.parameters:
                continue
            if "Default" in declared:
                self.parameters[name] = str(declared["Default"])
            elif name.endswith("RoleArn"):
                self.parameters[name] = f"arn:aws:iam::{self.account}:role/{name}"
            else:
                self.parameters[name] = name

    # ------------------------------------------------------------------ what the stack makes

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        """The resources of one type, by logical id, with their properties resolved."""
        return {
            logical: self.resolve(r.get("Properties") or {})
            for logical, r in self.template["Resources"].items()
            if r["Type"] == type_
        }

    def outputs(self) -> dict[str, Any]:
        return {name: self.resolve(o["Value"]) for name, o in (self.template.get("Outputs") or {}).items()}

    def resolve(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.resolve(n) for n in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                logical, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self._get_att(logical, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, parts = arg
                return separator.join(str(p) for p in self.resolve(parts))
            assert not key.startswith("Fn::"), (
                f"{self.where}: {key} is not modelled in tests/support/cloudformation.py"
            )
        return {k: self.resolve(v) for k, v in node.items()}

    # ------------------------------------------------------------------ intrinsics

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": "aws",
            "AWS::StackName": STACK,
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def _resource(self, logical: str) -> tuple[str, dict[str, Any]]:
        found = self.template["Resources"].get(logical)
        assert found is not None, f"{self.where}: no resource {logical}"
        return found["Type"], self.resolve(found.get("Properties") or {})

    def _name(self, logical: str, properties: dict[str, Any], key: str) -> str:
        """The physical name: the one the template gives, else the stack-logicalId kind CloudFormation
        generates."""
        return str(properties.get(key) or f"{STACK}-{logical}")

    def _ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if (pseudo := self._pseudo(name)) is not None:
            return pseudo
        type_, properties = self._resource(name)
        if type_ == "AWS::SQS::Queue":  # the queue URL
            queue = self._name(name, properties, "QueueName")
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{queue}"
        if type_ == "AWS::IAM::Role":  # the role name
            return self._name(name, properties, "RoleName")
        raise AssertionError(
            f"{self.where}: Ref of a {type_} is not modelled in tests/support/cloudformation.py"
        )

    def _get_att(self, logical: str, attribute: str) -> str:
        type_, properties = self._resource(logical)
        if type_ == "AWS::SQS::Queue":
            queue = self._name(logical, properties, "QueueName")
            attributes = {
                "Arn": f"arn:aws:sqs:{self.region}:{self.account}:{queue}",
                "QueueName": queue,
                "QueueUrl": f"https://sqs.{self.region}.amazonaws.com/{self.account}/{queue}",
            }
        elif type_ == "AWS::Events::Rule":
            rule = self._name(logical, properties, "Name")
            bus = properties.get("EventBusName", "default")
            path = f"rule/{rule}" if bus == "default" else f"rule/{bus}/{rule}"
            attributes = {"Arn": f"arn:aws:events:{self.region}:{self.account}:{path}"}
        elif type_ == "AWS::IAM::Role":
            role = self._name(logical, properties, "RoleName")
            attributes = {"Arn": f"arn:aws:iam::{self.account}:role/{role}"}
        else:
            attributes = {}
        assert attribute in attributes, (
            f"{self.where}: {logical}.{attribute} of a {type_} is not modelled here"
        )
        return attributes[attribute]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.template["Resources"]:
                return self._get_att(*name.split(".", 1))
            return self._ref(name)

        return re.sub(r"\$\{([\w:.]+)\}", one, text)
