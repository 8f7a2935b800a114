"""The vendor's info verbs as monitoring scripts read them: getBackupInfo, getAvailableAccounts,
getAccountInfo, getCOSBackupStatus; booleans as `true`/`false`; lines pasted with the vendor's prefix."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import watched_store
from watched_store import DELETED, DISABLED, SYSTEM

ZXFORENSICS = Path(sys.executable).parent / "zxforensics"  # the installed entry point

# What a Nagios check of a live Zextras server does with the vendor's text (grep, awk, `date -d`),
# with `zxsuite backup` replaced by the kit. It prints what it read, one fact a line.
MONITORING_SCRIPT = r"""
set -u
ZX="$1"; BACKUP="$2"; SERVER_TZ="$3"
info=$("$ZX" getBackupInfo backup_path "$BACKUP") || exit 10
active=$(echo "$info" | grep numActiveBackupedAccounts | awk '{print $2}')
checked=$(echo "$info" | grep numCheckedAccounts | awk '{print $2}' | head -n1)
last_scan=$(echo "$info" | grep lastScan | awk '{print $2,$3}')
last_epoch=$(TZ="$SERVER_TZ" date -d "$last_scan" +%s) || exit 11
echo "active $active"
echo "checked $checked"
echo "lastScan $last_epoch"
if [ "$active" -eq "$checked" ]; then echo "counts match"; fi
listed=$("$ZX" getAvailableAccounts backup_path "$BACKUP") || exit 12
EMAIL='\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,6}\b'
for email in $(echo "$listed" | grep -A5000 accountMap | grep -oE "$EMAIL"); do
    account_info=$("$ZX" getAccountInfo "$email" backup_path "$BACKUP")
    if [ "$(echo $account_info | grep -o 'end date now')" == "end date now" ]; then
        echo "up to date $email"
    else
        echo "not up to date $email"
    fi
done
absent=$("$ZX" getAccountInfo nobody@nowhere.example.com backup_path "$BACKUP")
echo "absent exit $?"
SENTENCE="Can't find the backup folder for the account"
if [ "$(echo $absent | grep -o "$SENTENCE")" == "$SENTENCE" ]; then
    echo "absent has no backup"
fi
"""


def monitor(backup: Path, server_tz: str) -> dict[str, list[str]]:
    done = subprocess.run(["bash", "-c", MONITORING_SCRIPT, "monitor", str(ZXFORENSICS), str(backup), server_tz],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    facts: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.rpartition(" ")
        facts.setdefault(key, []).append(value)
    return facts


def test_monitoring_script_on_the_sample(sample_path, sample_store):
    facts = monitor(sample_path, "Europe/Paris")
    stat = json.loads(sample_store.evidence.read("backupstat"))  # a plain read would move its atime
    assert facts["active"] == ["9"] and facts["checked"] == ["9"] and facts["counts"] == ["match"]
    assert facts["lastScan"] == [str(stat["lastScan"] // 1000)]  # `date -d` read the date back to the second
    accounts = sample_store.accounts()
    assert sorted(facts["up to date"]) == sorted(accounts.loc[~accounts["deleted"], "name"].drop(
        accounts.index[accounts["name"] == "eve@domain.com"]))  # eve's COS keeps her out of backup
    assert sorted(facts["not up to date"]) == ["dave@domain.com", "eve@domain.com"]
    assert facts["absent exit"] == ["2"] and facts["absent has no"] == ["backup"]


def test_monitoring_script_on_a_generated_store(make_store):
    watched = watched_store.build(make_store(), last_scan_hours=3)
    facts = monitor(Path(watched.root), "Europe/Rome")
    assert facts["active"] == facts["checked"] == [str(len(watched.ids) - 2)]
    assert facts["lastScan"] == [str(int(watched.last_scan.timestamp()))]
    # system accounts are hidden as the vendor hides them; every other live account is up to date
    assert sorted(facts["up to date"]) == sorted(set(watched.backed_up) - set(SYSTEM))
    assert sorted(facts["not up to date"]) == sorted([DELETED, DISABLED])
    assert facts["absent has no"] == ["backup"]


def test_get_backup_info_layout(run):
    code, out, _ = run("getBackupInfo", "backup_path", "SAMPLE")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert list(lines) == ["serverId", "firstScan", "lastScan", "numActiveBackupedAccounts", "numCheckedAccounts"]
    assert lines["lastScan"] == " " * 8 + "lastScan".ljust(60) + "2014-02-28 04:00:00 CET"
    assert lines["firstScan"].split()[1:] == ["2013-06-01", "04:00:00", "CEST"]
    code, positional, _ = run("getBackupInfo", "SAMPLE")  # the vendor's usage example names the path alone
    assert code == 0 and positional == out
    code, out, _ = run("--json", "getBackupInfo", "backup_path", "SAMPLE")
    assert json.loads(out)[0]["numCheckedAccounts"] == 9 and json.loads(out)[0]["lastScan"].startswith("2014-02-28")


def test_never_scanned_prints_the_epoch_in_the_server_zone(run, make_store):
    builder = make_store()
    builder.backupstat("srv-never", 0, 0, 0, timeZone="Europe/Rome")
    code, out, _ = run("getBackupInfo", "backup_path", str(builder.root))
    assert code == 0
    assert [line.split(None, 1)[1] for line in out.splitlines()[1:3]] == ["1970-01-01 01:00:00 CET"] * 2


def test_odd_backupstat_values_do_not_break_the_layout(run, make_store):
    builder = make_store()
    builder.write_json("backupstat", {"firstScan": 1e30, "lastScan": "yesterday", "numCheckedAccounts": "7",
                                      "numActiveBackupedAccounts": -3})  # fmt: skip
    builder.account({"zimbraId": "acc-1", "mail": "one@example.com"}, {"lastScan": 0, "deleted": False})
    code, out, _ = run("getBackupInfo", "backup_path", str(builder.root))
    values = {line.split()[0]: line.split()[1:] for line in out.splitlines()}
    assert code == 0 and values["firstScan"][0] == values["lastScan"][0] == "1970-01-01"
    assert values["numCheckedAccounts"] == ["7"] and values["numActiveBackupedAccounts"] == ["1"]  # counted


def test_get_available_accounts_sections(run, make_store):
    watched = watched_store.build(make_store())
    code, out, _ = run("getAvailableAccounts", "backup_path", watched.root,
                       "output_headers", "accountMap,accountList,accountIdList,accountAndIdList")  # fmt: skip
    assert code == 0
    sections = re.split(r"^ {8}(\w+)$", out, flags=re.MULTILINE)[1:]
    blocks = {name: [line.split() for line in body.strip("\n").splitlines()] for name, body in
              zip(sections[::2], sections[1::2], strict=True)}  # fmt: skip
    expected = sorted((n, i) for n, i in watched.ids.items() if n not in SYSTEM)
    assert sorted(map(tuple, blocks["accountMap"])) == expected
    assert sorted(map(tuple, blocks["accountAndIdList"])) == expected
    assert sorted(b[0] for b in blocks["accountList"]) == [n for n, _ in expected]
    assert sorted(b[0] for b in blocks["accountIdList"]) == sorted(i for _, i in expected)
    code, out, _ = run("getAvailableAccounts", "backup_path", watched.root, "hide_system_accounts", "false",
                       "hide_deleted", "true", "output_headers", "accountList")  # fmt: skip
    assert sorted(out.split()[1:]) == watched.backed_up
    code, _, err = run("getAvailableAccounts", "backup_path", watched.root, "output_headers", "accountTree")
    assert code == 2 and "output_headers must be among" in err


def test_get_available_accounts_domains_date_and_csv(run):
    code, out, _ = run("getAvailableAccounts", "backup_path", "SAMPLE", "domains", "example.com")
    assert code == 0 and {line.split()[0] for line in out.splitlines()[1:]} == {
        "admin@example.com", "alice@example.com", "bob@example.com", "frank@example.com"}
    code, out, _ = run("getAvailableAccounts", "backup_path", "SAMPLE", "date", "01/02/2014 00:00:00")
    assert "dave@domain.com" not in out and "eve@domain.com" in out  # dave was deleted on 15/01/2014
    code, out, _ = run("--csv", "getAvailableAccounts", "backup_path", "SAMPLE")
    header = out.splitlines()[0].split(",")
    assert {"name", "account_id", "deleted", "backup_disabled", "system", "out_of_backup"} <= set(header)


def test_get_account_info_intervals_and_counts(run, sample_store):
    code, out, _ = run("getAccountInfo", "alice@example.com", "backup_path", "SAMPLE")
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert re.sub(r"\s+", " ", lines[lines.index("states") + 1]) == "start date 2013-06-01 04:00:00 CEST"
    assert re.sub(r"\s+", " ", lines[lines.index("states") + 2]) == "end date now"
    count = int(sample_store.accounts().set_index("name").at["alice@example.com", "item_count"])
    assert "items" + " " * 55 + str(count) in lines and count > 70  # item files listed, before any scan
    code, out, _ = run("getAccountInfo", "dave@domain.com", "backup_path", "SAMPLE", "backupstats", "true")
    flat = re.sub(r"\s+", " ", out)
    assert "end date 2014-01-15 11:00:00 CET" in flat and "deleted true" in flat
    assert re.search(r"backupStats items \d+ states \d+ bytes \d+ newestChange 20\d\d-", flat)
    code, out, _ = run("getAccountInfo", "alice@example.com", "backup_path", "SAMPLE", "date", "01/01/2013 00:00:00")
    assert code == 2


def test_get_account_info_of_an_absent_account(run):
    code, out, err = run("getAccountInfo", "nobody@example.com", "backup_path", "SAMPLE")
    assert (code, out, err) == (2, "Can't find the backup folder for the account nobody@example.com\n", "")


def test_get_cos_backup_status(run):
    code, out, _ = run("getCOSBackupStatus", "backup_path", "SAMPLE")
    flat = re.sub(r"\s+", " ", out).strip()
    assert code == 0 and flat == (
        "cosList name default zimbraId e00428a1-0c00-11d9-836a-000d93afea2a backupEnabled true accounts 8 "
        "name nobackup zimbraId 1930eb6c-9697-53ff-9c57-1a821468cea0 backupEnabled false accounts 1")
    code, out, _ = run("getCOSBackupStatus", "NoBackup", "backup_path", "SAMPLE")
    assert code == 0 and "default" not in out and "backupEnabled" in out
    code, _, err = run("getCOSBackupStatus", "gold", "backup_path", "SAMPLE")
    assert code == 2 and "no COS named 'gold'" in err and "nobackup" in err


@pytest.mark.parametrize("prefix", [("zxsuite", "backup"), ("carbonio", "backup"), ("ZXSUITE", "backup")])
def test_pasted_vendor_lines_run(run, prefix):
    line = ("getItem", "admin@example.com", "24700", "backup_path", "SAMPLE", "date", "all")
    assert run(*prefix, *line) == run(*line)
    code, out, _ = run(*prefix, "getItem", "admin@example.com", "24700", "backup_path", "SAMPLE")
    assert code == 0 and "15/07/2013 10:03:26" in out
    code, out, _ = run("--json", *prefix, "getBackupInfo", "backup_path", "SAMPLE")
    assert code == 0 and json.loads(out)[0]["numActiveBackupedAccounts"] == 9
    code, out, _ = run(prefix[0], "help", "backup", "getItem")
    assert code == 0 and out.startswith("Syntax:\n   zxforensics getItem {account} {item}")


def test_pasted_line_of_another_module_is_refused(run):
    code, _, err = run("zxsuite", "config", "dump")
    assert code == 2 and "`zxsuite config` is not a backup command" in err


# Text output of verbs whose answers hold booleans: never Python's True/False.
BOOLEAN_LINES = [
    ("getItem", "admin@example.com", "24700", "backup_path", "SAMPLE", "date", "all"),
    ("doItemSearch", "alice@example.com", "search_filter", "all", "backup_path", "SAMPLE"),
    ("getAccountInfo", "eve@domain.com", "backup_path", "SAMPLE"),
    ("getCOSBackupStatus", "backup_path", "SAMPLE"),
    ("doCheckShares", "backup_path", "SAMPLE"),
    ("getMap", "SAMPLE/map_9da041cb-0d80-5df7-8516-4e478f589552"),
    ("summary", "backup_path", "SAMPLE"),
]


@pytest.mark.parametrize("line", BOOLEAN_LINES, ids=[line[0] for line in BOOLEAN_LINES])
def test_booleans_print_as_the_vendor_prints_them(run, line):
    code, out, _ = run(*line)
    assert code in (0, 1) and out.strip()
    assert not re.search(r"\b(True|False)\b", out), [ln for ln in out.splitlines() if re.search("True|False", ln)]


def test_booleans_of_every_kind_are_lower_case(run):
    _, out, _ = run("getAccountInfo", "eve@domain.com", "backup_path", "SAMPLE")
    assert re.search(r"^ {8}deleted +false$", out, re.MULTILINE)
    assert re.search(r"^ {8}backupDisabled +true$", out, re.MULTILINE)  # a pandas nullable boolean
    _, out, _ = run("--json", "getAccountInfo", "eve@domain.com", "backup_path", "SAMPLE")
    assert json.loads(out)[0]["current"] is False  # --json keeps JSON booleans


def test_a_frame_printed_without_text_keeps_vendor_booleans():
    import pandas as pd

    from zxforensics.cli import frame_text

    frame = pd.DataFrame({"name": ["a", "b"], "deleted": [True, False],
                          "disabled": pd.array([pd.NA, True], dtype="boolean")})  # fmt: skip
    text = frame_text(frame)
    assert "True" not in text and "False" not in text and text.splitlines()[0].split() == list(frame.columns)
    assert text.splitlines()[1].split() == ["a", "true"] and text.splitlines()[2].split() == ["b", "false", "true"]
    assert frame["deleted"].dtype == bool  # the caller's frame is left as it was
