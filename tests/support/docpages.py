"""README.md and the pages under docs/ as data for the docs tier: their fenced blocks, what each block
is, and the commands the pages name (in blocks and in code spans).

A block that is deliberately partial or illustrative carries a marker on a line before its fence
(blank lines between are allowed), and the tests skip it, saying why:

    <!-- docs-test: skip: only the fields a promotion changes -->

A block that a command on the same page reads as a file names it the same way, and the tests write it
there before they run the command:

    <!-- docs-test: file: my-values.yaml -->
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cloudformation import is_template

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CHART = ROOT / "charts" / "sagemaker-registry-operator"

_FENCE = re.compile(r"^(\s*)(```|~~~)\s*([\w+-]*)\s*$")
_MARKER = re.compile(r"^<!--\s*docs-test:\s*(skip|file):\s*(.+?)\s*-->$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, counting from 1
    lang: str
    text: str
    skip: str | None = None  # the marker's reason
    file: str | None = None  # the name a command on the page reads it under

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    def documents(self) -> list[Any]:
        return [d for d in yaml.load_all(self.text, Loader=_Loader) if d is not None]


class _Loader(yaml.SafeLoader):
    """YAML as the pages show it: CloudFormation's short forms (`!Ref Queue`, `!GetAtt Queue.Arn`) read
    as the long ones ({"Ref": "Queue"}), as CloudFormation itself reads them."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _intrinsic)


def blocks(pages: list[Path] | None = None) -> list[Block]:
    found = []
    for page in pages or PAGES:
        lines = page.read_text().splitlines()
        i = 0
        while i < len(lines):
            opening = _FENCE.match(lines[i])
            if not opening:
                i += 1
                continue
            indent, fence, lang = opening.groups()
            markers: dict[str, str] = {}
            j = i - 1
            while j >= 0 and (not lines[j].strip() or _MARKER.match(lines[j].strip())):
                if m := _MARKER.match(lines[j].strip()):
                    markers[m.group(1)] = m.group(2)
                j -= 1
            end = i + 1
            while end < len(lines) and lines[end].strip() != fence:
                end += 1
            body = "\n".join(line[len(indent) :] for line in lines[i + 1 : end]) + "\n"
            found.append(Block(page, i + 1, lang, body, markers.get("skip"), markers.get("file")))
            i = end + 1
    return found


def prose(page: Path) -> str:
    """A page without its fenced blocks."""
    out, inside = [], None
    for line in page.read_text().splitlines():
        m = _FENCE.match(line)
        if m and inside is None:
            inside = m.group(2)
        elif inside is not None and line.strip() == inside:
            inside = None
        elif inside is None:
            out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------- what a YAML block is


def chart_values() -> dict[str, Any]:
    return dict(yaml.safe_load((CHART / "values.yaml").read_text()))


def operator_config_keys() -> set[str]:
    from registry_operator.config import OperatorConfig

    return {info.alias or name for name, info in OperatorConfig.model_fields.items()}


KUSTOMIZATION_FIELDS = {
    "resources", "components", "patches", "images", "namespace", "namePrefix", "nameSuffix", "labels",
    "commonLabels", "commonAnnotations", "configMapGenerator", "secretGenerator", "generatorOptions",
    "replacements", "replicas",
}  # fmt: skip


def yaml_kind(block: Block) -> str:
    """`manifest` (objects with apiVersion and kind), `kustomization`, `operator-config`, `helm-values`,
    `prometheus-config`, `cloudformation` (a template), or `unknown`."""
    docs = block.documents()
    if len(docs) == 1 and is_template(docs[0]):
        return "cloudformation"
    if docs and all(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs):
        if any(d["apiVersion"].startswith("kustomize.config.k8s.io/") for d in docs):
            return "kustomization"
        return "manifest"
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return "unknown"
    keys = set(docs[0])
    if keys <= operator_config_keys():
        return "operator-config"
    if keys <= set(chart_values()):
        return "helm-values"
    if keys & {"scrape_configs", "rule_files"}:
        return "prometheus-config"
    if keys & {"resources", "components"} and keys <= KUSTOMIZATION_FIELDS:
        return "kustomization"  # a kustomization.yaml without its apiVersion, as people write them
    return "unknown"


# --------------------------------------------------------------------------- commands

# The programs this repository provides, and the make targets: the commands the docs tier checks.
PROGRAMS = ("registry-operator", "registry-testbed", "make", "python", "helm", "kubectl")
_CODE_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*=")


@dataclass(frozen=True)
class Command:
    where: str
    env: tuple[str, ...]  # names assigned before the program
    argv: tuple[str, ...]  # program (its basename) and arguments
    page: Path


def _program(word: str) -> str:
    """`.venv/bin/registry-operator`, `$PWD/.venv/bin/python`, `python3` -> the program's name; a path
    elsewhere (`~/.cache/registry-operator`) is no program."""
    parts = word.rsplit("/", 2)
    if len(parts) > 1 and parts[-2] not in ("bin", "$BIN", "$(BIN)"):
        return word
    name = parts[-1]
    return "python" if re.fullmatch(r"python3?(\.\d+)?", name) else name


def _split(text: str) -> list[list[str]]:
    """Simple commands of a shell text: continuation lines joined, comments dropped, split at `&&`, `;`,
    `|` and `$(`. Usage placeholders (`[--flag X]`, `...`) are unwrapped."""
    text = re.sub(r"\\\n", " ", text)
    commands: list[list[str]] = []
    for line in text.splitlines():
        line = line.replace("$(", " ; ").replace(")", " ")
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        current: list[str] = []
        for w in words:
            if w in ("&&", "||", ";", "|", "&"):
                commands.append(current)
                current = []
            else:
                current.append(w.strip("[]") if w not in ("[", "]") else "")
        commands.append(current)
    return [[w for w in c if w and w != "..."] for c in commands if c]


def _command(words: list[str], where: str, page: Path) -> Command | None:
    env = []
    while words and _ENV.match(words[0]):
        env.append(words[0].split("=", 1)[0])
        words = words[1:]
    if not words or _program(words[0]) not in PROGRAMS:
        return None
    return Command(where, tuple(env), (_program(words[0]), *words[1:]), page)


def commands(pages: list[Path] | None = None) -> list[Command]:
    """Every command of the PROGRAMS in shell blocks and in code spans of the prose."""
    found = []
    for block in blocks(pages):
        if block.lang in ("sh", "bash", "shell", "console") and block.skip is None:
            for words in _split(block.text):
                if c := _command(words, block.where, block.page):
                    found.append(c)
    for page in pages or PAGES:
        for line in prose(page).splitlines():
            for span in _CODE_SPAN.findall(line.replace("\\|", "|")):
                words = _split(span)
                if words and (c := _command(words[0], f"{page.relative_to(ROOT)} (`{span}`)", page)):
                    found.append(c)
    return found
