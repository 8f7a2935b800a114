"""Audit verbs: doCoherencyCheck, doCheckShares, getMap, doFixShares, getAllOperations, compareCopies, retention."""

from __future__ import annotations

import json

from zxforensics.cli.registry import VERBS
from zxforensics.sample import audit_cases
from zxforensics.sample.catalog import account_id


def leaves(out: str) -> list[tuple[str, str]]:
    """(key, value) of the vendor layout's leaves (60-column keys)."""
    return [(line.strip()[:60].strip() if len(line.strip()) > 60 else line.strip(), line.strip()[60:].strip())
            for line in out.splitlines() if line.startswith(" " * 16)]  # fmt: skip


def test_coherency_check_of_some_accounts(run):
    code, out, _ = run("doCoherencyCheck", "SAMPLE", "accountIds", "frank@example.com")
    assert code == 1  # an error-severity finding
    lines = out.splitlines()
    assert lines[:4] == ["        summary", " " * 16 + "error missing_blob".ljust(60) + "1",
                         " " * 16 + "warning size_mismatch".ljust(60) + "1",
                         " " * 16 + "warning case_mismatch".ljust(60) + "1"]  # fmt: skip
    assert out.count("frank@example.com") == 3
    code, out, _ = run("--json", "doCoherencyCheck", "SAMPLE", "accountIds", account_id("frank@example.com"))
    records = json.loads(out)
    assert code == 1 and [(r["kind"], r["item_id"]) for r in records] == [
        ("missing_blob", 7102), ("size_mismatch", 7101), ("case_mismatch", 7102)]


def test_coherency_check_of_a_sound_and_of_a_damaged_server(run):
    code, out, _ = run("doCoherencyCheck", "DATA/backup2")
    assert code == 0  # warnings only
    assert [k for k, _v in leaves(out) if k.startswith("warning")] == [
        "warning case_mismatch", "warning missing_backupstat", "warning bad_name"]
    assert "fix" not in VERBS["docoherencycheck"].params  # detection only


def test_coherency_check_on_a_dask_cluster(run, dask_client):
    address = dask_client.scheduler.address
    for args in (("SAMPLE",), ("SAMPLE", "accountIds", "frank@example.com")):
        local = run("--json", "doCoherencyCheck", *args)
        assert run("--json", "doCoherencyCheck", *args, "scheduler", address) == local
        assert local[0] == 1 and len(json.loads(local[1])) >= 3
    code, out, _ = run("doCoherencyCheck", "DATA/backup2", "scheduler", address)
    assert code == 0 and "warning bad_name" in out


def test_check_shares(run):
    code, out, _ = run("--csv", "doCheckShares", "backup_path", "SAMPLE")
    header, *rows = out.splitlines()
    assert code == 0 and header.startswith("source,status,owner_id,owner")
    assert sorted(r.split(",")[1] for r in rows) == sorted(audit_cases.SHARES.values())
    code, out, _ = run("doCheckShares", "backup_path", "SAMPLE")
    assert code == 0 and out.splitlines()[-1] == "        broken".ljust(68) + "6"


def test_get_map_and_fix_shares(run):
    map_file = f"SAMPLE/map_{audit_cases.OLD_SERVER_ID}"
    code, out, _ = run("getMap", map_file)
    pairs = leaves(out)
    assert code == 0 and ("source", audit_cases.OLD_IDS["alice@example.com"]) in pairs
    assert dict(zip([v for k, v in pairs if k == "source"], [v for k, v in pairs if k == "destination"],
                    strict=True))[audit_cases.OLD_IDS["carol@domain.com"]] == account_id("carol@domain.com")
    code, out, _ = run("getMap", f"SAMPLE/accounts/{account_id('alice@example.com')}/id_mapper.log")
    assert code == 0 and ("source_id", "1259") in leaves(out)
    code, out, _ = run("doFixShares", map_file, "backup_path", "SAMPLE")
    assert code == 0 and [v for k, v in leaves(out) if k == "field"] == ["granteeId", "ownerId", "remoteId"]
    assert out.splitlines()[-1].split() == ["changes", "3"]


def test_get_all_operations(run):
    code, out, _ = run("getAllOperations", "DATA/operations/getAllOperations_verbose.txt", "tz", "Europe/Paris")
    assert code == 0
    assert [v for k, v in leaves(out) if k == "submitted"] == [
        "28/02/2014 04:00:00", "27/02/2014 18:12:40", "28/02/2014 04:02:13"]
    assert [v for k, v in leaves(out) if k == "progress"] == ["42%", "0%", "0%"]
    code, _out, err = run("getAllOperations", "DATA/operations/missing.txt")
    assert code == 2 and err.startswith("error: missing: no such file")


def test_compare_copies(run):
    code, out, _ = run("compareCopies", "SAMPLE", "DATA/offsite_copy")
    assert code == 1  # the copy differs
    known = audit_cases.copy_differences()
    assert [v for k, v in leaves(out) if k == "path"] == sorted(known)
    assert [v for k, v in leaves(out) if k == "status"] == [known[path] for path in sorted(known)]
    assert ("copy filesystem case sensitive", "yes (,Q and ,q are two entries of items/)") in leaves(out)
    code, _out, err = run("compareCopies", "SAMPLE", "DATA/nowhere")
    assert code == 2 and "is not a folder" in err


def test_retention(run):
    code, out, _ = run("retention", "backup_path", "SAMPLE", "date", "01/03/2014 00:00:00")
    pairs = dict(leaves(out)[:8])
    assert code == 0 and pairs["accounts purged"] == "1" and pairs["data retention days"] == "30"
    assert ("account", "dave@domain.com") in leaves(out) and ("since", "15/01/2014 11:00:00") in leaves(out)
    code, out, _ = run("retention", "backup_path", "SAMPLE", "data_retention_days", "0", "account_retention_days",
                       "0", "date", "01/03/2014 00:00:00")  # fmt: skip
    assert code == 0 and dict(leaves(out)[:8])["bytes freed"] == "0"
    code, out, _ = run("--json", "retention", "backup_path", "SAMPLE", "date", "01/03/2014 00:00:00")
    records = json.loads(out)
    assert records[0]["scope"] == "account" and records[0]["account"] == "dave@domain.com"
    assert {r["scope"] for r in records} == {"account", "item"}
