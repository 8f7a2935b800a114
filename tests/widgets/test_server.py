"""The server configuration widgets: each action called directly, the view wired, and the notebook run."""

from __future__ import annotations

import pytest
from sample_paths import NOTEBOOKS

from zxforensics.widgets import server as sw

MAIL_MODE = "serverConfig/zimbraMailMode/test.domain.com"


def test_snapshot_options(sample_store):
    options = sw.snapshot_options(sample_store)
    assert options[:3] == [
        ("last (28/02/2014 04:01:14 CET)", "last"),
        ("28/02/2014 04:01:14 CET", "28/02/2014 04:01:14"),
        ("27/02/2014 04:01:05 CET", "27/02/2014 04:01:05"),
    ]
    assert len(options) == 8 and options[-1] == ("22/02/2014 04:00:58 CET", "22/02/2014 04:00:58")
    extra = sw.snapshot_options(sample_store, ("25/02/2014 12:00:00", "last"))
    assert extra[-1] == ("25/02/2014 12:00:00", "25/02/2014 12:00:00") and len(extra) == 9


def test_customization_actions(sample_store):
    changes = sw.customization_changes(sample_store, "22/02/2014 04:00:58", "24/02/2014 04:01:09")
    table = sw.customization_table(changes)
    assert list(table.columns) == ["member", "change", "size_before", "size_after", "text"]
    assert table[["member", "change", "text"]].values.tolist() == [
        ["conf/keystore", "changed", False], ["postfix/conf/main.cf", "changed", True],
    ]  # fmt: skip
    assert sw.member_diff_text(changes, "conf/keystore") == sw.NO_DIFF
    assert "+message_size_limit = 20480000" in sw.member_diff_text(changes, "postfix/conf/main.cf").splitlines()
    assert sw.member_diff_text(changes, "conf/zmconfigd.cf") == "'conf/zmconfigd.cf' did not change"
    assert sw.member_diff_text(changes, None) == "no member selected"
    assert sw.customization_changes(sample_store, "01/01/2014 00:00:00", "last").empty
    assert sw.diff_html("<a> & b").endswith(">&lt;a&gt; &amp; b</pre>") and "overflow-x:auto" in sw.diff_html("")


def test_the_view_takes_its_parameters_and_follows_its_controls(sample_store):
    view = sw.ServerConfigDiffView(sample_store, "24/02/2014 04:01:09", "last", "/")
    assert view.value == {"date_a": "24/02/2014 04:01:09", "date_b": "last", "query": "/"}
    assert view.key.options == (
        "domains/example.com/zimbraPublicServiceHostname", "globalConfig/zimbraMtaRestriction", MAIL_MODE,
        "zimlets/com_zimbra_ymemoticons/zimbraZimletPriority",
    )  # fmt: skip
    assert view.key.value == "domains/example.com/zimbraPublicServiceHostname"
    assert bytes(view.plot.value).startswith(b"\x89PNG")
    assert view.member.options == (
        "conf/localconfig.xml", "conf/msgs/ZsMsg_fr.properties", "conf/postfix_reject_sender", "postfix/conf/master.cf",
    )  # fmt: skip
    assert "mailboxd_java_heap_size" in view.member_diff.value
    view.member.value = "postfix/conf/master.cf"
    assert "+submission inet n" in view.member_diff.value
    view.date_a.value = "27/02/2014 04:01:05"
    assert view.key.options == ("zimlets/com_zimbra_ymemoticons/zimbraZimletPriority",)
    assert view.member.options == ("postfix/conf/master.cf",)
    view.query.value = "serverConfig"
    assert "no difference" in view.table.value
    assert view.key.options == (MAIL_MODE,)  # nothing changed in between: the keys that ever changed
    assert view.layout is view.widget.layout


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_notebook_runs_under_papermill(tmp_path, sample_path):
    import papermill as pm

    out = tmp_path / "server_config_diff.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / "server_config_diff.ipynb"), str(out), cwd=str(NOTEBOOKS), progress_bar=False,
        parameters={"backup_path": str(sample_path), "date_a": "23/02/2014 04:01:03", "date_b": "last"},
        kernel_name="python3",
    )  # fmt: skip
    import nbformat

    cells = nbformat.read(out, as_version=4).cells
    text = "".join(o.get("text", "") for c in cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "+message_size_limit = 20480000" in text  # the customizations diff printed every changed file
    assert "@@ -1,4 +1,4 @@" in text  # the Latin-1 file's diff
    html = "".join(str(o.get("data", {}).get("text/html", "")) for c in cells for o in c.get("outputs", []))
    assert "zimbraMtaMaxMessageSize" in html and "eve@domain.com" in html
    assert not any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", []))
