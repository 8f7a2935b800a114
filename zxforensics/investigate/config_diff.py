"""What changed in a server's configuration, and when: key-level diffs between two snapshots,
the history of each value across all of them, and file-level diffs of the customizations.

After a disaster the administrator rebuilds the server from these archives; when something
broke, these answer "what was different the day before" without restoring anything.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import NotFound
from ..evidence.tar import Member, decode_text
from ..parse.server_config import row_path

if TYPE_CHECKING:
    from ..store.backup import BackupStore

KEY = ["section", "id", "key"]
DIFF_COLUMNS = [*KEY, "before", "after", "change"]
TIMELINE_COLUMNS = ["date", *KEY, "value", "previous", "change"]
CUSTOM_DIFF_COLUMNS = [
    "member", "change", "size_before", "size_after", "sha256_before", "sha256_after", "text", "diff",
]  # fmt: skip
_ABSENT = object()


def _nones(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Missing values as None (pandas makes some NaN), so a value is a str, a tuple or None."""
    for column in columns:
        frame[column] = pd.Series([None if _missing(v) else v for v in frame[column]], index=frame.index, dtype=object)
    return frame


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _sort_keys(frame: pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    lowered = [frame[c].astype(str).str.lower() for c in KEY]
    order = pd.DataFrame({f"_{i}": col for i, col in enumerate(lowered)})
    for name in extra:
        order[name] = frame[name]
    index = order.sort_values(list(order.columns), kind="stable").index
    return frame.loc[index].reset_index(drop=True)


def _values(rows: pd.DataFrame) -> dict[tuple, object]:
    """(section, id, key) -> value of one snapshot's rows."""
    return dict(zip(map(tuple, rows[KEY].to_numpy().tolist()), rows["value"], strict=True))


def diff_config(store: BackupStore, a: object = "last", b: object = "last", query: str = "/") -> pd.DataFrame:
    """`section, id, key, before, after, change` (`added`, `removed`, `changed`) from snapshot `a` to `b`.

    `a` and `b` are each `last`, a `dd/MM/yyyy HH:mm:ss` date (server zone) or a datetime: the snapshot
    valid at that instant. The frame's `attrs` name the two snapshot dates (`date_a`, `date_b`). A store
    without a readable config snapshot has nothing to compare: no rows, and both dates None.
    """
    date_a, rows_a = store.server.config_snapshot(a, query)
    date_b, rows_b = store.server.config_snapshot(b, query)
    for date, asked in ((date_a, a), (date_b, b)):
        if date is None and store.server.config_dates():  # a date before every snapshot: a wrong date
            raise NotFound(f"no config snapshot valid at {asked!r} in {store.root}")
    before, after = _values(rows_a), _values(rows_b)
    rows = []
    for key in before.keys() | after.keys():
        old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if old is _ABSENT:
            rows.append((*key, None, new, "added"))
        elif new is _ABSENT:
            rows.append((*key, old, None, "removed"))
        elif old != new:
            rows.append((*key, old, new, "changed"))
    frame = _sort_keys(_nones(pd.DataFrame(rows, columns=DIFF_COLUMNS), ("before", "after")))
    frame.attrs.update(date_a=date_a, date_b=date_b)
    return frame


def config_timeline(store: BackupStore, query: str = "/") -> pd.DataFrame:
    """When each value changed across every snapshot: `date, section, id, key, value, previous, change`.

    `change` is `initial` (present in the first snapshot), `added`, `changed` or `removed` (value None).
    """
    dates = store.server.config_dates()
    frame = store.server_config("standard", "all", query)
    history: dict[tuple, dict] = {}
    for date, section, ident, key, value in frame[["date", *KEY, "value"]].itertuples(index=False):
        history.setdefault((section, ident, key), {})[date] = value
    rows = []
    for key, values in history.items():
        previous = _ABSENT
        for number, date in enumerate(dates):
            value = values.get(date, _ABSENT)
            if value == previous:
                continue
            if value is _ABSENT:
                rows.append((date, *key, None, previous, "removed"))
            elif previous is _ABSENT:
                rows.append((date, *key, value, None, "initial" if number == 0 else "added"))
            else:
                rows.append((date, *key, value, previous, "changed"))
            previous = value
    out = _nones(pd.DataFrame(rows, columns=TIMELINE_COLUMNS), ("value", "previous"))
    out["date"] = pd.to_datetime(out["date"], utc=True)
    return _sort_keys(out, ("date",))[TIMELINE_COLUMNS]


def diff_customizations(store: BackupStore, a: object = "last", b: object = "last") -> pd.DataFrame:
    """Members added, removed and changed between two customizations archives, with unified diffs.

    `a` and `b` are dates (as in diff_config) or archive file names. `text` tells whether both sides
    decode as text; `diff` is the unified diff of a text member (the whole file for an added or removed
    one) and None for binary content. `attrs` name the two archives (None for a store without any
    readable customizations archive, which has no rows).
    """
    row_a, members_a = store.server.customization_members(a)
    row_b, members_b = store.server.customization_members(b)
    if row_a is None or row_b is None:
        if store.server.choose("customizations", "all").empty:  # no archive at all: nothing to compare
            return _no_customizations()
        raise NotFound(f"no customizations archive for {a if row_a is None else b!r} in {store.root}")
    rows = []
    for name in sorted(members_a.keys() | members_b.keys()):
        old, new = members_a.get(name), members_b.get(name)
        if old is not None and new is not None and old.sha256 == new.sha256:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        text, diff = member_diff(old, new, name, row_a["name"], row_b["name"])
        rows.append((
            name, change, _size(old), _size(new), old and old.sha256, new and new.sha256, text, diff,
        ))  # fmt: skip
    frame = _nones(pd.DataFrame(rows, columns=CUSTOM_DIFF_COLUMNS), ("sha256_before", "sha256_after", "diff"))
    for column in ("size_before", "size_after"):
        frame[column] = frame[column].astype("Int64")
    frame["text"] = frame["text"].astype(bool)
    frame.attrs.update(archive_a=row_a["name"], archive_b=row_b["name"], date_a=row_a["date"], date_b=row_b["date"])
    return frame


def _no_customizations() -> pd.DataFrame:
    frame = pd.DataFrame(columns=CUSTOM_DIFF_COLUMNS).astype({"size_before": "Int64", "size_after": "Int64",
                                                             "text": bool})  # fmt: skip
    frame.attrs.update(archive_a=None, archive_b=None, date_a=None, date_b=None)
    return frame


def _size(member: Member | None) -> int | None:
    return None if member is None else member.size


def member_diff(old: Member | None, new: Member | None, name: str, label_a: str, label_b: str):
    """(is_text, unified diff or None) of one member between two archives; either side may be absent."""
    texts = [decode_text(m.data or b"") if m is not None else "" for m in (old, new)]
    if any(t is None for t in texts):
        return False, None
    lines = difflib.unified_diff(
        texts[0].splitlines(), texts[1].splitlines(),
        fromfile=f"{label_a}:{name}" if old else "/dev/null", tofile=f"{label_b}:{name}" if new else "/dev/null",
        lineterm="",
    )  # fmt: skip
    return True, "\n".join(lines)


# -- views of the diff: one row per key, the keys that moved, one key's history ----------
def shown_value(value: object) -> str:
    """A config value as a person reads it: multi-values comma separated, absent as empty."""
    if value is None:
        return ""
    return ", ".join(value) if isinstance(value, tuple) else str(value)


def diff_table(store: BackupStore, a: object, b: object, query: str = "/") -> pd.DataFrame:
    """The key-level diff for display: `key` (section/id/key), `change`, `before`, `after` as text."""
    diff = diff_config(store, a, b, query or "/")
    return pd.DataFrame({
        "key": [row_path(s, i, k) for s, i, k in zip(diff["section"], diff["id"], diff["key"], strict=True)],
        "change": diff["change"],
        "before": [shown_value(v) for v in diff["before"]],
        "after": [shown_value(v) for v in diff["after"]],
    })  # fmt: skip


def timeline_keys(store: BackupStore, a: object, b: object, query: str = "/") -> list[str]:
    """Keys offered for the timeline plot: those that changed between `a` and `b`, else every key that
    changed in some snapshot under `query`."""
    keys = list(diff_table(store, a, b, query)["key"])
    if keys:
        return keys
    timeline = config_timeline(store, query or "/")
    moved = timeline[timeline["change"] != "initial"]
    return list(dict.fromkeys(row_path(s, i, k) for s, i, k in moved[["section", "id", "key"]].itertuples(index=False)))


def key_history(store: BackupStore, key: str) -> pd.DataFrame:
    """`date, value` of one key at every config snapshot (`(absent)` where it did not exist)."""
    frame = store.server_config("standard", "all", key)
    values = {d: shown_value(v) for d, v in zip(frame["date"], frame["value"], strict=True)}
    dates = store.server.config_dates()
    return pd.DataFrame({"date": dates, "value": [values.get(d, "(absent)") for d in dates]})
