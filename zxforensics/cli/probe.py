"""`probe`: what the kit understood of a backup path, and the anonymised structure report to send back."""

from __future__ import annotations

from ..format.text import render
from ..investigate.probe import DEFAULT_SAMPLE, probe
from .common import BACKUP_PATH, TZ, open_store
from .registry import Param, Result, verb

SHOWN = 20  # rows of each list printed; the --json/--csv frame and the structure report hold them all


def kind_line(row) -> str:
    """`read 30 of 32 found: 30 understood, ...` for one kind of file."""
    counts = f"{row.understood} understood, {row.partly} partly, {row.not_understood} not understood"
    where = "" if row.coverage == "all" else f"; {row.coverage}"
    return f"read {row.read} of {row.found} found: {counts}, {row.unreadable} unreadable{where}"


def _rows(frame) -> list:
    """The first SHOWN rows of a frame, and a row saying how many more there are."""
    rows = list(frame.head(SHOWN).itertuples(index=False))
    if len(frame) > SHOWN:
        more = {column: "" for column in frame.columns}
        more[frame.columns[0]] = f"... {len(frame) - SHOWN} more"
        rows.append(type(rows[0])(**more))
    return rows


@verb(
    "probe",
    (),
    {"backup_path": BACKUP_PATH,
     "sample": Param("string", str(DEFAULT_SAMPLE), help="files read per kind: N|all"),
     "seed": Param("int", 0, help="seed of the random sample"),
     "out": Param("path", None, help="anonymised structure report (JSON) to write", metavar="FILE"), "tz": TZ},
    help="Say how much of a backup path the kit understood: per kind of file, the keys, spellings and value\n"
    "shapes it met, keys it does not know and files in places FORMAT.md does not describe. `out FILE` writes\n"
    "the anonymised structure report (keys and shapes, no value) to attach to a bug report, e.g.\n"
    "zxforensics probe backup_path /mnt/backup out /tmp/structure.json\n"
    "Exit code 1 when something was not understood. An existing FILE is refused unless --force.",
)  # fmt: skip
def probe_verb(values: dict, options: dict) -> Result:
    store = open_store(values, options)
    report = probe(store, values["sample"], values["seed"])
    tree: list[tuple[str, object]] = [("verdict", report.verdict)]
    if values["out"]:
        written = report.write(values["out"], [store.root], replace=bool(options.get("force")))
        tree.append(("structure report", str(written)))
    tree.append(("kinds", [(r.kind, kind_line(r)) for r in report.kinds.itertuples(index=False)]))
    keys = report.keys
    lists = [
        ("unknown keys", [(f"{r.kind}: {r.key} ({r.scope})", r.shape) for r in _rows(keys[keys.status == "unknown"])]),
        ("values not read", [(f"{r.kind}: {r.key}", f"{r.unread} of {r.count}: {r.shape}")
                             for r in _rows(keys[keys["unread"] > 0])]),
        ("known keys never seen", [(r.kind, r.key) for r in _rows(report.never_seen)]),
        ("unexpected places", [(r.type, f"{r.path} ({r.why})") for r in _rows(report.unexpected)]),
        ("files not understood or unreadable", [(r.status, f"{r.path}: {r.detail}") for r in _rows(report.files)]),
    ]  # fmt: skip
    for title, rows in lists:
        if rows:
            tree.append((title, rows))
    return Result(report.kinds, render(tree), exit_code=0 if report.understood else 1)
