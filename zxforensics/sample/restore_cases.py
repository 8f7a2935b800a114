"""Sample cases for a later investigation (filled in by its issue)."""

from __future__ import annotations


def add(builder, plans) -> None:
    """Nothing yet: this investigation's cases are added by its issue."""
