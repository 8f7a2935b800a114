"""Mailbox export: Maildir++, mbox and .eml as the mailbox was at a date; bytes, folder tree and flags
round-trip through Python's `mailbox`; hostile folder names never leave the output; the evidence untouched."""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from evidence_snapshot import snapshot
from tiny_mailbox import MAIL, T0, bomb, folder, forged, items, mail, new_store, state

import zxforensics as zx
from zxforensics.errors import EvidenceError, InvalidArgument, OutputError
from zxforensics.format import flags as zf
from zxforensics.format.flags import maildir_info_flags, mbox_status
from zxforensics.investigate.mailbox_export import MANIFEST_COLUMNS
from zxforensics.sample.mail_cases import ACCOUNT, CONTRACTS, EXPORT_CASES, EXPORT_DATE


def expected(store, date, include_deleted=False, spell=maildir_info_flags) -> Counter:
    """(box, SHA-256, flags as `spell` writes them) of every mail of alice at `date` whose blob verifies,
    from the states alone."""
    states = store.items(date, ACCOUNT)
    states = states[states["type"].isin(["message", "chat"]) & (include_deleted | ~states["deleted"])]
    found = Counter()
    for row in states.itertuples(index=False):
        try:
            raw = store.read_blob(row.digest)
        except EvidenceError:
            continue
        if row.deleted:
            box = "Deleted in backup"
        elif row.item_id in EXPORT_CASES:  # the cases whose folder moved or was renamed
            box = EXPORT_CASES[row.item_id][0 if date == EXPORT_DATE else 1][0][1:].replace("/", ".")
        else:
            assert row.folder_id != CONTRACTS
            box = str(row.folder_path)[1:].replace("/", ".")
        found[(box, hashlib.sha256(raw).hexdigest(), spell(row.flags))] += 1
    return found


def maildir_contents(root: Path) -> Counter:
    top = mailbox.Maildir(root, create=False)
    found = Counter()
    for name in ["", *top.list_folders()]:
        box = top if not name else top.get_folder(name)
        for key in box.iterkeys():
            found[(name, hashlib.sha256(box.get_bytes(key)).hexdigest(), box.get_message(key).get_flags())] += 1
    return found


def mbox_contents(root: Path) -> Counter:
    found = Counter()
    for path in sorted(root.glob("*.mbox")):
        box = mailbox.mbox(path, create=False)
        for key in box.iterkeys():
            stored = box.get_bytes(key)
            status, rest = stored.split(b"\n", 1)
            xstatus, raw = rest.split(b"\n", 1) if rest.startswith(b"X-Status: ") else (b"", rest)
            raw = raw.replace(b"\n>From ", b"\nFrom ")
            flags = box.get_message(key).get_flags()  # Python's mboxMessage reads Status, then X-Status
            assert status.startswith(b"Status: ") and flags == (status[8:] + xstatus[10:]).decode().replace("\r", "")
            found[(path.stem, hashlib.sha256(raw).hexdigest(), flags)] += 1
    return found


def mbox_flags(bits) -> str:
    return "".join(mbox_status(bits))


@pytest.mark.parametrize("date", [EXPORT_DATE, "last"])
def test_maildir_round_trip(fresh_store, tmp_path, date):
    manifest = zx.export_mailbox(fresh_store, ACCOUNT, tmp_path / "out", date=date, progress=False)
    assert maildir_contents(tmp_path / "out" / ACCOUNT) == expected(fresh_store, date)
    assert manifest["verified"].all() and list(manifest.columns) == MANIFEST_COLUMNS
    boxes = set(mailbox.Maildir(tmp_path / "out" / ACCOUNT, create=False).list_folders())
    contracts = "Inbox.Contracts" if date == EXPORT_DATE else "Inbox.Contracts 2014"
    assert {"Inbox", "Inbox.Projects", "Archive.2013", "Inbox.Customers", contracts} <= boxes  # empty ones too
    assert "Deleted in backup" not in boxes
    errors = fresh_store.errors
    not_exported = errors[errors["detail"].str.startswith("not exported")]
    assert not set(not_exported["item_id"]) & set(manifest["item_id"])


@pytest.mark.parametrize("date", [EXPORT_DATE, "last"])
def test_mbox_round_trip_with_deleted_items(sample_store, tmp_path, date):
    manifest = zx.export_mailbox(sample_store, ACCOUNT, tmp_path / "out", date=date, format="mbox",
                                 include_deleted=True, progress=False)  # fmt: skip
    assert mbox_contents(tmp_path / "out" / ACCOUNT) == expected(sample_store, date, True, mbox_flags)
    assert manifest["verified"].all()
    assert (tmp_path / "out" / ACCOUNT / "Archive.2013.mbox").stat().st_size == 0  # an empty folder, still there


def test_a_message_only_an_older_state_holds(sample_store, tmp_path):
    def where(date, **options):
        out = tmp_path / f"out{len(list(tmp_path.iterdir()))}"
        manifest = zx.export_mailbox(sample_store, ACCOUNT, out, date=date, progress=False, **options)
        return {item: Path(path).relative_to(out / ACCOUNT).parts[0] for item, path in
                zip(manifest["item_id"], manifest["written_path"], strict=True) if item in EXPORT_CASES}  # fmt: skip

    assert where(EXPORT_DATE) == {8102: ".Inbox.Contracts", 8103: ".Inbox.Projects", 8104: ".Drafts",
                                  8105: ".Inbox", 8106: ".Inbox"}  # fmt: skip
    assert where("last") == {8102: ".Inbox.Contracts 2014", 8104: ".Drafts", 8105: ".Archive", 8106: ".Inbox"}
    assert where("last", include_deleted=True)[8103] == ".Deleted in backup"
    at_date = where(EXPORT_DATE, folders="/inbox/PROJECTS")
    assert at_date == {8103: ".Inbox.Projects"}


def test_eml_tree_and_manifests(sample_store, tmp_path):
    out = tmp_path / "out"
    manifest = zx.export_mailbox(sample_store, ACCOUNT, out, format="eml", progress=False)
    for row in manifest.itertuples(index=False):
        written = Path(row.written_path)
        assert written.read_bytes() == sample_store.read_blob(row.digest)
        assert hashlib.sha256(written.read_bytes()).hexdigest() == row.sha256
        assert written.parent.relative_to(out / ACCOUNT).as_posix() == row.folder.strip("/")
    alive = sample_store.items("last", ACCOUNT)
    alive = alive[~alive["deleted"] & alive["digest"].notna()]
    assert set(manifest["type"]) == set(alive["type"]) >= {"message", "chat", "document"}  # every blob-backed item
    assert {Path(p).suffix for p in manifest.loc[manifest["type"] == "document", "written_path"]} <= {".pdf", ".txt"}
    saved = pd.read_csv(out / "manifest.csv")
    assert list(saved.columns) == MANIFEST_COLUMNS and len(saved) == len(manifest)
    document = json.loads((out / "manifest.json").read_text())
    assert document["account"] == ACCOUNT and document["format"] == "eml" and document["date"] == "last"
    assert len(document["items"]) == document["messages"] == len(manifest)
    assert {e["item_id"] for e in document["errors"]} == {5006}  # alice's blob that is a dangling link
    assert sorted(p.name for p in out.iterdir()) == [ACCOUNT, "manifest.csv", "manifest.json"]


def test_refusals(sample_store, sample_path, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "mine.txt").write_text("keep")
    with pytest.raises(OutputError, match="new or empty"):
        zx.export_mailbox(sample_store, ACCOUNT, tmp_path / "used")
    with pytest.raises(OutputError, match="backup path"):
        zx.export_mailbox(sample_store, ACCOUNT, sample_path / "export")
    assert not (sample_path / "export").exists()
    with pytest.raises(InvalidArgument, match="date all"):
        zx.export_mailbox(sample_store, ACCOUNT, tmp_path / "a", date="all")
    with pytest.raises(InvalidArgument, match="format"):
        zx.export_mailbox(sample_store, ACCOUNT, tmp_path / "b", format="pst")
    assert (tmp_path / "used" / "mine.txt").read_text() == "keep"


HOSTILE = {  # folder id -> (name, parent)
    300: ("../../escape", 1), 301: ("a/b", 1), 302: ("nul\0here", 1), 303: ("x" * 300, 1), 304: ("Projects", 2),
    305: ("PROJECTS", 2), 306: (".hidden", 1), 307: ("dots.in.name", 1), 308: ("CON", 1), 309: ("", 1),
    310: ("Deleted in backup", 1), 311: ("cur", 1), 312: ("..", 1),
}  # fmt: skip


@pytest.mark.parametrize("fmt", ["maildir", "mbox", "eml"])
def test_hostile_folders_and_blobs(make_store, tmp_path, fmt):
    builder = new_store(make_store())
    histories = {fid: [folder(fid, name, parent)] for fid, (name, parent) in HOSTILE.items()}
    for level in range(40):  # a chain deeper than any file system wants
        histories[400 + level] = [folder(400 + level, f"level{level}", 400 + level - 1 if level else 1)]
    mails = {}
    for n, fid in enumerate([*HOSTILE, 439, 2]):
        raw = mail(f"in folder {fid}", f"Body {n}.\r\n")
        mails[1000 + n] = raw
        histories[1000 + n] = [state(1000 + n, builder.blob(raw), folder=fid, flags=n % 3)]
    histories[2000] = [state(2000, bomb(builder, 8 << 20))]
    histories[2001] = [state(2001, forged(builder))]
    histories[2002] = [state(2002, None)]
    items(builder, histories)
    before = snapshot(builder.root)
    store = zx.open_backup(builder.root, max_blob_size=4 << 20)
    out = tmp_path / "export" / "out"
    manifest = zx.export_mailbox(store, MAIL, out, format=fmt, progress=False)
    assert sorted(manifest["item_id"]) == sorted(mails) and manifest["verified"].all()
    errors = store.errors.dropna(subset=["item_id"]).set_index("item_id")["kind"].astype(str).to_dict()
    assert errors == {2000: "too_large", 2001: "digest_mismatch", 2002: "missing"}
    for dirpath, dirnames, filenames in os.walk(tmp_path / "export", followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            assert not path.is_symlink() and path.resolve().is_relative_to(out.resolve())
            assert len(name.encode()) <= 255 and "\0" not in name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup", "export"]
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == ["out"]
    assert not (tmp_path.parent / "escape").exists()
    where = {"maildir": lambda p: p.parent.parent, "mbox": lambda p: p, "eml": lambda p: p.parent}[fmt]
    assert len({where(Path(p)) for p in manifest["written_path"]}) == len(mails)  # each folder its own target
    if fmt == "maildir":
        top = mailbox.Maildir(out / MAIL, create=False)
        names = top.list_folders()
        assert "Projects" not in names and "Inbox.Projects" in names and "Inbox.folder-305" in names
        assert "dots_in_name" in names and "folder-300" in names and "Deleted in backup" not in names
        assert sum(len(top.get_folder(n)) for n in names) + len(top) == len(mails)
    if fmt == "mbox":
        assert sum(len(mailbox.mbox(p)) for p in (out / MAIL).glob("*.mbox")) == len(mails)
    assert snapshot(builder.root) == before


def test_a_deleted_state_without_a_blob_keeps_its_items_last_one(make_store, tmp_path):
    builder = new_store(make_store())
    raw = mail("deleted later", "Body.\n")
    live = state(500, builder.blob(raw), flags=zf.UNREAD)
    items(builder, {500: [live, state(500, None, start=T0 + 1000, flags=zf.UNREAD, deleted=True)]})
    store = zx.open_backup(builder.root)
    assert zx.export_mailbox(store, MAIL, tmp_path / "without", progress=False).empty
    manifest = zx.export_mailbox(store, MAIL, tmp_path / "with", include_deleted=True, progress=False)
    assert manifest[["item_id", "transaction_id", "deleted", "mail_flags"]].values.tolist() == [[500, 2, True, ""]]
    box = mailbox.Maildir(tmp_path / "with" / MAIL, create=False).get_folder("Deleted in backup")
    assert [box.get_bytes(key) for key in box.iterkeys()] == [raw] and store.errors.empty
