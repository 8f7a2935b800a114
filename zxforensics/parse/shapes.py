"""Shapes of values without the values: what the probe reports of a backup's files, and what the sample
generator rebuilds a store from.

A shape is kept per `type:form`: `int` with its range, `str` with its lengths and a recognised form (a
date the kit reads, a digest, a UUID, an address, digits, LDAP time...), `list` with its lengths and the
shape of its items, `dict` with its keys. No value is kept: text the kit could not read where it expects
a date or a number keeps only its mask (`9999.99.99 99:99`), so a new date format is named without a value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from ..format.dates import date_form, ldap_time_to_ms
from ..format.digest import SHA1_DIGEST_LEN, is_digest

MAX_DEPTH = 4  # levels of nesting described below a key
MAX_KEYS = 256  # keys described per object level; the others are only counted
MAX_MASKS = 5  # masks kept per key of text the kit could not read (form `unread`)
MASK_MAX_LEN = 40
LDAP_TIME_RE = re.compile(r"^\d{14}(?:\.\d{1,6})?[Zz]$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ADDRESS_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MASK_TABLE = str.maketrans("0123456789", "9999999999")
# The forms a text value may take, most specific first (names are the report's vocabulary).
STRING_FORMS = ("empty", "ldap_time", "int_text", "digest_sha256", "digest_sha1", "uuid", "bool_text", "address",
                "iso", "dd/MM/yyyy", "text")  # fmt: skip


def json_type(value: object) -> str:
    """The JSON type of a parsed value: null, bool, int, float, str, list, dict."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    for kind, name in ((int, "int"), (float, "float"), (str, "str"), (list, "list"), (dict, "dict")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


@lru_cache(maxsize=65536)  # addresses, types, folder names repeat in every state of a store
def string_form(text: str) -> str:
    """The form of a text value, one of STRING_FORMS."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if stripped.isascii() and stripped.lstrip("-").isdigit():
        return "int_text"
    if LDAP_TIME_RE.match(stripped) and ldap_time_to_ms(stripped) is not None:
        return "ldap_time"
    if is_digest(stripped):
        return "digest_sha1" if len(stripped) == SHA1_DIGEST_LEN else "digest_sha256"
    if UUID_RE.match(stripped):
        return "uuid"
    if stripped.lower() in ("true", "false"):
        return "bool_text"
    if ADDRESS_RE.match(stripped):
        return "address"
    if stripped[:1].isdigit():
        form = date_form(stripped)
        if form in ("iso", "dd/MM/yyyy"):
            return form
    return "text"


def mask(text: str) -> str | None:
    """Digits as `9`, letters as `a`/`A`: the layout of a date-like text without its value; None for text
    that is not mostly digits (a subject, a name), which keeps nothing."""
    digits = sum(c.isdigit() for c in text)
    if len(text) > MASK_MAX_LEN or digits < 4 or digits * 5 < len(text) * 2:
        return None
    return "".join("A" if c.isupper() else "a" if c.isalpha() else c for c in text.translate(_MASK_TABLE))


class Shape:
    """The merged shape of many values: per `type:form`, a count and the ranges a generator needs."""

    __slots__ = ("depth", "forms")

    def __init__(self, depth: int = 0) -> None:
        self.depth = depth
        self.forms: dict[str, dict] = {}

    def add(self, value: object, form: str | None = None, shallow: bool = False) -> str:
        """Count one value; `form` names a field-specific form (a date's, a type code's); `shallow` leaves
        a list or an object described elsewhere undescribed inside. Returns its `type:form`."""
        kind = json_type(value)
        if form is None and kind == "str":
            form = string_form(value)
        label = f"{kind}:{form}" if form and form != kind else kind
        stats = self.forms.get(label)
        if stats is None:
            stats = self.forms[label] = {"count": 0}
        stats["count"] += 1
        if kind in ("int", "float"):
            _widen(stats, "min", "max", value)
        elif kind == "str":
            _widen(stats, "len_min", "len_max", len(value))
            if form == "unread":
                _add_mask(stats, value)
        elif kind == "list":
            _widen(stats, "len_min", "len_max", len(value))
            if self.depth < MAX_DEPTH and not shallow:
                items = stats.get("items") or stats.setdefault("items", Shape(self.depth + 1))
                for item in value:
                    items.add(item)
        elif kind == "dict":
            _widen(stats, "len_min", "len_max", len(value))
            if self.depth < MAX_DEPTH and not shallow:
                self._add_keys(stats, value)
        return label

    def _add_keys(self, stats: dict, value: dict) -> None:
        keys = stats.setdefault("keys", {})
        for key, inner in value.items():
            entry = keys.get(key)
            if entry is None:
                if len(keys) >= MAX_KEYS:
                    stats["keys_dropped"] = stats.get("keys_dropped", 0) + 1
                    continue
                entry = keys[key] = [0, Shape(self.depth + 1)]
            entry[0] += 1
            entry[1].add(inner)

    def labels(self) -> list[str]:
        return sorted(self.forms)

    def to_json(self, name: Callable[[str], str]) -> dict:
        """A JSON-ready description, keys of nested objects passed through `name` (the report's anonymiser)."""
        out: dict = {}
        for label in sorted(self.forms):
            stats = self.forms[label]
            item: dict = {"count": stats["count"]}
            if "min" in stats:
                item["range"] = _day_range(label, stats["min"], stats["max"])
            if "len_min" in stats:
                item["len"] = [stats["len_min"], stats["len_max"]]
            if stats.get("masks"):
                item["masks"] = sorted(stats["masks"])
            if "items" in stats:
                item["items"] = stats["items"].to_json(name)
            if "keys" in stats:
                item["keys"] = {
                    name(key): {"count": count, "shape": shape.to_json(name)}
                    for key, (count, shape) in sorted(stats["keys"].items())
                }
            if stats.get("keys_dropped"):
                item["keys_dropped"] = stats["keys_dropped"]
            out[label] = item
        return out


def _day_range(label: str, low, high) -> list:
    """An epoch range widened to whole days: the span of a backup, not the instant of a message."""
    day = {"int:epoch_ms": 86_400_000, "int:epoch_s": 86_400}.get(label)
    if day is None:
        return [low, high]
    return [low // day * day, -(-high // day) * day]


def _widen(stats: dict, low: str, high: str, value) -> None:
    if low not in stats:
        stats[low] = stats[high] = value
    elif value < stats[low]:
        stats[low] = value
    elif value > stats[high]:
        stats[high] = value


def _add_mask(stats: dict, text: str) -> None:
    masks = stats.get("masks")
    if masks is not None and len(masks) >= MAX_MASKS:
        return
    layout = mask(text)
    if layout is not None:
        stats.setdefault("masks", set()).add(layout)
