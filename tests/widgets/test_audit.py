"""The audit widgets' actions, called directly, and the backup_audit notebook under papermill."""

from __future__ import annotations

import json

import pytest
from sample_paths import NOTEBOOKS

import zxforensics as zx
from zxforensics.investigate.coherency import FINDING_KINDS
from zxforensics.report import plots
from zxforensics.sample.catalog import ACCOUNTS, account_id
from zxforensics.widgets import audit as wa

NOTEBOOK = NOTEBOOKS / "backup_audit.ipynb"


@pytest.fixture(scope="module")
def store(sample_path):
    return zx.open_backup(sample_path)


@pytest.fixture(scope="module")
def findings(store):
    return store.audit(["frank@example.com", "account14@domain.com"], progress=False)


def test_pickers(store, findings):
    options = wa.account_options(store, findings)
    assert len(options) == len(ACCOUNTS) + 1 and options[0] == ("(backup-wide) [0]", "")
    labels = dict((v, label) for label, v in options)
    assert labels[account_id("frank@example.com")] == "frank@example.com [3]"
    assert labels[account_id("account14@domain.com")] == "account14@domain.com [5]"
    kinds = [k for _label, k in wa.kind_options(findings)]
    assert kinds == [k for k in FINDING_KINDS if k in set(findings["kind"].astype(str))]
    assert kinds[:2] == ["missing_blob", "digest_mismatch"]


def test_filter_findings(store, findings):
    shown = wa.filter_findings(store, findings, [account_id("frank@example.com")], ["missing_blob", "size_mismatch"])
    assert shown[["kind", "account", "item_id"]].values.tolist() == [
        ["missing_blob", "frank@example.com", 7102], ["size_mismatch", "frank@example.com", 7101]]
    assert len(wa.filter_findings(store, findings)) == len(findings)
    assert wa.filter_findings(store, findings, [""]).empty  # no backup-wide finding in a limited audit


def test_retention_actions(store):
    summary, accounts, per_account = wa.retention_tables(store, 30, 30, "01/03/2014 00:00:00")
    assert dict(summary.itertuples(index=False))["accounts purged"] == "1"
    assert accounts["account"].tolist() == ["dave@domain.com"]
    assert per_account.set_index("account").loc["frank@example.com", "deleted items purged"] == 6
    forecast = wa.purge_forecast(store, 30, 30)
    fig = plots.purge_forecast(forecast, store.tz)
    assert fig.axes[0].get_title() == "Purge forecast" and len(forecast) == 14


def test_views_take_their_values_from_the_parameters(store, findings):
    view = wa.FindingsView(store, findings, accounts=["frank@example.com"], kinds=["missing_blob"])
    assert view.value == {"accounts": (account_id("frank@example.com"),), "kinds": ("missing_blob",)}
    assert len(view.selection()) == 1 and "7102" in view.table.value
    view.kinds.value = ()
    assert len(view.selection()) == 3 and view.plot.value[:4] == b"\x89PNG"
    retention = wa.RetentionView(store, 30, 0, "01/03/2014 00:00:00")
    assert retention.value == {"data_days": 30, "account_days": 0, "date": "01/03/2014 00:00:00"}
    assert "no account purged" in retention.accounts.value
    retention.account_days.value = 30
    assert "dave@domain.com" in retention.accounts.value


def test_the_notebook_under_papermill(tmp_path):
    import papermill as pm

    out = tmp_path / "backup_audit.ipynb"
    parameters = {"kinds": ["case_mismatch"], "data_retention_days": 60, "copy_path": "../sample_data/offsite_copy"}
    pm.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), kernel_name="python3",
                        progress_bar=False, parameters=parameters)  # fmt: skip
    nb = json.loads(out.read_text())
    tagged = [c for c in json.loads(NOTEBOOK.read_text())["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "\n".join("".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "too_large" in text and "orphan_blob" in text  # the findings counts
    assert "grant_without_mountpoint" in text and "content_differs" in text
    assert "data retention days                   60" in text
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 4
