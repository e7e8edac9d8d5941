"""Writing generated files (CRDs of optional components, RBAC rules, Argo CD health checks): only those
whose content changed, so a run that changes nothing touches nothing."""

from __future__ import annotations

from pathlib import Path


def write(rendered: dict[Path, str]) -> list[Path]:
    """Write each file whose content differs; the paths written."""
    written = []
    for path, content in rendered.items():
        if not path.exists() or path.read_text() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
            written.append(path)
    return written
