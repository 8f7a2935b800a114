"""Every tolerant spelling the generator knows (FORMAT.md §10), as a change to a structure report: key
styles and synonyms, date forms, state containers, type codes, booleans and numbers as text, pairs
separators and map encodings. `respell(report, name)` returns the report of a store written so;
`build_from_report(..., spelling=name)` writes it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from ..errors import InvalidArgument
from ..format.keys import fold

_WORD_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_STYLES = {
    "snake_case": lambda words: "_".join(words),
    "kebab-case": lambda words: "-".join(words),
    "PascalCase": lambda words: "".join(w.capitalize() for w in words),
    "lowercase": lambda words: "".join(words),
    "UPPERCASE": lambda words: "_".join(words).upper(),
}
# FORMAT.md §10's synonyms, as a writer would spell them (the readers fold them: format.keys.STATE_FIELDS).
SYNONYMS = {"transactionId": "txId", "id": "itemId", "type": "itemType", "digest": "blobDigest"}
_OBJECT_KINDS = ("backupstat", "account_stat", "account_info")
_DATE_FIELDS = ("start_date", "end_date", "date", "last_scan", "deleted_date", "firstScan", "lastScan")
_INT_FIELDS = ("item_id", "transaction_id", "folder_id", "size", "revision", "flags", "parent_id", "remote_id")
_SEPARATORS = {"pairs_equals": "=", "pairs_arrow": "->", "pairs_unicode_arrow": "→", "pairs_comma": ","}


def restyle(key: str, style: str) -> str:
    """`startDate` in another style: `start_date`, `StartDate`, `STARTDATE`..."""
    words = [w.lower() for w in _WORD_RE.findall(key)] or [key.lower()]
    return _STYLES[style](words)


def _rename(report: dict, rename: Callable[[str], str], kinds=("item metadata", *_OBJECT_KINDS)) -> None:
    for kind in kinds:
        for scope, keys in report["kinds"].get(kind, {}).get("keys", {}).items():
            if scope in ("state", "object", "file"):
                report["kinds"][kind]["keys"][scope] = {rename(k): v for k, v in keys.items()}


def _entries(report: dict, fields: tuple[str, ...], kinds: tuple[str, ...]):
    for kind in kinds:
        for scope in ("state", "object"):
            for entry in report["kinds"].get(kind, {}).get("keys", {}).get(scope, {}).values():
                if entry["field"] in fields:
                    yield entry


def _reform(report: dict, fields: tuple[str, ...], old: Callable[[str], bool], label: str, item: dict,
            kinds: tuple[str, ...] = ("item metadata",)) -> None:  # fmt: skip
    """Values of `fields` whose label `old` matches become `label` (`item` gives its length or range)."""
    for entry in _entries(report, fields, kinds):
        shape = entry["shape"]
        moved = sum(v["count"] for k, v in shape.items() if old(k))
        if moved:
            entry["shape"] = {k: v for k, v in shape.items() if not old(k)}
            entry["shape"][label] = {"count": moved, **item}


def _dates(label: str, item: dict) -> Callable[[dict], None]:
    kinds = ("item metadata", *_OBJECT_KINDS)  # dates are tolerant everywhere (format.dates.to_epoch_ms)
    return lambda report: _reform(report, _DATE_FIELDS, lambda k: k.startswith("int:epoch"), label, item, kinds)


def _container(form: str, key: str | None) -> Callable[[dict], None]:
    def apply(report: dict) -> None:
        kind = report["kinds"].get("item metadata")
        if not kind:
            return
        total = sum(kind.get("forms", {}).get("container", {}).values()) or 1
        kind.setdefault("forms", {})["container"] = {form: total}
        if key is not None:
            shape = {"list": {"count": total, "len": [1, 1]}}
            kind["keys"].setdefault("file", {})[key] = {"count": total, "field": "states", "shape": shape,
                                                        "status": "used", "style": None, "unread": 0}  # fmt: skip
        if form == "single":
            kind.setdefault("ranges", {})["states per file"] = [1, 1]

    return apply


def _tags(report: dict, shape: dict) -> None:
    """Tags on every state, as a list of names or as one bare name (the sample has none)."""
    states = report["kinds"].get("item metadata", {}).get("keys", {}).get("state")
    if states is not None:
        total = max([v["count"] for v in states.values()] or [1])
        shape = {label: {**item, "count": total} for label, item in shape.items()}
        states["tags"] = {"count": total, "field": "tags", "shape": shape, "status": "used", "style": "lowercase",
                          "unread": 0}  # fmt: skip


def understood_only(report: dict) -> dict:
    """A copy of `report` without what the kit did not understand or could not read: unknown keys, values
    not read, odd documents and containers, blobs it cannot read, unexpected places. Spellings start here."""
    out = copy.deepcopy(report)
    for kind in out["kinds"].values():
        keys = kind.get("keys", {})
        for scope in ("non_object_state", "document"):
            keys.pop(scope, None)
        for scope, entries in keys.items():
            keys[scope] = {k: v for k, v in entries.items() if v["status"] != "unknown" and not v["unread"]}
        forms = kind.get("forms", {})
        for aspect in ("failure", "document", "damage"):
            forms.pop(aspect, None)
        forms["container"] = {k: v for k, v in forms.get("container", {}).items() if not k.startswith("other")}
        forms["line"] = {k: v for k, v in forms.get("line", {}).items() if k != "not read"}
        for aspect in ("container", "line"):
            if not forms[aspect]:
                forms.pop(aspect)
    out["unexpected"] = []
    return out


def _pairs(separator: str) -> Callable[[dict], None]:
    def apply(report: dict) -> None:
        for kind in ("id_mapper.log", "map files"):
            forms = report["kinds"].get(kind, {}).get("forms", {})
            if "line" in forms:
                forms["line"] = {separator: sum(forms["line"].values()), "comment": 1, "blank": 1}

    return apply


def _encoding(encoding: str) -> Callable[[dict], None]:
    def apply(report: dict) -> None:
        kind = report["kinds"].get("map files")
        if kind:
            kind.setdefault("forms", {})["encoding"] = {encoding: 1}
            kind["forms"].setdefault("line", {"space": 1})

    return apply


SPELLINGS: dict[str, Callable[[dict], None]] = {
    **{style: (lambda s: lambda r: _rename(r, lambda k: restyle(k, s)))(style) for style in _STYLES},
    "synonyms": lambda r: _rename(r, lambda k: SYNONYMS.get(k, k), ("item metadata",)),
    "epoch_s": _dates("int:epoch_s", {"range": [1_370_044_800, 1_393_632_000]}),
    "epoch_ms_text": _dates("str:epoch_ms_text", {"len": [13, 13]}),
    "epoch_s_text": _dates("str:epoch_s_text", {"len": [10, 10]}),
    "iso": _dates("str:iso", {"len": [20, 20]}),
    "dd/MM/yyyy": _dates("str:dd/MM/yyyy", {"len": [19, 19]}),
    "wrapped:states": _container("wrapped:states", "states"),
    "wrapped:itemStates": _container("wrapped:itemstates", "itemStates"),
    "single": _container("single", None),
    "type_code": lambda r: _reform(r, ("type",), lambda k: k.startswith("str:type"), "int:type_code", {}),
    "type_code_text": lambda r: _reform(r, ("type",), lambda k: k.startswith("str:type"), "str:type_code", {}),
    "type_name_other_case": lambda r: _reform(
        r, ("type",), lambda k: k == "str:type_name", "str:type_name_other_case", {}
    ),
    "bool_text": lambda r: _reform(r, ("deleted",), lambda k: k == "bool", "str:bool_text", {"len": [4, 5]}),
    "bool_number": lambda r: _reform(r, ("deleted",), lambda k: k == "bool", "int:bool_number", {}),
    "int_text": lambda r: _reform(r, _INT_FIELDS, lambda k: k == "int", "str:int_text", {"len": [1, 5]}),
    "tags_list": lambda r: _tags(r, {"list": {"count": 1, "len": [0, 2], "items": {"str:text": {"count": 1}}}}),
    "tags_scalar": lambda r: _tags(r, {"str:text": {"count": 1, "len": [3, 8]}}),
    **{name: _pairs(separator) for name, separator in _SEPARATORS.items()},
    "map_text": _encoding("text"),
    "map_java": _encoding("java serialization"),
}


def respell(report: dict, name: str) -> dict:
    """A copy of `report` describing the same store written in spelling `name` (one of SPELLINGS)."""
    if name not in SPELLINGS:
        raise InvalidArgument(f"unknown spelling {name!r}: one of {', '.join(SPELLINGS)}")
    out = copy.deepcopy(report)
    SPELLINGS[name](out)
    return out


def synonym_fields() -> dict[str, str]:
    """The folded synonyms this module writes, for a test against the readers' own table."""
    return {fold(spelled): fold(canonical) for canonical, spelled in SYNONYMS.items()}
