"""Verbs that write a report: `report` (the recovery report, HTML + manifest) and `timeline` (Timesketch)."""

from __future__ import annotations

import pandas as pd

from ..format.text import render
from ..output import check_out_dir
from ..report.sections import DEFAULT_TITLE
from .common import BACKUP_PATH, SCHEDULER, TZ, backup_path, open_store
from .registry import Param, Result, verb

DATE = Param("date", None, help="dd/MM/yyyy HH:mm:ss|last")


@verb(
    "report",
    (),
    {"backup_path": BACKUP_PATH, "notification": Param("path", None, help="restore notification (.txt or .eml)"),
     "out": Param("path", None, help="output folder (new or empty; never inside the backup path)", required=True,
                  metavar="DIR"),
     "date_a": DATE, "date_b": DATE, "title": Param("string", DEFAULT_TITLE), "tz": TZ,
     "purge_date": Param("date", None, help="dd/MM/yyyy HH:mm:ss of the retention forecast (default: last scan)"),
     "scheduler": SCHEDULER},
    help="Run the recovery report: executive summary, restore diagnosis, recovered .eml files, server\n"
    "configuration changes and audit findings, as report.html and report.pdf (when chromium is installed)\n"
    "with run_manifest.json beside them, e.g.\n"
    "zxforensics report backup_path /mnt/import notification restore.eml out /cases/42/report\n"
    "An existing non-empty output folder is refused unless --force (before the verb). With `scheduler ADDR`\n"
    "the audit's blobs are verified on that Dask cluster.",
)
def report(values: dict, options: dict) -> Result:
    from ..report.run import run_report

    written = run_report(
        backup_path(values), values["out"], notification=values["notification"], date_a=values["date_a"],
        date_b=values["date_b"], title=values["title"], tz=values["tz"] or options.get("tz"),
        force=bool(options.get("force")),
        **{k: values[k] for k in ("purge_date", "scheduler") if values[k]},
    )  # fmt: skip
    frame = pd.DataFrame({"output": list(written), "path": [str(p) for p in written.values()]})
    pairs = [(k, str(p)) for k, p in written.items()]
    if written.pdf_reason:
        pairs.append(("pdf", f"not written: {written.pdf_reason}"))
    return Result(frame, render([("report", pairs)]))


@verb(
    "timeline",
    (),
    {"backup_path": BACKUP_PATH,
     "out": Param("path", None, help="FILE.csv or FILE.jsonl", required=True, metavar="FILE"),
     "accounts": Param("string", None, help="comma-separated accounts (default all)"), "tz": TZ},
    help="Write the item states as a timeline in Timesketch's import format (CSV or JSONL by extension).\n"
    "An existing file is refused unless --force (before the verb).",
)
def timeline(values: dict, options: dict) -> Result:
    from ..investigate.timeline import timeline as build
    from ..investigate.timeline import write_timeline

    store = open_store(values, options)
    check_out_dir(store.root, values["out"])
    events = build(store, values["accounts"])
    path = write_timeline(events, values["out"], overwrite=bool(options.get("force")), evidence_roots=[store.root])
    summary = events.groupby("timestamp_desc").size()
    pairs = [("path", str(path)), ("events", len(events)), *[(str(k), int(v)) for k, v in summary.items()]]
    return Result(events, render([("timeline", pairs)]))
