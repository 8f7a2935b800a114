"""The matrix of store shapes (issue 10): on every shape the generator makes (`zxforensics.sample.shapes`),
every notebook under papermill (given only `backup_path`), the report and every verb but `make-sample`
complete with no exception, exit code 0 or 1 (never 2 on a valid store with valid arguments), and leave
the evidence as they found it.

Each verb takes its arguments from the shape itself: an account that holds items, one of its items, the
dates of the first and last configuration snapshots, the restore notification, import map and saved
operations beside it. Where a shape has no account or no item to name, the verb must say so in one line
and exit 2 (bad input), not fail otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from evidence_snapshot import changed_paths, list_names, snapshot
from sample_paths import NOTEBOOKS

import zxforensics as zx
from zxforensics.cli import load_verbs, main
from zxforensics.cli.registry import VERBS
from zxforensics.format.dates import format_vendor_date
from zxforensics.format.layout import BACKUP_PATH_ENV, NOTIFICATION_ENV, OUT_DIR_ENV
from zxforensics.report.run import HTML_OUT
from zxforensics.sample.shapes import ABSENT_ITEM, SHAPES

SHAPE_NAMES = list(SHAPES)
NOTEBOOK_NAMES = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
NOT_IN_MATRIX = {"make-sample": "writes a store, reads none", "dashboard": "serves the notebooks until stopped"}
NO_ACCOUNT = "nobody@shapes.invalid"
# exit codes a verb may give on a sound store of any shape: findings (1) besides ok; a monitoring check
# says WARNING (1) or CRITICAL (2) of a store never scanned or out of date, UNKNOWN (3) only when unreadable
EXIT_CODES = {"check": (0, 1, 2)}
REPORT_SECTIONS = ("Executive summary", "What to do next", "Summary", "Restore outcome",
                   "Server configuration changes", "Audit findings", "Appendix: technical details")
KERNELS = 4  # notebooks run at once: a kernel mostly waits (start, imports), so 2 cores serve 4
RUNNER = Path(__file__).resolve().parent / "notebook_runner.py"
RUNNER_TIMEOUT = 1800  # seconds for every notebook of every shape
# verb -> its command lines; {account} {item} {a} {b} {p} {out} {notification} {map} {operations} come from the shape
COMMANDS: dict[str, list[list[str]]] = {
    "getItem": [["getItem", "{account}", "{item}", "backup_path", "{p}", "date", "all"],
                ["getItem", "{account}", "{item}", "backup_path", "{p}", "dump_blob", "true"]],
    "doItemSearch": [["doItemSearch", "{account}", "backup_path", "{p}", "search_filter", "all"]],
    "getAccountInfo": [["getAccountInfo", "{account}", "backup_path", "{p}"]],
    "getAvailableAccounts": [["getAvailableAccounts", "backup_path", "{p}"],
                             ["getAvailableAccounts", "backup_path", "{p}", "output_headers",
                              "accountMap,accountList,accountIdList,accountAndIdList", "hide_deleted", "true"]],
    "getBackupInfo": [["getBackupInfo", "backup_path", "{p}"]],
    "getCOSBackupStatus": [["getCOSBackupStatus", "backup_path", "{p}"]],
    "check": [["check", "backup_path", "{p}"], ["check", "backup_path", "{p}", "copy", "{p}", "verify_sample", "5"]],
    "extract": [["extract", "{account}", "{item}", "out", "{out}/eml", "backup_path", "{p}"]],
    "exportMailbox": [["exportMailbox", "{account}", "out", "{out}/mbox", "format", "mbox", "backup_path", "{p}"],
                      ["exportMailbox", "{account}", "out", "{out}/maildir", "date", "{early}", "include_deleted",
                       "true", "backup_path", "{p}"]],
    "doContentSearch": [["doContentSearch", "{pattern}", "backup_path", "{p}"],
                        ["doContentSearch", "{pattern}", "accounts", "{account}", "date", "last", "backup_path",
                         "{p}"]],
    "index": [["index", "backup_path", "{p}", "out", "{out}/index"],
              ["index", "backup_path", "{p}", "index", "{out}/own_index"]],
    "summary": [["summary", "backup_path", "{p}"]],
    "probe": [["probe", "backup_path", "{p}", "out", "{out}/structure.json"]],
    "getServerConfig": [["getServerConfig", "standard", "date", "last", "backup_path", "{p}"],
                        ["getServerConfig", "standard", "date", "all", "backup_path", "{p}", "query", "globalConfig"],
                        ["getServerConfig", "customizations", "date", "{a}", "verbose", "true", "backup_path", "{p}"]],
    "diffServerConfig": [["diffServerConfig", "{a}", "{b}", "backup_path", "{p}"],
                         ["diffServerConfig", "{a}", "{b}", "backup_path", "{p}", "type", "customizations"]],
    "unrestored": [["unrestored", "{notification}", "backup_path", "{p}"]],
    "doExternalRestore": [["doExternalRestore", "{p}"]],
    "doCoherencyCheck": [["doCoherencyCheck", "{p}"]],
    "doCheckShares": [["doCheckShares", "backup_path", "{p}"]],
    "getMap": [["getMap", "{map}"]],
    "doFixShares": [["doFixShares", "{map}", "backup_path", "{p}"]],
    "getAllOperations": [["getAllOperations", "{operations}"]],
    "retention": [["retention", "backup_path", "{p}"],
                  ["retention", "backup_path", "{p}", "data_retention_days", "0", "account_retention_days", "1"]],
    "compareCopies": [["compareCopies", "{p}", "{p}"]],
    "timeline": [["timeline", "backup_path", "{p}", "out", "{out}/timeline.csv"]],
    "report": [["report", "backup_path", "{p}", "notification", "{notification}", "out", "{out}/report"]],
}  # fmt: skip


@dataclass(frozen=True)
class Shape:
    """A built shape and what its faces are given: all of it read from the store itself."""

    name: str
    backup: Path
    account: str | None  # an account holding items, else any account, else None
    item: int | None  # an item of `account`
    pattern: str  # a word of that item's subject (a search that finds something), else of nothing
    early: str  # a day after the store's first state (vendor date): a mailbox of a few messages, or "last"
    date_a: str  # the first configuration snapshot (vendor date, server zone), or "last"
    date_b: str  # the last one, or "last"
    before: dict  # the fingerprint of the shape's folder before any face ran

    @property
    def folder(self) -> Path:
        return self.backup.parent

    def fields(self, out: Path) -> dict[str, str]:
        folder = self.folder
        return {
            "p": str(self.backup), "out": str(out), "account": self.account or NO_ACCOUNT,
            "item": str(self.item if self.item is not None else ABSENT_ITEM), "a": self.date_a, "b": self.date_b,
            "pattern": self.pattern, "early": self.early,
            "notification": str(folder / "notifications" / "restore_report.txt"),
            "map": str(folder / "maps" / list_names(folder / "maps")[0]),  # listed without moving its atime
            "operations": str(folder / "operations" / "getAllOperations.txt"),
        }  # fmt: skip

    def lacks(self, command: list[str]) -> str | None:
        """What the shape cannot give this command ("an account", "an item"), or None."""
        if "{account}" in command and self.account is None:
            return "an account"
        if "{item}" in command and self.item is None:
            return "an item"
        return None


def describe(name: str, backup: Path, before: dict) -> Shape:
    store = zx.open_backup(backup)
    states = store.item_states()
    account = item = None
    pattern, early = "nothing", "last"
    if len(states):  # an item with a blob, when there is one: extract and dump_blob have something to give
        pick = states[states["digest"].notna()] if states["digest"].notna().any() else states
        account, item = str(pick["account"].iloc[0]), int(pick["item_id"].iloc[0])
        subject = pick["subject"].iloc[0]
        pattern = subject.split()[0] if isinstance(subject, str) and subject.split() else pattern
        early = format_vendor_date((states["start_date"].min() + pd.Timedelta(days=1)).to_pydatetime(), store.tz)
    elif len(store.accounts()):
        account = str(store.accounts()["name"].iloc[0])
    dates = [format_vendor_date(d.to_pydatetime(), store.tz) for d in store.server.config_dates()]
    return Shape(name, backup, account, item, pattern, early, dates[0] if dates else "last",
                 dates[-1] if dates else "last", before)  # fmt: skip


@pytest.fixture(scope="module")
def shapes(store_shape):
    """`shapes(name)`: the shape, built once; its fingerprint is taken before anything reads it."""
    seen: dict[str, Shape] = {}

    def get(name: str) -> Shape:
        if name not in seen:
            backup = store_shape(name)
            seen[name] = describe(name, backup, snapshot(backup.parent))
        return seen[name]

    return get


def test_the_matrix_covers_every_verb():
    load_verbs()
    assert set(COMMANDS) == {verb.name for verb in VERBS.values()} - set(NOT_IN_MATRIX)


@pytest.mark.parametrize("verb", sorted(COMMANDS))
@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_every_verb(name, verb, shapes, tmp_path, capsys):
    shape = shapes(name)
    for command in COMMANDS[verb]:
        fields = shape.fields(tmp_path)
        code = main(["--debug", *[word.format(**fields) for word in command]])  # a bug raises here, with its traceback
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        if shape.lacks(command) and verb == "getAccountInfo":  # the vendor's own sentence, on stdout
            assert code == 2 and out.startswith("Can't find the backup folder for the account"), (command, out)
        elif shape.lacks(command):
            assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1, (command, err)
        else:
            assert code in EXIT_CODES.get(verb, (0, 1)), (command, err)
            assert out.strip() or code == 1, command  # something to read
    if verb == "report":  # the recovery report itself (run_report behind the verb)
        html = (tmp_path / "report" / HTML_OUT).read_text(encoding="utf-8")
        assert all(section in html for section in REPORT_SECTIONS) and "Traceback" not in html


class Background:
    """The notebook runs of every shape, in a process of their own (tests/notebook_runner.py) started before
    the verbs, so that both go on at once; `results()` waits for it."""

    def __init__(self, process: subprocess.Popen, out: Path) -> None:
        self.process, self.out = process, out
        self._results: dict | None = None

    def results(self) -> dict:
        if self._results is None:
            code = self.process.wait(timeout=RUNNER_TIMEOUT)
            assert code == 0, (self.out / "runner.log").read_text(errors="replace")[-3000:]
            self._results = json.loads((self.out / "results.json").read_text(encoding="utf-8"))
        return self._results


@pytest.fixture(scope="module", autouse=True)
def notebook_runs(request, shapes, tmp_path_factory):
    """Started first (autouse) when notebook tests are selected: every shape is built and fingerprinted,
    then its notebooks run with no environment to fall back on and a temporary folder of their own."""
    if not any(item.originalname == "test_every_notebook" for item in request.session.items):
        yield None
        return
    out = tmp_path_factory.mktemp("notebook_runs")
    (out / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in (BACKUP_PATH_ENV, NOTIFICATION_ENV, OUT_DIR_ENV)}
    env["TMPDIR"] = str(out / "tmp")
    shape_args = [f"{name}={shapes(name).backup}" for name in SHAPE_NAMES]
    with (out / "runner.log").open("w") as log:  # a file, not a pipe nobody reads while the verbs run
        process = subprocess.Popen([sys.executable, str(RUNNER), str(out), str(KERNELS), *shape_args], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        yield Background(process, out)
    finally:
        if process.poll() is None:  # the module was interrupted: stop the runner and the kernels it started
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("notebook", NOTEBOOK_NAMES)
@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_every_notebook(name, notebook, notebook_runs):
    """No cell fails, the notebook shows something, and its kernel's working folder stays empty."""
    result = notebook_runs.results()[name][notebook]
    executed = json.loads(Path(result["output"]).read_text(encoding="utf-8"))
    cells = [cell for cell in executed["cells"] if cell["cell_type"] == "code"]
    errors = [f"{o['ename']}: {o['evalue']}" for cell in cells for o in cell["outputs"] if o["output_type"] == "error"]
    assert errors == []
    assert sum(bool(cell["outputs"]) for cell in cells) >= len(cells) // 2
    assert result["cwd"] == []


@pytest.mark.parametrize("name", SHAPE_NAMES)
def test_the_evidence_is_unchanged(name, shapes, notebook_runs):
    """Last of the module (pytest keeps the order): the shape's files, folders, times and links as they were."""
    if notebook_runs is not None:
        notebook_runs.results()  # every notebook has run
    shape = shapes(name)
    assert changed_paths(shape.before, snapshot(shape.folder)) == []
