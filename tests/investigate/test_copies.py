"""Offsite copies: the sample's copy and its known differences, hashed, and case sensitivity by looking."""

from __future__ import annotations

import os
import shutil

import zxforensics as zx
from zxforensics.evidence.files import Evidence
from zxforensics.investigate.copies import COPY_COLUMNS, STAT_COLUMNS, case_sensitivity, compare_stat
from zxforensics.sample.audit_cases import copy_differences


def test_the_sample_copy(sample_path):
    result = zx.compare_copies(sample_path, sample_path.parent / "offsite_copy", progress=False)
    diff = result.differences()
    assert list(diff.columns) == COPY_COLUMNS
    assert dict(zip(diff["path"], diff["status"].astype(str), strict=True)) == copy_differences()
    same_size = diff[diff["status"] == "content_differs"].iloc[0]
    assert same_size.original_size == same_size.copy_size  # only the hashes tell them apart
    assert same_size.original_sha256 != same_size.copy_sha256 and len(same_size.copy_sha256) == 64
    assert diff.loc[diff["status"] == "extra", "original_sha256"].isna().all()
    assert result.case_sensitive is True and "two entries of items/" in result.case_detail
    assert ["items/,Q", "items/,q"] in result.collisions  # would merge on a case-insensitive copy
    files = result.files
    assert (files["status"] == "ok").sum() == len(files) - len(copy_differences())
    links = files[files["original_kind"] == "link"]
    assert len(links) == 2 and set(links["status"]) == {"ok"}  # links compared as links, never followed
    summary = dict(result.summary().itertuples(index=False))
    assert summary["missing"] == "2" and summary["content_differs"] == "1"


def test_links_and_types(tmp_path):
    for side in ("a", "b"):
        (tmp_path / side / "items").mkdir(parents=True)
        (tmp_path / side / "backupstat").write_text("{}")
    os.symlink("../backupstat", tmp_path / "a" / "items" / "link")
    os.symlink("../elsewhere", tmp_path / "b" / "items" / "link")
    (tmp_path / "a" / "thing").write_text("x")
    (tmp_path / "b" / "thing").mkdir()
    (tmp_path / "b" / "thing" / "inside").write_text("x")
    shutil.copy(tmp_path / "a" / "backupstat", tmp_path / "a" / "same")
    shutil.copy(tmp_path / "a" / "backupstat", tmp_path / "b" / "same")
    result = zx.compare_copies(tmp_path / "a", tmp_path / "b", progress=False)
    assert dict(zip(result.files["path"], result.files["status"].astype(str), strict=True)) == {
        "backupstat": "ok", "items/link": "link_differs", "same": "ok", "thing": "missing", "thing/inside": "extra"}


def test_compare_by_stat(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for side in (a, b):
        (side / "items" / "ab").mkdir(parents=True)
    files = {"backupstat": b"{}", "items/ab/same": b"blob", "items/ab/touched": b"blob", "items/ab/grown": b"blob",
             "items/ab/gone": b"blob"}  # fmt: skip
    for rel, data in files.items():
        (a / rel).write_bytes(data)
        if rel != "items/ab/gone":
            (b / rel).write_bytes(data + (b"!" if rel.endswith("grown") else b""))
        os.utime(a / rel, (1_400_000_000, 1_400_000_000))
        if (b / rel).exists():
            os.utime(b / rel, (1_400_000_000, 1_400_000_000 + 7 * rel.endswith("touched")))
    (b / "items" / "ab" / "new").write_bytes(b"x")
    os.symlink("same", a / "items" / "ab" / "link")
    (b / "items" / "ab" / "link").write_bytes(b"same")
    found = compare_stat(a, b)
    assert list(found.columns) == STAT_COLUMNS and found.attrs["compared"] == 7
    assert dict(zip(found["path"], found["status"], strict=True)) == {
        "items/ab/gone": "missing", "items/ab/grown": "size_differs", "items/ab/link": "type_differs",
        "items/ab/new": "extra", "items/ab/touched": "mtime_differs"}  # the same files read nothing differs
    touched = found.set_index("path").loc["items/ab/touched"]
    assert (touched["original_mtime"], touched["copy_mtime"]) == (1_400_000_000, 1_400_000_007)
    assert compare_stat(a, a).empty


class FoldingEvidence(Evidence):
    """A case-insensitive filesystem, simulated: any spelling of a name finds the entry."""

    def lstat(self, rel):
        head, _, name = rel.rpartition("/")
        for entry in self.scandir(head):
            if entry.name.lower() == name.lower():
                return entry.stat(follow_symlinks=False)
        return None


def test_case_sensitivity_by_looking(tmp_path):
    (tmp_path / "items" / "Ab").mkdir(parents=True)
    (tmp_path / "items" / "Ab" / "AbCd").write_text("blob")
    assert case_sensitivity(Evidence(tmp_path)) == (True, "ITEMS does not resolve to items")
    sensitive, detail = case_sensitivity(FoldingEvidence(tmp_path))
    assert sensitive is False and detail.startswith("ITEMS opens items")
    (tmp_path / "items" / "ab").mkdir()
    assert case_sensitivity(Evidence(tmp_path))[0] is True  # both spellings listed: certainly sensitive
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["Ab", "AbCd", "ab", "items"]  # the probes wrote nothing
