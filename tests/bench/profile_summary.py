"""Summarise a py-spy `--format raw` profile (collapsed stacks): where the operator spends its samples.

    python tests/bench/profile_summary.py PROFILE.txt [--top 25] [--match kopf/]

Prints the functions with the most samples inclusive (anywhere on the stack) and exclusive (on top).
`bench.py --profile` records one profile per phase with py-spy, when py-spy is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"^(.*) (\d+)$")
_FRAME = re.compile(r"^(.*) \((.*?)(?::\d+)?\)$")


def _frame(raw: str) -> str:
    """`func (path/file.py:line)` without the line number, so one function counts once."""
    match = _FRAME.match(raw)
    return f"{match.group(1)} ({match.group(2)})" if match else raw


def summarise(path: Path, top: int, match: str | None) -> str:
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        parsed = _LINE.match(line.strip())
        if not parsed:
            continue
        frames = [_frame(f) for f in parsed.group(1).split(";") if f]
        count = int(parsed.group(2))
        total += count
        for f in set(frames):
            inclusive[f] += count
        if frames:
            exclusive[frames[-1]] += count
    out = [f"{path.name}: {total} samples"]
    for title, counter in (("inclusive", inclusive), ("exclusive", exclusive)):
        out.append(f"-- top {top} {title}")
        shown = 0
        for name, count in counter.most_common():
            if match and match not in name:
                continue
            out.append(f"{100 * count / max(total, 1):5.1f}%  {count:6d}  {name}")
            shown += 1
            if shown >= top:
                break
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", help="only functions whose name or file contains this")
    args = parser.parse_args()
    for path in args.profiles:
        print(summarise(path, args.top, args.match))
    return 0


if __name__ == "__main__":
    sys.exit(main())
