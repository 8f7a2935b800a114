"""`zxforensics check`: a monitoring plugin (Nagios plugin API: Icinga, Zabbix, Checkmk too), built on
`nagiosplugin`. One status line with perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

The measurements are `investigate.health.measure`; here they become nagiosplugin metrics, contexts
(thresholds) and a summary, and nagiosplugin formats the line.
"""

from __future__ import annotations

import io
import logging

import nagiosplugin as nag
from nagiosplugin.output import Output

from ..errors import ZxError
from ..format.text import escape
from ..investigate.health import DEFAULT_SAMPLE_BUDGET, Health, measure
from .common import BACKUP_PATH, TZ, open_store
from .registry import Param, Result, UsageError, verb

NAME = "zxbackup"  # the status line's prefix: ZXBACKUP OK - ...
DAY_HOURS = 24  # critical one missed daily scan after the warning
LONG_LINES = 10  # names and paths listed under the status line, per finding


def number(values: dict, name: str, minimum: float = 0) -> float:
    """A numeric parameter (hours and seconds may have decimals)."""
    try:
        value = float(values[name])
    except (TypeError, ValueError):
        raise UsageError(f"command check: {name} must be a number, not {values[name]!r}", "check") from None
    if not value >= minimum:
        raise UsageError(f"command check: {name} must be at least {minimum:g}, not {values[name]!r}", "check")
    return value


def threshold(values: dict, name: str) -> nag.Range:
    """A Nagios range (`10`, `5:`, `~:20`, `@1:3`): a value outside it alerts."""
    try:
        return nag.Range(str(values[name]))
    except ValueError as exc:
        raise UsageError(f"command check: {name} {values[name]!r} is not a Nagios range ({exc})", "check") from None


class Backup(nag.Resource):
    """The backup path being watched; `probe` measures it once and yields the metrics."""

    name = NAME

    def __init__(self, values: dict, options: dict) -> None:
        self.values, self.options = values, options
        self.health: Health | None = None

    def probe(self):
        values = self.values
        try:
            store = open_store(values, self.options)
            self.health = measure(store, values["copy"], int(number(values, "verify_sample")),
                                  max_lag_hours=number(values, "copy_max_lag_hours"),
                                  budget_seconds=number(values, "budget_seconds"))  # fmt: skip
        except (ZxError, OSError) as exc:
            raise nag.CheckError(str(exc)) from None
        yield from metrics(self.health)


def metrics(health: Health):
    """The measurements as metrics, each naming the context that judges it."""
    age = health.age_hours
    if age is None:
        yield nag.Metric("last_scan", 0, context="never")
    else:
        yield nag.Metric("age_hours", round(max(age, 0.0) if age > -1 else age, 1), min=0, context="age_hours")
    yield nag.Metric("accounts", health.active_accounts, min=0, context="count")
    yield nag.Metric("checked", health.checked_accounts, min=0, context="count")
    yield nag.Metric("unbacked", abs(health.checked_accounts - health.active_accounts), min=0, context="unbacked")
    yield nag.Metric("unprotected", len(health.unprotected), min=0, context="unprotected")
    yield nag.Metric("errors", health.read_errors, min=0, context="errors")
    if health.copy is not None:
        if health.copy.problem:
            yield nag.Metric("copy", 0, context="copy_unreadable")
        else:
            yield nag.Metric("copy_missing", len(health.copy.missing), min=0, context="copy_missing")
            yield nag.Metric("copy_changed", len(health.copy.changed), min=0, context="copy_changed")
            yield nag.Metric("copy_extra", len(health.copy.extra), min=0, context="copy_extra")
            yield nag.Metric("copy_pending", health.copy.pending, min=0, context="count")
    if health.sample is not None:
        yield nag.Metric("sample_verified", health.sample.verified, min=0, context="count")
        yield nag.Metric("sample_failed", len(health.sample.failed), min=0, context="sample_failed")


class Plain(nag.Result):
    """A result told by its description alone: for a count whose threshold is zero, `(outside range 0:0)`
    says nothing the description does not."""

    def __str__(self) -> str:
        return self.metric.description if self.metric and self.metric.description else (self.hint or "")


class Fixed(nag.Context):
    """A context that always gives one state with one explanation (never scanned, copy unreadable)."""

    def __init__(self, name: str, state, explain) -> None:
        super().__init__(name)
        self.state, self.explain = state, explain

    def evaluate(self, metric, resource):
        return nag.Result(self.state, self.explain(resource.health), metric)


def contexts(values: dict, backup: Backup) -> list[nag.Context]:
    """Thresholds: age warns past max_age_hours and is critical a day later; read errors follow
    `warning`/`critical`; any account out of backup or checked-but-not-backed-up warns; any copy file
    missing or changed and any sampled blob that fails is critical; extra copy files warn."""
    max_age = number(values, "max_age_hours")
    health = lambda: backup.health  # noqa: E731  (filled by probe, read when a result is described)
    return [
        nag.ScalarContext("age_hours", plain(max_age), plain(max_age + DAY_HOURS),
                          fmt_metric="last scan {value} h ago"),
        nag.ScalarContext("count"),
        nag.ScalarContext("errors", threshold(values, "warning"), threshold(values, "critical"),
                          fmt_metric="{value} read errors"),
        zero("unbacked", nag.Warn, lambda m: f"numCheckedAccounts {health().checked_accounts} but "
             f"numActiveBackupedAccounts {health().active_accounts}"),
        zero("unprotected", nag.Warn, lambda m: f"{m.value} account(s) out of backup by their COS "
             f"({listed(health().unprotected)})"),
        zero("copy_missing", nag.Critical, lambda m: f"copy: {m.value} file(s) missing"),
        zero("copy_changed", nag.Critical, lambda m: f"copy: {m.value} file(s) differ in size or mtime"),
        zero("copy_extra", nag.Warn, lambda m: f"copy: {m.value} file(s) the original no longer has"),
        zero("sample_failed", nag.Critical, lambda m: f"{m.value} of {health().sample.asked} sampled blobs "
             "fail verification"),
        Fixed("never", nag.Critical, lambda h: "the backup was never scanned (backupstat lastScan)"),
        Fixed("copy_unreadable", nag.Critical, lambda h: f"copy cannot be compared: {h.copy.problem}"),
    ]  # fmt: skip


def plain(value: float) -> str:
    """A number as a Nagios range bound: no exponent (`1e+06` is not a range)."""
    return str(int(value)) if value.is_integer() else repr(value)


def zero(name: str, state, describe) -> nag.ScalarContext:
    """A count that must stay zero: above it, `state` (Warn or Critical), told by `describe(metric)`."""
    ranges = {"warning": "0"} if state == nag.Warn else {"critical": "0"}
    return nag.ScalarContext(name, fmt_metric=lambda m, c: describe(m), result_cls=Plain, **ranges)


def listed(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(escape(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class BackupSummary(nag.Summary):
    """`last scan 3 h ago, 1,204 accounts, 0 read errors`, or every problem, the worst first."""

    def __init__(self, backup: Backup) -> None:
        self.backup = backup

    def ok(self, results) -> str:
        health = self.backup.health
        parts = [f"last scan {max(health.age_hours, 0):.0f} h ago", f"{health.active_accounts:,} accounts",
                 f"{health.read_errors:,} read errors"]  # fmt: skip
        if health.copy is not None:
            parts.append(f"copy in step ({health.copy.compared:,} files, {health.copy.pending:,} pending)")
        if health.sample is not None:
            parts.append(f"{health.sample.verified:,} sampled blobs verified")
        return ", ".join(parts)

    def problem(self, results) -> str:
        ranked = sorted((r for r in results if r.state != nag.Ok), key=lambda r: -int(r.state))
        return "; ".join(str(r) for r in ranked)


def long_output(health: Health | None) -> list[str]:
    """The lines under the status line: which accounts, files and blobs the findings are about."""
    if health is None:
        return []
    lines = [f"out of backup: {escape(n)}" for n in health.unprotected[:LONG_LINES]]
    lines += [f"read errors: {kind} {count}" for kind, count in sorted(health.errors_by_kind.items())]
    if health.copy is not None:
        for label, paths in (("missing in copy", health.copy.missing), ("differs in copy", health.copy.changed),
                             ("only in copy", health.copy.extra)):
            lines += [f"{label}: {escape(p)}" for p in paths[:LONG_LINES]]
    if health.sample is not None:
        lines += [f"blob fails: {escape(p)} ({escape(why)})" for p, why in health.sample.failed[:LONG_LINES]]
        if health.sample.cut_short:
            lines.append(f"blob sample cut short by its {health.sample.budget_seconds:g} s budget")
    return lines


def status(check: nag.Check, extra=lambda: []) -> Result:
    """Run a check and let nagiosplugin format its output (without its process-wide Runtime, which
    exits the process); `extra()` gives the long-output lines once the check has run."""
    check()
    output = Output(logging.StreamHandler(io.StringIO()))
    output.add(check)
    output.add_longoutput(extra())
    return Result(None, str(output).rstrip("\n"), exit_code=check.exitcode)


class Failed(nag.Resource):
    """A check that could not run (usage, input, a bug): UNKNOWN with the reason."""

    name = NAME

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def probe(self):
        raise nag.CheckError(self.reason)


def unknown(exc: BaseException) -> Result:
    reason = str(exc) if isinstance(exc, ZxError | OSError) else f"internal error: {type(exc).__name__}: {exc}"
    return status(nag.Check(Failed(escape(reason))))


@verb(
    "check",
    (),
    {"backup_path": BACKUP_PATH,
     "max_age_hours": Param("string", "26", help="hours since the last scan before WARNING (CRITICAL a day later)"),
     "copy": Param("path", None, help="an offsite copy, compared by stat (size, mtime)"),
     "copy_max_lag_hours": Param("string", "26", help="a file changed more recently may be missing from the copy"),
     "verify_sample": Param("string", "20", help="blobs drawn at random and verified by digest"),
     "budget_seconds": Param("string", f"{DEFAULT_SAMPLE_BUDGET:g}", help="time the blob sample may take"),
     "warning": Param("string", "1", help="Nagios range of read errors before WARNING"),
     "critical": Param("string", "10", help="Nagios range of read errors before CRITICAL"),
     "tz": TZ},
    help="A monitoring plugin (Nagios, Icinga, Zabbix, Checkmk): one status line with perfdata, exit 0 OK,\n"
    "1 WARNING, 2 CRITICAL, 3 UNKNOWN, e.g. zxforensics check backup_path /mnt/offsite copy /mnt/offsite2",
    on_error=unknown,
)
def check(values: dict, options: dict) -> Result:
    backup = Backup(values, options)
    plugin = nag.Check(backup, *contexts(values, backup), BackupSummary(backup))
    return status(plugin, lambda: long_output(backup.health))
