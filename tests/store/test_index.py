"""The persistent index (issue 11): what it answers equals a fresh in-memory scan exactly (dtypes included),
on the sample, on every generated shape, after an incremental refresh and after a Dask build; a damaged,
partial or outdated index is rebuilt, never trusted; nothing is ever written inside the evidence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings

import pandas as pd
import pytest
from index_checks import assert_same
from pandas.testing import assert_frame_equal, assert_series_equal
from store_copy import copy_store

import zxforensics as zx
from zxforensics.runtime.shards import run_shards
from zxforensics.sample.shapes import SHAPES, make_shape
from zxforensics.store import index_build, scan
from zxforensics.store.backup import BackupStore
from zxforensics.store.index import MANIFEST, STATES_DIR, IndexWarning, index_key

pytestmark = pytest.mark.filterwarnings("error::zxforensics.store.index.IndexWarning")


def no_scan(monkeypatch) -> None:
    """From here on, reading an item file of the evidence is a failure: the index must answer."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("the evidence was scanned, the index should have answered")

    monkeypatch.setattr(scan, "scan_account_items", refuse)
    monkeypatch.setattr(scan, "scan_shard", refuse)


def test_the_sample_through_the_index_equals_the_scan(sample_path, tmp_path, monkeypatch):
    folder = tmp_path / "index"
    built = zx.open_backup(sample_path, index=folder)
    assert_same(built, sample_path)
    assert built.index_dir == folder and (folder / MANIFEST).is_file()
    info = built.index_info()
    assert info["accounts"] == len(built.accounts()) and info["states"] == len(built.item_states())
    no_scan(monkeypatch)  # a second open reads the index alone
    reopened = zx.open_backup(sample_path, index=folder)
    reopened.item_states(), reopened.accounts()
    monkeypatch.undo()
    assert_same(reopened, sample_path)


def test_one_account_reads_its_own_row_groups(sample_path, tmp_path, monkeypatch):
    folder = tmp_path / "index"
    zx.build_index(sample_path, index=folder)
    no_scan(monkeypatch)
    item = zx.open_backup(sample_path, index=folder).get_item("admin@example.com", 24700)
    store = zx.open_backup(sample_path, index=folder)
    store.item_states(["alice@example.com"]), store.accounts()
    monkeypatch.undo()
    assert_same(store, sample_path, ["alice@example.com"])
    assert_frame_equal(item, BackupStore(sample_path).get_item("admin@example.com", 24700))


def test_repeated_strings_read_as_dictionaries_hold_the_same_values(sample_path, tmp_path):
    """The store reads the repeated strings as Parquet's dictionaries (no plain string per row): the values
    are those of the plain read, which copying a part during a refresh still gets."""
    import pyarrow as pa

    store = zx.build_index(sample_path, index=tmp_path / "index")
    ids = sorted(store._manifest["accounts"])
    plain = store._index.read_accounts(store._manifest, ids)
    encoded = store._index.read_accounts(store._manifest, ids, dictionaries=True)
    assert plain.keys() == encoded.keys() and plain
    for account_id, table in encoded.items():
        for name in scan.REPEATED:
            assert pa.types.is_dictionary(table.schema.field(name).type), name
            assert not pa.types.is_dictionary(plain[account_id].schema.field(name).type)
        assert table.cast(plain[account_id].schema).equals(plain[account_id])


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_through_the_index_equals_the_scan(shape, tmp_path):
    path = make_shape(tmp_path / shape, shape)
    store = zx.open_backup(path, index=tmp_path / "index")
    assert_same(store, path)
    assert_same(zx.open_backup(path, index=tmp_path / "index"), path)  # read back


def test_a_refresh_rescans_only_what_changed(sample_path, tmp_path):
    path = copy_store(sample_path, tmp_path)
    folder = tmp_path / "index"
    store = zx.open_backup(path, index=folder)
    store.item_states()
    assert store.refresh() == []
    alice = store.resolve_account("alice@example.com")
    before = len(store.item_states())
    existing = sorted((path / f"accounts/{alice}/items").glob("*/*"))[0]
    new_item = path / f"accounts/{alice}/items/99/{int(existing.name) + 99_000_000 - int(existing.name) % 100 + 99}"
    new_item.parent.mkdir(exist_ok=True)
    new_item.write_bytes(existing.read_bytes())  # a new item file of alice's: new states
    assert store.refresh() == [alice]
    assert len(store.item_states()) > before
    assert_same(store, path)
    assert_same(zx.open_backup(path, index=folder), path)
    # an account removed, another added as an S3-style archive: both rescanned (dropped, read)
    bob = store.resolve_account("bob@example.com")
    shutil.move(path / f"accounts/{bob}", tmp_path / "bob")
    assert store.refresh() == [bob]
    assert bob not in set(store.item_states()["account_id"])
    assert_same(store, path)
    shutil.make_archive(str(path / f"accounts/{bob}"), "gztar", tmp_path / "bob")
    assert zx.open_backup(path, index=folder).refresh() == [bob]
    assert_same(zx.open_backup(path, index=folder), path)
    parts = {p.name for p in (folder / STATES_DIR).iterdir()}
    manifest = json.loads((folder / MANIFEST).read_text())
    assert parts == {p.split("/")[-1] for p in manifest["parts"]}  # superseded parts are gone


def test_a_refresh_of_accounts_that_held_many_files_rescans_them_in_processes(sample_path, tmp_path, monkeypatch):
    """Two accounts are fewer than PARALLEL_MIN_ACCOUNTS, but when they held PARALLEL_MIN_FILES item files a
    pool of processes rescans them; the index still equals the scan."""
    path = copy_store(sample_path, tmp_path)
    folder = tmp_path / "index"
    zx.build_index(path, index=folder)
    changed = []
    for address in ("alice@example.com", "bob@example.com"):
        account_id = BackupStore(path).resolve_account(address)
        first = sorted((path / f"accounts/{account_id}/items").glob("*/*"))[0]
        (first.parent / str(int(first.name) + 90_000_000)).write_bytes(first.read_bytes())
        changed.append(account_id)
    pools = []
    monkeypatch.setattr(index_build, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(index_build, "run_shards", lambda func, parts, **kw: pools.append(kw["workers"])
                        or run_shards(func, parts, **kw))  # fmt: skip
    store = zx.open_backup(path, index=folder, workers=2)
    assert store.refresh() == sorted(changed)
    assert pools == [2]
    assert_same(store, path)


def test_a_whole_store_question_checks_folders_and_refresh_checks_every_file(sample_path, tmp_path):
    """The quick check of a whole-store question sees a new item file (its folder's mtime) without a stat of
    every file; an item file rewritten in place, folders untouched, is seen by refresh() and by a question
    on its account, and by no whole-store question until then (README, "The persistent index")."""
    path = copy_store(sample_path, tmp_path)
    folder = tmp_path / "index"
    before = len(zx.build_index(path, index=folder).item_states())
    alice = BackupStore(path).resolve_account("alice@example.com")
    items = sorted((path / f"accounts/{alice}/items").glob("*/*"))
    new_item = items[0].parent / str(int(items[0].name) + 90_000_000)  # same NN folder: a new file in it
    new_item.write_bytes(items[0].read_bytes())
    reopened = zx.open_backup(path, index=folder)
    assert len(reopened.item_states()) > before  # whole store: the quick check saw the new file
    assert_same(reopened, path)

    rewritten = items[1]
    states = json.loads(rewritten.read_bytes())
    states[-1]["subject"] = "rewritten in place"
    folder_mtime = rewritten.parent.stat().st_mtime_ns
    with open(rewritten, "r+b") as handle:  # same inode, same folder: only the file's own stat changes
        handle.write(json.dumps(states).encode())
        handle.truncate()
    os.utime(rewritten.parent, ns=(rewritten.parent.stat().st_atime_ns, folder_mtime))
    whole = zx.open_backup(path, index=folder).item_states()
    assert "rewritten in place" not in set(whole["subject"].dropna())  # the index answered, unchecked file
    named = zx.open_backup(path, index=folder).item_states("alice@example.com")
    assert "rewritten in place" in set(named["subject"].dropna())  # a question on the account: full check
    assert zx.open_backup(path, index=folder).refresh() == []  # ...which already brought the index up to date
    with open(rewritten, "r+b") as handle:
        handle.write(json.dumps(states).replace("in place", "again   ").encode())
    os.utime(rewritten.parent, ns=(rewritten.parent.stat().st_atime_ns, folder_mtime))
    store = zx.open_backup(path, index=folder)
    assert store.refresh(full=False) == []  # the quick refresh does not stat the files: not seen
    assert store.refresh() == [alice]
    assert "rewritten again   " in set(store.item_states()["subject"].dropna())
    assert_same(store, path)


def test_an_index_that_cannot_be_trusted_is_rebuilt(sample_path, tmp_path):
    folder = tmp_path / "index"
    zx.build_index(sample_path, index=folder)
    part = next((folder / STATES_DIR).iterdir())
    part.write_bytes(part.read_bytes()[:-100])  # truncated
    store = zx.open_backup(sample_path, index=folder)
    assert "not trusted" in store.index_note
    assert_same(store, sample_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["kit"] = "0.0.0"  # another kit's index
    (folder / MANIFEST).write_text(json.dumps(manifest))
    store = zx.open_backup(sample_path, index=folder)
    assert "kit '0.0.0'" in store.index_note
    assert_same(store, sample_path)
    # killed mid-build: a temporary part and an orphan part, no manifest
    (folder / MANIFEST).unlink()
    (folder / STATES_DIR / ".part-dead.parquet.tmp").write_bytes(b"PAR1 half")
    (folder / STATES_DIR / "part-orphan.parquet").write_bytes(b"PAR1 whole but unlisted")
    store = zx.open_backup(sample_path, index=folder)
    assert_same(store, sample_path)
    assert not {".part-dead.parquet.tmp", "part-orphan.parquet"} & {p.name for p in (folder / STATES_DIR).iterdir()}


def test_a_part_damaged_after_opening_is_rebuilt(sample_path, tmp_path):
    folder = tmp_path / "index"
    zx.build_index(sample_path, index=folder)
    store = zx.open_backup(sample_path, index=folder)  # trusted at open...
    for part in (folder / STATES_DIR).iterdir():  # ...then every part swapped for garbage of the same size
        part.write_bytes(b"\0" * part.stat().st_size)
    assert_same(store, sample_path)
    assert "damaged" in store.index_note


def test_nothing_is_written_inside_the_evidence(sample_path, tmp_path, monkeypatch):
    with pytest.warns(IndexWarning, match="inside the backup path"):
        store = zx.open_backup(sample_path, index=sample_path / "accounts" / "idx")
    assert store.index_dir is None
    assert not (sample_path / "accounts" / "idx").exists()
    (tmp_path / "a_file").write_text("")  # a cache that cannot hold a folder (root writes anywhere else)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "a_file" / "cache"))
    with pytest.warns(IndexWarning, match="cannot make the index folder"):
        assert zx.open_backup(sample_path).index_dir is None


def test_an_index_turned_off_is_silent_and_says_so(sample_path, monkeypatch):
    """The user asked for no index (`$ZXFORENSICS_INDEX=off`, `index="off"`, `index=False`): no warning."""
    monkeypatch.setenv("ZXFORENSICS_INDEX", "off")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        store = zx.open_backup(sample_path)
        assert store.index_dir is None
        assert store.index_info()["note"] == "the index is turned off ($ZXFORENSICS_INDEX=off)"
        monkeypatch.delenv("ZXFORENSICS_INDEX")
        store = zx.open_backup(sample_path, index="off")
        assert store.index_dir is None and store.index_info()["note"] == "the index is turned off"
        assert zx.open_backup(sample_path, index=False).index_dir is None


def test_the_default_index_is_in_the_cache_keyed_by_the_backup_path(sample_path, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    store = zx.open_backup(sample_path)
    assert store.index_dir == tmp_path / "cache" / "zxforensics" / index_key(sample_path)
    assert index_key(sample_path) != index_key(sample_path / "accounts")


BUILD = "import sys, zxforensics as zx; print(len(zx.build_index(sys.argv[1], index=sys.argv[2], workers=1).rescanned))"


def test_two_builders_at_once_leave_a_sound_index(sample_path, tmp_path):
    folder = tmp_path / "index"
    builders = [subprocess.Popen([sys.executable, "-c", BUILD, str(sample_path), str(folder)], stdout=subprocess.PIPE,
                                 text=True) for _ in range(2)]  # fmt: skip
    done = sorted(int(b.communicate(timeout=120)[0]) for b in builders)
    assert all(b.returncode == 0 for b in builders)
    assert done == [0, len(BackupStore(sample_path).accounts())]  # the second waited, then found it built
    assert_same(zx.open_backup(sample_path, index=folder), sample_path)


def test_sql_sees_the_index_views(sample_path, tmp_path):
    store = zx.open_backup(sample_path, index=tmp_path / "index")
    memory = BackupStore(sample_path)
    states = memory.item_states()
    by_type = store.sql("SELECT type, count(*) AS n FROM states GROUP BY type ORDER BY type")
    expected = states.groupby("type", observed=True).size()
    assert dict(zip(by_type["type"], by_type["n"], strict=True)) == expected.to_dict()
    first = store.sql("SELECT min(start_date) AS first FROM states")["first"][0]
    assert pd.Timestamp(first) == states["start_date"].min()
    named = store.sql("SELECT DISTINCT account FROM states ORDER BY account")["account"].tolist()
    assert named == sorted(states["account"].dropna().unique().astype(str))
    blobs = store.sql("SELECT digest FROM blobs WHERE referenced ORDER BY digest")["digest"].tolist()
    assert blobs == sorted(memory.blobs().query("referenced")["digest"])
    assert store.sql("SELECT count(*) AS n FROM accounts")["n"][0] == len(memory.accounts())
    assert store.sql("SELECT count(*) AS n FROM server_archives")["n"][0] == len(memory.server_archives())
    assert store.sql("SELECT count(*) AS n FROM errors")["n"][0] == len(memory.errors)
    with pytest.raises(zx.ZxError, match="needs the index"):
        memory.sql("SELECT 1")


def test_the_index_verb_builds_refreshes_and_still_exports(run, sample_path, tmp_path):
    folder = tmp_path / "index"
    code, out, _ = run("index", "backup_path", "SAMPLE", "index", str(folder))
    accounts = len(BackupStore(sample_path).accounts())
    assert code == 0 and str(folder) in out and f"rescanned {accounts}" in " ".join(out.split())
    assert f"blobFiles {len(BackupStore(sample_path).blob_files())}" in " ".join(out.split())  # listed too
    code, out, _ = run("index", "backup_path", "SAMPLE", "index", str(folder), "out", str(tmp_path / "export"))
    assert code == 0 and "rescanned 0" in " ".join(out.split())
    assert (tmp_path / "export" / "item_states.parquet").is_file()
    code, out, _ = run("index", "backup_path", "SAMPLE", "index", str(folder), "full_check", "false")
    assert code == 0 and "rescanned 0" in " ".join(out.split())
    code, _out, err = run("index", "backup_path", "SAMPLE", "index", "off")
    assert code == 2 and "no index" in err


def test_a_dask_cluster_builds_the_same_index(sample_path, tmp_path, dask_client):
    import dask.dataframe as dd

    folder = tmp_path / "index"
    store = zx.build_index(sample_path, index=folder, client=dask_client)
    assert store.rescanned == sorted(BackupStore(sample_path).accounts()["account_id"])
    assert len(json.loads((folder / MANIFEST).read_text())["parts"]) >= 2  # the shards went to the workers
    assert_same(zx.open_backup(sample_path, index=folder), sample_path)
    assert len(dd.read_parquet([str(p) for p in store.index_parts()]).compute()) == len(store.item_states())


def test_a_part_that_fails_on_the_cluster_commits_nothing(sample_path, tmp_path, dask_client):
    from dask_workers import failing_on_workers

    folder = tmp_path / "index"
    failing = failing_on_workers(dask_client, "zxforensics.store.index_build", "build_part")
    with failing, pytest.raises(zx.ZxError, match=r"failed on the Dask cluster: RuntimeError: the disk went away"):
        zx.build_index(sample_path, index=folder, client=dask_client)
    assert not (folder / MANIFEST).exists()  # nothing committed
    assert not list((folder / STATES_DIR).glob("*.parquet"))
    store = zx.build_index(sample_path, index=folder, client=dask_client)  # the next build does it all
    assert store.rescanned == sorted(BackupStore(sample_path).accounts()["account_id"])


def test_part_writer_refuses_a_link_planted_in_the_index(sample_path, tmp_path):
    folder = tmp_path / "index"
    folder.mkdir()
    os.symlink(sample_path / "accounts", folder / STATES_DIR)  # states/ -> the evidence
    with pytest.raises(zx.ZxError, match=r"refusing to write under .states."):
        zx.build_index(sample_path, index=folder)
    with pytest.warns(IndexWarning, match="refusing to write"):  # a face scans without the index, and says so
        assert_same(zx.open_backup(sample_path, index=folder), sample_path)


@pytest.mark.parametrize("shape", ["unicode", "archives_only", "no_items"])
def test_the_summary_from_duckdb_equals_the_one_from_frames(shape, tmp_path):
    path = make_shape(tmp_path / shape, shape)
    indexed = zx.open_backup(path, index=tmp_path / "index")
    assert_frame_equal(zx.summarize(indexed), zx.summarize(BackupStore(path)))


def test_the_sample_summary_from_duckdb_equals_the_one_from_frames(sample_path, tmp_path):
    indexed = zx.open_backup(sample_path, index=tmp_path / "index")
    summary = zx.summarize(indexed)
    memory = BackupStore(sample_path)
    assert_frame_equal(summary, zx.summarize(memory))
    assert_frame_equal(indexed.errors, memory.errors)
    assert indexed._states is None  # no frame of every state was made


@pytest.mark.parametrize("indexed", [False, True])
def test_the_summary_counts_blobs_a_group_of_folders_at_a_time(sample_path, tmp_path, monkeypatch, indexed):
    """Blob files, bytes and orphans are counted a group of prefix folders at a time (the listing of items/
    is never held whole): groups of two files give the figures of one pass over the whole listing; an
    indexed store counts them in DuckDB over the index's listing."""
    from zxforensics.investigate import blob_groups

    expected = zx.summarize(BackupStore(sample_path)).set_index("metric")["value"]
    assert int(expected["orphan blobs"]) > 0 and int(expected["blob files"]) > 100
    monkeypatch.setattr(blob_groups, "COUNT_GROUP_BLOBS", 2)
    store = zx.open_backup(sample_path, index=tmp_path / "index" if indexed else False)
    groups = []
    listing = store.blob_file_groups
    monkeypatch.setattr(store, "blob_file_groups", lambda g: groups.append(len(g)) or listing(g))
    assert_series_equal(zx.summarize(store).set_index("metric")["value"], expected)
    assert (not groups) if indexed else groups[0] > 1  # indexed: DuckDB over the listing's parts, no frame
    assert "_blob_files" not in store.__dict__  # the whole listing was never taken
