"""exportMailbox and doContentSearch, as a person types them."""

from __future__ import annotations

import json
import mailbox

import pandas as pd

from zxforensics.sample.mail_cases import ACCOUNT, EXPORT_DATE


def test_export_mailbox_at_a_date(run, tmp_path):
    out = tmp_path / "alice"
    code, text, _ = run("exportMailbox", ACCOUNT, "out", out, "date", EXPORT_DATE, "format", "mbox",
                        "folder", "/Inbox", "backup_path", "SAMPLE")  # fmt: skip
    assert code == 0, text  # nothing under /Inbox fails to export at that date
    lines = {line.split()[0]: line.split(None, 1)[1] for line in text.splitlines()[1:]}
    assert lines["format"] == "mbox" and lines["date"] == EXPORT_DATE and lines["notExported"] == "0"
    boxes = {p.name: len(mailbox.mbox(p)) for p in (out / ACCOUNT).glob("*.mbox")}
    assert set(boxes) == {"Inbox.mbox", "Inbox.Projects.mbox", "Inbox.Invoices.mbox", "Inbox.Customers.mbox",
                          "Inbox.Contracts.mbox"}  # fmt: skip
    assert sum(boxes.values()) == int(lines["messages"]) == len(pd.read_csv(out / "manifest.csv"))


def test_export_reports_what_it_could_not_write(run, tmp_path):
    code, text, _ = run("--json", "exportMailbox", ACCOUNT, "out", tmp_path / "x", "backup_path", "SAMPLE")
    assert code == 1  # alice's item 5006 has a blob that is a dangling link
    rows = json.loads(text)
    assert rows and all(r["verified"] for r in rows) and 5006 not in {r["item_id"] for r in rows}
    code, _, err = run("exportMailbox", ACCOUNT, "out", tmp_path / "x", "backup_path", "SAMPLE")
    assert code == 2 and "new or empty folder" in err
    code, _, err = run("exportMailbox", ACCOUNT, "out", tmp_path / "y", "format", "pst", "backup_path", "SAMPLE")
    assert code == 2 and "maildir|mbox|eml" in err


def test_content_search(run):
    code, text, _ = run("doContentSearch", "invoice 4711", "accounts", ACCOUNT, "backup_path", "SAMPLE")
    assert code == 0
    assert [line.split()[-1] for line in text.splitlines() if line.strip().startswith("itemId")] == ["8111", "8112"]
    assert "        found" + " " * 55 + "2" in text.splitlines()
    code, text, _ = run("--csv", "doContentSearch", r"rechnung\s+4711", "regex", "true", "accounts",
                        f"{ACCOUNT},bob@example.com", "fields", "subject,attachment_names", "backup_path", "SAMPLE")
    assert code == 0
    assert [line.split(",")[2] for line in text.splitlines()[1:]] == ["8114", "8116"]
    code, text, _ = run("doContentSearch", "Project kick-off", "date", "last", "include_deleted", "false",
                        "accounts", ACCOUNT, "backup_path", "SAMPLE")  # fmt: skip
    assert code == 0 and "found" in text and text.split("found")[1].split()[0] == "0"
    code, _, err = run("doContentSearch", "x", "fields", "headers", "backup_path", "SAMPLE")
    assert code == 2 and "fields must be among" in err
