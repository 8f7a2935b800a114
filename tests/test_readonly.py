"""Evidence is sacred: every API call and CLI command leaves the sample tree as it found it.

The tree is fingerprinted (content SHA-256, size, mode, mtime and atime of every file and folder, link
targets) before and after running them all, on a copy whose atimes were set back: on a `relatime` mount
an access time only moves when it is older than the mtime or a day, so on fresh atimes a read would go
unseen. The session-wide fixture in conftest checks the committed sample around every test.
"""

from __future__ import annotations

import contextlib
import os
import shlex

import pytest
from evidence_snapshot import age_atimes, changed_paths, copy_tree, snapshot

import zxforensics as zx
from zxforensics.cli import VERB_MODULES, load_verbs, main
from zxforensics.cli.registry import VERBS
from zxforensics.errors import EvidenceError

SEED_COMMANDS = [
    "getItem admin@example.com 24700 backup_path {p} date all",
    "getItem admin@example.com 24700 backup_path {p} dump_blob true",
    "getItem account2@domain.com 49965 backup_path {p} dump_blob true",
    "doItemSearch admin@example.com search_string mailboxd backup_path {p}",
    "getAccountInfo admin@example.com backup_path {p}",
    "getAvailableAccounts backup_path {p}",
    "summary backup_path {p}",
    "index backup_path {p} out {out}/index",
    "extract admin@example.com 24700 out {out}/eml backup_path {p}",
    "getServerConfig standard date last backup_path {p} query serverConfig/zimbraMailMode/test.domain.com",
    "getServerConfig standard date all backup_path {p} query zimlets/com_zimbra_ymemoticons",
    "getServerConfig customizations date last verbose true backup_path {p}",
    "diffServerConfig '22/02/2014 04:01:14' last backup_path {p}",
    "unrestored {d}/notifications/restore_report.eml backup_path {p}",
    "doExternalRestore {p}",
    "doCoherencyCheck {p}",
    "doCheckShares backup_path {p}",
    "getMap {p}/map_9da041cb-0d80-5df7-8516-4e478f589552",
    "doFixShares {p}/map_9da041cb-0d80-5df7-8516-4e478f589552 backup_path {p}",
    "retention backup_path {p}",
    "timeline backup_path {p} out {out}/timeline.csv",
    "compareCopies {p} {d}/offsite_copy",
    "report backup_path {p} notification {d}/notifications/restore_report.txt out {out}/report",
    "doContentSearch 'invoice 4711' accounts alice@example.com backup_path {p}",
    "exportMailbox alice@example.com out {out}/maildir date '15/08/2013 00:00:00' include_deleted true backup_path {p}",
]


def run_everything(store_path, out) -> None:
    store = zx.open_backup(store_path)
    store.accounts(extra=True)
    states = store.item_states()
    store.items("last")
    store.items("12/07/2013 17:00:00")
    store.blobs()
    for digest in states["digest"].dropna().unique():
        with contextlib.suppress(EvidenceError):
            store.read_blob(digest)
    store.search_items("admin@example.com", text="mailboxd")
    store.account_info("admin@example.com")
    store.extract("admin@example.com", 24700, out / "api")
    store.audit()
    store.shares()
    store.retention()
    store.server_config("standard", "all")
    store.server_config("customizations", "all")
    store.ldap()
    zx.diagnose(store, zx.read_notification(store_path.parent / "notifications" / "restore_report.eml"))
    zx.diff_config(store, "22/02/2014 04:01:14", "last")
    zx.diff_customizations(store, "22/02/2014 04:01:14", "last")
    zx.timeline(store)
    zx.compare_copies(store_path, store_path.parent / "offsite_copy")
    zx.open_backups([store_path, store_path.parent / "backup2"]).accounts()
    zx.search_content(store, "4711")
    for fmt in ("mbox", "eml"):
        zx.export_mailbox(store, "alice@example.com", out / fmt, format=fmt, include_deleted=True, progress=False)
    for command in SEED_COMMANDS:
        code = main(shlex.split(command.format(p=store_path, d=store_path.parent, out=out)))
        assert code in (0, 1), command  # 1: findings (coherency, copies), never a crash


@pytest.fixture
def aged_sample(sample_path, tmp_path):
    """A copy of sample_data (the backup and the files beside it) whose atimes are three days old."""
    copy = copy_tree(sample_path.parent, tmp_path / "sample_data")
    age_atimes(copy)
    return copy


def test_every_call_leaves_the_evidence_untouched(aged_sample, tmp_path, capsys):
    before = snapshot(aged_sample)
    run_everything(aged_sample / "backup", tmp_path / "out")
    capsys.readouterr()
    assert changed_paths(before, snapshot(aged_sample)) == []
    assert len(before) > 1000  # the snapshot saw the tree (files, folders and links)
    assert {entry[0] for entry in before.values()} >= {"file", "dir", "link"}


def test_the_fingerprint_sees_a_folder_listed_or_a_file_read(aged_sample):
    """On the aged copy a plain listing or read moves an atime, and the fingerprint names exactly that entry;
    the kit's own listing and read of the same entries move nothing."""
    backup = aged_sample / "backup"
    before = snapshot(aged_sample)
    store = zx.open_backup(backup)
    assert [e.name for e in store.evidence.scandir("accounts")] == sorted(os.listdir(backup / "accounts"))
    assert changed_paths(before, snapshot(aged_sample)) == ["backup/accounts"]  # os.listdir moved it
    before = snapshot(aged_sample)
    assert store.evidence.read("backupstat") == (backup / "backupstat").read_bytes()
    assert changed_paths(before, snapshot(aged_sample)) == ["backup/backupstat"]  # the plain read moved it


def test_all_verb_modules_load():
    load_verbs()
    assert {"getitem", "doitemsearch", "getaccountinfo", "getavailableaccounts", "extract", "index"} <= set(VERBS)
    assert "items" in VERB_MODULES
