"""Every notebook: one `parameters` cell, first, whose values papermill can read and which name no path of
the sample; the next cell passes them through `zxforensics.widgets.params` (defaults that work on any store)."""

from __future__ import annotations

import json

import papermill as pm
import pytest
from sample_paths import NOTEBOOKS

NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.stem)
def test_one_parameters_cell_of_plain_defaults_then_their_resolution(path):
    code = [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]
    tagged = [cell for cell in code if "parameters" in cell["metadata"].get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[0]
    source = "".join(tagged[0]["source"])
    names = [line.split(" = ")[0] for line in source.splitlines()]
    assert list(pm.inspect_notebook(str(path))) == names  # papermill reads every line (no `=` in a comment...)
    assert "backup_path = None" in source and "sample_data" not in source and "../" not in source
    derived = "".join(code[1]["source"])
    assert "backup_path = params.backup_path(backup_path)" in derived
    for name in ("notification", "out_dir", "index"):
        if name in names:
            assert f"{name} = params.{name}({name})" in derived
    # every notebook opens a store: its index is a parameter (None: $ZXFORENSICS_INDEX, else the user's cache)
    assert "\nindex = None  #" in source and "index=index)" in derived
    assert derived.index("index = params.index(index)") < derived.index("index=index)")
    assert all("sample_data" not in "".join(cell["source"]) for cell in code)


def test_every_notebook_is_checked():
    assert [p.stem for p in NOTEBOOK_PATHS] == ["backup_audit", "recovery_report", "search", "server_config_diff",
                                                "unrestored_items"]  # fmt: skip
