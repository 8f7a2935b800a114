"""The write side: the one way the kit writes a file (`OutputDir`), and names that are never paths."""

from __future__ import annotations

from .names import safe_name, unsafe_reason
from .writer import OutputDir, check_out_dir, refuse_inside

__all__ = ["OutputDir", "check_out_dir", "refuse_inside", "safe_name", "unsafe_reason"]
