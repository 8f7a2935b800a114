"""The recovery report's data: one context per run, and the frames each section shows.

Functions over the store and the investigations; the notebook calls them through `report_view`.
Each frame is computed once per run (`ReportContext.cached`): sections that share one reuse it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ZxError
from ..format.names import CAUSES
from ..investigate.config_diff import diff_config, diff_customizations
from ..investigate.diagnose import diagnose, preflight
from ..investigate.extract import RECOVERED_COLUMNS, recover_all
from ..investigate.timeline import export_timeline, states_by_month
from ..investigate.verified_blobs import VerifiedBlobs
from ..output import OutputDir
from ..runtime.cluster import connect
from ..store.backup import open_backup
from ..store.inputs import read_notification

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..investigate.retention import Retention
    from ..parse.notification import Notification
    from ..store.backup import BackupStore

DEFAULT_TITLE = "Recovery report"
EML_DIR = "eml"
TABLES_DIR = "tables"
TIMELINE_FILE = "timeline.csv"
TOC_MARK = '<nav class="zx-toc" id="zx-toc"></nav>'  # run.render_html writes the sections' links into it


@dataclass
class ReportContext:
    """What one report run works on: the store, the output folder, the parameters, computed frames."""

    store: BackupStore
    out_dir: Path
    title: str = DEFAULT_TITLE
    notification: Path | None = None
    date_a: object = None
    date_b: object = None
    purge_date: object = None  # the retention forecast's date; None: the backup's last scan
    client: object = None  # a dask.distributed client whose workers verify the audit's blobs; None: here
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    cache: dict = field(default_factory=dict)
    # the blobs the diagnosis read and verified: the audit, run after it, does not read them again
    verified: VerifiedBlobs = field(default_factory=VerifiedBlobs, repr=False)
    out: OutputDir = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Every file of the report is written through `out` (never through a link, never into the evidence)."""
        self.out = OutputDir(self.out_dir, [self.store.root])
        self.out_dir = self.out.root

    def cached(self, key: str, compute: Callable[[], object]) -> object:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


def open_report(
    backup_path: str | os.PathLike,
    notification: str | os.PathLike | None = None,
    out_dir: str | os.PathLike | None = None,
    date_a: object = None,
    date_b: object = None,
    title: str | None = DEFAULT_TITLE,
    tz: str | None = None,
    progress_bars: bool = False,
    purge_date: object = None,
    scheduler: str | None = None,
    index: object = None,
) -> ReportContext:
    """Open the store and check the parameters; without `out_dir`, a new temporary folder; with a Dask
    `scheduler` address, the audit's blobs are verified on that cluster; `index` as `open_backup`'s
    (None: $ZXFORENSICS_INDEX, else the user's cache).

    Progress bars are off by default: in a report they would be saved as widgets into the document."""
    if not progress_bars:
        os.environ["TQDM_DISABLE"] = "1"
    store = open_backup(backup_path, tz=tz or None, index=index)
    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="zxforensics-report-"))
    source = None
    if notification:
        source = Path(notification).resolve()
        if not source.is_file():
            raise ZxError(f"notification {notification}: no such file")
    client = connect(scheduler) if scheduler else None
    return ReportContext(store, out, title or DEFAULT_TITLE, source, date_a or None, date_b or None,
                         purge_date or None, client)


def save_table(ctx: ReportContext, name: str, df: pd.DataFrame) -> Path:
    """Write a section's full table as `out_dir/tables/<name>.csv` (the HTML may show only its head)."""
    return ctx.out.write_text(TABLES_DIR, f"{name}.csv", text=df.to_csv(index=False), replace=True)


# -- summary --------------------------------------------------------------------------------
def summary_table(ctx: ReportContext) -> pd.DataFrame:
    """`summarize` plus the audit's findings by severity."""
    from ..investigate.summary import summarize

    table = summarize(ctx.store)
    found = findings(ctx)
    rows = [("findings", str(len(found)))]
    rows += [(f"findings: {s}", str(n)) for s, n in found["severity"].astype(str).value_counts().items()]
    extra = pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": "string"})
    return pd.concat([table, extra], ignore_index=True)


def timeline_months(ctx: ReportContext) -> pd.DataFrame:
    """Item states per month (server's zone) and kind, the "states over time" figure; the full timeline is
    written as `out_dir/timeline.csv` for Timesketch. With an index, both come from DuckDB (the file
    streamed a batch at a time): the report holds no frame of every state."""

    def compute() -> pd.DataFrame:
        export_timeline(ctx.store, ctx.out, name=TIMELINE_FILE, overwrite=True)
        return states_by_month(ctx.store, ctx.store.tz)

    return ctx.cached("timeline", compute)


def holdings_table(ctx: ReportContext) -> pd.DataFrame:
    """`account, type, items, bytes` of the newest states: the counts an indexed store keeps per account."""
    from ..investigate.summary import holdings

    return ctx.cached("holdings", lambda: holdings(ctx.store))


def accounts_table(ctx: ReportContext) -> pd.DataFrame:
    """One line per account: status, deletion, items, last scan."""
    accounts = ctx.store.accounts()
    return accounts[["name", "account_id", "status", "deleted", "item_count", "last_scan"]].rename(
        columns={"item_count": "items"}
    )


# -- restore --------------------------------------------------------------------------------
def notification_report(ctx: ReportContext) -> Notification | None:
    """The parsed notification, or None without one."""
    if ctx.notification is None:
        return None
    return ctx.cached("notification", lambda: read_notification(ctx.notification))


def diagnosis(ctx: ReportContext) -> pd.DataFrame:
    """One row per unrestored item of the notification; without one, the pre-flight over the whole store."""
    report = notification_report(ctx)

    def compute() -> pd.DataFrame:  # the pre-flight keeps the failing rows only: bounded on any store
        if report is not None:
            return diagnose(ctx.store, report, verified=ctx.verified)
        return preflight(ctx.store, verified=ctx.verified).failures

    return ctx.cached("diagnosis", compute)


def causes_by_account(diag: pd.DataFrame) -> pd.DataFrame:
    """Items per account and cause, causes in CAUSES order, with a total column."""
    table = pd.crosstab(diag["account"].astype(str), diag["cause"].astype(str))
    table = table.reindex(columns=[c for c in CAUSES if c in table.columns] + sorted(set(table) - set(CAUSES)))
    table["total"] = table.sum(axis=1)
    return table.reset_index().rename_axis(columns=None)


def extract_recoverable(ctx: ReportContext) -> pd.DataFrame:
    """Write every recoverable unrestored item to `out_dir/eml/` (its newest valid state); one row each.

    A failure is a row with its `error`, not a crash: the rest is still extracted."""
    if ctx.notification is None:
        return pd.DataFrame(columns=RECOVERED_COLUMNS)
    return ctx.cached("recovered", lambda: _extract_all(ctx, diagnosis(ctx)))


def _extract_all(ctx: ReportContext, diag: pd.DataFrame) -> pd.DataFrame:
    wanted = diag["recoverable_eml"].fillna(False).astype(bool).any()
    recovered = recover_all(ctx.store, diag, ctx.out.subdir(EML_DIR) if wanted else ctx.out_dir / EML_DIR)
    written = recovered["file"].notna()
    recovered.loc[written, "file"] = [str(Path(f).relative_to(ctx.out_dir)) for f in recovered.loc[written, "file"]]
    return recovered


# -- server configuration ---------------------------------------------------------------------
def server_archives(ctx: ReportContext) -> pd.DataFrame:
    return ctx.cached("archives", ctx.store.server_archives)


def config_dates(ctx: ReportContext) -> tuple[object, object]:
    """The two dates to compare: as given, else the first `config` snapshot and the last one."""
    archives = server_archives(ctx)
    config = archives[archives["component"].astype(str) == "config"]
    first = config["date"].min() if not config.empty else None
    return (ctx.date_a if ctx.date_a is not None else first), (ctx.date_b if ctx.date_b is not None else "last")


def config_changes(ctx: ReportContext) -> pd.DataFrame | None:
    """`diff_config` between the two dates; None when there is no configuration snapshot."""
    a, b = config_dates(ctx)
    if a is None or server_archives(ctx).empty:
        return None
    return ctx.cached("config_changes", lambda: diff_config(ctx.store, a, b))


def customization_changes(ctx: ReportContext) -> pd.DataFrame | None:
    """`diff_customizations` between the two dates; None when there is no customizations archive."""
    archives = server_archives(ctx)
    custom = archives[archives["component"].astype(str) == "customizations"]
    if custom.empty:
        return None
    a, b = config_dates(ctx)
    a = custom["date"].min() if ctx.date_a is None else a
    return ctx.cached("custom_changes", lambda: diff_customizations(ctx.store, a, b))


# -- audit ----------------------------------------------------------------------------------
def findings(ctx: ReportContext) -> pd.DataFrame:
    """`store.audit()` once per report (it verifies every blob: those the diagnosis has just read and
    verified by taking its verdicts, the others by reading them)."""
    return ctx.cached("findings", lambda: ctx.store.audit(client=ctx.client, verified=ctx.verified))


def retention_forecast(ctx: ReportContext) -> Retention:
    """What a purge would remove at the user's date (server's zone), else at the backup's last scan."""
    return ctx.cached("retention", lambda: ctx.store.retention(at=ctx.purge_date))


def shares_status(ctx: ReportContext) -> pd.DataFrame:
    return ctx.cached("shares", ctx.store.shares)
