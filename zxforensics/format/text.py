"""The vendor's text layout (FORMAT.md §8): nested keys by indentation, leaves padded to 60 columns."""

from __future__ import annotations

from collections.abc import Iterable

INDENT = " " * 8
KEY_WIDTH = 60


def fmt_value(value: object) -> str:
    """Values as the vendor prints them: booleans in lower case, missing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        import pandas as pd

        if value is pd.NA or (not isinstance(value, str | list) and pd.isna(value)):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def leaf(key: str, value: object, level: int) -> str:
    return f"{INDENT * level}{key:<{KEY_WIDTH}}{fmt_value(value)}".rstrip()


def render(tree: Iterable[tuple[str, object]], level: int = 1) -> str:
    """Render `(key, value)` pairs; a value that is a list of pairs (or of such lists) nests.

    `[("itemStates", [[("start_date", d), ("type", t)], ...])]` prints the seed's getItem layout.
    """
    lines: list[str] = []
    for key, value in tree:
        if _is_tree(value):
            lines.append(f"{INDENT * level}{key}")
            groups = value if value and _is_tree(value[0]) else [value]
            for group in groups:
                lines.append(render(group, level + 1))
        else:
            lines.append(leaf(key, value, level))
    return "\n".join(line for line in lines if line != "")


def _is_tree(value: object) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], tuple | list) and (
        isinstance(value[0], list) or (len(value[0]) == 2 and isinstance(value[0][0], str))
    )
