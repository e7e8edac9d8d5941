"""Numbers the pages state agree with each other and with the code: a measured figure quoted on two
pages is quoted the same, the minimum Kubernetes version is the chart's, the flag defaults are the
parser's, and the command line keeps the promises the configuration reference makes (help for every
flag with its default, one line when there is no cluster to talk to)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest
import yaml
from docpages import CHART, PAGES, ROOT, prose

from registry_operator import cli
from registry_testbed.localcluster.tools import tools

pytestmark = pytest.mark.docs

CONFIGURATION = ROOT / "docs" / "admins" / "configuration.md"

# --------------------------------------------------------------------------- figures on two pages

# Measurements: memory and CPU. Bare seconds and minutes are left out: they are everywhere (timeouts,
# intervals, leases, re-checks) and mostly not measurements, so two of them are rarely one figure.
_FIGURE = re.compile(
    r"(?<![\w.,-])(\d[\d,]*(?:\.\d+)?)(?:\s*(?:-|\u2013|to)\s*(\d[\d,]*(?:\.\d+)?))?\s*"
    r"(MB|MiB|GB|GiB|KB|ms|CPU-minutes|minutes of CPU)\b"
)


def figures(text: str) -> set[tuple[float, float, str, str]]:
    """(low, high, unit, as written) of every figure in a text. A bound (`<= 150 MB`, `under 10
    minutes`) is a target or a limit, not a measurement, and is left out."""
    found = set()
    for m in _FIGURE.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()].rstrip().lower()
        if before.endswith(("<", "<=", ">", ">=", "\u2264", "under", "at most", "at least", "over")):
            continue
        low, high, unit = m.groups()
        a, b = float(low.replace(",", "")), float((high or low).replace(",", ""))
        found.add((a, b, unit, f"{low}{'-' + high if high else ''} {unit}"))
    return found


def _close(a: tuple[float, float, str, str], b: tuple[float, float, str, str]) -> bool:
    """The same quantity quoted twice, differently: same unit, and ranges that overlap or whose ends
    are within 2% (184 against 182 MB; 149-151 against 149-150 MB)."""
    if a[2] != b[2] or a[3] == b[3]:
        return False
    overlap = a[0] <= b[1] and b[0] <= a[1]
    near = min(abs(x - y) / max(x, y) for x in a[:2] for y in b[:2] if max(x, y) > 0) <= 0.02
    return overlap or near


def test_a_figure_quoted_on_two_pages_is_quoted_the_same() -> None:
    """A page may quote another page's measurement (or link to it rather than quote it); it may not
    quote it differently. Two close figures on two pages are the same one drifted, unless each page
    has both (a page that lists an older run beside the current one)."""
    found = {page: figures(prose(page)) for page in PAGES}
    drifted = []
    for a, b in combinations(PAGES, 2):
        written_a, written_b = {x[3] for x in found[a]}, {y[3] for y in found[b]}
        for x in found[a]:
            for y in found[b]:
                if _close(x, y) and not (x[3] in written_b and y[3] in written_a):
                    drifted.append(f"{a.relative_to(ROOT)} '{x[3]}' vs {b.relative_to(ROOT)} '{y[3]}'")
    assert not drifted, "the same figure quoted differently:\n" + "\n".join(sorted(drifted))


def test_the_figure_check_sees_drift() -> None:
    """What the check above compares, on the drift it was written for."""
    a, b = figures("peak RSS 149-151 MB, 184 MB at 10,000"), figures("149-150 MB and 182 MB")
    assert {(x[3], y[3]) for x in a for y in b if _close(x, y)} == {
        ("149-151 MB", "149-150 MB"),
        ("184 MB", "182 MB"),
    }


# --------------------------------------------------------------------------- minimum Kubernetes version


def minimum_kubernetes() -> str:
    """The one value: the chart's kubeVersion, `>=MAJOR.MINOR.0-0`."""
    constraint = yaml.safe_load((CHART / "Chart.yaml").read_text())["kubeVersion"]
    found = re.fullmatch(r">=\s*(\d+)\.(\d+)\.0-0", constraint)
    assert found, f"Chart.yaml kubeVersion {constraint!r}: expected >=MAJOR.MINOR.0-0"
    return f"{found[1]}.{found[2]}"


def test_the_minimum_kubernetes_version_is_one_value() -> None:
    """Every page that states a minimum Kubernetes version states the chart's, and one page does."""
    minimum = minimum_kubernetes()
    claim = re.compile(r"(?i)minimum kubernetes|kubernetes \d+\.\d+ or (later|newer)|at least kubernetes")
    stated = []
    for page in PAGES:
        text = prose(page)
        sentences = re.split(r"(?<=[.:])\s", " ".join(text.split()))
        claims = [x for x in sentences if claim.search(x)]
        claims += re.findall(
            r"(?im)^#+ minimum kubernetes version\s*\n+(.+)", text
        )  # a heading, then the value
        for statement in claims:
            versions = re.findall(r"\b(1\.\d+)\b", statement)
            if versions:
                stated.append(statement)
                where = f"{page.relative_to(ROOT)}: {statement!r}"
                assert versions[0] == minimum, f"{where} (the chart says {minimum})"
    assert stated, "no page states the minimum Kubernetes version"


def _helm_at(version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tools().helm), "template", "x", str(CHART), "--kube-version", version],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_chart_installs_from_the_minimum_version_and_not_below() -> None:
    major, minor = minimum_kubernetes().split(".")
    assert _helm_at(f"{major}.{minor}.0").returncode == 0
    refused = _helm_at(f"{major}.{int(minor) - 1}.0")
    assert refused.returncode != 0 and "kubeVersion" in refused.stderr


# --------------------------------------------------------------------------- the command line


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and a.dest != "help"]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_flag_has_help_that_shows_its_default(command: str) -> None:
    """As `registry-operator <command> --help` prints it: each flag explained, with its default."""
    text = subprocess.run(
        [sys.executable, "-m", "registry_operator.cli", command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entries = re.split(r"\n(?=  -)", text.split("options:", 1)[1])
    for action in _options(_subparsers()[command]):
        flag = action.option_strings[-1]
        entry = " ".join(next((e for e in entries if e.strip().startswith(flag)), "").split())
        explained = entry[len(flag) :].strip()
        if action.choices:
            explained = explained.removeprefix("{" + ",".join(action.choices) + "}").strip()
        elif action.nargs != 0:  # a flag with a value: its metavar comes first
            explained = explained.removeprefix(str(action.metavar or action.dest.upper())).strip()
        assert explained, f"{command} {flag} has no help"
        assert "(default" in explained, f"{command} {flag}: the help does not say its default: {explained}"


def test_the_flag_table_gives_the_parser_s_defaults() -> None:
    table = CONFIGURATION.read_text().split("`registry-operator run` flags", 1)[1].split("\n## ", 1)[0]
    cells = [row.replace("\\|", "/").split("|") for row in table.splitlines() if row.startswith("| `")]
    rows = {flag: row[2] for row in cells for flag in re.findall(r"`(--[a-z-]+)", row[1])}
    for action in _options(_subparsers()["run"]):
        flag = action.option_strings[-1]
        assert flag in rows, f"configuration.md has no row for {flag}"
        if isinstance(action.default, int | str) and not isinstance(action.default, bool) and action.default:
            shown = (
                "default" if action.dest == "state_namespace" else str(action.default)
            )  # $POD_NAMESPACE, else
            assert shown in rows[flag], (
                f"{flag}: the table says {rows[flag].strip()}, the parser {action.default}"
            )
        elif action.default is False:
            assert "off" in rows[flag], f"{flag}: the table says {rows[flag].strip()}"


def test_run_without_a_cluster_says_so_in_one_line(tmp_path: Path) -> None:
    """What configuration.md and install.md promise: no traceback, one line naming where it looked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
    env.update(KUBECONFIG=str(tmp_path / "missing-kubeconfig"), HOME=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-m", "registry_operator.cli", "run", "--metrics-port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert str(tmp_path / "missing-kubeconfig") in lines[0] and "in-cluster" in lines[0], lines[0]
