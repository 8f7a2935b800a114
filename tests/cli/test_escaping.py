"""Every verb shows text from the evidence escaped: no ESC, OSC, NUL, CR, forged line or bidi override
reaches the terminal, while --json and --csv keep the exact values."""

from __future__ import annotations

import json
import shutil
import sys

import hostile_store as hs
import pandas as pd
import pytest
from evidence_snapshot import snapshot

from zxforensics.cli import main
from zxforensics.cli.server import BOLD, CYAN, DIM, GREEN, RESET
from zxforensics.format.text import unescape
from zxforensics.sample.builder import StoreBuilder

NO_NUL = hs.EVIL_ESCAPED.split("\\x00")[0]  # what survives of EVIL where a parser stops at a separator


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    hs.build(StoreBuilder(folder / "backup"))
    (folder / "notification.txt").write_text(hs.notification())
    (folder / "operations.txt").write_text(hs.operations())
    copy = folder / "copy"
    shutil.copytree(folder / "backup", copy, symlinks=True)
    (copy / f"accounts/extra{hs.EVIL.replace(chr(0), '')}").write_bytes(b"x")
    before = snapshot(folder / "backup")
    yield folder
    assert snapshot(folder / "backup") == before


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def verbs(root) -> list[tuple[list, str]]:
    """(command line, an escaped fragment of the evidence it must show) for every verb that shows evidence."""
    b = root / "backup"
    return [
        (["doItemSearch", hs.MAIL, "backup_path", b, "search_filter", "all"], hs.EVIL_ESCAPED),
        (["getItem", hs.MAIL, hs.BAD_DIGEST_ITEM, "backup_path", b, "date", "all"], "message\\x1b[2j"),
        (["getItem", hs.MAIL, hs.ITEM_ID, "backup_path", b, "dump_blob", "true"], "\\x1b]0;owned\\x07hi"),
        (["getServerConfig", "standard", "backup_path", b, "query", "serverConfig"], hs.EVIL_ESCAPED),
        (["getServerConfig", "standard", "backup_path", b, "verbose", "true"], hs.EVIL_ESCAPED),
        (["diffServerConfig", "26/02/2014 12:00:00", "last", "backup_path", b], hs.EVIL_ESCAPED),
        (["summary", "backup_path", b], "message\\x1b[2j"),
        (["doCoherencyCheck", b], "stray\\x1b[2J"),
        (["unrestored", root / "notification.txt", "backup_path", b], hs.EVIL_ESCAPED),
        (["doExternalRestore", b], hs.EVIL_ESCAPED),
        (["getMap", b / "map_src-1"], NO_NUL),
        (["getAccountInfo", hs.MAIL, "backup_path", b], hs.EVIL_ESCAPED),
        (["getAvailableAccounts", "backup_path", b], f"{hs.EVIL_MAIL} {hs.EVIL_ACCOUNT_ID}"),  # markdown stays text
        (["doCheckShares", "backup_path", b], "/E\\x1b[2J"),
        (["getAllOperations", root / "operations.txt"], NO_NUL),
        (["retention", "backup_path", b, "data_retention_days", "1", "date", "01/01/2030 00:00:00"], hs.EVIL_ESCAPED),
        (["compareCopies", b, root / "copy"], "extra\\x1b[2J"),
    ]


def test_every_verb_escapes_the_evidence(hostile, capsys):
    for args, fragment in verbs(hostile):
        code, out, err = cli(capsys, *args)
        assert code in (0, 1), (args, err)
        assert fragment in out, (args, out)
        assert not hs.UNSAFE.search(out.replace("\n", "") + err.replace("\n", "")), (args, out, err)


def test_getitem_never_joins_a_refused_digest_to_the_backup_path(hostile, capsys):
    code, out, _err = cli(capsys, "getItem", hs.MAIL, hs.BAD_DIGEST_ITEM, "backup_path", hostile / "backup")
    assert code == 0 and hs.BAD_DIGEST in out and "blob path" not in out and "/items/.." not in out
    code, out, _err = cli(capsys, "--json", "getItem", hs.MAIL, hs.BAD_DIGEST_ITEM, "backup_path", hostile / "backup")
    record = json.loads(out)[0]
    assert record["digest"] == hs.BAD_DIGEST and record["blob_path"] is None


def test_colors_keep_the_kits_codes_and_escape_the_evidences(hostile, capsys):
    code, out, _err = cli(capsys, "getServerConfig", "standard", "backup_path", hostile / "backup",
                          "query", "serverConfig/zimbraMailMode", "colors", "true")  # fmt: skip
    assert code == 0 and f"{GREEN}https{hs.EVIL_ESCAPED}{RESET}" in out
    for code in (BOLD, CYAN, DIM, GREEN, RESET):
        out = out.replace(code, "")
    assert "\x1b" not in out and not hs.UNSAFE.search(out.replace("\n", ""))


def test_json_and_csv_keep_the_exact_values(hostile, capsys):
    args = ["doItemSearch", hs.EVIL_ACCOUNT_ID, "backup_path", hostile / "backup", "search_filter", "all"]
    code, out, _err = cli(capsys, "--json", *args[:1], hs.MAIL, *args[2:])
    assert code == 0 and not hs.UNSAFE.search(out.replace("\n", ""))
    assert f"S{hs.EVIL}" in [r["subject"] for r in json.loads(out)]
    code, out, err = cli(capsys, "--csv", *args)
    assert code == 0 and hs.FORMULA in out and "1 cells start with = + - @" in err
    assert pd.read_csv(pd.io.common.StringIO(out))["sender"].tolist() == [hs.FORMULA]


def test_csv_on_a_terminal_is_escaped_and_exact_into_a_pipe(hostile, capsys, monkeypatch):
    """Into a pipe or a file --csv keeps the exact bytes; on a terminal its text cells are escaped as text is."""
    args = ["--csv", "doItemSearch", hs.MAIL, "backup_path", hostile / "backup", "search_filter", "all"]
    code, piped, _err = cli(capsys, *args)
    assert code == 0 and f"S{hs.EVIL}" in pd.read_csv(pd.io.common.StringIO(piped))["subject"].tolist()
    assert hs.UNSAFE.search(piped.replace("\n", ""))  # the ESC, NUL, CR ... as they are
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, shown, _err = cli(capsys, *args)
    assert code == 0 and not hs.UNSAFE.search(shown.replace("\n", ""))
    frame = pd.read_csv(pd.io.common.StringIO(shown))
    assert f"S{hs.EVIL_ESCAPED}" in frame["subject"].tolist()
    assert len(frame) == len(pd.read_csv(pd.io.common.StringIO(piped)))  # one line a row: no forged rows
    exact = pd.read_csv(pd.io.common.StringIO(piped), keep_default_na=False)["subject"].tolist()
    assert [unescape(s) for s in frame["subject"].fillna("")] == exact


def test_an_error_line_is_escaped_and_one_line(hostile, capsys):
    code, out, err = cli(capsys, "getItem", f"nobody{hs.EVIL}", "1", "backup_path", hostile / "backup")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "nobody\\x1b[2J" in err and not hs.UNSAFE.search(err[:-1])


def test_getitem_caps_a_huge_history(make_store, capsys, monkeypatch):
    from zxforensics.cli import items

    monkeypatch.setattr(items, "MAX_STATES_SHOWN", 3)
    b = make_store()
    b.account({"zimbraId": "acc-1", "mail": "a@example.com"}, {"lastScan": 0})
    states = [{"id": 9, "type": "contact", "startDate": 1_000_000 + n, "transactionId": n} for n in range(10)]
    b.item("acc-1", 9, states)
    code, out, _err = cli(capsys, "getItem", "a@example.com", "9", "backup_path", b.root, "date", "all")
    assert code == 0 and out.count("start_date") == 3
    assert "the 7 oldest of 10 states are not shown" in out
    code, out, _err = cli(capsys, "--csv", "getItem", "a@example.com", "9", "backup_path", b.root, "date", "all")
    assert len(pd.read_csv(pd.io.common.StringIO(out))) == 10
