"""The vendor's command lines, offline: getItem, doItemSearch, getAccountInfo, getAvailableAccounts, index."""

from __future__ import annotations

import json

import pandas as pd

import zxforensics as zx


def test_seed_getitem_date_all(run, sample_path):
    code, out, _ = run("getItem", "admin@example.com", "24700", "backup_path", "SAMPLE", "date", "all")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "        itemStates"
    starts = [line for line in lines if "start_date" in line]
    assert [line.split()[-2:] for line in starts] == [
        ["12/07/2013", "16:35:44"], ["12/07/2013", "17:04:33"], ["15/07/2013", "10:03:26"],
    ]  # fmt: skip
    # the key is padded to 60 columns after a two-level indent, as the seed prints it
    assert starts[0] == " " * 16 + "start_date".ljust(60) + "12/07/2013 16:35:44"
    assert sum(line.strip() == "deleted" + " " * 53 + "true" for line in lines) == 3
    blob_lines = [line.strip() for line in lines if "blob path" in line]
    assert len(blob_lines) == 3 and blob_lines[0].startswith(f"blob path {sample_path}/items/")


def test_getitem_default_date_is_last_and_dump_blob(run):
    code, out, _ = run("getItem", "admin@example.com", "24700", "backup_path", "SAMPLE", "dump_blob", "true")
    assert code == 0
    assert out.count("start_date") == 1 and "15/07/2013 10:03:26" in out
    assert "Subject: Service mailboxd started on test.example.com" in out


def test_getitem_json_and_csv(run):
    code, out, _ = run("--json", "getItem", "admin@example.com", "24700", "backup_path", "SAMPLE", "date", "all")
    records = json.loads(out)
    assert code == 0 and [r["transaction_id"] for r in records] == [1, 2, 3]
    assert records[0]["start_date"] == "2013-07-12T14:35:44.000Z" and "/" in records[0]["blob_path"]
    code, out, _ = run("--csv", "getItem", "admin@example.com", "24700", "backup_path", "SAMPLE")
    assert code == 0 and out.splitlines()[0].startswith("account_id,account,item_id,transaction_id")


def test_bad_input_is_one_clear_line(run):
    code, _, err = run("getItem", "admin@example.com")  # usage: exit 2, one line naming the syntax command
    assert code == 2 and err == "error: command getItem requires more parameters (syntax: `zxforensics help getItem`)\n"
    code, _, err = run("getItem", "nobody@example.com", "1", "backup_path", "SAMPLE")
    assert code == 2 and err.startswith("error: account nobody@example.com not found in ")
    code, _, err = run("getItem", "admin@example.com", "999999", "backup_path", "SAMPLE")
    assert code == 2 and "item 999999 of admin@example.com not found" in err
    code, _, err = run("getItem", "admin@example.com", "24700", "backup_path", "SAMPLE", "date", "2013/07/12")
    assert code == 2 and "expected dd/MM/yyyy HH:mm:ss" in err
    code, _, err = run("getItem", "admin@example.com", "24700", "colour", "red")
    assert code == 2 and "unknown parameter 'colour'" in err and len(err.splitlines()) == 1


def test_backup_path_from_environment(run, monkeypatch, sample_path):
    monkeypatch.setenv("ZXFORENSICS_BACKUP_PATH", str(sample_path))
    code, out, _ = run("getItem", "admin@example.com", "24700")
    assert code == 0 and "15/07/2013 10:03:26" in out


def test_no_backup_path_says_so(run, monkeypatch):
    monkeypatch.delenv("ZXFORENSICS_BACKUP_PATH", raising=False)
    monkeypatch.setattr("zxforensics.cli.common.DEFAULT_BACKUP_PATHS", ("/nonexistent/zx/",))
    code, _, err = run("getItem", "admin@example.com", "24700")
    assert code == 2 and "no backup path" in err


def test_do_item_search(run):
    code, out, _ = run("doItemSearch", "admin@example.com", "search_string", "mailboxd", "backup_path", "SAMPLE")
    assert code == 0 and "24700" in out and "Service mailboxd started" in out
    code, out, _ = run("--json", "doItemSearch", "alice@example.com", "type", "document", "search_filter", "all",
                       "backup_path", "SAMPLE")  # fmt: skip
    docs = json.loads(out)
    assert docs and {d["type"] for d in docs} == {"document"}


def test_account_info_and_available_accounts(run):
    code, out, _ = run("getAccountInfo", "postmaster@example.com", "backup_path", "SAMPLE")
    assert code == 0 and "admin@example.com" in out and "zimbraMailAlias" in out
    code, out, _ = run("--csv", "getAvailableAccounts", "backup_path", "SAMPLE")
    frame = pd.read_csv(pd.io.common.StringIO(out))
    assert {"admin@example.com", "eve@domain.com", "dave@domain.com"} <= set(frame["name"])


def test_index_writes_parquet(run, tmp_path, sample_store):
    code, _out, _ = run("index", "backup_path", "SAMPLE", "out", str(tmp_path / "idx"))
    assert code == 0
    states = pd.read_parquet(tmp_path / "idx" / "item_states.parquet")
    assert len(states) == len(sample_store.item_states())
    assert str(states["start_date"].dtype).endswith("UTC]")
    code, _, err = run("index", "backup_path", "SAMPLE", "out", str(tmp_path / "idx"))
    assert code == 2 and "refusing to overwrite" in err


def test_index_refuses_output_inside_the_evidence(run, sample_path):
    code, _, err = run("index", "backup_path", "SAMPLE", "out", str(sample_path / "out"))
    assert code == 2 and "refusing to write into the backup path" in err
    assert not (sample_path / "out").exists()


def test_help_lists_verbs(run):
    code, out, _ = run("help")
    assert code == 0 and "getItem" in out and "doItemSearch" in out


def test_a_verb_asked_for_help_prints_its_syntax_and_writes_nothing(run, tmp_path, monkeypatch):
    """`make-sample --help` once wrote a whole sample store into a folder named `--help`."""
    monkeypatch.chdir(tmp_path)
    for verb in ("make-sample", "summary", "getItem"):
        for flag in ("--help", "-h"):
            code, out, err = run(verb, flag)
            assert (code, err) == (0, "") and verb in out
    assert list(tmp_path.iterdir()) == []


def test_make_sample_writes_only_into_a_new_or_empty_folder(run, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "mine.txt").write_text("mine")
    code, out, err = run("make-sample", tmp_path / "used", "accounts", "1", "items", "2")
    assert (code, out) == (2, "") and "new or empty folder" in err
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["mine.txt"]
    code, out, _err = run("make-sample", tmp_path / "new", "accounts", "1", "items", "2")
    assert code == 0 and (tmp_path / "new" / "backupstat").is_file()
    code, out, _err = run("make-sample", tmp_path / "bare", "accounts", "1", "items", "20", "blobs", "false")
    assert code == 0 and (tmp_path / "bare" / "accounts").is_dir() and not (tmp_path / "bare" / "items").exists()


def test_make_sample_writes_a_store_shape(run, tmp_path):
    code, out, _ = run("make-sample", str(tmp_path / "s"), "shape", "no_items")
    assert (code, out.strip()) == (0, f"store shape no_items written to {tmp_path / 's' / 'backup'}")
    accounts = zx.open_backup(tmp_path / "s" / "backup").accounts()
    assert len(accounts) == 1 and accounts["item_count"].tolist() == [0]
    assert (tmp_path / "s" / "notifications" / "restore_report.txt").is_file()
    code, _, err = run("make-sample", str(tmp_path / "t"), "shape", "round")
    assert code == 2 and err.startswith("error: unknown store shape 'round'; shapes: empty, no_items")
