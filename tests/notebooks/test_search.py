"""notebooks/search.ipynb runs unattended under papermill, with its outputs elsewhere."""

from __future__ import annotations

import json
import mailbox

import papermill as pm
from sample_paths import ROOT

from zxforensics.sample.mail_cases import ACCOUNT, EXPORT_DATE

NOTEBOOK = ROOT / "notebooks" / "search.ipynb"


def test_notebook_is_stored_without_outputs_and_one_parameters_cell():
    notebook = json.loads(NOTEBOOK.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    tagged = [cell for cell in code if "parameters" in cell["metadata"].get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    names = {line.split(" = ")[0] for line in "".join(tagged[0]["source"]).splitlines()}
    assert names == {"backup_path", "out_dir", "pattern", "regex", "accounts", "search_date", "export_account",
                     "export_date", "export_format", "include_deleted", "index"}  # fmt: skip


def test_papermill_run(tmp_path):
    out_dir = tmp_path / "handover"
    output = tmp_path / "run.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK), str(output), cwd=str(NOTEBOOK.parent), progress_bar=False, kernel_name="python3",
        parameters={"out_dir": str(out_dir), "export_date": EXPORT_DATE, "export_format": "mbox",
                    "include_deleted": True, "index": "off"},  # the search works without an index too
    )  # fmt: skip
    run = json.loads(output.read_text())
    outputs = [o for cell in run["cells"] if cell["cell_type"] == "code" for o in cell["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert f"wrote {out_dir}/{ACCOUNT}/8111-20130705T090000Z.eml (state 1)" in text
    export = out_dir / f"{ACCOUNT}-15_08_2013_00_00_00-mbox"
    assert f"to {export}" in text
    boxes = {p.stem: len(mailbox.mbox(p)) for p in (export / ACCOUNT).glob("*.mbox")}
    assert boxes["Inbox.Contracts"] == 1 and boxes["Inbox.Invoices"] == 8 and boxes["Inbox.Projects"] >= 1
    assert (export / "manifest.json").exists() and (out_dir / "manifest.csv").exists()
    # the two views are in the output, as a person would see them
    assert sum("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs) == 2
