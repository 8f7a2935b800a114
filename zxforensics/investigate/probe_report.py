"""The probe's result: the verdict a person reads first, frames of kinds, keys, spellings and places, and
the anonymised structure report a user can attach to a bug report.

The structure report keeps keys and shapes only: values become their type, form and length (ranges of
numbers, epoch ranges widened to whole days), and names from the evidence (a file name, a server, a COS,
a domain, a key that is not an identifier) become a keyed hash (`h:1a2b3c4d`) whose key is material of
the store itself, so equal names stay equal and nobody without the store can test a guess. No subject,
address, name, digest or content is in it, and it is deterministic: the same store and sample give
the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pandas as pd

from ..format import layout
from ..format.archives import ARCHIVE_RE, COMPONENTS
from ..format.digest import is_digest
from ..format.keys import key_style
from ..output import OutputDir
from ..version import __version__
from .probe_kinds import KEY_STATUSES, STATUSES, KindStats, known_keys

REPORT_FORMAT = "zxforensics-probe-structure"
REPORT_VERSION = 1
IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
PATTERN_PART_RE = re.compile(r"^\*(?:\.[A-Za-z0-9]{1,5})?$")  # `*` and `*.xml` of a member pattern
HASH_RE = re.compile(r" ?h:[0-9a-f]{8}")
_LAYOUT_NAMES = frozenset({layout.BACKUPSTAT, layout.ACCOUNTS_DIR, layout.ITEMS_DIR, layout.SERVER_DIR,
                           *layout.ACCOUNT_FILES, *layout.ACCOUNT_FOLDERS})  # fmt: skip
_NAMED_ASPECTS = ("component", "dn")  # forms that hold names from the evidence, anonymised part by part
KIND_COLUMNS = ["kind", "found", "sampled", "read", *STATUSES, "understood_pct", "coverage"]
FILE_COLUMNS = ["kind", "path", "status", "detail"]
KEY_COLUMNS = ["kind", "scope", "key", "status", "field", "style", "count", "unread", "shape"]


class Anonymiser:
    """Names from the evidence as the structure report writes them: identifiers verbatim, the rest hashed."""

    def __init__(self, secret: bytes) -> None:
        self.secret = hashlib.sha256(b"zxforensics probe\n" + secret).digest()

    def tag(self, text: str) -> str:
        return "h:" + hmac.new(self.secret, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:8]

    def key(self, name: str) -> str:
        """A key: verbatim when it is an identifier (`startDate`, `zimbraMailHost`), else its length and hash."""
        if IDENTIFIER_RE.match(name):
            return name
        return f"<key len={len(name)} {self.tag(name)}>"

    def key_path(self, name: str) -> str:
        """A key made of parts (`cos/*/zimbraNotes`, `conf/*/*.xml`): each part as `key` does, `*` kept."""
        return "/".join(p if PATTERN_PART_RE.match(p) or not p else self.key(p) for p in name.split("/"))

    def component(self, name: str) -> str:
        """One component of a path from the evidence, by the shape FORMAT.md gives it, else hashed."""
        if name in _LAYOUT_NAMES:
            return name
        for pattern, shown in ((layout.ZIMBRA_ID_RE, "<zimbraId>"), (layout.NN_DIR_RE, "<NN>"),
                               (layout.ITEM_FILE_RE, "<item id>")):  # fmt: skip
            if pattern.match(name):
                return shown
        if name.endswith(layout.ACCOUNT_ARCHIVE_SUFFIX + "!") and layout.ZIMBRA_ID_RE.match(name[:-8]):
            return "<zimbraId>.tar.gz!"
        if is_digest(name):
            return "<digest>"
        for prefix in (layout.LOCK_PREFIX, layout.MAP_PREFIX):
            if name.startswith(prefix):
                return f"{prefix}<id>"
        match = ARCHIVE_RE.match(name)
        if match:
            component = match["component"]
            return f"{component if component in COMPONENTS else self.tag(component)}_DD_MM_YY#hh_mm_ss.tar.gz"
        ext = os.path.splitext(name)[1]
        ext = f" ext={ext}" if 1 < len(ext) <= 6 and ext[1:].isalnum() else ""
        return f"<name len={len(name)}{ext} {self.tag(name)}>"

    def path(self, rel: str) -> str:
        parts = rel.split("/")
        shown = [self.component(p) for p in parts]
        if len(parts) >= 2 and parts[0] == layout.ITEMS_DIR and len(parts[1]) == 2:
            shown[1] = "<prefix>"
        return "/".join(shown)


@dataclass
class ProbeReport:
    """What `probe` found: read `verdict` first; `structure` is what to send (`to_json()`)."""

    verdict: str
    kinds: pd.DataFrame
    keys: pd.DataFrame
    spellings: pd.DataFrame
    never_seen: pd.DataFrame
    unexpected: pd.DataFrame
    files: pd.DataFrame
    structure: dict = field(repr=False)

    def __repr__(self) -> str:
        return f"ProbeReport({self.verdict!r})"

    @property
    def understood(self) -> bool:
        """True when every file read was understood, with no unknown key and nothing in an unexpected place."""
        return self.structure["complete"]

    def to_json(self) -> bytes:
        """The anonymised structure report: deterministic JSON (sorted keys)."""
        return orjson.dumps(self.structure, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"

    def write(self, path: str | os.PathLike, evidence_roots=(), replace: bool = False) -> Path:
        """Write the structure report to `path` (never into the evidence, never over a file unless `replace`)."""
        target = Path(os.path.abspath(path))
        return OutputDir(target.parent, evidence_roots).write_bytes(target.name, data=self.to_json(), replace=replace)


def percent(part: int, whole: int) -> str:
    """`99.7%`, rounded down so that one file not understood never shows as 100%."""
    value = math.floor(part * 1000 / whole) / 10
    return f"{value:g}%"


def noun(kind: str) -> str:
    """How the verdict names the files of a kind: `item metadata files`, `blobs`, `customizations members`."""
    if kind in ("blobs", "server archives", "map files"):
        return kind
    return "customizations members" if kind == "customizations" else f"{kind} files"


def style_of(key: str) -> str:
    """The spelling of a key, or of the last named part of a key path (`serverConfig/zimbraMailMode/*`)."""
    parts = [p for p in key.split("/") if p and not PATTERN_PART_RE.match(p)]
    return key_style(parts[-1]) if parts else "mixed"


def verdict(kinds: list[KindStats], unexpected: int, limit: int | None) -> str:
    """The sentence a person reads first: understanding by kind, unknown keys, unread values, places."""
    read = [k for k in kinds if k.read]
    below = [k for k in read if k.status["understood"] < k.read]
    if not read:
        parts = ["no file could be read" if any(k.sampled for k in kinds) else "found no file of a kind the kit reads"]
    elif not below:
        parts = [f"understood 100% of the {sum(k.read for k in read)} files read"]
    else:
        parts = [f"understood {percent(k.status['understood'], k.read)} of {noun(k.kind)}" for k in below]
    for k in kinds:
        unknown = sum(1 for s in k.keys.values() if s.status == "unknown")
        unread = sum(1 for s in k.keys.values() if s.unread and s.status == "used")
        if unknown:
            parts.append(f"{unknown} unknown key{'s' if unknown > 1 else ''} in {k.kind}")
        if unread:
            parts.append(f"{unread} key{'s' if unread > 1 else ''} of {k.kind} with values the kit does not read")
    if unexpected:
        parts.append(
            f"{unexpected} files or folders in unexpected places"
            if unexpected > 1
            else "1 file or folder in an unexpected place"
        )
    damaged = sum(k.status["unreadable"] for k in kinds)
    if damaged:
        parts.append(f"{damaged} file{'s' if damaged > 1 else ''} could not be read (damaged or refused)")
    sampled = "every file" if limit is None else f"a random sample of up to {limit} files per kind"
    return "; ".join(parts) + f" ({sampled})"


def _key_rows(kind: KindStats, anon: Anonymiser) -> list[dict]:
    rows = []
    for (scope, key), stats in kind.keys.items():
        shape = stats.shape.to_json(anon.key)
        rows.append({"kind": kind.kind, "scope": scope, "key": key, "status": stats.status, "field": stats.field,
                     "style": style_of(key), "count": stats.count, "unread": stats.unread,
                     "shape": shape_text(shape)})  # fmt: skip
    return rows


def shape_text(shape: dict) -> str:
    """A shape in a line: `int 256..7200 ×350; str:digest_sha256 len 44 ×120; null ×3`."""
    parts = []
    for label, item in shape.items():
        text = label
        if "range" in item:
            text += f" {item['range'][0]}..{item['range'][1]}"
        if "len" in item:
            low, high = item["len"]
            text += f" len {low}" if low == high else f" len {low}..{high}"
        if item.get("masks"):
            text += " like " + ", ".join(item["masks"])
        parts.append(f"{text} ×{item['count']}")
    return "; ".join(parts)


def _kind_structure(kind: KindStats, anon: Anonymiser) -> dict:
    keys: dict[str, dict] = {}
    for (scope, key), stats in sorted(kind.keys.items()):
        shown = anon.key_path(key) if scope in ("attribute", "member") else anon.key(key)
        keys.setdefault(scope, {})[shown] = {
            "status": stats.status, "field": stats.field, "count": stats.count, "unread": stats.unread,
            "style": style_of(key) if shown == key else None,
            "shape": stats.shape.to_json(anon.key),
        }  # fmt: skip
    forms: dict[str, dict[str, int]] = {}
    for (aspect, form), count in sorted(kind.forms.items()):
        if aspect in _NAMED_ASPECTS:
            form = ",".join(anon.key(p) if p not in COMPONENTS else p for p in form.split(","))
        forms.setdefault(aspect, {})[form] = forms.get(aspect, {}).get(form, 0) + count
    return {
        "found": kind.found, "sampled": kind.sampled, "read": kind.read, "coverage": kind.coverage,
        "status": {s: kind.status[s] for s in STATUSES}, "keys": keys, "forms": forms,
        "ranges": {name: list(span) for name, span in sorted(kind.ranges.items())},
        "never_seen": _never_seen(kind) if kind.read else [],
    }  # fmt: skip


def _never_seen(kind: KindStats) -> list[str]:
    seen = {stats.field for stats in kind.keys.values()}
    return sorted(spelled for name, spelled in known_keys(kind.kind).items() if name not in seen)


def build_report(kinds: dict[str, KindStats], unexpected: list[tuple[str, str, str]], limit: int | None,
                 seed: int, secret: bytes) -> ProbeReport:  # fmt: skip
    """The report of one probe: frames for a person, the anonymised structure for a bug report."""
    anon = Anonymiser(secret)
    present = [k for k in kinds.values() if k.found or k.sampled]
    text = verdict(present, len(unexpected), limit)
    places: dict[tuple[str, str, str], int] = {}
    for rel, kind, why in unexpected:
        shaped = (anon.path(rel), kind, why)
        places[shaped] = places.get(shaped, 0) + 1
    structure = {
        "format": REPORT_FORMAT, "version": REPORT_VERSION, "kit": __version__,
        "sample": "all" if limit is None else limit, "seed": seed, "verdict": text,
        "kinds": {k.kind: _kind_structure(k, anon) for k in present},
        "unexpected": [{"path": p, "type": t, "why": w, "count": n} for (p, t, w), n in sorted(places.items())],
    }  # fmt: skip
    structure["complete"] = complete(structure)
    spellings = [(k.kind, a, f, n) for k in present for (a, f), n in sorted(k.forms.items())]
    never = [(k.kind, key) for k in present if k.read for key in _never_seen(k)]
    return ProbeReport(
        verdict=text,
        kinds=_kinds_frame(present),
        keys=_keys_frame(present, anon),
        spellings=pd.DataFrame(spellings, columns=["kind", "aspect", "form", "count"]),
        never_seen=pd.DataFrame(never, columns=["kind", "key"]),
        unexpected=pd.DataFrame(unexpected, columns=["path", "type", "why"]),
        files=pd.DataFrame([(k.kind, *f) for k in present for f in k.files], columns=FILE_COLUMNS),
        structure=structure,
    )


def complete(structure: dict) -> bool:
    """Everything read was understood: no file short of it, no unknown key, nothing in an unexpected place."""
    for kind in structure["kinds"].values():
        status = kind["status"]
        if status["partly"] or status["not_understood"]:
            return False
        if any(k["status"] == "unknown" for scope in kind["keys"].values() for k in scope.values()):
            return False
    return not structure["unexpected"]


def _keys_frame(kinds: list[KindStats], anon: Anonymiser) -> pd.DataFrame:
    """Every key seen, the keys the kit does not know first (of every kind), then by kind, scope and name."""
    order = {status: n for n, status in enumerate(KEY_STATUSES)}
    rows = [
        (order.get(r["status"], 9), n, r["scope"], r["key"], r) for n, k in enumerate(kinds) for r in _key_rows(k, anon)
    ]
    return pd.DataFrame([row[-1] for row in sorted(rows, key=lambda r: r[:4])], columns=KEY_COLUMNS)


def _kinds_frame(kinds: list[KindStats]) -> pd.DataFrame:
    rows = []
    for k in kinds:
        pct = percent(k.status["understood"], k.read) if k.read else ""
        rows.append([k.kind, k.found, k.sampled, k.read, *(k.status[s] for s in STATUSES), pct, k.coverage])
    return pd.DataFrame(rows, columns=KIND_COLUMNS)


def signature(structure: dict) -> dict:
    """What two probes must share to describe the same format: per kind its keys (status, field, the labels
    of their shapes, nested ones too), its forms but damage, and the places met; no count, range or hash."""

    def labels(shape: dict) -> list:
        out = []
        for label, item in sorted(shape.items()):
            nested = [labels(item["items"])] if "items" in item else []
            nested += [{_strip(k): labels(v["shape"]) for k, v in item["keys"].items()}] if "keys" in item else []
            out.append([label, item.get("masks", []), *nested])
        return out

    kinds = {}
    for name, kind in structure["kinds"].items():
        kinds[name] = {
            "keys": {scope: {_strip(k): [v["status"], v["field"], v["style"], labels(v["shape"])]
                             for k, v in keys.items()} for scope, keys in kind["keys"].items()},
            "forms": {aspect: sorted(_strip(f) for f in forms) for aspect, forms in kind["forms"].items()
                      if aspect != "damage"},
        }  # fmt: skip
    places = sorted({(_strip(u["path"]), u["type"], u["why"]) for u in structure["unexpected"]})
    return {"kinds": kinds, "unexpected": places}


def _strip(text: str) -> str:
    return HASH_RE.sub("", text)
