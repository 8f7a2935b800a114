"""Every figure the kit draws: what each shows, whatever face draws it."""

from __future__ import annotations

from zxforensics.format.names import CAUSES
from zxforensics.investigate.diagnose import cause_counts
from zxforensics.investigate.summary import holdings
from zxforensics.report import plots
from zxforensics.widgets.common import figure_png


def test_cause_chart(sample_restore):
    fig = plots.causes(sample_restore[1])
    ax = fig.axes[0]
    accounts = [label.get_text() for label in ax.get_yticklabels()]
    assert accounts == list(cause_counts(sample_restore[1]).index)
    assert len(ax.patches) == len(accounts) * len(CAUSES)
    widths = {(p.get_y(), p.get_facecolor()): p.get_width() for p in ax.patches}
    assert sum(widths.values()) == 32
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(CAUSES)
    assert figure_png(fig).startswith(b"\x89PNG")


def test_holdings_and_plots(sample_store):
    store = sample_store
    findings = store.audit(["frank@example.com"], progress=False)
    table = holdings(store)
    frank = table[table["account"] == "frank@example.com"].set_index("type")
    last = store.items("last", ["frank@example.com"])
    assert frank["items"].sum() == len(last)
    assert frank.loc["mountpoint", "items"] == 1
    for fig in (plots.findings(findings), plots.holdings(table), plots.states_by_type(store.item_states(), store.tz)):
        assert fig.axes and fig.axes[0].get_title()
    assert plots.states_by_type(store.item_states(), store.tz).axes[0].get_xticklabels()[0].get_text() == "06/2013"
