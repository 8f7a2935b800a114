"""What the probe keeps of each kind of file, and how it reads the JSON kinds: backupstat, account_info,
account_stat and item metadata.

Every key is judged with the knowledge the readers use (`format.keys`, `parse.items`, `parse.account`),
never a copy of it: a key is `used` (the kit reads it), `known` (documented, not read), `kept` (read
generically: an LDAP attribute, a config attribute), `ignored` (known to carry nothing the kit needs) or
`unknown`. A file is `understood`, `partly` understood (a key or a value the kit does not read), `not_understood`
(a shape the kit does not read) or `unreadable` (refused or damaged).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dc_field

from ..errors import ParseError
from ..format.dates import BadDate, date_form
from ..format.keys import ACCOUNT_STAT_FIELDS, BACKUPSTAT_FIELDS, DATE_KEYS, SHARED_ITEM, fold, key_style, state_field
from ..parse.account import ACCOUNT_COLUMNS, account_row, parse_account_stat
from ..parse.item_columns import CANONICAL_KEYS, is_canonical
from ..parse.items import container_form, load_json, normalize_states, read_field, state_list, value_form
from ..parse.shapes import Shape, json_type

STATUSES = ("understood", "partly", "not_understood", "unreadable")
KEY_STATUSES = ("unknown", "used", "known", "kept", "ignored")  # the report lists unknown keys first
MAX_FILES_LISTED = 1000  # files not understood named per kind (the counts go on)
_SPELLED_FIELD = {name: key for key, name in CANONICAL_KEYS.items()}  # item field -> FORMAT.md's spelling
_FOLDED_STAT = {fold(key): key for key in ACCOUNT_STAT_FIELDS}
_FOLDED_BACKUPSTAT = {fold(key): key for key in BACKUPSTAT_FIELDS}
_ACCOUNT_INFO_USED = frozenset({*ACCOUNT_COLUMNS, SHARED_ITEM})


@dataclass
class KeyStats:
    """One key of one scope: how often it was seen, how many values the kit could not read, their shape."""

    status: str = "kept"
    field: str = ""
    count: int = 0
    unread: int = 0
    shape: Shape = dc_field(default_factory=Shape)


class KindStats:
    """What the probe saw of one kind of file: files by status, keys with their shapes, forms met."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.found = 0
        self.sampled = 0
        self.coverage = "all"
        self.status: Counter[str] = Counter()
        self.keys: dict[tuple[str, str], KeyStats] = {}
        self.forms: Counter[tuple[str, str]] = Counter()  # (aspect, form) -> count
        self.ranges: dict[str, list[int]] = {}  # e.g. states per file -> [min, max]
        self.files: list[tuple[str, str, str]] = []  # (path, status, detail) of files not understood

    def file(self, path: str, status: str, detail: str = "") -> None:
        self.status[status] += 1
        if status != "understood" and len(self.files) < MAX_FILES_LISTED:
            self.files.append((path, status, detail))

    def key(
        self,
        scope: str,
        key: str,
        value: object,
        *,
        form: str | None = None,
        readable: bool = True,
        shallow: bool = False,
        status: str = "kept",
        field: str = "",
    ) -> None:
        """Count one value under a key; `status` and `field` say what the kit makes of the key (see above),
        `readable` whether the kit reads this value, `form` a field-specific form of it."""
        stats = self.keys.get((scope, key))
        if stats is None:
            stats = self.keys[(scope, key)] = KeyStats(status, field)
        stats.count += 1
        if not readable:
            stats.unread += 1
            if form is None and isinstance(value, str):
                form = "unread"
        stats.shape.add(value, form, shallow)

    def form(self, aspect: str, form: str, count: int = 1) -> None:
        self.forms[(aspect, form)] += count

    def span(self, name: str, value: int) -> None:
        low_high = self.ranges.get(name)
        if low_high is None:
            self.ranges[name] = [value, value]
        else:
            low_high[0], low_high[1] = min(low_high[0], value), max(low_high[1], value)

    @property
    def read(self) -> int:
        return sum(self.status[s] for s in STATUSES[:3])


# -- vocabularies: a key's status and field, from the readers' own tables --------------------------------
def key_status(kind: str, scope: str, key: str) -> tuple[str, str]:
    """(status, field) of a key the probe met."""
    folded = fold(key)
    if kind == "item metadata":
        if scope == "state":
            found = state_field(key)
            return ("used", found) if found else ("unknown", "")
        return ("used", "states") if container_form({key: []}) else ("unknown", "")
    if kind == "backupstat":
        spelled = _FOLDED_BACKUPSTAT.get(folded)
        if spelled is None:
            return "unknown", ""
        return ("used" if BACKUPSTAT_FIELDS[spelled] else "known"), spelled
    if kind == "account_stat":
        spelled = _FOLDED_STAT.get(folded)
        return ("used", ACCOUNT_STAT_FIELDS[spelled]) if spelled else ("unknown", "")
    if kind == "account_info":
        return ("used", ACCOUNT_COLUMNS.get(folded, folded)) if folded in _ACCOUNT_INFO_USED else ("kept", "")
    return "kept", ""


def known_keys(kind: str) -> dict[str, str]:
    """The keys FORMAT.md documents for a kind, by field: what `never seen` is measured against."""
    if kind == "item metadata":
        return {f: spelled for f, spelled in _SPELLED_FIELD.items()}
    if kind == "backupstat":
        return {key: key for key in BACKUPSTAT_FIELDS}
    if kind == "account_stat":
        return {f: key for key, f in ACCOUNT_STAT_FIELDS.items()}
    if kind == "account_info":
        return {ACCOUNT_COLUMNS.get(k, k): k for k in sorted(_ACCOUNT_INFO_USED)}
    return {}


def read_json(stats: KindStats, path: str, data: bytes) -> object:
    """The document, or None with the file counted: `unreadable` when JSON ends early, else `not_understood`."""
    try:
        return load_json(data)
    except ParseError as exc:
        damaged = data.lstrip()[:1] in (b"[", b"{")  # JSON that starts and breaks off: damage, not a format
        stats.file(path, "unreadable" if damaged else "not_understood", exc.detail)
        stats.form("damage" if damaged else "document", "json cut short" if damaged else "not json")
        return None


def _object_keys(stats: KindStats, kind: str, doc: dict) -> tuple[int, int]:
    """Count every key of a flat object document; returns (unknown keys, values not read)."""
    unknown = unread = 0
    for key, value in doc.items():
        status, found = key_status(kind, "object", key)
        dated = fold(key) in DATE_KEYS
        form = date_form(value) if dated else None
        readable = form is not None or not dated
        if kind == "account_info" and isinstance(value, list | dict):
            readable = isinstance(value, list) and all(json_type(v) not in ("list", "dict") for v in value)
        stats.key("object", key, value, form=form, readable=readable, status=status, field=found)
        stats.form("key style", key_style(key))
        unknown += status == "unknown"
        unread += not readable
    return unknown, unread


def look_object(stats: KindStats, path: str, data: bytes) -> None:
    """backupstat, account_info or account_stat: one JSON object."""
    doc = read_json(stats, path, data)
    if doc is None:
        return
    if not isinstance(doc, dict):
        stats.key("document", json_type(doc), doc, status="unknown")
        stats.file(path, "not_understood", f"a JSON {json_type(doc)}, not an object")
        return
    unknown, unread = _object_keys(stats, stats.kind, doc)
    problem = ""
    try:
        if stats.kind == "account_stat":
            parse_account_stat(data)
        elif stats.kind == "account_info" and not account_row(doc)["account_id"]:
            problem = "no zimbraId"
    except (ParseError, BadDate, ValueError, TypeError) as exc:
        stats.file(path, "not_understood", str(exc))
        return
    if problem or unknown or unread:
        stats.file(path, "partly", problem or f"{unknown} unknown keys, {unread} values not read")
    else:
        stats.file(path, "understood")


def look_item(stats: KindStats, path: str, item_id: int, data: bytes) -> None:
    """One item metadata file: its container, every state's keys and values, and what the parse makes of it."""
    doc = read_json(stats, path, data)
    if doc is None:
        return
    container = container_form(doc)
    stats.form("container", container or f"other ({json_type(doc)})")
    unknown = unread = 0
    if isinstance(doc, dict) and container != "single":
        for key, value in doc.items():
            holds_states = container is not None and key_status(stats.kind, "file", key)[0] == "used"
            stats.key(
                "file",
                key,
                value,
                shallow=holds_states,
                status="used" if holds_states else "unknown",
                field="states" if holds_states else "",
            )
            unknown += not holds_states
    if container is None:
        stats.file(path, "not_understood", f"a JSON {json_type(doc)} holding no list of states")
        return
    states = state_list(doc)
    stats.span("states per file", len(states))
    for state in states:
        if not isinstance(state, dict):
            stats.key("non_object_state", json_type(state), state, status="unknown")
            continue
        for key, value in state.items():
            found = state_field(key)
            readable = True
            if found is not None:
                try:
                    read_field(found, value)
                except (ValueError, TypeError, BadDate, OverflowError):
                    readable = False
            form = value_form(found, value) if found else None
            stats.key(
                "state",
                key,
                value,
                form=form,
                readable=readable,
                status="used" if found else "unknown",
                field=found or "",
            )
            stats.form("key style", key_style(key))
            unknown += found is None
            unread += not readable
    stats.form("parse path", "columnar" if states and is_canonical(states) else "tolerant")
    _item_status(stats, path, item_id, states, unknown, unread)


def _item_status(stats: KindStats, path: str, item_id: int, states: list, unknown: int, unread: int) -> None:
    kept, problems = normalize_states(states, item_id)
    if not kept:
        stats.file(path, "not_understood", "; ".join(problems[:3]) or "no states")
    elif problems or unknown or unread:
        parts = [*problems[:2], *([f"{unknown} unknown keys"] if unknown else []),
                 *([f"{unread} values not read"] if unread else [])]  # fmt: skip
        stats.file(path, "partly", "; ".join(parts))
    else:
        stats.file(path, "understood")
