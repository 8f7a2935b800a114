"""The recovery report's sections as display blocks (Markdown, HTML tables, PNG figures).

The notebook `notebooks/recovery_report.ipynb` only calls `show(<section>(ctx))`: every sentence,
table and figure of the report is built here, from the frames of `report_sections`.
"""

from __future__ import annotations

import html
import io
import string

import pandas as pd
from IPython.display import HTML, Image, Markdown, display

from ..format.dates import format_vendor_date
from ..format.text import escape, escape_lines
from ..investigate.coherency import by_kind, with_account_names
from ..version import __version__
from . import plots as plots
from . import sections as rs
from .sections import CAUSES, ReportContext, open_report

__all__ = ["open_report", "show"]
ROWS = 200  # longest table shown in the HTML; the CSV under tables/ holds every row
LONG_TOKEN = 24  # characters without a space after which a cell may wrap anywhere
DIFF_LINES = 60  # lines of a customization diff shown in the HTML
EXPLAIN = {
    "read_error": "The backup cannot read the item's metadata or blob (missing, not a regular file, I/O error, "
    "a link leaving the backup path). Check the storage and any offsite copy.",
    "broken": "Readable but corrupt (not JSON, truncated or invalid gzip, digest mismatch, over the size limit). "
    "`last_valid_state` names the newest state whose blob still verifies; that state was extracted.",
    "invalid": "Intact in the backup, but a message the mail server's LMTP validator refuses (`detail` says why). "
    "The message was extracted as it is, for a manual import.",
    "not_in_backup": "The backup holds no metadata for this item: it was never backed up, or has been purged.",
    "restorable": "Everything verifies in the backup, so the cause lies on the target server (quota, rights, "
    "a stopped service): retry the restore of these items.",
}


def show(blocks: list) -> None:
    """Display each block of a section in order."""
    for block in blocks:
        display(block)


def md(text: str) -> Markdown:
    """A block of the kit's own Markdown; every value in it from the evidence or a user goes through `inert`."""
    return Markdown(text)


# Every ASCII punctuation character as a numeric character reference: CommonMark never reads one as
# syntax, so `![x](http://...)`, `[a](javascript:...)`, `<img ...>`, a bare URL, `*`, `#` or a backtick taken
# from the evidence render as the text they are.
_INERT = str.maketrans({c: f"&#{ord(c)};" for c in string.punctuation})


def inert(value: object) -> str:
    """A value from the evidence (or a user) for a Markdown block: its text, never Markdown or HTML, with
    the characters a terminal would interpret escaped as in text output (`\\x1b`, `\\n`)."""
    return escape(str(value)).translate(_INERT)


def code(value: object) -> str:
    """A value shown as code (a path, a file name): inline HTML, its content inert."""
    return f"<code>{inert(value)}</code>"


def table(df: pd.DataFrame, tz: str = "UTC", limit: int = ROWS, saved: str | None = None) -> HTML:
    """A frame as a plain HTML table: dates in the server's zone, at most `limit` rows, with a note."""
    shown = readable(df.head(limit), tz)
    cells = pd.DataFrame({html.escape(escape(str(c))): [_cell_html(v) for v in shown[c]] for c in shown.columns})
    body = cells.to_html(index=False, border=0, classes="zx-table", escape=False)
    notes = []
    if len(df) > limit:
        notes.append(f"first {limit} of {len(df)} rows")
    if saved:
        notes.append(f"all rows in <code>{html.escape(escape(saved))}</code>")
    note = f'<p class="zx-note">{"; ".join(notes)}</p>' if notes else ""
    return HTML(body + note)


def _cell_html(value: object) -> str:
    """Escaped text (HTML, and controls as in text output); a long unbroken token (hash, digest, path) may
    wrap anywhere."""
    text = html.escape(escape(str(value)))
    return f'<span class="zx-long">{text}</span>' if len(text) > LONG_TOKEN and " " not in text else text


def readable(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Timestamps as the vendor prints them (dd/MM/yyyy HH:mm:ss ZONE), lists as comma-separated text."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = [format_vendor_date(v, tz, zone=True) for v in values]
        else:
            out[column] = [_cell(v) for v in values]
    return out


def _cell(value: object) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return value


def figure(fig) -> Image:
    """A matplotlib Figure as an embedded PNG (the HTML carries it as base64)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return Image(data=buffer.getvalue(), format="png")


def when(value: object, tz: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, str):
        return "the last snapshot" if value.strip().lower() == "last" else value
    return format_vendor_date(pd.Timestamp(value), tz, zone=True)


# -- sections -------------------------------------------------------------------------------------
def title_block(ctx: ReportContext) -> list:
    started = ctx.started.strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        f"# {inert(ctx.title)}",
        f"Backup path {code(ctx.store.root)} · server time zone {inert(ctx.store.tz)} · generated {started} "
        f"by zxforensics {__version__}, offline and read-only.",
    ]
    if ctx.notification is not None:
        lines.append(f"Restore notification: {code(ctx.notification)}.")
    return [md("\n\n".join(lines))]


def summary_section(ctx: ReportContext) -> list:
    store = ctx.store
    accounts = rs.accounts_table(ctx)
    items = store.items("last")
    stat = store.backupstat()
    first = pd.Timestamp(int(stat["firstScan"]), unit="ms", tz="UTC") if stat.get("firstScan") else None
    last = pd.Timestamp(int(stat["lastScan"]), unit="ms", tz="UTC") if stat.get("lastScan") else None
    lines = (
        f"The backup holds **{len(items)} items** of **{len(accounts)} accounts** "
        f"({int(accounts['deleted'].sum())} deleted), scanned from {inert(when(first, store.tz))} "
        f"to {inert(when(last, store.tz))}."
    )
    events = rs.timeline_events(ctx)
    return [
        md(lines),
        table(rs.summary_table(ctx), store.tz),
        md("### Accounts"),
        table(accounts, store.tz),
        md("### Items over time"),
        figure(plots.states_over_time(events, store.tz)),
        md("The full timeline of item states is in `timeline.csv` (Timesketch's import format)."),
        figure(plots.items_per_type_and_account(items)),
    ]


def restore_section(ctx: ReportContext) -> list:
    diag = rs.diagnosis(ctx)
    blocks: list = []
    if ctx.notification is None:
        blocks.append(md("No restore notification was given: this is the **pre-flight check**, the items of the "
                         f"backup that a restore would not bring back ({len(diag)})."))
    else:
        report = rs.notification_report(ctx)
        blocks += _outcome(report, diag, ctx.store.tz)
    if diag.empty:
        return [*blocks, md("No unrestored item.")]
    blocks += [md("### Causes per account"), table(rs.causes_by_account(diag)), figure(plots.causes(diag, CAUSES))]
    return blocks


def _outcome(report, diag: pd.DataFrame, tz: str) -> list:
    """The notification's header, its stats line, and its own consistency check."""
    stats = report.stats
    blocks = []
    if report.operation:
        header = report.operation
        blocks.append(table(pd.DataFrame({"field": list(header), "value": [str(v) for v in header.values()]}), tz))
    blocks.append(md(
        f"The restore reports **{inert(stats.get('restored'))} restored**, **{inert(stats.get('skipped'))} skipped** "
        f"and **{inert(stats.get('unrestored'))} unrestored** items."
    ))
    for problem in report.check():
        blocks.append(md(f"> **Check:** {inert(problem)}"))
    return blocks


def causes_section(ctx: ReportContext) -> list:
    diag = rs.diagnosis(ctx)
    if diag.empty:
        return [md("No unrestored item.")]
    saved = rs.save_table(ctx, "diagnosis", diag)
    columns = [c for c in ("account", "item_id", "type", "folder_path", "detail", "last_valid_state",
                           "recoverable_eml") if c in diag.columns]  # fmt: skip
    blocks: list = []
    present = [c for c in CAUSES if c in set(diag["cause"].astype(str))]
    others = sorted(set(diag["cause"].astype(str)) - set(CAUSES))
    for cause in present + others:
        rows = diag[diag["cause"].astype(str) == cause]
        plural = "s" if len(rows) != 1 else ""
        blocks += [md(f"### {inert(cause)}: {len(rows)} item{plural}\n\n{EXPLAIN.get(cause, '')}"),
                   table(rows[columns], ctx.store.tz)]
    blocks.append(md(f"Every row, with blob paths and digests: {code(saved.relative_to(ctx.out_dir))}."))
    return blocks


def recovered_section(ctx: ReportContext) -> list:
    if ctx.notification is None:
        return [md("Nothing to recover without a restore notification.")]
    recovered = rs.extract_recoverable(ctx)
    diag = rs.diagnosis(ctx)
    good = recovered[recovered["error"].isna()]
    text = (f"**{len(good)} of {len(diag)}** unrestored items were recovered from the backup as `.eml` files under "
            f"`{rs.EML_DIR}/` (byte-exact, hash-verified; `{rs.EML_DIR}/manifest.csv` lists them).")
    blocks = [md(text)]
    if not recovered.empty:
        shown = recovered if recovered["error"].notna().any() else recovered.drop(columns="error")
        blocks.append(table(shown, ctx.store.tz))
    return blocks


def config_section(ctx: ReportContext) -> list:
    tz = ctx.store.tz
    archives = rs.server_archives(ctx)
    if archives.empty:
        return [md("The backup path holds no server archives (`server/`).")]
    overview = archives.groupby(archives["component"].astype(str)).agg(
        archives=("date", "size"), first=("date", "min"), last=("date", "max"), bytes=("size", "sum")
    )
    changes = rs.config_changes(ctx)
    blocks = [
        md("The server archives of the backup path (configuration, customizations, LDAP dump), one a day:"),
        table(overview.reset_index(), tz),
    ]
    if changes is None:
        return [*blocks, md("No configuration snapshot to compare.")]
    a, b = changes.attrs.get("date_a"), changes.attrs.get("date_b")
    blocks.append(md(f"### Standard configuration: snapshot of {inert(when(a, tz))} against {inert(when(b, tz))}"))
    if changes.empty:
        blocks.append(md("No change in the standard configuration between these snapshots."))
    else:
        counts = changes["change"].astype(str).value_counts()
        saved = rs.save_table(ctx, "config_changes", changes).relative_to(ctx.out_dir)
        blocks += [md(", ".join(f"**{n}** {inert(kind)}" for kind, n in counts.items()) + "."),
                   table(changes, tz, saved=str(saved))]
    return blocks + _customizations(ctx)


def _customizations(ctx: ReportContext) -> list:
    custom = rs.customization_changes(ctx)
    if custom is None:
        return []
    a, b = (inert(when(custom.attrs.get(d), ctx.store.tz)) for d in ("date_a", "date_b"))
    blocks = [md(f"### Customizations (conf/ and postfix/conf/): archive of {a} against {b}")]
    if custom.empty:
        return [*blocks, md("No file changed.")]
    blocks.append(table(custom.drop(columns=[c for c in ("diff", "sha256_before") if c in custom]), ctx.store.tz))
    for row in custom.itertuples(index=False):
        if isinstance(getattr(row, "diff", None), str) and row.diff:
            lines = row.diff.splitlines()
            more = f"\n… {len(lines) - DIFF_LINES} more lines" if len(lines) > DIFF_LINES else ""
            text = html.escape(escape_lines("\n".join(lines[:DIFF_LINES])) + more)
            member, change = (html.escape(escape(str(v))) for v in (row.member, row.change))
            blocks.append(HTML(f'<p class="zx-note">{member} ({change})</p>'
                               f'<pre class="zx-diff">{text}</pre>'))
    return blocks


def audit_section(ctx: ReportContext) -> list:
    found = rs.findings(ctx)
    if found.empty:
        return [md("The coherency check found nothing wrong."), *_retention(ctx), *_shares(ctx)]
    saved = rs.save_table(ctx, "findings", found).relative_to(ctx.out_dir)
    severities = found["severity"].astype(str).value_counts()
    shown = with_account_names(ctx.store, found).drop(columns=["account_id", "digest"])
    blocks = [
        md(f"The coherency check (every blob decompressed and its digest verified) found **{len(found)} "
           "findings**: " + ", ".join(f"{n} {inert(s)}" for s, n in severities.items()) + "."),
        table(by_kind(found)),
        figure(plots.findings(found)),
        table(shown, ctx.store.tz, saved=str(saved)),
    ]
    return blocks + _retention(ctx) + _shares(ctx)


def _retention(ctx: ReportContext) -> list:
    plan = rs.retention_forecast(ctx)
    blocks = [md(f"### Retention: what a purge on {inert(when(plan.at, ctx.store.tz))} would remove"),
              table(plan.summary())]
    accounts = plan.purged_accounts()
    if not accounts.empty:
        blocks += [md("Accounts the purge removes:"), table(accounts.drop(columns="account_id"), ctx.store.tz)]
    per_account = plan.purged_per_account()
    if not per_account.empty:
        blocks += [md("Deleted items the purge removes, per account:"), table(per_account)]
    return blocks


def _shares(ctx: ReportContext) -> list:
    shares = rs.shares_status(ctx)
    blocks = [md("### Shares")]
    if shares.empty:
        return [*blocks, md("No share in this backup.")]
    counts = shares["status"].astype(str).value_counts()
    blocks.append(md(", ".join(f"**{n}** {inert(s)}" for s, n in counts.items()) + "."))
    broken = shares[shares["status"].astype(str) != "ok"]
    if not broken.empty:
        ids = [c for c in ("owner_id", "grantee_id") if c in broken.columns]
        blocks.append(table(broken.drop(columns=ids), ctx.store.tz, saved=str(
            rs.save_table(ctx, "shares", shares).relative_to(ctx.out_dir))))
    return blocks


def about_section(ctx: ReportContext) -> list:
    parameters = {
        "backup_path": str(ctx.store.root), "notification": str(ctx.notification or ""),
        "date_a": str(ctx.date_a or ""), "date_b": str(ctx.date_b or ""), "tz": ctx.store.tz,
        "out_dir": str(ctx.out_dir),
    }  # fmt: skip
    text = (
        "This report was produced offline from a read-only backup path: nothing in it was written. "
        "`run_manifest.json`, beside this file, records the parameters, the kit's and its dependencies' "
        "versions, the start and end times, and the SHA-256 of every input file read and every file written."
    )
    return [md(text), table(pd.DataFrame({"parameter": list(parameters), "value": list(parameters.values())}))]
