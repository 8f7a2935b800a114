"""The recovery report's sections as display blocks (Markdown, HTML tables, PNG figures).

The notebook `notebooks/recovery_report.ipynb` only calls `show(<section>(ctx))`: every sentence,
table and figure of the report is built here, from the frames of `report_sections`.
The reader is an IT manager, not the kit's author: codes become words (`labels`), sizes carry units,
every time is in the server's zone (named once, at the top), and hashes, paths and raw codes wait in
the appendix and in the CSV tables.
"""

from __future__ import annotations

import html
import io
import re
import string

import pandas as pd
from IPython.display import HTML, Image, Markdown, display

from ..format.dates import format_vendor_date
from ..format.text import escape, escape_lines
from ..investigate.coherency import by_kind, with_account_names
from ..investigate.shares import SHARE_SHOWN
from ..investigate.summary import holdings_by_type
from ..version import __version__
from . import plots as plots
from . import sections as rs
from .labels import CAUSE_LABELS, CAUSE_WHY, SIZE_COLUMNS, cause_label, column_label, human_size, humanize, yes_no
from .sections import CAUSES, TOC_MARK, ReportContext, open_report

__all__ = ["open_report", "show"]
ROWS = 200  # longest table shown in the HTML; the CSV under tables/ holds every row
LONG_TOKEN = 24  # characters without a space after which a cell may wrap anywhere
DIFF_LINES = 60  # lines of a customization diff shown in the HTML
EXPLAIN = {
    "read_error": "The backup cannot read the item's metadata or its message file (missing, not a regular file, "
    "an I/O error, a link leaving the backup path). Check the storage and any offsite copy of the backup.",
    "broken": "Readable but corrupt (not JSON, truncated or invalid compression, content that does not match its "
    "hash, over the size limit). When an earlier version of the item is intact, that version was extracted.",
    "invalid": "Intact in the backup, but the mail server's validator refuses the message as it is (the detail "
    "says why). The message was extracted as it is, for a manual import.",
    "not_in_backup": "The backup holds no copy of this item: it was never backed up, or it has been purged.",
    "restorable": "Everything verifies in the backup, so the cause lies on the target server (quota, rights, "
    "a stopped service): retry the restore of these items. Messages were also extracted as .eml files.",
}
# What the recovered items of each cause are, for the executive summary.
RECOVERED_AS = {
    "restorable": "intact in the backup",
    "invalid": "refused by the mail server as they are",
    "broken": "from an earlier intact version",
    "read_error": "from an earlier readable version",
}
# A vendor check code at the start of a detail (`truncated_gzip: ...`) and a path in parentheses at its end:
# the appendix and tables/diagnosis.csv keep them, the main tables show the sentence.
_DETAIL_CODE = re.compile(r"(^| )[a-z]+(?:_[a-z]+)+: ")
_DETAIL_PATH = re.compile(r" \((?:accounts|items|server)/[^()]*\)$")


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


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def table(df: pd.DataFrame, tz: str = "UTC", limit: int = ROWS, saved: str | None = None) -> HTML:
    """A frame as a plain HTML table a person reads: dates in the server's zone, yes/no, sizes with units,
    columns named in words; at most `limit` rows, with a note."""
    shown = readable(df.head(limit), tz)
    cells = pd.DataFrame({html.escape(escape(column_label(c))): [_cell_html(v) for v in shown[c]]
                          for c in shown.columns})  # fmt: skip
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
    """Timestamps as the vendor prints them (dd/MM/yyyy HH:mm:ss, in the server's zone named once at the
    top), booleans as yes/no, byte counts with units, lists as comma-separated text."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = [format_vendor_date(v, tz) for v in values]
        elif str(column) in SIZE_COLUMNS:
            out[column] = [human_size(v) for v in values]
        else:
            out[column] = [_cell(v) for v in values]
    return out


def _cell(value: object) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return yes_no(value)


def short_detail(value: object) -> object:
    """A diagnosis detail without its check code and trailing path (both stay in the appendix and CSV)."""
    if not isinstance(value, str):
        return value
    text = _DETAIL_PATH.sub("", _DETAIL_CODE.sub(lambda m: ": " if m[1] else "", value))
    return text[:1].upper() + text[1:]


def figure(fig, alt: str) -> Image:
    """A matplotlib Figure as an embedded PNG (the HTML carries it as base64) with its text alternative:
    what the figure shows, in words, for a screen reader and for a reader of the PDF's text."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return Image(data=buffer.getvalue(), format="png", metadata={"alt": escape(alt)})


def _counts_text(table: pd.DataFrame, label: str, limit: int = 12) -> str:
    """`account: 2 read error, 1 broken; ...` for an alt text: each row's non-zero columns."""
    parts = []
    for name, row in table.head(limit).iterrows():
        values = ", ".join(f"{int(n)} {column}" for column, n in row.items() if n)
        parts.append(f"{name}: {values}")
    more = f"; and {len(table) - limit} more {label}" if len(table) > limit else ""
    return "; ".join(parts) + more


def when(value: object, tz: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, str):
        return "the last snapshot" if value.strip().lower() == "last" else value
    return format_vendor_date(pd.Timestamp(value), tz)


# -- sections -------------------------------------------------------------------------------------
def title_block(ctx: ReportContext) -> list:
    generated = format_vendor_date(pd.Timestamp(ctx.started), ctx.store.tz)
    lines = [
        f"# {inert(ctx.title)}",
        f"Generated on {generated} by zxforensics {__version__}, offline and read-only. All times in this report "
        f"are in the server's time zone, **{inert(ctx.store.tz)}**.",
    ]
    return [md("\n\n".join(lines))]


def executive_summary(ctx: ReportContext) -> list:
    """The bottom line on the first screen: what was asked, what was lost, what is back, what to do."""
    diag = rs.diagnosis(ctx)
    report = rs.notification_report(ctx)
    lines = [_preflight_sentence(ctx, diag) if report is None else _asked_sentence(report, len(diag))]
    if diag.empty:
        lines.append("**Nothing is missing**: there is nothing to recover.")
        return [md("\n\n".join(lines + _next_steps(ctx, diag, 0, report is None)))]
    causes = diag["cause"].astype(str)
    if report is not None:  # with a notification, the report extracted them: count the files written
        recovered = rs.extract_recoverable(ctx)
        good = recovered[recovered["error"].isna()] if not recovered.empty else recovered
        done = set(zip(good["account"].astype(str), good["item_id"], strict=True)) if not good.empty else set()
        back = pd.Series([(a, i) in done for a, i in zip(diag["account"].astype(str), diag["item_id"], strict=True)],
                         index=diag.index, dtype=bool)  # fmt: skip
    else:  # a pre-flight extracts nothing: what could be extracted
        back = diag["recoverable_eml"].fillna(False).astype(bool)
    total, eml = len(diag), rs.EML_DIR
    if back.any():
        kinds = causes[back].value_counts()
        how = ", ".join(f"{n} {RECOVERED_AS.get(c, cause_label(c).lower())}" for c, n in kinds.items())
        if report is not None:
            lines.append(f"**{int(back.sum())} of the {total} can be recovered now** ({how}): they were extracted "
                         f"from the backup as `.eml` files in the folder `{eml}/` beside this report "
                         f"({eml}/manifest.csv lists them, one per item, checked against the backup).")  # fmt: skip
        else:
            lines.append(f"**{int(back.sum())} of the {total} could be recovered** ({how}) as `.eml` files: run "
                         "this report with the restore's notification, or extract them one by one.")  # fmt: skip
    elif report is not None:
        lines.append("**No item could be extracted** from the backup as an `.eml` file.")
    retry = int(((causes == "restorable") & ~back).sum())
    if retry:
        lines.append(f"**{plural(retry, 'item')}** {'is' if retry == 1 else 'are'} intact in the backup but "
                     "not a message: a new restore attempt should bring them back.")  # fmt: skip
    lost = diag[~back & (causes != "restorable")]
    if lost.empty:
        lines.append("**None is lost**.")
    else:
        reasons = lost["cause"].astype(str).value_counts()
        why = "; ".join(f"{plural(int(n), 'item')} because {CAUSE_WHY.get(c, humanize(c).lower())}"
                        for c, n in reasons.items())  # fmt: skip
        lines.append(f"**{len(lost)} of the {total} cannot be recovered from this backup**: {why}.")
    return [md("\n\n".join(lines + _next_steps(ctx, diag, int(back.sum()), report is None)))]


def _asked_sentence(report, unrestored: int) -> str:
    """What the restore was and what it did, from the notification's header and its stats line."""
    header, stats = report.operation or {}, report.stats
    what = inert(header.get("operation") or "A restore")
    where = f" on server {inert(header['server'])}" if header.get("server") else ""
    started = f", started on {inert(header['started'])}" if header.get("started") else ""
    counted = stats.get("unrestored")
    done = [f"{verb} {inert(stats[key])}" for key, verb in (("restored", "restored"), ("skipped", "skipped"))
            if stats.get(key) is not None]  # fmt: skip
    did = f"It {' items, '.join(done)}{' items' if len(done) == 1 else ''}, and" if done else "It"
    missing = inert(counted if counted is not None else unrestored)
    text = f"**What was asked:** {what}{where}{started}. {did} **did not restore {missing}**."
    if counted is not None and str(counted) != str(unrestored):
        text += f" The notification lists {unrestored} of them by item."
    return text


def _preflight_sentence(ctx: ReportContext, diag: pd.DataFrame) -> str:
    items = int(rs.holdings_table(ctx)["items"].sum())
    if not items:
        return "**What was checked:** no restore notification was given, and the backup holds no item."
    return (f"**What was checked:** no restore notification was given, so this is a pre-flight check of the "
            f"backup's {plural(items, 'item')}: a full restore would **not bring back {plural(len(diag), 'item')}**.")


def _next_steps(ctx: ReportContext, diag: pd.DataFrame, recoverable: int, preflight: bool) -> list[str]:
    causes = set(diag["cause"].astype(str)) if not diag.empty else set()
    steps = []
    if recoverable and not preflight:
        steps.append(f"Import the `.eml` files of `{rs.EML_DIR}/` into the mailboxes they belong to (one folder per "
                     "account).")  # fmt: skip
    if recoverable and preflight:
        steps.append("After a restore, run this report with its notification: it extracts every item it can.")
    if "restorable" in causes:
        steps.append("Retry the restore of the items that are intact in the backup: the cause was on the "
                     "target server (quota, rights, a stopped service).")  # fmt: skip
    if "invalid" in causes:
        done = "they can be extracted" if preflight else "they were extracted"
        steps.append(f"Import by hand the messages the mail server refuses: {done} as they are.")
    if "read_error" in causes or "broken" in causes:
        steps.append("Check the backup's storage and any offsite copy for the items it cannot read.")
    if "not_in_backup" in causes:
        steps.append("Look for the items not in the backup in an older backup or another source.")
    found = rs.findings(ctx)
    errors = int((found["severity"].astype(str) == "error").sum()) if not found.empty else 0
    if errors:
        steps.append(f"Have the backup's {plural(errors, 'integrity error')} looked at (see Audit findings).")
    if not steps:
        steps.append("Nothing: keep the report with the case file.")
    return ["**What to do next:**\n\n" + "\n".join(f"- {s}" for s in steps)]


def contents() -> list:
    """The table of contents: filled with the sections' links when the HTML is written."""
    return [HTML(TOC_MARK)]


def summary_section(ctx: ReportContext) -> list:
    store = ctx.store
    accounts = rs.accounts_table(ctx)
    holdings = rs.holdings_table(ctx)
    items = int(holdings["items"].sum())
    first, last = store.scan_dates()
    deleted = int(accounts["deleted"].astype(bool).sum()) if not accounts.empty else 0
    lines = (
        f"The backup holds **{items} items** of **{len(accounts)} accounts** ({deleted} deleted), scanned "
        f"from {inert(when(first, store.tz))} to {inert(when(last, store.tz))}."
    )
    months = rs.timeline_months(ctx)
    per_type = holdings_by_type(holdings)
    return [
        md(lines),
        table(summary_rows(ctx), store.tz),
        md("### Accounts"),
        table(accounts.drop(columns="account_id"), store.tz),
        md("### Items over time"),
        figure(plots.states_over_time(months, store.tz), timeline_alt(months, store.tz)),
        md("The full timeline of item states is in `timeline.csv` (Timesketch's import format)."),
        figure(plots.items_per_type_and_account(holdings),
               "Bar chart of the items per account and type. " + (_counts_text(per_type, "accounts") or
                                                                  "The backup holds no item.")),
    ]  # fmt: skip


def summary_rows(ctx: ReportContext) -> pd.DataFrame:
    """`summary_table` for a reader: sizes with units, no paths, the read errors' codes left to the appendix."""
    rows = []
    names = {"read errors (metadata and blobs met so far)": "files that could not be read",
             "blob files": "message files (blobs)", "orphan blobs": "message files no item uses",
             "findings": "audit findings"}  # fmt: skip
    scans = dict(zip(("first scan", "last scan"), ctx.store.scan_dates(), strict=True))
    for metric, value in rs.summary_table(ctx).itertuples(index=False):
        metric = str(metric)
        if metric in scans:  # without the zone's abbreviation: the zone is named once, at the top
            value = when(scans[metric], ctx.store.tz)
        if metric in ("backup path", "server time zone") or metric.startswith(("errors: ", "findings: ")):
            continue
        if "bytes" in metric:
            value = human_size(value)
            metric = metric.replace("blob bytes", "message files' size").replace("bytes", "size")
        rows.append((humanize(names.get(metric, metric)), value))
    return pd.DataFrame(rows, columns=["metric", "value"])


def timeline_alt(months: pd.DataFrame, tz: str) -> str:
    """The figure's alt text, from the same table (`states_by_month`): kinds by count, then in table order."""
    if months.empty:
        return "Bar chart of the item states per month: the backup holds no item state."
    kinds = months.sum().sort_values(ascending=False, kind="stable")
    first, last = (p.strftime("%m/%Y") for p in (months.index.min(), months.index.max()))
    told = ", ".join(f"{n} {k.lower()}" for k, n in kinds.items())
    return f"Bar chart of the item states per month ({tz}), from {first} to {last}: {told}."


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
    by_account = rs.causes_by_account(diag)
    shown = by_account.rename(columns={c: cause_label(c) for c in by_account.columns if c in CAUSE_LABELS})
    labelled = diag.assign(cause=[cause_label(c) for c in diag["cause"].astype(str)])
    order = tuple(CAUSE_LABELS[c] for c in CAUSES)
    alt = ("Bar chart of the unrestored items per account, by cause. "
           + _counts_text(shown.set_index("account").drop(columns="total"), "accounts") + ".")  # fmt: skip
    blocks += [md("### Causes per account"), table(shown), figure(plots.causes(labelled, order), alt)]
    return blocks


def _outcome(report, diag: pd.DataFrame, tz: str) -> list:
    """The notification's header, its stats line, and its own consistency check."""
    stats = report.stats
    blocks = []
    if report.operation:
        header = {k: v for k, v in report.operation.items() if k != "id"}  # the id: in the appendix
        blocks.append(table(pd.DataFrame({"field": [humanize(k) for k in header],
                                          "value": [str(v) for v in header.values()]}), tz))  # fmt: skip
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
        shown = rows[columns].assign(detail=[short_detail(d) for d in rows["detail"]])
        blocks += [md(f"### {inert(cause_label(cause))}: {plural(len(rows), 'item')}\n\n{EXPLAIN.get(cause, '')}"),
                   table(shown, ctx.store.tz)]
    blocks.append(md(f"Every row, with the check codes, blob paths and digests: "
                     f"{code(saved.relative_to(ctx.out_dir))} and the appendix."))  # fmt: skip
    return blocks


def recovered_section(ctx: ReportContext) -> list:
    if ctx.notification is None:
        return [md("Nothing to recover without a restore notification.")]
    recovered = rs.extract_recoverable(ctx)
    diag = rs.diagnosis(ctx)
    good = recovered[recovered["error"].isna()]
    text = (f"**{len(good)} of {len(diag)}** unrestored items were recovered from the backup as `.eml` files under "
            f"`{rs.EML_DIR}/` (byte-exact and checked against the backup; `{rs.EML_DIR}/manifest.csv` lists them, "
            "and the appendix gives each file's SHA-256).")  # fmt: skip
    blocks = [md(text)]
    if not recovered.empty:
        shown = recovered.drop(columns=[c for c in ("sha256", "transaction_id") if c in recovered.columns])
        shown = shown.assign(cause=[cause_label(c) for c in shown["cause"].astype(str)])
        if not shown["error"].notna().any():
            shown = shown.drop(columns="error")
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
    hashes = [c for c in ("diff", "sha256_before", "sha256_after") if c in custom]
    blocks.append(table(custom.drop(columns=hashes), ctx.store.tz))
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
    rs.save_table(ctx, "findings", found)
    severities = found["severity"].astype(str).value_counts()
    kinds = by_kind(found)
    shown = kinds.assign(kind=[humanize(k) for k in kinds["kind"]])
    alt = ("Bar chart of the audit findings per kind, by severity. "
           + _counts_text(shown.set_index("kind").drop(columns="total"), "kinds") + ".")  # fmt: skip
    blocks = [
        md(f"The coherency check (every blob decompressed and its digest verified) found **{len(found)} "
           "findings**: " + ", ".join(f"{n} {inert(s)}" for s, n in severities.items()) + ". Each finding, "
           "with its path, is listed in the appendix and in `tables/findings.csv`."),
        table(shown),
        figure(plots.findings(found), alt),
    ]
    return blocks + _retention(ctx) + _shares(ctx)


def _retention(ctx: ReportContext) -> list:
    plan = rs.retention_forecast(ctx)
    tz = ctx.store.tz
    at = inert(when(plan.at, tz))
    basis = "on the date given" if ctx.purge_date is not None else "at the backup's last scan"
    summary = pd.DataFrame([
        ("Purge date", when(plan.at, tz)),
        ("Data retention", f"{plan.data_retention_days} days" if plan.data_retention_days else "keep forever"),
        ("Account retention",
         f"{plan.account_retention_days} days" if plan.account_retention_days else "keep forever"),
        ("Accounts removed", int(plan.accounts["purged"].sum())),
        ("Deleted items removed", int(plan.items["purged"].sum())),
        ("Message files freed", int(plan.blobs["freed"].sum())),
        ("Message files kept (still used)", int((~plan.blobs["freed"]).sum())),
        ("Space freed", human_size(plan.bytes_freed)),
    ], columns=["metric", "value"]).astype({"value": str})  # fmt: skip
    blocks = [md(f"### Retention: what a purge {basis} ({at}) would remove"), table(summary)]
    accounts = plan.purged_accounts()
    if not accounts.empty:
        blocks += [md("Accounts the purge removes:"), table(accounts.drop(columns="account_id"), tz)]
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
    blocks.append(md(", ".join(f"**{n}** {inert(humanize(s).lower())}" for s, n in counts.items()) + "."))
    broken = shares[shares["status"].astype(str) != "ok"]
    if not broken.empty:
        columns = [c for c in SHARE_SHOWN if c in broken.columns and not c.endswith("_id")]  # ids: in the CSV
        shown = broken[columns].assign(status=[humanize(s) for s in broken["status"].astype(str)])
        blocks.append(table(shown, ctx.store.tz, saved=str(
            rs.save_table(ctx, "shares", shares).relative_to(ctx.out_dir))))
    return blocks


def appendix_section(ctx: ReportContext) -> list:
    """What a technician checks and a manager skips: ids, hashes, paths and the raw check codes."""
    tz = ctx.store.tz
    blocks: list = [md("The values below are those of the CSV tables under `tables/` and of `eml/manifest.csv`: "
                       "hashes, paths, ids and the check codes the kit and the vendor use.")]  # fmt: skip
    report = rs.notification_report(ctx)
    if report is not None and report.operation:
        blocks += [md("### Restore operation"),
                   table(pd.DataFrame({"field": list(report.operation),
                                       "value": [str(v) for v in report.operation.values()]}), tz)]  # fmt: skip
    recovered = rs.extract_recoverable(ctx)
    if not recovered.empty:
        columns = [c for c in ("account", "item_id", "transaction_id", "file", "sha256", "verified")
                   if c in recovered.columns]  # fmt: skip
        blocks += [md("### Recovered files and their SHA-256"), table(recovered[columns], tz)]
    diag = rs.diagnosis(ctx)
    if not diag.empty:
        columns = [c for c in ("account", "item_id", "cause", "detail", "digest") if c in diag.columns]
        blocks += [md("### Unrestored items: check codes and digests"),
                   table(diag[columns].assign(cause=diag["cause"].astype(str)), tz,
                         saved=f"{rs.TABLES_DIR}/diagnosis.csv")]  # fmt: skip
    found = rs.findings(ctx)
    if not found.empty:
        shown = with_account_names(ctx.store, found).drop(columns=["account_id", "digest"])
        blocks += [md("### Audit findings"), table(shown, tz, saved=f"{rs.TABLES_DIR}/findings.csv")]
    errors = [(m.removeprefix("errors: "), v) for m, v in rs.summary_table(ctx).itertuples(index=False)
              if str(m).startswith("errors: ")]  # fmt: skip
    if errors:
        blocks += [md("### Read errors by kind"), table(pd.DataFrame(errors, columns=["kind", "files"]))]
    accounts = rs.accounts_table(ctx)
    if not accounts.empty:
        blocks += [md("### Account ids"), table(accounts[["name", "account_id"]])]
    custom = rs.customization_changes(ctx)
    if custom is not None and not custom.empty:
        columns = [c for c in ("member", "change", "sha256_before", "sha256_after") if c in custom.columns]
        blocks += [md("### Customization files and their SHA-256"), table(custom[columns], tz)]
    return blocks


def about_section(ctx: ReportContext) -> list:
    parameters = {
        "backup_path": str(ctx.store.root), "notification": str(ctx.notification or ""),
        "date_a": str(ctx.date_a or ""), "date_b": str(ctx.date_b or ""),
        "purge_date": str(ctx.purge_date or ""), "tz": ctx.store.tz, "out_dir": str(ctx.out_dir),
    }  # fmt: skip
    text = (
        "This report was produced offline from a read-only backup path: nothing in it was written. "
        "`run_manifest.json`, beside this file, records the parameters, the kit's and its dependencies' "
        "versions, the start and end times, and the SHA-256 of every input file read and every file written."
    )
    return [md(text), table(pd.DataFrame({"parameter": list(parameters), "value": list(parameters.values())}))]
