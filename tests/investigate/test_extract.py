"""Extraction: byte-exact, verified, never overwriting, never into the evidence; manifest rows."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pandas as pd
import pytest

import zxforensics as zx
from zxforensics.cli import main
from zxforensics.errors import EvidenceError, ZxError
from zxforensics.investigate.extract import recover_item
from zxforensics.sample.faults import DOUBLE_GZIP_ITEM
from zxforensics.sample.messages import SEED_RESTORED_EML


def test_extract_seed_message_byte_exact(sample_store, tmp_path):
    row = sample_store.extract("admin@example.com", 24700, tmp_path)
    written = tmp_path / "admin@example.com" / "24700-20130715T080326Z.eml"
    assert row["written_path"] == str(written)
    assert written.read_bytes() == SEED_RESTORED_EML
    assert row["sha256"] == hashlib.sha256(SEED_RESTORED_EML).hexdigest()
    assert row["verified"] is True and row["transaction_id"] == 3
    manifest = pd.read_csv(tmp_path / "manifest.csv")
    assert manifest.columns.tolist() == [
        "account", "item_id", "transaction_id", "digest", "sha256", "size", "source_blob",
        "written_path", "extracted_at", "verified",
    ]  # fmt: skip
    assert manifest.loc[0, "size"] == len(SEED_RESTORED_EML)


def test_extract_an_earlier_state_and_double_gzip(sample_store, tmp_path):
    sample_store.extract("admin@example.com", 24700, tmp_path, date="12/07/2013 16:40:00")
    assert (tmp_path / "admin@example.com" / "24700-20130712T143544Z.eml").read_bytes() == SEED_RESTORED_EML
    row = sample_store.extract(*DOUBLE_GZIP_ITEM, tmp_path)
    data = Path(row["written_path"]).read_bytes()
    assert data.startswith(b"From: Sample Sender") and row["verified"]
    assert len(pd.read_csv(tmp_path / "manifest.csv")) == 2


def test_extract_refuses_overwrite_and_evidence(sample_store, sample_path, tmp_path):
    sample_store.extract("admin@example.com", 24700, tmp_path)
    with pytest.raises(ZxError, match="refusing to overwrite"):
        sample_store.extract("admin@example.com", 24700, tmp_path)
    with pytest.raises(ZxError, match="refusing to write into the backup path"):
        sample_store.extract("admin@example.com", 24700, sample_path / "restored")
    assert not (sample_path / "restored").exists()


def test_extract_a_broken_blob_fails_with_its_kind(sample_store, tmp_path):
    with pytest.raises(EvidenceError) as info:
        sample_store.extract("account14@domain.com", 856, tmp_path)
    assert info.value.kind == "digest_mismatch"
    assert not (tmp_path / "account14@domain.com").exists() or not any((tmp_path / "account14@domain.com").iterdir())


def test_cli_extract(sample_path, tmp_path, capsys):
    code = main(["extract", "admin@example.com", "24700", "out", str(tmp_path), "backup_path", str(sample_path)])
    out = capsys.readouterr().out
    assert code == 0 and "24700-20130715T080326Z.eml" in out


@pytest.mark.parametrize("mail", ["../../../../tmp/zx-escape", "/tmp/zx-escape", "a/b@example.com"])
def test_a_hostile_mail_is_never_a_path(make_store, tmp_path, mail):
    """account_info's `mail` comes from the evidence: an unsafe one gives the folder the account id."""
    builder = make_store()
    builder.account({"zimbraId": "acc-1", "mail": mail}, {"lastScan": 0})
    digest = builder.blob(b"Subject: x\r\n\r\nbody\r\n")
    builder.item("acc-1", 300, [{"transactionId": 1, "id": 300, "type": "message", "startDate": 1_000_000,
                                 "digest": digest, "size": 21}])  # fmt: skip
    store = zx.open_backup(builder.root)
    row = store.extract("acc-1", 300, tmp_path / "out")
    assert Path(row["written_path"]).parent == tmp_path / "out" / "acc-1"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["acc-1", "manifest.csv"]
    assert not Path("/tmp/zx-escape").exists()


def test_a_manifest_link_in_the_output_is_refused(sample_store, sample_path, tmp_path):
    (tmp_path / "manifest.csv").symlink_to(sample_path / "backupstat")
    with pytest.raises(ZxError, match="link"):
        sample_store.extract("admin@example.com", 24700, tmp_path)


def test_recover_item(sample_restore, sample_store, tmp_path):
    result = recover_item(sample_store, sample_restore[1], "account2@domain.com", 49965, tmp_path)
    assert result["status"] == "written"
    assert result["path"] == tmp_path / "account2@domain.com" / "49965-20140111T090000Z.eml"
    assert result["row"]["transaction_id"] == 2 and result["row"]["verified"]
    headers = dict(result["headers"].itertuples(index=False))
    assert headers["Subject"] == "Offer v2" and headers["Message-ID"] == "<fault-49965@domain.com>"
    with (tmp_path / "manifest.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["account"], r["item_id"], r["transaction_id"]) for r in rows] == [("account2@domain.com", "49965", "2")]
    again = recover_item(sample_store, sample_restore[1], "account2@domain.com", 49965, tmp_path)
    assert again["status"] == "exists" and again["message"].startswith("already extracted: ")
    assert again["headers"].equals(result["headers"])
    assert len((tmp_path / "manifest.csv").read_text().splitlines()) == 2


def test_recover_invalid_message_shows_raw_headers(sample_restore, sample_store, tmp_path):
    result = recover_item(sample_store, sample_restore[1], "frank@example.com", 6313, tmp_path)
    assert result["status"] == "written"
    assert dict(result["headers"].itertuples(index=False))["From"] == '"billing"@'


def test_recover_refusals(sample_restore, sample_store, tmp_path, sample_path):
    broken = recover_item(sample_store, sample_restore[1], "bob@example.com", 5002, tmp_path)
    assert broken["status"] == "not_recoverable" and broken["path"] is None
    assert broken["message"] == ("item 5002 of bob@example.com: nothing to extract (broken: blob of state 1 "
                                 "too_large: decompresses past the 536870912-byte limit)")  # fmt: skip
    unknown = recover_item(sample_store, sample_restore[1], "bob@example.com", 1, tmp_path)
    assert unknown["message"].endswith("(not in the diagnosis)")
    with pytest.raises(ZxError, match="refusing to write into the backup path"):
        recover_item(sample_store, sample_restore[1], "account2@domain.com", 49965, sample_path / "out")
    assert not list(tmp_path.iterdir())
