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
    lists = [
        ("unknown keys", report.keys[report.keys["status"] == "unknown"], ("kind", "scope", "key", "shape")),
        ("values not read", report.keys[report.keys["unread"] > 0], ("kind", "key", "unread", "shape")),
        ("known keys never seen", report.never_seen, ("kind", "key")),
        ("unexpected places", report.unexpected, ("path", "type", "why")),
        ("files not understood", report.files, ("kind", "path", "status", "detail")),
    ]
    for title, frame, columns in lists:
        if len(frame):
            rows = [[(c, getattr(r, c)) for c in columns] for r in frame.head(SHOWN).itertuples(index=False)]
            more = [[("more", f"{len(frame) - SHOWN} not shown")]] if len(frame) > SHOWN else []
            tree.append((title, rows + more))
    return Result(report.kinds, render(tree), exit_code=0 if report.understood else 1)
