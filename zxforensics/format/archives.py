"""Names of the server archives (FORMAT.md §5): `<component>_DD_MM_YY#hh_mm_ss.tar.gz`.

The date is the server's local time, day first, two-digit year (the seed's
`customizations_28_02_14#04_01_14.tar.gz` is 28 Feb 2014 04:01:14); it is never guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from ..errors import ParseError
from .dates import get_tz

# [vendor] the seed's file name; [ours] the component names `config` and `ldap` beside the seed's
# `customizations` (FORMAT.md §5).
ARCHIVE_RE = re.compile(
    r"^(?P<component>[A-Za-z][A-Za-z0-9-]*)_(?P<day>\d{2})_(?P<month>\d{2})_(?P<year>\d{2})"
    r"#(?P<hour>\d{2})_(?P<minute>\d{2})_(?P<second>\d{2})\.tar\.gz$"
)
ARCHIVE_SUFFIX = ".tar.gz"
CONFIG_MEMBER = "config.json"  # [ours] the standard configuration of a `config` archive
LDAP_MEMBER = "ldap.ldif"  # [ours] the directory dump of an `ldap` archive
COMPONENTS = ("config", "customizations", "ldap")  # [vendor] customizations; [ours] config and ldap
# [vendor] where the members of a `customizations` archive come from: {zimbraHome}/conf/ and postfix/conf/
CUSTOMIZATION_PREFIXES = ("conf/", "postfix/conf/")
CENTURY = 2000  # two-digit years: the product was born after 2000


def parse_archive_name(name: str, tz: str | tzinfo | None = None) -> tuple[str, datetime]:
    """`customizations_28_02_14#04_01_14.tar.gz` -> (`customizations`, aware UTC datetime).

    Raises ParseError(`bad_name`) for a name that does not follow the vendor's pattern.
    """
    match = ARCHIVE_RE.match(name)
    if not match:
        raise ParseError("bad_name", f"{name!r} is not <component>_DD_MM_YY#hh_mm_ss.tar.gz")
    parts = {k: int(v) for k, v in match.groupdict().items() if k != "component"}
    try:
        local = datetime(
            CENTURY + parts["year"], parts["month"], parts["day"],
            parts["hour"], parts["minute"], parts["second"], tzinfo=get_tz(tz),
        )  # fmt: skip
    except ValueError as exc:
        raise ParseError("bad_name", f"{name!r}: {exc} (the day comes first: DD_MM_YY)") from None
    return match["component"], local.astimezone(UTC)


def archive_name(component: str, moment: datetime, tz: str | tzinfo | None = None) -> str:
    """The vendor's file name of a `component` archive taken at `moment` (shown in `tz`, else in its own zone)."""
    local = moment.astimezone(get_tz(tz)) if tz is not None and moment.tzinfo else moment
    return f"{component}_{local:%d_%m_%y#%H_%M_%S}{ARCHIVE_SUFFIX}"
