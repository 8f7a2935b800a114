"""Widgets and plots of the backup audit: findings by account and kind, what the backup holds,
states over time, and the purge forecast.

Every action is a plain function (`account_options`, `kind_options`, `filter_findings`, `holdings`,
`holdings_figure`, `states_figure`, `retention_tables`, `forecast_figure`, and the report's
`findings_figure`); `FindingsView` and `RetentionView` only wire them.
"""

from __future__ import annotations

import pandas as pd

from ..investigate.coherency import FINDING_KINDS, with_account_names
from ..investigate.retention import purge_forecast
from ..report.plots import findings as findings_figure
from ..store.backup import BackupStore
from .common import View, figure_png, frame_html


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def account_options(store: BackupStore, findings: pd.DataFrame) -> list[tuple[str, str]]:
    """`(label, account_id)` of every account, with its number of findings, plus backup-wide ones."""
    per = findings["account_id"].fillna("").value_counts()
    options = [(f"(backup-wide) [{int(per.get('', 0))}]", "")]
    for row in store.accounts().itertuples(index=False):
        options.append((f"{row.name} [{int(per.get(row.account_id, 0))}]", str(row.account_id)))
    return options


def kind_options(findings: pd.DataFrame) -> list[tuple[str, str]]:
    """`(label, kind)` of the finding kinds present, most severe first."""
    present = findings.groupby("kind", observed=True).size()
    return [(f"{kind} [{int(present[kind])}]", kind) for kind in FINDING_KINDS if kind in present.index]


def filter_findings(store: BackupStore, findings: pd.DataFrame, accounts=(), kinds=()) -> pd.DataFrame:
    """Findings of some accounts (`""` = backup-wide) and kinds (empty = all), with the account's address."""
    keep = pd.Series(True, index=findings.index)
    if accounts:
        keep &= findings["account_id"].fillna("").isin(list(accounts))
    if kinds:
        keep &= findings["kind"].astype(str).isin(list(kinds))
    return with_account_names(store, findings[keep]).drop(columns=["account_id"]).reset_index(drop=True)


def holdings(store: BackupStore) -> pd.DataFrame:
    """`account, type, items, bytes` of the newest state of each item (bytes: uncompressed blob sizes)."""
    last = store.items("last")
    table = last.groupby([last["account"].astype(str), last["type"].astype(str)]).agg(
        items=("item_id", "size"), bytes=("size", "sum"))
    return table.reset_index().rename(columns={"level_0": "account"})


def holdings_figure(table: pd.DataFrame):
    """Items and bytes (uncompressed, as the metadata says) per account, stacked by item type (`holdings`)."""
    fig = _figure(11, 0.8 + 0.35 * max(table["account"].nunique(), 3))
    for position, measure in enumerate(("items", "bytes"), start=1):
        ax = fig.add_subplot(1, 2, position)
        pivot = table.pivot_table(index="account", columns="type", values=measure, aggfunc="sum", fill_value=0)
        pivot.plot.barh(stacked=True, ax=ax, legend=position == 2, width=0.8)
        ax.set_title(f"{measure} per account and type (newest states)")
        if measure == "bytes":  # one huge blob (a bomb, a video) must not hide the others
            ax.set_xscale("symlog", linthresh=1024)
            ax.set_title("bytes per account and type (log scale)")
        ax.set_ylabel("")
        if position == 2:
            ax.legend(fontsize="small", loc="lower right")
            ax.set_yticklabels([])
    return fig


def states_figure(store: BackupStore):
    """States started per month, by type, with the deletions as a line."""
    states = store.item_states()
    month = states["start_date"].dt.tz_convert(store.tz).dt.tz_localize(None).dt.to_period("M")
    table = pd.crosstab(month, states["type"].astype(str)).sort_index()
    deletions = states[states["deleted"]].groupby(month[states["deleted"]]).size().reindex(table.index, fill_value=0)
    table.index = [p.strftime("%m/%Y") for p in table.index]
    fig = _figure(9, 3.5)
    ax = fig.add_subplot()
    table.plot.bar(stacked=True, ax=ax, width=0.85, rot=45)
    ax.plot(range(len(table)), deletions.to_numpy(), color="black", marker="o", label="deletions")
    ax.set_title(f"Item states over time (month of the state's start, {store.tz})")
    ax.set_ylabel("states")
    ax.legend(fontsize="small", ncols=2)
    return fig


def retention_tables(store: BackupStore, data_days: int, account_days: int, date: object = None):
    """`(summary, purged accounts, purged items per account)` of a purge at `date`."""
    plan = store.retention(int(data_days), int(account_days), date or None)
    return plan.summary(), plan.purged_accounts().drop(columns="account_id"), plan.purged_per_account()


def forecast_figure(forecast: pd.DataFrame, tz: str = "UTC"):
    """Blob bytes and items a purge would free at each date of `purge_forecast`."""
    fig = _figure(9, 3.2)
    ax = fig.add_subplot()
    dates = forecast["date"].dt.tz_convert(tz).dt.tz_localize(None)
    ax.step(dates, forecast["bytes_freed"] / 1024, where="post", marker="o", label="KiB of blobs freed")
    ax.set_ylabel("KiB freed")
    other = ax.twinx()
    other.step(dates, forecast["items"], where="post", color="tab:orange", marker="s", label="deleted items purged")
    other.set_ylabel("items purged")
    ax.set_title("Purge forecast")
    fig.legend(loc="upper left", fontsize="small")
    fig.autofmt_xdate()
    return fig


class FindingsView(View):
    """Account and finding-kind pickers (initial values from the notebook's parameters) over the
    findings table, and the findings-per-kind plot of the selection."""

    def __init__(self, store: BackupStore, findings: pd.DataFrame, accounts=(), kinds=()) -> None:
        import ipywidgets as w

        self.store, self.findings = store, findings
        account_choices, kind_choices = account_options(store, findings), kind_options(findings)
        accounts = [store.resolve_account(a) if a else "" for a in accounts]
        self.accounts = w.SelectMultiple(options=account_choices, description="accounts", rows=6,
                                         value=tuple(a for a in accounts if a in dict(account_choices).values()))
        self.kinds = w.SelectMultiple(options=kind_choices, description="kinds", rows=6,
                                      value=tuple(k for k in kinds if k in dict(kind_choices).values()))  # fmt: skip
        self.table, self.plot = w.HTML(), w.Image(format="png")
        for control in (self.accounts, self.kinds):
            control.observe(self.refresh, names="value")
        self.widget = w.VBox([w.HBox([self.accounts, self.kinds]), self.plot, self.table])
        self.refresh()

    @property
    def value(self) -> dict:
        return {"accounts": self.accounts.value, "kinds": self.kinds.value}

    def selection(self) -> pd.DataFrame:
        return filter_findings(self.store, self.findings, self.accounts.value, self.kinds.value)

    def refresh(self, _change=None) -> None:
        shown = self.selection()
        self.table.value = frame_html(shown, empty="no finding for this selection")
        self.plot.value = figure_png(findings_figure(shown)) if len(shown) else b""


class RetentionView(View):
    """Retention days and a purge date driving the purge summary, the purged accounts and items."""

    def __init__(self, store: BackupStore, data_days: int = 30, account_days: int = 30, date: object = "") -> None:
        import ipywidgets as w

        self.store = store
        self.data_days = w.BoundedIntText(value=data_days, min=0, max=36500, description="data days")
        self.account_days = w.BoundedIntText(value=account_days, min=0, max=36500, description="account days")
        self.date = w.Text(value=str(date or ""), description="purge at", placeholder="dd/MM/yyyy HH:mm:ss (now)",
                           continuous_update=False)  # fmt: skip
        self.summary, self.accounts, self.items, self.plot = w.HTML(), w.HTML(), w.HTML(), w.Image(format="png")
        for control in (self.data_days, self.account_days, self.date):
            control.observe(self.refresh, names="value")
        self.widget = w.VBox([w.HBox([self.data_days, self.account_days, self.date]), self.summary,
                              w.HTML("<b>Accounts purged</b>"), self.accounts,
                              w.HTML("<b>Deleted items purged, per account</b>"), self.items,
                              w.HTML("<b>Forecast</b>"), self.plot])  # fmt: skip
        self.refresh()

    @property
    def value(self) -> dict:
        return {"data_days": self.data_days.value, "account_days": self.account_days.value, "date": self.date.value}

    def refresh(self, _change=None) -> None:
        summary, accounts, items = retention_tables(self.store, self.data_days.value, self.account_days.value,
                                                    self.date.value)  # fmt: skip
        self.summary.value = frame_html(summary)
        self.accounts.value = frame_html(accounts, empty="no account purged")
        self.items.value = frame_html(items, empty="no deleted item purged")
        forecast = purge_forecast(self.store, self.data_days.value, self.account_days.value)
        self.plot.value = figure_png(forecast_figure(forecast, self.store.tz))
