"""Every face that writes stays inside its output folder: hostile account mails, links planted in the output
pointing into the evidence, names that differ only in case, NUL and 300-byte names (extract, store.extract,
index, timeline; the report in tests/report/test_hostile.py)."""

from __future__ import annotations

import os
from pathlib import Path

import hostile_store as hs
import pandas as pd
import pytest
from evidence_snapshot import snapshot

import zxforensics as zx
from zxforensics.cli import main
from zxforensics.errors import OutputError
from zxforensics.sample.builder import StoreBuilder


@pytest.fixture
def evidence(tmp_path):
    """A small store with the path-like accounts, and its fingerprint (checked unchanged after each test)."""
    builder = StoreBuilder(tmp_path / "evidence")
    builder.backupstat("srv-1", 1_373_000_000_000, 1_393_556_400_000, 7)
    hs.add_path_accounts(builder)
    before = snapshot(builder.root)
    yield builder.root
    assert snapshot(builder.root) == before, "the evidence changed"
    assert not os.path.lexists(hs.ESCAPE_TARGET)


def tree(folder: Path) -> set[str]:
    """Every entry under `folder` (links not followed), relative."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("account_id", sorted(hs.PATH_MAILS))
def test_a_hostile_mail_is_never_a_path(evidence, tmp_path, capsys, account_id):
    """extract (CLI) and store.extract(): the folder is the account id, nothing is written elsewhere."""
    out = tmp_path / "out"
    code, _out, err = cli(capsys, "extract", account_id, hs.ITEM_ID, "out", out, "backup_path", evidence)
    assert code == 0, err
    row = zx.open_backup(evidence).extract(account_id, hs.ITEM_ID, tmp_path / "out2")
    for folder, written in ((out, None), (tmp_path / "out2", row["written_path"])):
        assert tree(folder) == {account_id, f"{account_id}/{hs.ITEM_ID}-20130712T143544Z.eml", "manifest.csv"}
        manifest = pd.read_csv(folder / "manifest.csv", keep_default_na=False)
        assert manifest["account"].tolist() == [hs.PATH_MAILS[account_id]]  # the name is kept as data
        assert written is None or Path(written).parent == folder / account_id


def test_names_that_differ_only_in_case_get_their_ids_and_a_safe_name_is_kept(evidence, tmp_path):
    store = zx.open_backup(evidence)
    for account_id in ("acc-twin1", "acc-twin2", hs.SAFE_ACCOUNT[0]):
        store.extract(account_id, hs.ITEM_ID, tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"acc-twin1", "acc-twin2", "ok@example.com",
                                                              "manifest.csv"}  # fmt: skip


def plant(out: Path, evidence: Path) -> None:
    """The two links of issue 10 (a manifest into `backupstat`, an account folder into `items/`)."""
    out.mkdir()
    (out / "manifest.csv").symlink_to(evidence / "backupstat")
    (out / hs.SAFE_ACCOUNT[1]).symlink_to(evidence / "items", target_is_directory=True)


def test_planted_links_refuse_extract_before_anything_is_written(evidence, tmp_path, capsys):
    out = tmp_path / "out"
    plant(out, evidence)
    code, stdout, err = cli(capsys, "extract", "acc-dots", hs.ITEM_ID, "out", out, "backup_path", evidence)
    assert (code, stdout) == (2, "") and "manifest.csv" in err and "link" in err
    assert tree(out) == {"manifest.csv", hs.SAFE_ACCOUNT[1]}  # no acc-dots/ folder, no .eml: refused first
    (out / "manifest.csv").unlink()
    with pytest.raises(OutputError, match="link"):
        zx.open_backup(evidence).extract(hs.SAFE_ACCOUNT[0], hs.ITEM_ID, out)
    assert tree(out) == {hs.SAFE_ACCOUNT[1]}


def test_index_and_timeline_never_write_through_a_link(evidence, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "accounts.parquet").symlink_to(evidence / "backupstat")
    (out / "t.csv").symlink_to(evidence / "backupstat")
    for force in ([], ["--force"]):
        code, _o, err = cli(capsys, *force, "index", "backup_path", evidence, "out", out)
        assert code == 2 and "accounts.parquet" in err, err
        code, _o, err = cli(capsys, *force, "timeline", "backup_path", evidence, "out", out / "t.csv")
        assert code == 2 and "refusing" in err, err  # the link (or, resolved, its target in the evidence)
    assert tree(out) == {"accounts.parquet", "t.csv"}  # refused before any table was written
    (out / "accounts.parquet").unlink()
    code, _o, err = cli(capsys, "index", "backup_path", evidence, "out", out)
    assert code == 0 and len(pd.read_parquet(out / "accounts.parquet")) == 7


def test_index_and_timeline_write_exactly_what_they_say(evidence, tmp_path, capsys):
    code, _o, err = cli(capsys, "timeline", "backup_path", evidence, "out", tmp_path / "t.csv")
    assert code == 0, err
    events = pd.read_csv(tmp_path / "t.csv", keep_default_na=False)
    assert len(events) == 7 and set(events["account"]) == {*hs.PATH_MAILS.values(), hs.SAFE_ACCOUNT[1]}
    code, _o, err = cli(capsys, "timeline", "backup_path", evidence, "out", tmp_path / "t.csv")
    assert code == 2 and "refusing to overwrite" in err
