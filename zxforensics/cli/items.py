"""Verbs over items: getItem, doItemSearch, extract, index, summary and make-sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import EvidenceError, ZxError
from ..format.text import escape, escape_lines, render
from ..runtime.cluster import connect
from .common import BACKUP_PATH, SCHEDULER, TZ, backup_path, blob_lines, open_store, vendor_date
from .registry import Param, Result, verb

DATE = Param("date", None, help="dd/MM/yyyy HH:mm:ss|last|all")
MAX_STATES_SHOWN = 1000  # states getItem prints as text (the newest); --json/--csv give them all


def shown_states(states: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, object]]]:
    """The newest MAX_STATES_SHOWN states, and a note naming what was cut (an item file can hold millions)."""
    if len(states) <= MAX_STATES_SHOWN:
        return states, []
    cut = len(states) - MAX_STATES_SHOWN
    note = (f"the {cut} oldest of {len(states)} states are not shown; "
            "`zxforensics --csv getItem ...` lists them all")  # fmt: skip
    return states.iloc[cut:], [("note", note)]


def dump_text(raw: bytes) -> str:
    """A blob shown as text: each line escaped (a line break, LF or CRLF, stays one; a byte that is not
    UTF-8 shows as `\\udcHH`). For reading only: `extract` writes the exact bytes."""
    lines = [line.removesuffix(b"\r") for line in raw.split(b"\n")]
    return escape_lines("\n".join(line.decode("utf-8", "surrogateescape") for line in lines))


def state_tree(states: pd.DataFrame, tz: str) -> list[list[tuple[str, object]]]:
    """States as the seed's getItem prints them: start_date, type, deleted, blob path."""
    groups = []
    for state in states.itertuples(index=False):
        group: list[tuple[str, object]] = [
            ("start_date", vendor_date(state.start_date, tz)),
            ("type", state.type),
            ("deleted", bool(state.deleted)),
        ]
        group += blob_lines(state.digest, state.blob_path)
        groups.append(group)
    return groups


@verb(
    "getItem",
    ("account", "item"),
    {"backup_path": BACKUP_PATH, "dump_blob": Param("bool", False, ("true", "false")),
     "date": Param("date", "last", help="dd/mm/yyyy hh:mm:ss|all"), "tz": TZ},
    help="Display an item and its metadata from a backup path, e.g.\n"
    "zxforensics getItem admin@example.com 24700 backup_path /mnt/import/ date all",
)
def get_item(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    try:
        item_id = int(values["item"])
    except ValueError:
        raise ZxError(f"item must be an integer id, not {values['item']!r}") from None
    states = store.get_item(values["account"], item_id, values["date"])
    shown, note = shown_states(states)
    text = render([*note, ("itemStates", state_tree(shown, store.tz))])
    digest = states["digest"].dropna()
    if values["dump_blob"] and not digest.empty:
        try:
            raw = store.read_blob(digest.iloc[-1])
        except EvidenceError as exc:  # show the states, then why the blob cannot be dumped
            return Result(states, text + "\n" + render([("blob", f"cannot be read: {exc}")]), exit_code=1)
        text += "\n" + render([("blob", "")]) + "\n" + dump_text(raw)
    return Result(states, text)


@verb(
    "doItemSearch",
    ("account",),
    {"backup_path": BACKUP_PATH, "search_string": Param("string", None), "type": Param("string", None),
     "before": DATE, "after": DATE,
     "search_filter": Param("string", "deleted", ("deleted", "all", "not_deleted")),
     "hide_deleted": Param("bool", False, ("true", "false")), "tz": TZ},
    help="Search an account's items in the backup, deleted ones by default.",
)
def do_item_search(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    search_filter = "not_deleted" if values["hide_deleted"] else values["search_filter"]
    found = store.search_items(
        values["account"], values["search_string"], values["type"], values["before"], values["after"], search_filter
    )
    groups = [
        [("itemId", row.item_id), ("type", row.type), ("folder", row.folder_path),
         ("subject", row.subject if isinstance(row.subject, str) else (row.name if isinstance(row.name, str) else "")),
         ("start_date", vendor_date(row.start_date, store.tz)), ("deleted", bool(row.deleted))]
        for row in found.itertuples(index=False)
    ]
    text = render([("items", groups)]) if groups else render([("items", ""), ("found", 0)])
    return Result(found, text)


@verb(
    "extract",
    ("account", "item"),
    {"out": Param("path", None, help="output folder (never inside the backup path)", required=True,
                  metavar="DIR"),
     "date": Param("date", "last"),
     "backup_path": BACKUP_PATH, "tz": TZ},
    help="Write an item's blob as .eml, byte-exact and verified, and append it to out/manifest.csv.",
)
def extract(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    row = store.extract(values["account"], int(values["item"]), values["out"], values["date"])
    frame = pd.DataFrame([row])
    return Result(frame, render([(k, v) for k, v in row.items()]))


@verb(
    "index",
    (),
    {"backup_path": BACKUP_PATH,
     "index": Param("path", None, help="index folder (default $ZXFORENSICS_INDEX or the user's cache)",
                    metavar="DIR"),
     "scheduler": SCHEDULER,
     "out": Param("path", None, help="also export the tables as Parquet files here", metavar="DIR"),
     "full_check": Param("bool", True, ("true", "false"),
                         help="false: check folders only, not every item file's stat (after a scan that writes "
                              "new item files)"),
     "tz": TZ},
    help="Build or refresh the persistent index (only accounts that changed are read again), on a Dask "
         "cluster with `scheduler ADDR`; `out DIR` also exports the tables (accounts, item_states, blobs, "
         "errors) as Parquet files.",
)  # fmt: skip
def index(values: dict, options: dict) -> Result:
    from ..store.backup import build_index

    client = connect(values["scheduler"]) if values.get("scheduler") else None
    try:
        store = build_index(backup_path(values), index=values.get("index"), client=client,
                            tz=values.get("tz") or options.get("tz"), full=values["full_check"])  # fmt: skip
    finally:
        if client is not None:
            client.close()
    info = store.index_info()
    rows = [("index", info["index"]), ("accounts", info["accounts"]), ("rescanned", len(store.rescanned)),
            ("parts", info["parts"]), ("states", info["states"]), ("blobFiles", info["blob_files"]),
            ("bytes", info["bytes"])]  # fmt: skip
    if info.get("note"):
        rows.append(("note", info["note"]))
    frame = pd.DataFrame([dict(rows)])
    if values.get("out"):
        from ..investigate.export import write_tables

        written = write_tables(store, values["out"], overwrite=bool(options.get("force")))
        rows.append(("export", [list(row.items()) for row in written.to_dict("records")]))
        frame = written
    return Result(frame, render(rows))


@verb("summary", (), {"backup_path": BACKUP_PATH, "tz": TZ}, help="What a backup path holds, in a few lines.")
def summary(values: dict, options: dict) -> Result:
    from ..investigate.summary import summarize

    store = open_store(values, options)
    table = summarize(store)
    text = render([(row.metric, row.value) for row in table.itertuples(index=False)])
    return Result(table, text)


@verb(
    "make-sample",
    ("out",),
    {"accounts": Param("int", None), "items": Param("int", 100), "seed": Param("int", 2013),
     "blobs": Param("bool", True, ("true", "false"), help="false: metadata only (benchmark stores)"),
     "from_report": Param("path", None, help="structure report of `probe`", metavar="FILE"),
     "spelling": Param("string", None, help="with from_report: a spelling of sample.spellings"),
     "shape": Param("string", None, help="a store shape: empty, no_items, unicode... (OUT/backup)")},
    help="Generate the committed sample store (no `accounts`), a synthetic one of any size, one shaped\n"
    "as the structure report `probe` wrote (`from_report FILE`), or a store shape unlike the sample\n"
    "(zxforensics.sample.shapes) as OUT/backup, with its notification and import map beside it.",
)  # fmt: skip
def make_sample(values: dict, options: dict) -> Result:
    from ..sample import generate_store
    from ..sample import make_sample as build
    from ..sample.from_report import build_from_report

    out = Path(values["out"])
    if out.is_symlink() or (out.exists() and (not out.is_dir() or any(out.iterdir()))):
        raise ZxError(f"{out} exists: the generator writes only into a new or empty folder")
    if values["shape"] is not None:
        from ..sample.shapes import make_shape

        backup = make_shape(out, values["shape"])
        return Result(None, f"store shape {escape(values['shape'])} written to {escape(str(backup))}")
    if values["from_report"]:
        build_from_report(values["from_report"], out, values["seed"], values["spelling"])
    elif values["accounts"] is None:
        build(out, values["seed"])
    else:
        generate_store(out, values["accounts"], values["items"], values["seed"], blobs=values["blobs"])
    return Result(None, f"sample store written to {escape(str(out))}")
