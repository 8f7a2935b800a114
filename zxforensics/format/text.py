"""The vendor's text layout (FORMAT.md §8), and the one escaping of text taken from the evidence.

Every value shown in text output passes through `escape` (in `fmt_value`, `leaf` and `render`, and the few
lines a verb prints outside them): a subject or a folder name can hold ESC, OSC, NUL, CR or a newline,
and printed as they are they clear the screen, retitle the terminal or forge output lines.

The escaped form is Python's, readable and reversible (`unescape` gives the exact value back):
- `\\n`, `\\r`, `\\t` for newline, carriage return and tab;
- `\\xHH` for the other C0 controls, DEL and the C1 controls (ESC is `\\x1b`, NUL `\\x00`, CSI `\\x9b`);
- `\\uHHHH` / `\\UHHHHHHHH` for invisible format characters (bidi overrides and isolates, zero-width space,
  soft hyphen, BOM, line and paragraph separators, tag characters) and lone surrogates (a byte that was
  not UTF-8, kept by `surrogateescape`, shows as `\\udcHH`). ZWJ and ZWNJ stay: emoji and scripts need them;
- a backslash is doubled only where it would otherwise read as one of these escapes (`C:\\Users` stays,
  a literal backslash-n becomes `\\\\n`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

INDENT = " " * 8
KEY_WIDTH = 60

# C0, DEL and C1 controls; every Cf (format), Zl and Zp character of Unicode 15 except ZWNJ/ZWJ; surrogates.
UNSAFE_CLASS = (
    "\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b\u200e-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_ESCAPES = r"\\|[nrt]|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}"
# A character to escape, or a backslash that would read as the start of an escape (doubled).
_TO_ESCAPE = re.compile(rf"[{UNSAFE_CLASS}]|\\(?=[{UNSAFE_CLASS}]|{_ESCAPES})")
_ESCAPED = re.compile(rf"\\({_ESCAPES})")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
_UNNAMED = {v[1:]: k for k, v in _NAMED.items()}


def _escape_one(match: re.Match) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escape(text: str) -> str:
    """`text` with every non-printable character escaped (see the module's docstring); reversible."""
    if text.isprintable() and "\\" not in text:  # every character escaped is one Python calls unprintable
        return text
    return _TO_ESCAPE.sub(_escape_one, text)


def unescape(text: str) -> str:
    """The exact value an `escape`d text was made from."""

    def one(match: re.Match) -> str:
        code = match.group(1)
        return _UNNAMED.get(code) or chr(int(code[1:], 16))

    return _ESCAPED.sub(one, text)


def escape_lines(text: str) -> str:
    """A multi-line text from the evidence (a diff, a message) with its line breaks kept and every line escaped."""
    return "\n".join(escape(line) for line in text.split("\n"))


def escape_json(document: str) -> str:
    """A JSON document with every character `escape` would escape written as a JSON `\\uXXXX` escape
    (orjson writes C1 controls, bidi overrides and separators raw): it parses back to the exact values."""

    def one(match: re.Match) -> str:
        code = ord(match.group())
        if code < 0x10000:
            return f"\\u{code:04x}"
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"

    return _JSON_UNSAFE.sub(one, document)


_JSON_UNSAFE = re.compile(f"[{UNSAFE_CLASS.replace(chr(0) + '-' + chr(0x1F), '')}]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (OWASP's list)


def looks_like_formula(value: object) -> bool:
    """A text cell a spreadsheet could evaluate (`=cmd|' /C calc'!A0`, `@SUM(...)`); numbers are not."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return False
    try:
        float(value)
    except ValueError:
        return True
    return False


def fmt_value(value: object) -> str:
    """Values as the vendor prints them (booleans in lower case, numpy's too; missing as empty), escaped."""
    if value is None:
        return ""
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    try:
        import pandas as pd

        if value is pd.NA or (not isinstance(value, str | list) and pd.isna(value)):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, list | tuple):
        return ", ".join(fmt_value(v) for v in value)
    return escape(str(value))


def leaf(key: str, value: object, level: int) -> str:
    """`key` padded to 60 columns, then the value; a key of 60 or more keeps one space before its value,
    so the value stays the next whitespace-separated field (`awk '{print $2}'` of an accountMap line)."""
    return f"{INDENT * level}{escape(str(key)):<{KEY_WIDTH - 1}} {fmt_value(value)}".rstrip()


def render(tree: Iterable[tuple[str, object]], level: int = 1) -> str:
    """Render `(key, value)` pairs; a value that is a list of pairs (or of such lists) nests. Keys and
    values are escaped: the layout's own line breaks are the only ones in the result.

    `[("itemStates", [[("start_date", d), ("type", t)], ...])]` prints the seed's getItem layout.
    """
    lines: list[str] = []
    for key, value in tree:
        if _is_tree(value):
            lines.append(f"{INDENT * level}{escape(str(key))}")
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
