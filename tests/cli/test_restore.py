"""`zxforensics unrestored NOTIFICATION backup_path P` and `zxforensics doExternalRestore PATH`."""

from __future__ import annotations

import io
import json

import pandas as pd
from sample_paths import SAMPLE_DATA

from zxforensics.investigate.diagnose import COLUMNS

REPORT = str(SAMPLE_DATA / "notifications" / "restore_report.eml")
EXCERPT = str(SAMPLE_DATA / "notifications" / "seed_excerpt.txt")



def leaf(key: str, value: object, level: int = 2) -> str:
    return " " * 8 * level + key.ljust(60) + str(value)


def test_unrestored_text(run):
    code, out, err = run("unrestored", REPORT, "backup_path", "SAMPLE")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == leaf("operation", "External Restore", 1)
    assert leaf("unrestored", 32) in lines and leaf("skipped", 19) in lines
    assert leaf("check", "the per-account lists add up to the stats line", 2) in lines
    assert leaf("account14@domain.com", "read_error 2, broken 2, restorable 1") in lines
    assert leaf("total", "read_error 5, broken 7, invalid 15, not_in_backup 3, restorable 2") in lines
    assert sum(line.strip().startswith("itemId") for line in lines) == 32
    assert leaf("detail", "blob of state 3 truncated_gzip: gzip stream ends early after 216 bytes") in lines
    assert leaf("lastValidState", 2) in lines


def test_unrestored_seed_excerpt_reports_its_gap(run):
    code, out, _ = run("unrestored", EXCERPT, "backup_path", "SAMPLE")
    assert code == 0
    assert leaf("check", "unrestored: the stats line says 10, the per-account lists hold 7 (3 not listed)") in out
    assert leaf("account1@domain.com", "read_error 1, invalid 1") in out.splitlines()


def test_unrestored_json_and_csv(run):
    code, out, _ = run("--json", "unrestored", REPORT, "backup_path", "SAMPLE")
    records = json.loads(out)
    assert code == 0 and len(records) == 32 and list(records[0]) == COLUMNS
    by_item = {(r["account"], r["item_id"]): r for r in records}
    assert by_item[("bob@example.com", 5002)]["cause"] == "broken"
    assert by_item[("account2@domain.com", 49965)]["last_valid_state"] == 2
    code, out, _ = run("unrestored", EXCERPT, "backup_path", "SAMPLE", "--csv")
    frame = pd.read_csv(io.StringIO(out))
    assert code == 0 and list(frame.columns) == COLUMNS
    assert frame["item_id"].tolist() == [1255, 1369, 49965, 856, 13339, 45200, 45655]
    causes = ["read_error", "invalid", "broken", "broken", "broken", "read_error", "read_error"]
    assert frame["cause"].tolist() == causes


def test_unrestored_without_a_report(run, tmp_path):
    letter = tmp_path / "letter.txt"
    letter.write_text("Hello\n")
    code, out, err = run("unrestored", str(letter), "backup_path", "SAMPLE")
    assert code == 2 and out == ""
    assert err.startswith(f"error: no restore report found in {letter}: looked for a '- stats -' block")


def test_preflight_some_accounts(run, sample_path):
    code, out, _ = run("doExternalRestore", "SAMPLE", "accounts", "account14@domain.com,bob@example.com")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == ["        preflight", leaf("backupPath", sample_path.resolve())]
    assert leaf("restored", "nothing (pre-flight check only)") in lines
    assert leaf("wouldFail", 6) in lines
    assert any(line.startswith(leaf("bob@example.com", "read_error 1, broken 1, restorable ")) for line in lines)
    items = [int(line.split()[-1]) for line in lines if line.strip().startswith("itemId")]
    assert items == [856, 13339, 45200, 45655, 5002, 5003]


def test_preflight_json(run):
    code, out, _ = run("--json", "doExternalRestore", "SAMPLE", "accounts", "account2@domain.com")
    records = json.loads(out)
    assert code == 0 and {r["account"] for r in records} == {"account2@domain.com"}
    failing = {r["item_id"]: r["cause"] for r in records if r["cause"] != "restorable"}
    assert failing == {49965: "broken", 6314: "invalid"}


def test_verbs_are_listed(run):
    code, out, _ = run("help")
    assert code == 0
    assert "zxforensics unrestored {notification}" in out and "zxforensics doExternalRestore {source_path}" in out
