"""Widgets and plots of the backup audit: findings by account and kind, what the backup holds,
states over time, and the purge forecast.

The work is the package's (`coherency`, `retention`, `summary.holdings`, and every figure in
`report.plots`); the helpers here only choose what a control shows (`account_options`, `kind_options`,
`filter_findings`, `retention_tables`), and `FindingsView` and `RetentionView` wire them.
"""

from __future__ import annotations

import pandas as pd

from ..investigate.coherency import FINDING_KINDS, with_account_names
from ..investigate.retention import purge_forecast
from ..report import plots
from ..store.backup import BackupStore
from .common import DESCRIPTION, View, figure_image, frame_html, set_figure, table_box, wrapping_row


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


def retention_tables(store: BackupStore, data_days: int, account_days: int, date: object = None):
    """`(summary, purged accounts, purged items per account)` of a purge at `date`."""
    plan = store.retention(int(data_days), int(account_days), date or None)
    return plan.summary(), plan.purged_accounts().drop(columns="account_id"), plan.purged_per_account()


class FindingsView(View):
    """Account and finding-kind pickers (initial values from the notebook's parameters) over the
    findings table, and the findings-per-kind plot of the selection."""

    def __init__(self, store: BackupStore, findings: pd.DataFrame, accounts=(), kinds=()) -> None:
        import ipywidgets as w

        self.store, self.findings = store, findings
        account_choices, kind_choices = account_options(store, findings), kind_options(findings)
        accounts = [store.resolve_account(a) if a else "" for a in accounts]
        self.accounts = w.SelectMultiple(options=account_choices, description="accounts", rows=6, style=DESCRIPTION,
                                         value=tuple(a for a in accounts if a in dict(account_choices).values()),
                                         layout=w.Layout(width="auto", min_width="22em"))
        self.kinds = w.SelectMultiple(options=kind_choices, description="kinds", rows=6, style=DESCRIPTION,
                                      value=tuple(k for k in kinds if k in dict(kind_choices).values()),
                                      layout=w.Layout(width="auto", min_width="18em"))  # fmt: skip
        self.table, self.plot = table_box(), figure_image()
        for control in (self.accounts, self.kinds):
            control.observe(self.refresh, names="value")
        self.widget = w.VBox([wrapping_row([self.accounts, self.kinds], grid_gap="1em"), self.plot, self.table])
        self.refresh()

    @property
    def value(self) -> dict:
        return {"accounts": self.accounts.value, "kinds": self.kinds.value}

    def selection(self) -> pd.DataFrame:
        return filter_findings(self.store, self.findings, self.accounts.value, self.kinds.value)

    def refresh(self, _change=None) -> None:
        shown = self.selection()
        self.table.value = frame_html(shown, empty="no finding for this selection")
        set_figure(self.plot, plots.findings(shown) if len(shown) else None)


class RetentionView(View):
    """Retention days and a purge date driving the purge summary, the purged accounts and items."""

    def __init__(self, store: BackupStore, data_days: int = 30, account_days: int = 30, date: object = "") -> None:
        import ipywidgets as w

        self.store = store
        days = w.Layout(width="14em")
        self.data_days = w.BoundedIntText(value=data_days, min=0, max=36500, description="data days",
                                          style=DESCRIPTION, layout=days)
        self.account_days = w.BoundedIntText(value=account_days, min=0, max=36500, description="account days",
                                             style=DESCRIPTION, layout=days)
        self.date = w.Text(value=str(date or ""), description="purge at", placeholder="dd/MM/yyyy HH:mm:ss (last scan)",
                           continuous_update=False, style=DESCRIPTION, layout=w.Layout(width="24em"))  # fmt: skip
        self.summary, self.accounts, self.items, self.plot = table_box(), table_box(), table_box(), figure_image()
        for control in (self.data_days, self.account_days, self.date):
            control.observe(self.refresh, names="value")
        self.widget = w.VBox([wrapping_row([self.data_days, self.account_days, self.date]), self.summary,
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
        set_figure(self.plot, plots.purge_forecast(forecast, self.store.tz))
