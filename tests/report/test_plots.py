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


def test_an_empty_section_draws_nothing_to_show(store_shape):
    """An empty store: every figure is its title and the note, not an error nor empty axes."""
    import warnings

    import zxforensics as zx
    from zxforensics.investigate.config_diff import key_history
    from zxforensics.investigate.retention import purge_forecast

    store = zx.open_backup(store_shape("empty"))
    key = "globalConfig/zimbraNotes/"
    figures = {
        "states_over_time": plots.states_over_time(zx.timeline(store), store.tz),
        "items_per_type_and_account": plots.items_per_type_and_account(holdings(store)),
        "causes": plots.causes(zx.diagnose(store)),
        "findings": plots.findings(store.audit(progress=False).iloc[0:0]),
        "holdings": plots.holdings(holdings(store)),
        "states_by_type": plots.states_by_type(store.item_states(), store.tz),
        "key_history": plots.key_history(key_history(store, key), key, store.tz),
    }
    for name, fig in figures.items():
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert texts == [plots.NOTHING], name
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "no artists with labels" legend on empty axes
            assert figure_png(fig).startswith(b"\x89PNG"), name
    forecast = plots.purge_forecast(purge_forecast(store), store.tz)  # 14 dates of zero: a real plot
    assert forecast.axes and not [t for ax in forecast.axes for t in ax.texts]
