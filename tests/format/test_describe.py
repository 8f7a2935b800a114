"""The format's describers: which tolerant form a date takes, how a key is spelled, and the vocabularies
the probe judges keys by, tied to the readers that use them."""

from __future__ import annotations

import orjson
import pytest

from zxforensics.format.dates import date_form, to_epoch_ms
from zxforensics.format.keys import ACCOUNT_STAT_FIELDS, BACKUPSTAT_FIELDS, DATE_KEYS, fold, key_style
from zxforensics.parse.account import parse_account_stat
from zxforensics.sample.spellings import restyle

MS = 1_389_945_600_000  # 17/01/2014 08:00:00 UTC


@pytest.mark.parametrize(("value", "form"), [
    (MS, "epoch_ms"), (MS // 1000, "epoch_s"), (str(MS), "epoch_ms_text"), (str(MS // 1000), "epoch_s_text"),
    ("2014-01-17T08:00:00Z", "iso"), ("2014-01-17", "iso"), ("17/01/2014 08:00:00", "dd/MM/yyyy"),
    (0, "zero"), (None, "null"), ("", "empty"), (1.389945600e12, "epoch_ms"),
    ("2014.01.17 08:00:00", None), ("17 Jan 2014", None), (True, None), ([MS], None), ("2014-13-45", None),
])  # fmt: skip
def test_date_form_names_the_branch_to_epoch_ms_takes(value, form):
    assert date_form(value) == form
    if form not in (None, "null", "empty"):
        assert to_epoch_ms(value) in (0, MS, MS - MS % 86_400_000)  # the form is one the reader reads


@pytest.mark.parametrize(("key", "style"), [
    ("transactionId", "camelCase"), ("start_date", "snake_case"), ("StartDate", "PascalCase"), ("id", "lowercase"),
    ("START_DATE", "UPPERCASE"), ("start-date", "kebab-case"), ("start_Date", "mixed"), ("<x>", "mixed"),
])  # fmt: skip
def test_key_style(key, style):
    assert key_style(key) == style


@pytest.mark.parametrize("style", ["camelCase", "lowercase", "snake_case", "UPPERCASE", "kebab-case"])
def test_account_stat_vocabulary_is_what_the_parser_reads(style):
    values = dict(zip(ACCOUNT_STAT_FIELDS, (MS, 42, True, MS), strict=True))
    doc = {(key if style == "camelCase" else restyle(key, style)): value for key, value in values.items()}
    parsed = parse_account_stat(orjson.dumps(doc))
    assert parsed == {"last_scan": MS, "last_sequence": 42, "deleted": True, "deleted_date": MS}
    assert set(parsed) == set(ACCOUNT_STAT_FIELDS.values())


def test_backupstat_vocabulary_and_date_keys(tmp_path):
    import zxforensics as zx

    (tmp_path / "backupstat").write_bytes(orjson.dumps({"time_zone": "Europe/Rome", "server_id": "s1"}))
    store = zx.open_backup(tmp_path)
    assert store.tz == "Europe/Rome" and BACKUPSTAT_FIELDS["timeZone"] and BACKUPSTAT_FIELDS["serverId"]
    assert {fold(k) for k in ("firstScan", "lastScan", "deletedDate", "lastScan")} <= DATE_KEYS
