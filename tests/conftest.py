"""Shared fixtures: the committed sample store, and a factory of tiny stores built on the fly."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sample_paths import SAMPLE_BACKUP, SAMPLE_DATA

import zxforensics as zx
from zxforensics.sample.builder import StoreBuilder

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# The persistent index goes to a cache of the session's own (kernels and subprocesses inherit it), never
# to the user's ~/.cache; a user's $ZXFORENSICS_INDEX does not leak into the tests.
_CACHE = tempfile.mkdtemp(prefix="zxforensics-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
os.environ.pop("ZXFORENSICS_INDEX", None)
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The committed sample backup path (read-only evidence: never write into it)."""
    return SAMPLE_BACKUP


@pytest.fixture(scope="session")
def sample_store(sample_path):
    """One store over the sample, shared by the session (it caches its scans)."""
    return zx.open_backup(sample_path)


@pytest.fixture(scope="session")
def sample_restore(sample_store):
    """The sample's restore notification and its diagnosis: `(report, diagnosis)`."""
    report = zx.read_notification(SAMPLE_DATA / "notifications" / "restore_report.eml")
    return report, zx.diagnose(sample_store, report)


@pytest.fixture
def fresh_store(sample_path):
    """A store over the sample with empty caches and errors, for tests that count errors."""
    return zx.open_backup(sample_path)


@pytest.fixture
def audit_reads(monkeypatch) -> list[str]:
    """The blob files the audit reads (verifies) in this process, in order: `coherency.check_blobs` counted."""
    from zxforensics.investigate import coherency

    read: list[str] = []
    check_blobs = coherency.check_blobs

    def counted(root: str, tasks: list[tuple[str, str]], limit: int) -> list:
        read.extend(rel for rel, _digest in tasks)
        return check_blobs(root, tasks, limit)

    monkeypatch.setattr(coherency, "check_blobs", counted)
    return read


@pytest.fixture
def make_store(tmp_path):
    """Factory: `builder = make_store()` gives a StoreBuilder over a new temporary backup path."""

    def factory(name: str = "backup") -> StoreBuilder:
        return StoreBuilder(tmp_path / name)

    return factory


@pytest.fixture
def run(capsys, sample_path):
    """`code, out, err = run("getItem", "admin@example.com", "24700", "backup_path", "SAMPLE")`:
    the CLI in-process; SAMPLE is the sample backup path, DATA the sample_data folder."""
    from zxforensics.cli import main

    def runner(*args: str) -> tuple[int, str, str]:
        code = main([str(a).replace("SAMPLE", str(sample_path)).replace("DATA", str(sample_path.parent)) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return runner


# the sample's fingerprint before the session, and the paths it changed (in the controller's stash)
_EVIDENCE_BEFORE = pytest.StashKey[dict]()
_EVIDENCE_CHANGED = pytest.StashKey[list]()


def _controller(config: pytest.Config) -> bool:
    """The process that runs the session: pytest itself, or pytest-xdist's controller (its workers have
    `workerinput`). What must happen once per session, whatever the workers, happens there."""
    return not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Before any test, in the controller: the sample's atimes set back three days (contents and mtimes
    kept), as on a fresh clone where no file was read yet, and its fingerprint taken. On a `relatime`
    mount a plain read then really moves an atime, so a test or a code path that reads the sample without
    O_NOATIME fails the session here and not only on CI's clean clone. (Aging moves the ctimes, so a `git
    status` run in this checkout during the session re-reads the sample and fails it too.)"""
    if _controller(session.config):
        from evidence_snapshot import age_atimes, snapshot

        age_atimes(SAMPLE_BACKUP)
        session.config.stash[_EVIDENCE_BEFORE] = snapshot(SAMPLE_BACKUP)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """After every test of every worker: the sample tree is byte-for-byte, mtime- and atime-identical
    (files and folders), or the session fails, naming the paths that changed."""
    before = session.config.stash.get(_EVIDENCE_BEFORE, None)
    if before is None:
        return
    from evidence_snapshot import changed_paths, snapshot

    changed = changed_paths(before, snapshot(SAMPLE_BACKUP))
    if changed:
        session.config.stash[_EVIDENCE_CHANGED] = changed
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    changed = config.stash.get(_EVIDENCE_CHANGED, None)
    if changed:
        terminalreporter.section("the evidence changed", sep="=", red=True, bold=True)
        terminalreporter.line(f"FAILED: the test session changed the sample evidence: {changed[:10]}", red=True)


@pytest.fixture(scope="session")
def store_shape(tmp_path_factory):
    """Factory: `store_shape("unicode")` is the backup path of that store shape (`zxforensics.sample.shapes`),
    built once per session; its folder holds the files beside it too (notifications/, maps/, operations/).
    Atimes are set three days back, so that on a relatime mount a read that moved one would show."""
    from evidence_snapshot import age_atimes

    from zxforensics.sample.shapes import make_shape

    root = tmp_path_factory.mktemp("shapes")
    built: dict[str, Path] = {}

    def factory(name: str) -> Path:
        if name not in built:
            backup = make_shape(root / name, name)
            age_atimes(root / name)
            built[name] = backup
        return built[name]

    return factory


@pytest.fixture(scope="session")
def dask_client():
    """One dask.distributed LocalCluster (2 worker processes) for the whole session, started only when a
    test asks for it: a cluster takes seconds to start. Its address is `dask_client.scheduler.address`."""
    import distributed

    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        yield client
