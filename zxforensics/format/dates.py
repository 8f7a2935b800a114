"""Dates as the vendor writes them, stored as UTC (FORMAT.md §9, §10).

The vendor CLI writes `dd/MM/yyyy HH:mm:ss` in the server's local time: the day always
comes first, and no library is ever asked to guess.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import BadDate

VENDOR_FORMAT = "%d/%m/%Y %H:%M:%S"
# [vendor] getBackupInfo and getAccountInfo print `yyyy-MM-dd HH:mm:ss zzz` (`2019-06-14 04:00:07 CEST`):
# monitoring scripts read the date and the time as two fields (`awk '{print $2,$3}'`) for `date -d`.
INFO_FORMAT = "%Y-%m-%d %H:%M:%S %Z"
VENDOR_DATE_RE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Epoch values above this are milliseconds (1e11 s is the year 5138).
_EPOCH_MS_THRESHOLD = 100_000_000_000
# The dates the kit keeps, in epoch ms: pandas' nanosecond range (1677-09-21 to 2262-04-11), which
# every frame operation accepts (to_datetime, tz_convert, comparisons). A date outside is a bad value.
MIN_EPOCH_MS = -9_223_372_036_854
MAX_EPOCH_MS = 9_223_372_036_854
TZ_ENV = "ZXFORENSICS_TZ"


def get_tz(name: str | tzinfo | None) -> tzinfo:
    """A tzinfo from an IANA name (`Europe/Rome`), `UTC`, or a tzinfo."""
    if name is None or name == "" or name == "UTC":
        return UTC
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadDate(f"unknown time zone {name!r}: give an IANA name such as Europe/Rome") from exc


def default_tz_name() -> str | None:
    """The time zone set in the environment, if any."""
    return os.environ.get(TZ_ENV) or None


def parse_vendor_date(text: str, tz: str | tzinfo | None = None) -> datetime:
    """`dd/MM/yyyy HH:mm:ss` in `tz` (server local time) -> aware UTC datetime."""
    match = VENDOR_DATE_RE.match(text)
    if not match:
        raise BadDate(f"bad date {text!r}: expected dd/MM/yyyy HH:mm:ss")
    day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=get_tz(tz))
    except ValueError as exc:
        raise BadDate(f"bad date {text!r}: {exc} (the day comes first: dd/MM/yyyy)") from exc
    return local.astimezone(UTC)


def to_epoch_ms(value: object) -> int | None:
    """A tolerant metadata date (epoch ms or s, ISO 8601, dd/MM/yyyy) -> epoch ms UTC.

    Naive text dates are taken as UTC: metadata is written by the server in epoch time,
    so a text date there is a foreign tool's and carries no server zone. A date outside
    MIN_EPOCH_MS..MAX_EPOCH_MS, or a value that is no date, is a BadDate.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        milliseconds = _epoch_ms(value)
    except BadDate:
        raise
    except (ValueError, OverflowError) as exc:  # inf, nan, 5000 digits, 2013-13-45
        raise BadDate(f"not a date: {_short(value)} ({exc})") from None
    if milliseconds is not None and not MIN_EPOCH_MS <= milliseconds <= MAX_EPOCH_MS:
        raise BadDate(f"date out of range: {_short(value)}")
    return milliseconds


def _epoch_ms(value: object) -> int | None:
    if isinstance(value, int | float):
        number = int(value)
        return number if abs(number) >= _EPOCH_MS_THRESHOLD or number == 0 else number * 1000
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lstrip("-").isdigit():
            return _epoch_ms(int(text))
        if ISO_RE.match(text):
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return int(parsed.timestamp() * 1000)
        return int(parse_vendor_date(text).timestamp() * 1000)
    raise BadDate(f"not a date: {_short(value)}")


def _short(value: object, width: int = 60) -> str:
    """A value for a message, cut: a hostile one can be megabytes (or a deep structure)."""
    text = repr(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else type(value).__name__
    return text if len(text) <= width else text[: width - 3] + "..."


def parse_user_date(value: object, tz: str | tzinfo | None = None) -> datetime:
    """A date given by a user: datetime (naive = `tz`), `dd/MM/yyyy HH:mm:ss` or ISO 8601."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=get_tz(tz))).astimezone(UTC)
    if hasattr(value, "to_pydatetime"):
        return parse_user_date(value.to_pydatetime(), tz)
    if isinstance(value, str):
        text = value.strip()
        if ISO_RE.match(text):
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parse_user_date(parsed, tz)
        return parse_vendor_date(text, tz)
    raise BadDate(f"bad date {value!r}: expected dd/MM/yyyy HH:mm:ss")


def format_vendor_date(moment: datetime | None, tz: str | tzinfo | None = None, zone: bool = False) -> str:
    """An aware datetime (or pandas Timestamp) as the vendor prints it in `tz`; with `zone`, its
    abbreviation (CET). A missing date (None, NaT, NaN) prints as nothing."""
    if moment is None or moment != moment:  # NaT and NaN are not equal to themselves
        return ""
    local = moment.astimezone(get_tz(tz))
    text = local.strftime(VENDOR_FORMAT)
    return f"{text} {local.strftime('%Z')}" if zone else text


def format_info_date(moment: datetime | None, tz: str | tzinfo | None = None) -> str:
    """An aware datetime as the vendor's info verbs print it in `tz`: `2019-06-14 04:00:07 CEST`.

    "Never" is the epoch, as the vendor prints it (`1970-01-01 01:00:00 CET` in Europe/Rome): give
    `datetime.fromtimestamp(0, UTC)`. A missing date (None, NaT) prints as nothing."""
    if moment is None or moment != moment:
        return ""
    return moment.astimezone(get_tz(tz)).strftime(INFO_FORMAT)


def ldap_time_to_ms(value: str | None) -> int | None:
    """LDAP generalized time (`20130712143544Z`, optional fraction) -> epoch ms UTC; None when it does
    not parse or lies outside MIN_EPOCH_MS..MAX_EPOCH_MS (year 1 or 9999)."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip().rstrip("Zz")
    main = text.split(".")[0]
    try:
        parsed = datetime.strptime(main[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    milliseconds = int(parsed.timestamp() * 1000)
    return milliseconds if MIN_EPOCH_MS <= milliseconds <= MAX_EPOCH_MS else None


def date_form(value: object) -> str | None:
    """Which tolerant form of `to_epoch_ms` a metadata date takes: `epoch_ms`, `epoch_s`, `epoch_ms_text`,
    `epoch_s_text`, `iso`, `dd/MM/yyyy`, `zero`, `empty` or `null`; None when `to_epoch_ms` cannot read it.

    The reading itself is `to_epoch_ms`'s (one source of truth); this only names the branch it took."""
    if isinstance(value, bool):  # to_epoch_ms takes a boolean for no date at all
        return None
    try:
        read = to_epoch_ms(value)
    except (BadDate, ValueError, TypeError, OverflowError):
        return None
    if read is None:
        return "null" if value is None else "empty"
    if read == 0:
        return "zero"
    if isinstance(value, int | float):
        return "epoch_ms" if abs(int(value)) >= _EPOCH_MS_THRESHOLD else "epoch_s"
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return "epoch_ms_text" if abs(int(text)) >= _EPOCH_MS_THRESHOLD else "epoch_s_text"
    return "iso" if ISO_RE.match(text) else "dd/MM/yyyy"
