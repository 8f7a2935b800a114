"""Text output (format/text.py): escapes what a terminal would interpret, readably and reversibly; prints
values as the vendor does (booleans of every kind as true/false)."""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest

from zxforensics.format.text import (
    UNSAFE_CLASS,
    escape,
    escape_json,
    escape_lines,
    fmt_value,
    looks_like_formula,
    render,
    unescape,
)

UNSAFE = re.compile(f"[{UNSAFE_CLASS}]")


@pytest.mark.parametrize(("value", "shown"), [
    ("\x1b[2J", "\\x1b[2J"), ("\x1b]0;title\x07", "\\x1b]0;title\\x07"), ("a\x00b", "a\\x00b"),
    ("line\r\nforged", "line\\r\\nforged"), ("tab\there", "tab\\there"), ("\x9b31m", "\\x9b31m"),
    ("abc\u202etxt.exe", "abc\\u202etxt.exe"), ("zero\u200bwidth", "zero\\u200bwidth"),
    ("tag\U000e0041", "tag\\U000e0041"), ("C:\\Users\\bob", "C:\\Users\\bob"), ("lit\\n", "lit\\\\n"),
    ("ünïcödé 日本 👨\u200d👩\u200d👧", "ünïcödé 日本 👨\u200d👩\u200d👧"), ("bad\udc85byte", "bad\\udc85byte"),
])  # fmt: skip
def test_escape_shows_controls_and_keeps_readable_text(value, shown):
    assert escape(value) == shown
    assert unescape(shown) == value


def test_escape_is_reversible_and_leaves_nothing_a_terminal_interprets():
    """A property over random strings mixing controls, backslashes, escape look-alikes and Unicode."""
    pieces = ["\\", "n", "x", "1b", "u", "202e", "U", "\x1b", "\x00", "\r", "\n", "\t", "\x7f", "\x85", "\u202e",
              "\u2028", "\ufeff", "é", "日", "\u200d", "a", " ", "\udcff", "\U000e0020", "0", "f"]  # fmt: skip
    rng = random.Random(10)
    for _ in range(5000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        shown = escape(value)
        assert unescape(shown) == value, (value, shown)
        assert not UNSAFE.search(shown), (value, shown)


def test_every_invisible_or_control_character_of_this_python_is_escaped():
    """Cc, Cf, Zl, Zp of the running Python's Unicode tables (ZWJ and ZWNJ excepted) are all in the class."""
    missed = [hex(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp", "Cs") and c not in (0x200C, 0x200D)
              and not UNSAFE.match(chr(c))]  # fmt: skip
    assert missed == []


def test_render_escapes_keys_and_values_and_keeps_its_own_layout():
    text = render([("items", [[("sub\x1bject", "a\nb"), ("list", ["x\ry", "z"])]])])
    assert text.splitlines() == [
        " " * 8 + "items",
        " " * 16 + "sub\\x1bject".ljust(60) + "a\\nb",
        " " * 16 + "list".ljust(60) + "x\\ry, z",
    ]
    assert fmt_value(None) == "" and fmt_value(True) == "true" and fmt_value(float("nan")) == ""


def test_escape_lines_keeps_line_breaks_only():
    assert escape_lines("- a\x1b[2J\n+ b\r") == "- a\\x1b[2J\n+ b\\r"


def test_json_keeps_exact_values_with_nothing_raw():
    document = json.dumps(["a\x85b\u202ec\U000e0041\x7f", "ok\n"], ensure_ascii=False, indent=2)
    shown = escape_json(document)
    assert not UNSAFE.search(shown.replace("\n", ""))
    assert json.loads(shown) == ["a\x85b\u202ec\U000e0041\x7f", "ok\n"]


@pytest.mark.parametrize(("value", "formula"), [
    ("=cmd|' /C calc'!A0", True), ("@SUM(A1)", True), ("+1+cmd", True), ("-2+3", True), ("\tx", True),
    ("-5", False), ("+3.5", False), ("plain", False), (7, False), ("", False),
])  # fmt: skip
def test_formula_like_cells(value, formula):
    assert looks_like_formula(value) is formula


@pytest.mark.parametrize(("value", "text"), [
    (True, "true"), (False, "false"), (np.bool_(True), "true"), (np.False_, "false"),
    (pd.array([True], dtype="boolean")[0], "true"), (pd.Series([False]).iloc[0], "false"),
    (pd.NA, ""), (None, ""), (float("nan"), ""), ([True, np.False_, 3, "a\x1b"], "true, false, 3, a\\x1b"), (0, "0"),
])  # fmt: skip
def test_values_print_as_the_vendor_prints_them(value, text):
    assert fmt_value(value) == text


def test_a_frame_of_booleans_renders_in_lower_case():
    frame = pd.DataFrame({"deleted": [True, False], "disabled": pd.array([pd.NA, True], dtype="boolean")})
    tree = [("rows", [[(c, v) for c, v in row.items()] for row in frame.to_dict("records")])]
    text = render(tree)
    assert "True" not in text and "False" not in text
    assert text.splitlines()[1] == " " * 16 + "deleted".ljust(60) + "true"


def test_a_long_key_keeps_its_value_a_field_apart():
    address = "a.very.long.mailbox.name.for.the.accounting.department@subsidiary.example.com"
    line = render([("accountMap", [(address, "acc-1")])]).splitlines()[1]
    assert line.split() == [address, "acc-1"]
    assert render([("k" * 59, "v")]) == " " * 8 + "k" * 59 + " v"  # the layout of shorter keys is unchanged
