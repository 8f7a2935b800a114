"""Item states as a timeline in Timesketch's import format, for the timeline tools investigators use.

Timesketch (and tools reading its CSV/JSONL) needs `datetime` (ISO 8601), `timestamp_desc` (what the
time means) and `message`; `timestamp` (epoch microseconds) and any extra column are kept as fields.

Two ways to the same bytes: `timeline()` builds the frame of every event (a notebook); `export_timeline()`
writes the file a chunk of events at a time: from the states in memory (a store scanned without an index:
only the order is added to them), or streamed from DuckDB on a store with an index (a million states never
sit in memory). One formatter (`_events`) serves both.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from ..errors import OutputError, ZxError
from ..output import OutputDir
from ..store.backup import as_list
from ..store.frames import folder_paths, to_pandas

if TYPE_CHECKING:
    from ..store.backup import BackupStore

TIMELINE_COLUMNS = [
    "datetime", "timestamp", "timestamp_desc", "message", "account", "account_id", "item_id", "transaction_id",
    "type", "folder_path", "deleted", "subject", "digest", "size", "source_path",
]  # fmt: skip
# What a state's start means: the first state of an item, a later one, one that removes it.
DESC_CREATED = "Item first state"
DESC_CHANGED = "Item changed"
DESC_DELETED = "Item deleted"
DESCS = (DESC_CREATED, DESC_CHANGED, DESC_DELETED)
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
CHUNK_ROWS = 50_000  # rows formatted at a time: a million-event timeline never sits in memory as one text
SLICE_ROWS = 100_000  # states DuckDB sorts at a time for the streamed export
EVENT_ORDER = ["timestamp", "account", "item_id", "transaction_id"]


class ExportedTimeline(NamedTuple):
    """What `export_timeline` wrote: the file, and its events per `timestamp_desc` (sorted by name)."""

    path: Path
    counts: pd.Series


def timeline(store: BackupStore, accounts: list[str] | str | None = None) -> pd.DataFrame:
    """One event per item state at its start, oldest first (TIMELINE_COLUMNS)."""
    chunks = list(_scanned_events(store.item_states(accounts)))
    if not chunks:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


class _Dated(NamedTuple):
    """The states with a start (`rows`: their places in item_states' frame) and, for each, whether it is
    its item's first state (`first`) in the order of the frame."""

    rows: np.ndarray
    first: np.ndarray


def _dated(states: pd.DataFrame) -> _Dated:
    rows = np.flatnonzero(states["start_date"].notna().to_numpy(dtype=bool))
    keys = states[["account_id", "item_id"]].take(rows)  # two columns: no copy of the frame of every state
    return _Dated(rows, ~keys.duplicated(keep="first").to_numpy(dtype=bool))


def _scanned_events(states: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """The events of a frame of states in the timeline's order, CHUNK_ROWS at a time: only the order
    (8 bytes a state) and one chunk of text are added to the frame the store already holds."""
    dated = _dated(states)
    if not len(dated.rows):
        return
    picked = dated.rows.take(_event_order(states, dated.rows))
    first = np.zeros(len(states), dtype=bool)
    first[dated.rows] = dated.first
    for start in range(0, len(picked), CHUNK_ROWS):
        rows = picked[start : start + CHUNK_ROWS]
        yield _events(states.take(rows), first[rows]).reset_index(drop=True)


def _event_order(states: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """The stable order of the states `rows` by EVENT_ORDER (start, account, item, transaction), as
    `sort_values(EVENT_ORDER, kind="stable")` orders their events (an account without a name last)."""
    start = states["start_date"].take(rows).dt.as_unit("us").astype("int64").to_numpy()
    names, _ = pd.factorize(states["account"].take(rows).astype(object), sort=True)
    names = np.where(names < 0, names.max(initial=0) + 1, names)
    items = states["item_id"].take(rows).to_numpy(dtype="int64")
    transactions = states["transaction_id"].take(rows).to_numpy(dtype="int64")
    return np.lexsort((transactions, items, names, start))


def _descs(deleted: np.ndarray, first: np.ndarray) -> np.ndarray:
    """What each state's start means (`timestamp_desc`): a deletion, else its item's first state or a change."""
    return np.where(deleted, DESC_DELETED, np.where(first, DESC_CREATED, DESC_CHANGED)).astype(object)


def _events(states: pd.DataFrame, first: np.ndarray) -> pd.DataFrame:
    """States (item_states' columns, start known) -> events, in the states' order; `first` marks the
    first state of each item. The one formatter of both paths: their files are the same bytes."""
    start = states["start_date"].dt.tz_convert("UTC")
    deleted = states["deleted"].fillna(False).to_numpy(dtype=bool)
    desc = _descs(deleted, first)
    frame = pd.DataFrame(
        {
            "datetime": iso_utc(start),
            "timestamp": start.dt.as_unit("us").astype("int64").to_numpy(),
            "timestamp_desc": desc,
            "message": _messages(states),
            "account": states["account"].astype("string").array,
            "account_id": states["account_id"].astype("string").array,
            "item_id": states["item_id"].astype("int64").to_numpy(),
            "transaction_id": states["transaction_id"].astype("int64").to_numpy(),
            "type": states["type"].astype("string").array,
            "folder_path": states["folder_path"].astype("string").array,
            "deleted": deleted,
            "subject": states["subject"].astype("string").array,
            "digest": states["digest"].astype("string").array,
            "size": states["size"].astype("Int64").array,
            "source_path": states["source_path"].astype("string").array,
        }
    )
    return frame[TIMELINE_COLUMNS]


def iso_utc(times: pd.Series) -> np.ndarray:
    """`Timestamp.isoformat()` of each UTC time (`2014-05-03T10:22:01+00:00`, `...01.123000+00:00` with a
    fraction), made from numpy's strings instead of a Timestamp per time (2.4 s a million). Times below the
    microsecond or outside years 1000 to 9999 take the Timestamp's own way, so the text is the same."""
    values = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    micros = values.astype("datetime64[us]")
    years = micros.astype("datetime64[Y]").astype("int64") + 1970
    if (micros != values).any() or ((years < 1000) | (years > 9999)).any() or np.isnat(micros).any():
        return np.array([t.isoformat() for t in times.dt.tz_convert("UTC")], dtype=object)
    seconds = micros.astype("datetime64[s]")
    text = np.char.add(np.datetime_as_string(seconds, unit="s"), "+00:00").astype(object)
    fraction = (micros - seconds).astype("int64")
    if fraction.any():
        at = np.flatnonzero(fraction)
        with_fraction = np.char.add(np.datetime_as_string(seconds[at], unit="s"),
                                    np.char.add(np.char.mod(".%06d", fraction[at]), "+00:00"))  # fmt: skip
        text[at] = with_fraction.astype(object)
    return text


_MESSAGE_FIELDS = ("type", "item_id", "account", "folder_path", "subject", "name", "sender", "transaction_id",
                   "deleted")  # fmt: skip


def _messages(states: pd.DataFrame) -> list[str]:
    """`_message` of every state, from one list a column (a row tuple a state costs twice the time)."""
    return [_message(*values) for values in zip(*(states[c].tolist() for c in _MESSAGE_FIELDS), strict=True)]


def _message(kind, item_id, account, folder_path, subject, name, sender, transaction_id, deleted) -> str:
    """`message 1255 of a@b.c in /Inbox: "Subject" from x@y (state 3, deleted)`: readable in a timeline UI."""
    what = f"{kind} {item_id} of {account}"
    if isinstance(folder_path, str) and folder_path:
        what += f" in {folder_path}"
    label = subject if isinstance(subject, str) and subject else name
    if isinstance(label, str) and label:
        what += f': "{label}"'
    if isinstance(sender, str) and sender:
        what += f" from {sender}"
    notes = [f"state {transaction_id}"]
    if deleted:
        notes.append("deleted")
    return f"{what} ({', '.join(notes)})"


# -- writing ----------------------------------------------------------------------------------
def _target(
    path: str | os.PathLike | OutputDir, name: str | None, overwrite: bool, evidence_roots: Sequence
) -> tuple[OutputDir, str, str]:
    """The output folder, file name and format (`csv`, `jsonl`) of a timeline file, checked before any work."""
    if isinstance(path, OutputDir):
        out, name = path, str(name)
    else:
        target = Path(path)
        out, name = OutputDir(target.parent, evidence_roots), target.name
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        raise ZxError(f"{out.path(name)}: give a .csv or .jsonl file name for the timeline")
    if out.exists(name) and not overwrite:
        raise OutputError(f"refusing to overwrite {out.path(name)} (use --force)")
    return out, name, fmt


def _write(out: OutputDir, name: str, fmt: str, frames: Iterable[pd.DataFrame], overwrite: bool) -> Counter:
    """Event frames (TIMELINE_COLUMNS, in order) -> one file, CHUNK_ROWS rows formatted at a time: the CSV
    header once (alone when there is no event). Returns the events per `timestamp_desc`."""
    counts: Counter = Counter()
    header, columns = True, pd.DataFrame(columns=TIMELINE_COLUMNS)
    with out.open_new(name, replace=overwrite) as handle:
        for frame in frames:
            columns = frame.iloc[:0]  # a frame of other columns given to write_timeline: its own header
            for start in range(0, len(frame), CHUNK_ROWS):
                chunk = frame.iloc[start : start + CHUNK_ROWS]
                counts.update(chunk["timestamp_desc"].value_counts().to_dict())
                _write_chunk(handle, chunk, fmt, header)
                header = False
        if header:
            _write_chunk(handle, columns, fmt, header)
    return counts


def _write_chunk(handle, chunk: pd.DataFrame, fmt: str, header: bool) -> None:
    if fmt == "csv":
        handle.write(chunk.to_csv(index=False, header=header).encode("utf-8"))
        return
    for record in chunk.astype(object).where(chunk.notna(), None).to_dict(orient="records"):
        handle.write(orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")


def write_timeline(
    df: pd.DataFrame,
    path: str | os.PathLike | OutputDir,
    overwrite: bool = False,
    evidence_roots: Sequence[str | os.PathLike] = (),
    name: str | None = None,
) -> Path:
    """Write `df` as CSV (`.csv`) or JSON lines (`.jsonl`), by the file's extension, in chunks through one
    file opened by `zxforensics.output` (never through a link, never over a file unless `overwrite`, never
    inside `evidence_roots`). `path` names the file, or is an OutputDir holding the file `name`.

    Values are written exactly as they are (a CSV cell may start with `=`: import it into a spreadsheet as
    text; see README, "Evidence is sacred")."""
    out, name, fmt = _target(path, name, overwrite, evidence_roots)
    _write(out, name, fmt, [df], overwrite)
    return out.path(name)


def export_timeline(
    store: BackupStore,
    path: str | os.PathLike | OutputDir,
    name: str | None = None,
    accounts: list[str] | str | None = None,
    overwrite: bool = False,
    evidence_roots: Sequence[str | os.PathLike] = (),
) -> ExportedTimeline:
    """`write_timeline(timeline(store, accounts), ...)` without the frame of every event when the store
    has an index: DuckDB orders the states and the file is written a batch at a time (memory bounded by
    the batch, not the store). The same bytes either way. The store's root is always refused as output."""
    out, name, fmt = _target(path, name, overwrite, [*evidence_roots, store.root])
    if store.index_dir is None:  # scanned in memory: the states are there, the events come a chunk at a time
        frames: Iterable[pd.DataFrame] = _scanned_events(store.item_states(accounts))
    else:
        frames = _indexed_events(store, accounts)
    counts = _write(out, name, fmt, frames, overwrite)
    series = pd.Series({k: counts[k] for k in sorted(counts)}, dtype="int64", name="events")
    return ExportedTimeline(out.path(name), series.rename_axis("timestamp_desc"))


# -- from the index ---------------------------------------------------------------------------
def _account_filter(store: BackupStore, accounts: list[str] | str | None) -> str:
    """` AND account_id IN (...)` for the accounts named (resolved as item_states resolves them)."""
    if accounts is None:
        return ""
    ids = [store.resolve_account(a) for a in as_list(accounts)]
    listed = ", ".join("'" + a.replace("'", "''") + "'" for a in ids)
    return f" AND account_id IN ({listed})" if ids else " AND false"


def _folder_table(store: BackupStore, where: str) -> pa.Table:
    """`account_id, folder_id, folder_path` of every folder the states use, as item_states computes it
    (`frames.folder_paths` over the folder states, in the frame's order): a few rows per account."""
    folders = store.sql(f"""
        SELECT account_id, item_id, type, name, parent_id, start_date, NULL::BIGINT AS folder_id FROM states
        WHERE type IN ('folder', 'searchfolder', 'mountpoint'){where}
        ORDER BY account_id, item_id, start_date NULLS LAST, transaction_id""")  # fmt: skip
    used = store.sql(f"""
        SELECT DISTINCT account_id, NULL::BIGINT AS item_id, NULL AS type, NULL AS name, NULL::BIGINT AS parent_id,
               NULL::TIMESTAMPTZ AS start_date, folder_id
        FROM states WHERE folder_id IS NOT NULL{where}""")  # fmt: skip
    paths = folder_paths(pd.concat([folders, used], ignore_index=True)) if len(folders) + len(used) else {}
    keys = list(paths)
    return pa.table({"account_id": pa.array([k[0] for k in keys], pa.string()),
                     "folder_id": pa.array([k[1] for k in keys], pa.int64()),
                     "folder_path": pa.array(list(paths.values()), pa.string())})  # fmt: skip


def _events_query(where: str, lo: int | None, hi: int | None) -> str:
    """The states with a start in [lo, hi) (epoch ms; None: open), in the timeline's order; `first` as
    `timeline()` marks it (the item's state of least start, then transaction, whatever slice it lies in)."""
    span = "".join(f" AND epoch_ms(start_date) {op} {edge}" for op, edge in ((">=", lo), ("<", hi)) if edge is not None)
    return f"""
        WITH s AS (SELECT * FROM states WHERE start_date IS NOT NULL{where}{span}),
        firsts AS (
            SELECT account_id, item_id, min((start_date, transaction_id)) AS key FROM states
            WHERE start_date IS NOT NULL AND (account_id, item_id) IN (SELECT account_id, item_id FROM s)
            GROUP BY account_id, item_id)
        SELECT s.account_id, s.account, s.item_id, s.transaction_id, s.type, f.folder_path,
               epoch_ms(s.start_date) AS start_date, coalesce(s.deleted, false) AS deleted, s.subject, s.name,
               s.sender, s.digest, s.size, s.source_path, (s.start_date, s.transaction_id) = m.key AS first
        FROM s
        JOIN firsts m ON m.account_id = s.account_id AND m.item_id = s.item_id
        LEFT JOIN timeline_folders f ON f.account_id = s.account_id AND f.folder_id = s.folder_id
        ORDER BY s.start_date, s.account, s.item_id, s.transaction_id, s.account_id
    """


def _slices(store: BackupStore, where: str) -> list[tuple[int | None, int | None]]:
    """Spans of start (epoch ms) of about SLICE_ROWS states each, oldest first: DuckDB sorts one slice at a
    time, and the slices in order are the timeline. (The queries alone, a million states: one sort peaked
    at 850 MiB RSS, slices of 100k at 420 MiB, for 2 s more; README, bench/bench_timeline.py.)"""
    found = store.sql(f"SELECT count(*) AS n FROM states WHERE start_date IS NOT NULL{where}")["n"].iloc[0]
    count = -(-int(found) // SLICE_ROWS)
    if count <= 1:
        return [(None, None)]
    cuts = store.sql(f"""SELECT approx_quantile(epoch_ms(start_date), {[i / count for i in range(1, count)]}) AS q
                         FROM states WHERE start_date IS NOT NULL{where}""")["q"].iloc[0]  # fmt: skip
    edges = sorted({int(c) for c in cuts})
    return list(itertools.pairwise([None, *edges, None]))


def _indexed_events(store: BackupStore, accounts: list[str] | str | None) -> Iterator[pd.DataFrame]:
    """The timeline's events from DuckDB, a batch (CHUNK_ROWS) at a time, formatted by `_events`."""
    where = _account_filter(store, accounts)
    tables = {"timeline_folders": _folder_table(store, where)}
    for lo, hi in _slices(store, where):
        for batch in store.sql_batches(_events_query(where, lo, hi), CHUNK_ROWS, tables):
            if not batch.num_rows:
                continue
            states = to_pandas(_as_frame_columns(pa.Table.from_batches([batch])))
            yield _events(states, states["first"].to_numpy(dtype=bool))


def _as_frame_columns(table: pa.Table) -> pa.Table:
    """A batch in the column types item_states has: start as UTC timestamps (ms), strings as categoricals
    (pandas iterates an Arrow-backed string column 5x slower, and `_message` walks every row)."""
    for position, field in enumerate(table.schema):
        if field.name == "start_date":
            table = table.set_column(position, field.name, table[field.name].cast(pa.timestamp("ms", tz="UTC")))
        elif pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            table = table.set_column(position, field.name, table[field.name].dictionary_encode())
    return table


# -- counts by month (the report's figure) ----------------------------------------------------
def count_by_month(events: pd.DataFrame, tz: str = "UTC") -> pd.DataFrame:
    """Events per month of the server's zone (a PeriodIndex, oldest first) and `timestamp_desc` (columns:
    first states, changes, deletions, those present), from a timeline frame."""
    if events.empty:
        return pd.DataFrame(columns=[], index=pd.PeriodIndex([], freq="M"), dtype="int64")
    when = pd.to_datetime(events["datetime"], utc=True, format="ISO8601")
    month = when.dt.tz_convert(tz).dt.tz_localize(None).dt.to_period("M")
    table = pd.crosstab(month, events["timestamp_desc"]).sort_index()
    table.index = pd.PeriodIndex(table.index, freq="M")
    return _shaped(table)


def _shaped(table: pd.DataFrame) -> pd.DataFrame:
    """The counts table both paths give: kinds in DESCS order, int64, named axes left out."""
    table = table.reindex(columns=[c for c in DESCS if c in table.columns]).astype("int64")
    table.index.name, table.columns.name = None, None
    return table


def states_by_month(store: BackupStore, tz: str | None = None, accounts: list[str] | str | None = None) -> pd.DataFrame:
    """`count_by_month(timeline(store, accounts), tz)`, in DuckDB when the store has an index (no frame of
    every event). `tz`: the store's zone by default."""
    tz = tz or store.tz
    if store.index_dir is None:
        return _scanned_counts(store.item_states(accounts), tz)
    where = _account_filter(store, accounts)
    span = store.sql(f"SELECT epoch_ms(min(start_date)) AS lo, epoch_ms(max(start_date)) AS hi FROM states "
                     f"WHERE start_date IS NOT NULL{where}")  # fmt: skip
    if span["lo"].isna().iloc[0]:
        return count_by_month(pd.DataFrame(columns=TIMELINE_COLUMNS), tz)
    lo, hi = (pd.Timestamp(int(span[c].iloc[0]), unit="ms", tz="UTC") for c in ("lo", "hi"))
    months = pd.period_range(lo.tz_convert(tz).tz_localize(None).to_period("M"),
                             hi.tz_convert(tz).tz_localize(None).to_period("M"), freq="M")  # fmt: skip
    starts = [int(lo.value // 1_000_000)] + [_month_start_ms(p, tz) for p in months[1:]]
    if any(b <= a for a, b in itertools.pairwise(starts)):  # a clock set back over a month's start: rare
        return count_by_month(timeline(store, accounts), tz)
    bounds = pa.table({"month": pa.array(range(len(months)), pa.int64()), "start_ms": pa.array(starts, pa.int64())})
    counts = store.sql(f"""
        WITH e AS (
            SELECT epoch_ms(start_date) AS ms,
                   CASE WHEN coalesce(deleted, false) THEN '{DESC_DELETED}'
                        WHEN row_number() OVER (PARTITION BY account_id, item_id
                                                ORDER BY start_date, transaction_id) = 1 THEN '{DESC_CREATED}'
                        ELSE '{DESC_CHANGED}' END AS timestamp_desc
            FROM states WHERE start_date IS NOT NULL{where})
        SELECT b.month, e.timestamp_desc, count(*) AS n
        FROM e ASOF JOIN month_bounds b ON e.ms >= b.start_ms
        GROUP BY ALL""", tables={"month_bounds": bounds})  # fmt: skip
    table = counts.pivot_table(index="month", columns="timestamp_desc", values="n", aggfunc="sum", fill_value=0)
    table.index = pd.PeriodIndex([months[i] for i in table.index], freq="M")
    return _shaped(table.sort_index())


def _scanned_counts(states: pd.DataFrame, tz: str) -> pd.DataFrame:
    """count_by_month of the events of a frame of states, from their starts (no event text is made)."""
    dated = _dated(states)
    if not len(dated.rows):
        return count_by_month(pd.DataFrame(columns=TIMELINE_COLUMNS), tz)
    start = states["start_date"].take(dated.rows).dt.tz_convert(tz).dt.tz_localize(None)
    deleted = states["deleted"].take(dated.rows).fillna(False).to_numpy(dtype=bool)
    month = start.dt.to_period("M").rename(None).reset_index(drop=True)
    table = pd.crosstab(month, pd.Series(_descs(deleted, dated.first))).sort_index()
    table.index = pd.PeriodIndex(table.index, freq="M")
    return _shaped(table)


def _month_start_ms(month: pd.Period, tz: str) -> int:
    """The first instant (epoch ms) whose wall-clock time in `tz` falls in `month`."""
    local = pd.Timestamp(month.start_time).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return int(local.tz_convert("UTC").value // 1_000_000)

