"""The memo of what the kit learned from blobs' content, kept in the index folder between runs."""

from __future__ import annotations

import pytest

import zxforensics as zx
from zxforensics.output.writer import OutputDir
from zxforensics.store import content_memo
from zxforensics.store.content_memo import MEMO_DIR, ContentMemo
from zxforensics.store.index import IndexWarning


def memo_in(folder, token: str = "t1") -> ContentMemo:
    out = OutputDir(folder)
    return ContentMemo(out, _no_lock, "lmtp", token)


class _no_lock:  # stands for Index.locked, a context manager factory
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def segments(folder) -> list[str]:
    return sorted(p.name for p in (folder / MEMO_DIR).glob("*.parquet"))


def test_what_one_run_learns_the_next_one_finds(tmp_path):
    first = memo_in(tmp_path)
    assert first.lookup(["d1", "d2"]) == {}
    first.learn("d1", "")
    first.learn("d2", '[["nul_byte", "nul_byte: at 3"]]')
    assert first.lookup(["d1", "d2", "d3"]) == {"d1": "", "d2": '[["nul_byte", "nul_byte: at 3"]]'}  # before a flush
    first.flush()
    assert len(segments(tmp_path)) == 1 and not list((tmp_path / MEMO_DIR).glob(".*.tmp"))
    second = memo_in(tmp_path)
    assert second.lookup(["d3", "d2", "d1"]) == {"d2": '[["nul_byte", "nul_byte: at 3"]]', "d1": ""}
    second.learn("d1", "")  # known already: no new segment
    second.flush()
    assert len(segments(tmp_path)) == 1


def test_another_version_of_the_code_finds_nothing(tmp_path):
    old = memo_in(tmp_path, "old")
    old.learn("d1", "")
    old.flush()
    assert memo_in(tmp_path, "new").lookup(["d1"]) == {}
    with pytest.raises(ValueError):
        memo_in(tmp_path, "../x")


def test_segments_are_merged_and_older_versions_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(content_memo, "SEGMENTS_BEFORE_MERGE", 3)
    stale = memo_in(tmp_path, "old")
    stale.learn("x", "")
    stale.flush()
    for n in range(5):
        memo = memo_in(tmp_path)
        memo.learn(f"d{n}", str(n) if n % 2 else "")
        memo.flush()
    names = segments(tmp_path)
    assert len(names) <= 3 and not any(name.startswith("lmtp-old-") for name in names)
    found = memo_in(tmp_path).lookup([f"d{n}" for n in range(6)])
    assert found == {"d0": "", "d1": "1", "d2": "", "d3": "3", "d4": ""}


def test_a_damaged_or_vanished_segment_is_a_miss_never_an_answer(tmp_path):
    memo = memo_in(tmp_path)
    memo.learn("d1", "")
    memo.flush()
    (tmp_path / MEMO_DIR / "lmtp-t1-0000.parquet").write_bytes(b"PAR1 not parquet at all")
    assert memo_in(tmp_path).lookup(["d1", "d2"]) == {"d1": ""}
    reader = memo_in(tmp_path)
    listed = reader._segments()
    for name in listed:
        (tmp_path / MEMO_DIR / name).unlink()  # merged away by another process between listing and reading
    reader._segments = lambda: listed
    assert reader.lookup(["d1"]) == {}


def test_memory_is_bounded_by_max_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(content_memo, "MAX_ENTRIES", 3)
    memo = memo_in(tmp_path)
    for n in range(5):
        memo.learn(f"d{n}", "")
    memo.flush()
    assert len(memo_in(tmp_path).lookup([f"d{n}" for n in range(5)])) == 3


def test_only_an_indexed_store_keeps_a_memo_and_outside_the_evidence(sample_path, tmp_path):
    assert zx.open_backup(sample_path, index=False).content_memo("lmtp", "t1") is None
    store = zx.open_backup(sample_path, index=tmp_path / "index")
    memo = store.content_memo("lmtp", "t1")
    assert memo is store.content_memo("lmtp", "t1")  # one per store: diagnoses share what they load
    memo.learn("d1", "")
    memo.flush()
    assert segments(tmp_path / "index") and not (sample_path / MEMO_DIR).exists()


def test_a_link_planted_as_the_memo_folder_is_never_followed(tmp_path):
    """The output folder is hostile too: a link standing for memo/ is neither read nor written through;
    what is learned is dropped with a warning, and lookups miss."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    index = tmp_path / "index"
    index.mkdir()
    (index / MEMO_DIR).symlink_to(elsewhere, target_is_directory=True)
    memo = memo_in(index)
    assert memo.lookup(["d1"]) == {}
    memo.learn("d1", "")
    with pytest.warns(IndexWarning, match="cannot be kept"):
        memo.flush()
    assert list(elsewhere.iterdir()) == [] and memo_in(index).lookup(["d1"]) == {}
