"""The documentation stays in step with the code it describes, and its links resolve."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from registry_operator.api.approval_policy import ApprovalPolicySpec, ModelMetric
from registry_testbed.config_docs import END, PAGE, START, render

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CONFIGURATION = PAGE.read_text()
INSTALL = (ROOT / "docs" / "admins" / "install.md").read_text()


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def test_config_reference_is_generated_from_the_config_model() -> None:
    section = CONFIGURATION[CONFIGURATION.index(START) : CONFIGURATION.index(END) + len(END)]
    assert section == render(), "stale: run .venv/bin/python -m registry_testbed.config_docs"


def test_every_run_flag_is_documented() -> None:
    help_text = subprocess.run(
        [sys.executable, "-m", "registry_operator.cli", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flags = set(re.findall(r"--[a-z][a-z-]+", help_text)) - {"--help"}
    documented = CONFIGURATION[CONFIGURATION.index("`registry-operator run` flags") :]
    missing = {f for f in flags if f"`{f}" not in documented}
    assert not missing, f"flags missing from the configuration reference's flag table: {sorted(missing)}"


def test_every_helm_value_is_documented() -> None:
    values = yaml.safe_load((ROOT / "charts" / "sagemaker-registry-operator" / "values.yaml").read_text())
    table = INSTALL[INSTALL.index("| value | default | what it sets |") :]
    for key in values:
        assert f"`{key}" in table, f"Helm value {key} is not in docs/admins/install.md's values table"


def test_links_and_paths_resolve() -> None:
    """Every link between the pages (and to an anchor) and every repository path they name exists."""
    for page in PAGES:
        text = page.read_text()
        prose = re.sub(r"`[^`\n]*`", "", text)  # a pattern in a code span is not a link
        for target in re.findall(r"\]\(([^)#\s]*)(?:#([^)]+))?\)", prose):
            path, anchor = target
            if path.startswith(("http://", "https://")):
                continue
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.relative_to(ROOT)}: link to {path}"
            if anchor and linked.suffix == ".md":
                anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", linked.read_text(), flags=re.M)}
                assert anchor in anchors, f"{page.relative_to(ROOT)}: link to {path}#{anchor}"
        for path in re.findall(
            r"`((?:manifests|charts|tests|tools|crds|docs|operator|testbed)/[^`* ]+)`", text
        ):
            if "<" not in path and "CLUSTER" not in path:
                assert (ROOT / path.rstrip("/")).exists(), f"{page.relative_to(ROOT)}: {path}"


def test_every_approval_policy_key_is_documented() -> None:
    """The admins' table of ApprovalPolicy keys names every field of the model and every metric path."""
    page = (ROOT / "docs" / "admins" / "approval-policy.md").read_text()
    table = page[page.index("| key | type | default | rule |") :]
    table = table[: table.index("\n\n")]
    keys = re.findall(r"^\| `(\w+)` \|", table, flags=re.M)
    assert keys == [f.alias for f in ApprovalPolicySpec.model_fields.values()]
    assert all(f"`{m.value}`" in table for m in ModelMetric)


def test_adding_a_kind_touches_the_files_architecture_md_names() -> None:
    """architecture.md says a kind is three hand-written product files; the code must agree: every
    kind's api module defines its INFO, its reconcile module its ManagedKind, the catalogue lists it,
    and no other product module names a kind (everything else is generated from the catalogue)."""
    import ast
    import inspect

    from registry_operator.reconcile.catalogue import MANAGED_KINDS

    page = (ROOT / "docs" / "contributors" / "architecture.md").read_text()
    listed = re.findall(r"^\d\. `(operator/registry_operator/[^`]+)`", page, re.M)
    assert listed == [
        "operator/registry_operator/api/<kind>.py",
        "operator/registry_operator/reconcile/<kind>.py",
        "operator/registry_operator/reconcile/catalogue.py",
    ]
    package = ROOT / "operator" / "registry_operator"
    own: set[Path] = {package / "reconcile" / "catalogue.py"}
    names: set[str] = set()
    for kind in MANAGED_KINDS:
        api_module = inspect.getmodule(kind.info.spec_model)
        kind_module = inspect.getmodule(type(kind))
        assert api_module is not None and kind_module is not None
        assert api_module.INFO is kind.info
        own |= {Path(str(api_module.__file__)), Path(str(kind_module.__file__))}
        names |= {kind.info.kind, kind.info.plural}
    for path in package.rglob("*.py"):
        if path in own or path.name == "package_shapes.py":  # generated from botocore's model
            continue
        literals = {
            node.value
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not literals & names, f"{path.relative_to(ROOT)} names a kind: {literals & names}"


# What packaging and code comments point readers to: files of this repository, and README sections.
POINTING = [
    ROOT / "Makefile",
    ROOT / "Dockerfile",
    *sorted((ROOT / "charts").rglob("*.yaml")),
    *sorted((ROOT / "charts").rglob("*.tpl")),
    *sorted((ROOT / "manifests").rglob("*.yaml")),
    *sorted((ROOT / "tests" / "bench").glob("*.py")),
    ROOT / "tests" / "bench" / "NOTES.md",
]


def test_pointers_from_packaging_and_code_resolve() -> None:
    readme_sections = set(re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(), flags=re.M))
    for path in POINTING:
        text = path.read_text()
        where = path.relative_to(ROOT)
        for target in re.findall(
            r"\b((?:docs|manifests|charts|tests|tools|crds)/[\w./-]+\.(?:md|yaml|json|py))", text
        ):
            assert (ROOT / target).exists(), f"{where}: {target}"
        for section in re.findall(r"README,? [\"'“]([^\"'”]+)[\"'”]", text):
            assert section in readme_sections, f"{where}: README has no section {section!r}"
        # Documents outside the repository are not there for a reader of it.
        assert not re.search(r"\bDESIGN\b|§", text), f"{where} points outside the repository"


def _printer_columns() -> dict[str, int]:
    """The columns `kubectl get` shows for the operator's kinds, and their priority (1: -o wide only)."""
    columns: dict[str, int] = {}
    for crd in (ROOT / "crds").glob("*.yaml"):
        for version in yaml.safe_load(crd.read_text())["spec"]["versions"]:
            for column in version.get("additionalPrinterColumns", []):
                name = column["name"].upper()
                columns[name] = min(columns.get(name, 9), column.get("priority", 0))
    return columns


def test_named_columns_exist_and_say_when_they_need_wide_output() -> None:
    columns = _printer_columns()
    for page in PAGES:
        for sentence in re.split(r"(?<=\.)\s", " ".join(page.read_text().split())):
            for name in re.findall(r"\b`?([A-Z]{2,}(?: [A-Z]{2,})*)`? column", sentence):
                assert name in columns, f"{page.relative_to(ROOT)}: no {name} column: {sentence}"
                if columns[name] > 0:
                    assert "-o wide" in sentence, (
                        f"{page.relative_to(ROOT)}: {name} needs -o wide: {sentence}"
                    )
