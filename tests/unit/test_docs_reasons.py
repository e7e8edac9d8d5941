"""Every condition type and reason the operator can write is explained in docs/users/troubleshooting.md,
and every one explained there (or called a reason on any page) is one the operator writes.

What the operator writes is read from its code, not from a list kept here: an AST scan of the package
finds each place a reason or a condition type is written (Stalled and Retry raised, Outcome and
run.outcome, ErrorMeaning, a part's result, a condition tuple appended to a run) and resolves the
expression there to its strings; the error-meaning table (reconcile/error_meaning.py) is run over every
error code and message its modules name. A reason made from a template (`f"Package{status}"`) is expanded from
the domain its placeholder takes, below; a template this file does not know fails the test, so that a
new family of reasons cannot slip by. Re-check intervals the pages state for a reason must be the
table's.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import botocore.session
import pytest
from botocore.exceptions import EndpointConnectionError, ParamValidationError
from docpages import PAGES, ROOT, prose

from registry_operator.api import package_members
from registry_operator.api.model_version import PackageMembers
from registry_operator.aws import errors
from registry_operator.handlers import dispatch
from registry_operator.reconcile import error_meaning, package_requests

pytestmark = pytest.mark.docs

PACKAGE = ROOT / "operator" / "registry_operator"
TROUBLESHOOTING = ROOT / "docs" / "users" / "troubleshooting.md"
CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]+$")

# Where a reason, and a condition type, is an argument: the callee's name and the position.
REASON_ARG = {"Stalled": 0, "Retry": 0, "Outcome": 1, "outcome": 1, "ErrorMeaning": 1, "PartResult": 2}
TYPE_ARG = {"PartResult": 0}


class Forwarded(Exception):
    """The expression passes on a reason written elsewhere (`exc.reason`, a parameter): the scan finds
    it where it is written."""


@dataclass
class Found:
    reasons: dict[str, str] = field(default_factory=dict)  # reason -> where (file:line)
    types: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)  # template text -> where
    table_constants: set[str] = field(default_factory=set)  # constant reasons of ErrorMeaning calls
    raised_stalled: set[str] = field(default_factory=set)  # reasons of `raise Stalled(...)`: the input's
    unresolved: list[str] = field(default_factory=list)


def _module_assignments(tree: ast.Module) -> dict[str, list[ast.expr]]:
    found: dict[str, list[ast.expr]] = {}
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign) and node.value
            else []
        )
        for t in targets:
            if isinstance(t, ast.Name):
                found.setdefault(t.id, []).append(node.value)  # type: ignore[arg-type]
    return found


class Resolver:
    """The strings an expression can be, within its function and module (and constants imported by name
    from another module of the package)."""

    def __init__(self, trees: dict[str, ast.Module]) -> None:
        self.trees = trees
        self.modules = {name: _module_assignments(tree) for name, tree in trees.items()}

    def _imported(self, module: str, name: str) -> list[ast.expr] | None:
        for node in self.trees[module].body:
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("registry_operator")
            ):
                for alias in node.names:
                    if (alias.asname or alias.name) == name and node.module in self.modules:
                        return self.modules[node.module].get(alias.name)
        return None

    def values(self, expr: ast.expr, func: ast.FunctionDef | None, module: str) -> set[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.IfExp | ast.BoolOp):
            return self._either(
                [expr.body, expr.orelse] if isinstance(expr, ast.IfExp) else expr.values, func, module
            )
        if isinstance(expr, ast.Attribute) and expr.attr in ("reason", "condition"):
            raise Forwarded
        if isinstance(expr, ast.Name):
            return self._name(expr.id, func, module)
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
            return self._dict_values(expr.value.id, func, module)
        if (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "get"
            and isinstance(expr.func.value, ast.Name)
        ):
            return self._dict_values(expr.func.value.id, func, module)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "next":
            return self._filtered(expr)
        raise LookupError(ast.unparse(expr))

    def _either(self, branches: list[ast.expr], func: ast.FunctionDef | None, module: str) -> set[str]:
        """Each branch's strings; a branch that forwards a reason adds none of its own."""
        found: set[str] = set()
        forwarded = 0
        for branch in branches:
            try:
                found |= self.values(branch, func, module)
            except Forwarded:
                forwarded += 1
        if forwarded == len(branches):
            raise Forwarded
        return found

    def _name(self, name: str, func: ast.FunctionDef | None, module: str) -> set[str]:
        if func is not None:
            params = {a.arg for a in (*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs)}
            assigned = [
                n.value
                for n in ast.walk(func)
                if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)
            ]
            if assigned:
                return set().union(*(self.values(v, func, module) for v in assigned))
            if name in params:
                raise Forwarded
        found = self.modules[module].get(name) or self._imported(module, name)
        if not found:
            raise LookupError(name)
        return set().union(*(self.values(v, None, module) for v in found))

    def _dict_values(self, name: str, func: ast.FunctionDef | None, module: str) -> set[str]:
        found = self.modules[module].get(name) or self._imported(module, name)
        if not found or not isinstance(found[-1], ast.Dict):
            raise LookupError(name)
        return set().union(*(self.values(v, func, module) for v in found[-1].values))

    def _filtered(self, call: ast.Call) -> set[str]:
        """`next((e.reason for e in ... if e.reason in ("A", "B")), None)`: one of those constants."""
        gen = call.args[0]
        if not isinstance(gen, ast.GeneratorExp):
            raise LookupError(ast.unparse(call))
        for cond in (c for g in gen.generators for c in g.ifs):
            if (
                isinstance(cond, ast.Compare)
                and ast.dump(cond.left) == ast.dump(gen.elt)
                and isinstance(cond.ops[0], ast.In)
                and isinstance(cond.comparators[0], ast.Tuple | ast.List | ast.Set)
            ):
                return {c.value for c in cond.comparators[0].elts if isinstance(c, ast.Constant)}
        raise LookupError(ast.unparse(call))


def _functions(tree: ast.AST) -> Iterator[tuple[ast.AST, ast.FunctionDef | None]]:
    """Every node with its innermost enclosing function."""

    def walk(node: ast.AST, func: ast.FunctionDef | None) -> Iterator[tuple[ast.AST, ast.FunctionDef | None]]:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else func
            yield child, inner  # type: ignore[misc]
            yield from walk(child, inner)  # type: ignore[arg-type]

    yield from walk(tree, None)


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _condition_tuples(tree: ast.AST) -> Iterator[ast.Tuple]:
    """(type, is true, reason, message): appended to a run's `conditions`, or written as a literal whose
    type is a string and whose truth is not."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("append", "extend")
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr in ("conditions", "extra_conditions")
        ):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Tuple) and len(sub.elts) == 4:
                    inside.add(id(sub))
                    yield sub
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Tuple)
            and len(node.elts) == 4
            and id(node) not in inside
            and isinstance(node.elts[0], ast.Constant)
            and isinstance(node.elts[0].value, str)
            and not isinstance(node.elts[1], ast.Constant)
        ):
            yield node


def scan() -> Found:
    trees = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        trees[module] = ast.parse(path.read_text(), str(path))
    resolver = Resolver(trees)
    found = Found()

    def take(
        expr: ast.expr, func: ast.FunctionDef | None, module: str, where: str, into: dict[str, str]
    ) -> None:
        if isinstance(expr, ast.JoinedStr):
            found.templates[ast.unparse(expr)[2:-1]] = where
            return
        try:
            for value in resolver.values(expr, func, module):
                into.setdefault(value, where)
        except Forwarded:
            pass
        except LookupError as exc:
            found.unresolved.append(f"{where}: {exc}")

    for module, tree in trees.items():
        path = PACKAGE.parent.joinpath(*module.split("."))
        for node, func in _functions(tree):
            where = f"{Path(str(path) + '.py').relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call) and (name := _callee(node)) in REASON_ARG:
                args = dict(enumerate(node.args))
                for keyword in node.keywords:
                    if keyword.arg == "reason":
                        args[REASON_ARG[name]] = keyword.value
                if REASON_ARG[name] in args:
                    expr = args[REASON_ARG[name]]
                    if name == "ErrorMeaning":
                        # run below; its constants must show up there
                        if isinstance(expr, ast.Constant):
                            found.table_constants.add(expr.value)
                    else:
                        take(expr, func, module, where, found.reasons)
                    if name == "Stalled" and isinstance(expr, ast.Constant):
                        found.raised_stalled.add(expr.value)
                if name in TYPE_ARG and len(node.args) > TYPE_ARG[name]:
                    take(node.args[TYPE_ARG[name]], func, module, where, found.types)
        for node in _condition_tuples(tree):
            where = f"{Path(str(path) + '.py').relative_to(ROOT)}:{node.lineno}"
            func = next((f for n, f in _functions(tree) if n is node), None)
            take(node.elts[0], func, module, where, found.types)
            take(node.elts[2], func, module, where, found.reasons)
    return found


# --------------------------------------------------------------------------- the error-meaning table


def _message_samples() -> set[str]:
    """Messages that reach each branch: the phrases errors.py and error_meaning.py look for in a message."""
    samples = {""}
    for module in (errors, error_meaning):
        tree = ast.parse(Path(module.__file__).read_text())  # type: ignore[arg-type]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.ops[0], ast.In)
                and isinstance(node.left, ast.Constant)
                and isinstance(node.left.value, str)
            ):
                samples.add(f"something {node.left.value} here")
    return samples


def error_table() -> dict[str, set[tuple[error_meaning.Meaning, float | None]]]:
    """reason -> (what happens, re-check delay for a Stalled one), from every error code the two
    modules name, at client and server status, with every message phrase they look for."""
    from botocore.exceptions import ClientError

    codes = set().union(
        errors._THROTTLING,
        errors._ACCESS,
        errors._NOT_FOUND,
        error_meaning._STALLED_CODES,
        error_meaning._GONE_CODES,
    )
    codes |= {kind.value for kind in errors.AwsErrorKind} | {"ConflictException", "SomeOtherCode"}
    failures: list[Exception] = [
        ParamValidationError(report="bad"),
        EndpointConnectionError(endpoint_url="https://sagemaker.us-east-2.amazonaws.com"),
    ]
    for code in sorted(codes):
        for status in (400, 500):
            for message in sorted(_message_samples()):
                response = {
                    "Error": {"Code": code, "Message": message},
                    "ResponseMetadata": {"HTTPStatusCode": status},
                }
                failures.append(ClientError(response, "Operation"))  # type: ignore[arg-type]
    table: dict[str, set[tuple[error_meaning.Meaning, float | None]]] = {}
    for failure in failures:
        m = error_meaning.meaning(errors.translate(failure, "Operation"))
        table.setdefault(m.reason, set()).add(
            (m.meaning, m.recheck if m.meaning is error_meaning.Meaning.STALLED else None)
        )
    return table


# --------------------------------------------------------------------------- templates


def _compared_with(name: str, where: str) -> set[str]:
    """Constants the function around `where` compares `name` with: values another branch handles."""
    path, line = where.rsplit(":", 1)
    tree = ast.parse((ROOT / path).read_text())
    funcs = [
        f
        for f in ast.walk(tree)
        if isinstance(f, ast.FunctionDef) and f.lineno <= int(line) <= (f.end_lineno or f.lineno)
    ]
    found: set[str] = set()
    for node in ast.walk(funcs[-1]):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == name:
            for comp in node.comparators:
                elts = comp.elts if isinstance(comp, ast.Tuple | ast.List | ast.Set) else [comp]
                found |= {e.value for e in elts if isinstance(e, ast.Constant)}
    return found


def _enum(shape: str) -> list[str]:
    return list(botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).enum)


def _immutable_members() -> list[str]:
    names = (package_requests.aws_name(n, PackageMembers) for n in PackageMembers.model_fields)
    return [m for m in names if package_members.CHANGES[m] is package_members.Change.IMMUTABLE]


# template -> what fills its placeholder: a family the page names as such, or the reasons it makes
FAMILY = "family"


def expand(template: str, where: str) -> set[str] | str:
    if template == "Invalid{_pascal(leaf)}":
        return "Invalid<Field>"  # one per spec field: the page explains the family
    if template in ("Package{package_status}", "Group{group_status}"):
        variable = template[template.index("{") + 1 : -1]
        shape = {"package_status": "ModelPackageStatus", "group_status": "ModelPackageGroupStatus"}[variable]
        prefix = template[: template.index("{")]
        return {prefix + s for s in _enum(shape) if s not in _compared_with(variable, where)}
    if template == "{member}Differs":
        return {f"{m}Differs" for m in _immutable_members()}
    raise AssertionError(f"{where}: reason template {template!r}: say in expand() what fills it")


def emitted() -> tuple[set[str], set[str], set[str]]:
    """(reasons, families such as `Invalid<Field>`, condition types)."""
    found = scan()
    assert not found.unresolved, f"reasons this test cannot resolve: {found.unresolved}"
    table = error_table()
    missing = found.table_constants - set(table)
    assert not missing, f"the error table's inputs never reach {missing}: add the codes or messages"
    reasons, families = set(found.reasons) | set(table), set()
    for template, where in found.templates.items():
        made = expand(template, where)
        if isinstance(made, str):
            families.add(made)
        else:
            reasons |= made
    return reasons, families, set(found.types)


# --------------------------------------------------------------------------- the page


def _tables(text: str) -> Iterator[tuple[str, list[list[str]]]]:
    """(the section's heading, rows of cells) of every table."""
    heading = ""
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                rows.append(cells)
        elif rows:
            yield heading, rows[1:]  # without the header row
            rows = []


def explained() -> tuple[dict[str, str], dict[str, str]]:
    """(reasons, condition types) in the first column of troubleshooting.md's tables, with their rows."""
    reasons: dict[str, str] = {}
    types: dict[str, str] = {}
    for heading, rows in _tables(TROUBLESHOOTING.read_text()):
        into = types if heading.lower().startswith("conditions") else reasons
        for row in rows:
            for token in re.findall(r"`([^`]+)`", row[0]):
                into[token] = " | ".join(row)
    return reasons, types


def test_every_reason_and_condition_the_code_writes_is_explained() -> None:
    reasons, families, types = emitted()
    on_page, types_on_page = explained()
    assert not (reasons - set(on_page)), (
        f"reasons troubleshooting.md does not explain: {sorted(reasons - set(on_page))}"
    )
    assert not (families - set(on_page)), (
        f"families troubleshooting.md does not explain: {families - set(on_page)}"
    )
    assert not (types - set(types_on_page)), (
        f"condition types it does not explain: {sorted(types - set(types_on_page))}"
    )


def test_every_reason_and_condition_on_the_page_is_written_by_the_code() -> None:
    reasons, families, types = emitted()
    on_page, types_on_page = explained()
    assert not (set(on_page) - reasons - families), (
        f"not written by the operator: {sorted(set(on_page) - reasons - families)}"
    )
    assert not (set(types_on_page) - types), (
        f"conditions the operator never writes: {sorted(set(types_on_page) - types)}"
    )


def test_a_reason_named_on_any_page_is_one_the_code_writes() -> None:
    reasons, families, _ = emitted()
    prefixes = tuple(f.split("<")[0] for f in families)
    for page in PAGES:
        text = prose(page)
        for name in re.findall(r"\breasons?(?:=| `)([A-Z][A-Za-z0-9]+)", text):
            assert name in reasons or name.startswith(prefixes), f"{page.relative_to(ROOT)}: reason {name}"


_EVERY = re.compile(r"every (\d+(?:\.\d+)?|)\s*(s|seconds?|minutes?)\b")
_WAITS_FOR_CHANGE = re.compile(r"not retried|until (?:its|the) spec changes|waits? for a (?:spec )?change")


def _seconds(number: str, unit: str) -> float:
    return float(number or 1) * (60 if unit.startswith("minute") else 1)


def _statements(text: str) -> Iterator[str]:
    """Table rows and sentences, the units a page states an interval in."""
    for paragraph in re.split(r"\n\s*\n", text):
        if paragraph.lstrip().startswith("|"):
            yield from paragraph.splitlines()
        else:
            yield from re.split(r"(?<=[.;])\s+(?=[A-Z`(])", " ".join(paragraph.split()))


def test_stated_recheck_intervals_are_the_code_s() -> None:
    """A sentence or row that names a reason the error table re-checks, and says when it is looked at
    again, says the table's interval; one that says it waits for a change does not name it."""
    table = {
        reason: {delay for meaning, delay in found if meaning is error_meaning.Meaning.STALLED}
        for reason, found in error_table().items()
    }
    rechecked = {reason: delays for reason, delays in table.items() if delays}
    # A reason the operator also raises for bad input (InvalidPolicy: its own check of the statements)
    # may be said to wait for a change; one only AWS's refusals carry may not.
    only_aws = set(rechecked) - scan().raised_stalled
    for page in PAGES:
        for statement in _statements(prose(page)):
            named = set(re.findall(r"`([A-Z][A-Za-z0-9]+)`", statement)) & set(rechecked)
            if not named:
                continue
            stated = {_seconds(n, u) for n, u in _EVERY.findall(statement)}
            for reason in named:
                where = f"{page.relative_to(ROOT)}: {statement.strip()[:160]}"
                if reason in only_aws:
                    assert not _WAITS_FOR_CHANGE.search(statement), f"{where}: {reason} is re-checked"
                if stated and ("again" in statement or "re-check" in statement):
                    assert stated <= rechecked[reason], (
                        f"{where}: {reason} is re-checked every {rechecked[reason]} s"
                    )


def test_reasons_said_to_wait_for_a_change_are_not_rechecked_by_the_code() -> None:
    """The page's section of reasons that wait for a change of the spec or the config holds none that
    only AWS's refusals carry: those are re-checked on their own (InvalidArn, every 10 minutes)."""
    rechecked = {
        reason
        for reason, found in error_table().items()
        if any(meaning is error_meaning.Meaning.STALLED for meaning, _ in found)
    }
    only_aws = rechecked - scan().raised_stalled
    for heading, rows in _tables(TROUBLESHOOTING.read_text()):
        if re.search(r"(?i)spec or the config", heading):
            for row in rows:
                listed = set(re.findall(r"`([^`]+)`", row[0])) & only_aws
                assert not listed, f"{heading}: {sorted(listed)} are re-checked by the operator"


def test_the_wait_for_dependents_is_stated_as_the_code_paces_it() -> None:
    """The WaitingForDependents row gives the deletion handler's two intervals and its patience."""
    row = next(
        line
        for line in TROUBLESHOOTING.read_text().splitlines()
        if line.startswith("| `WaitingForDependents`")
    )
    stated = {_seconds(n, u) for n, u in _EVERY.findall(row)}
    assert stated == {dispatch.DEPENDENTS_POLL_SECONDS, dispatch.DEPENDENTS_SLOW_POLL_SECONDS}, row
    assert f"waited {dispatch.DEPENDENTS_PATIENCE_SECONDS:.0f} s" in row, row
