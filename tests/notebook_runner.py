"""Run every notebook on store shapes, in a process of its own, a few kernels at a time.

    python tests/notebook_runner.py OUT KERNELS NAME=BACKUP_PATH [NAME=BACKUP_PATH ...]

tests/test_shapes.py starts it in the background, so that the verbs run in the test process meanwhile
(a kernel mostly waits: its start, its imports). Each notebook is given only `backup_path`, and its
kernel works in an empty folder of its own (`OUT/NAME/cwd_NOTEBOOK`), which must stay empty.
Writes OUT/NAME/NOTEBOOK.ipynb and OUT/results.json: {name: {notebook: {"output": path, "cwd": [names]}}}.
"""

from __future__ import annotations

import contextlib
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import papermill as pm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from evidence_snapshot import list_names  # noqa: E402
from sample_paths import NOTEBOOKS  # noqa: E402

NOTEBOOK_NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


def run_one(name: str, backup: str, notebook: str, out: Path) -> tuple[str, str, dict]:
    folder = out / name
    cwd = folder / f"cwd_{notebook}"
    cwd.mkdir(parents=True)
    output = folder / f"{notebook}.ipynb"
    with contextlib.suppress(pm.PapermillExecutionError):  # the error is in the output, where the test reads it
        pm.execute_notebook(str(NOTEBOOKS / f"{notebook}.ipynb"), str(output), parameters={"backup_path": backup},
                            cwd=str(cwd), kernel_name="python3", progress_bar=False)  # fmt: skip
    return name, notebook, {"output": str(output), "cwd": list_names(cwd)}


def main(argv: list[str]) -> None:
    out, kernels, shapes = Path(argv[0]), int(argv[1]), dict(arg.split("=", 1) for arg in argv[2:])
    jobs = [(name, backup, notebook) for name, backup in shapes.items() for notebook in NOTEBOOK_NAMES]
    results: dict[str, dict] = {name: {} for name in shapes}
    with ThreadPoolExecutor(kernels) as pool:
        for name, notebook, result in pool.map(lambda job: run_one(*job, out), jobs):
            results[name][notebook] = result
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
