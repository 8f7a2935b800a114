"""Where the repository and its committed sample are, for every test module."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = ROOT / "sample_data"
SAMPLE_BACKUP = SAMPLE_DATA / "backup"
NOTEBOOKS = ROOT / "notebooks"
