"""Fixtures of the image tier: a private control plane and the embedded AWS on the host; the operator
itself runs from the image (`make image`) with podman."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
