"""Progress bars: quiet outside a terminal, and in a notebook kernel a widget bar whose output is
replaced by nothing once done (no closed widget left for Voilà or a saved notebook, no stderr)."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from zxforensics.runtime.progress import EMPTY, progress_bar

CELL = """\
import os
os.environ.pop("TQDM_DISABLE", None)
from zxforensics.runtime.progress import progress_bar
with progress_bar(3, "scanning", "item") as bar:
    print(type(bar).__name__)
    bar.update(3)
stopped = progress_bar(3, "stopped", "item")
stopped.update(1)
stopped.close()
"""


def test_no_bar_outside_a_terminal_or_when_disabled(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert progress_bar(3, "x", "it").disable  # pytest's output is no terminal
    assert progress_bar(3, "x", "it", show=False).disable
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert progress_bar(3, "x", "it").disable


def test_a_kernel_bar_leaves_nothing_once_done(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    NotebookClient(notebook, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = notebook.cells[0].outputs
    assert [o.get("name") for o in outputs if o.output_type == "stream"] == ["stdout"]  # no stderr
    done, printed, stopped = outputs
    assert printed.text == "KernelBar\n" and done.data == EMPTY
    # the bar stopped short stays (its widget is not closed): it tells how far the work went
    assert "application/vnd.jupyter.widget-view+json" in stopped.data
    assert list(tmp_path.iterdir()) == []
