"""notebooks/unrestored_items.ipynb runs unattended under papermill, with its outputs elsewhere."""

from __future__ import annotations

import json

import papermill as pm
from sample_paths import ROOT

NOTEBOOK = ROOT / "notebooks" / "unrestored_items.ipynb"


def test_notebook_is_stored_without_outputs():
    notebook = json.loads(NOTEBOOK.read_text())
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
    tagged = [cell for cell in code if "parameters" in cell["metadata"].get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    assert {line.split(" = ")[0] for line in tagged[0]["source"]} == {"backup_path", "notification", "out_dir",
                                                                       "account", "extract_first", "index"}  # fmt: skip
    assert "backup_path = None" in "".join(tagged[0]["source"])  # the environment, else the sample


def test_papermill_run(tmp_path):
    out_dir = tmp_path / "extracted"
    output = tmp_path / "run.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK), str(output), cwd=str(NOTEBOOK.parent), progress_bar=False, kernel_name="python3",
        parameters={"out_dir": str(out_dir), "account": "account2@domain.com", "index": str(tmp_path / "index"),
                    "notification": "../sample_data/notifications/restore_report.eml"},  # from the notebook's folder
    )  # fmt: skip
    run = json.loads(output.read_text())
    outputs = [o for cell in run["cells"] if cell["cell_type"] == "code" for o in cell["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert f"wrote {out_dir}/account2@domain.com/49965-20140111T090000Z.eml (state 2)" in text
    assert (out_dir / "account2@domain.com" / "49965-20140111T090000Z.eml").read_bytes().startswith(b"From: ")
    assert (out_dir / "manifest.csv").read_text().count("\n") == 2
    assert (tmp_path / "index" / "manifest.json").is_file()  # the `index` parameter named the index folder
    # the widget views are in the output, as a person would see them
    assert sum("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs) == 2
