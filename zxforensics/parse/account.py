"""Account metadata: `account_info` (LDAP attributes) and `account_stat` (FORMAT.md §3).

A value the kit cannot take (a date out of range, a number past int64, an attribute nested deeper
than an LDAP value can be) nulls that field only, with a note: the rest of the account still reads.
"""

from __future__ import annotations

from ..format.dates import BadDate, ldap_time_to_ms, to_epoch_ms
from ..format.keys import get_folded
from .bounds import as_int64, nested_deeper, short
from .items import load_json_object

# account_info attributes that become columns of accounts(); the rest stay available on demand.
ACCOUNT_COLUMNS = {
    "zimbraid": "account_id",
    "mail": "name",
    "zimbraaccountstatus": "status",
    "zimbracosid": "cos_id",
    "zimbramailhost": "mail_host",
    "zimbramailalias": "aliases",
    "zimbracreatetimestamp": "created",
}
# [LDAP] an attribute is a value or a list of values; an object inside is tolerated this deep.
MAX_ATTRIBUTE_DEPTH = 4


def _note(problems: list[str] | None, text: str) -> None:
    if problems is not None:
        problems.append(text)


def _scalar_text(value: object) -> str | None:
    """A single value as text; None for a container (its text could be megabytes, or recurse)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    return None


def as_list(value: object) -> list[str]:
    """An LDAP attribute as a list of strings (single values become one-element lists; containers are left out)."""
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [text for text in map(_scalar_text, values) if text is not None]


def parse_account_info(data: bytes, problems: list[str] | None = None) -> dict:
    """`account_info` JSON -> its attributes (strings and lists of strings, as the server writes them).

    An attribute nested deeper than MAX_ATTRIBUTE_DEPTH is left out, with a note in `problems`."""
    info = load_json_object(data, "account_info")
    for key in [k for k, v in info.items() if isinstance(v, dict | list) and nested_deeper(v, MAX_ATTRIBUTE_DEPTH)]:
        _note(problems, f"account_info: attribute {short(key)} is nested deeper than {MAX_ATTRIBUTE_DEPTH}: left out")
        del info[key]
    return info


def account_row(info: dict, problems: list[str] | None = None) -> dict:
    """The columns of accounts() from an account_info object; a bad `zimbraCreateTimestamp` is None, with a note."""
    row: dict = {}
    for key, column in ACCOUNT_COLUMNS.items():
        row[column] = get_folded(info, key)
    row["aliases"] = as_list(row["aliases"])
    row["created"] = _created(row["created"], problems)
    for column in ("account_id", "name", "status", "cos_id", "mail_host"):
        value = row[column]
        value = value[0] if isinstance(value, list) and value else value
        row[column] = _scalar_text(value) or None
    return row


def _created(value: object, problems: list[str] | None) -> int | None:
    """zimbraCreateTimestamp: LDAP generalized time, or any date the tolerant reader takes."""
    if value is None or value == "":
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    created = ldap_time_to_ms(value) if isinstance(value, str) and value.strip().upper().endswith("Z") else None
    if created is None:
        try:
            created = to_epoch_ms(value)
        except BadDate:
            created = None
    if created is None:
        _note(problems, f"account_info: zimbraCreateTimestamp {short(value)} is not a date in range")
    return created


def parse_account_stat(data: bytes, problems: list[str] | None = None) -> dict:
    """`account_stat` JSON -> `last_scan`, `last_sequence`, `deleted`, `deleted_date` (epoch ms).

    A field that does not read is None (deleted: False), with a note in `problems`."""
    doc = load_json_object(data, "account_stat")
    row: dict = {}
    for name, key in (("last_scan", "lastscan"), ("deleted_date", "deleteddate")):
        try:
            row[name] = to_epoch_ms(get_folded(doc, key))
        except BadDate as exc:
            row[name] = None
            _note(problems, f"account_stat: {key}: {exc}")
    try:
        row["last_sequence"] = as_int64(get_folded(doc, "lastsequence"), "lastSequence")
    except ValueError as exc:
        row["last_sequence"] = None
        _note(problems, f"account_stat: {exc}")
    row["deleted"] = _deleted(get_folded(doc, "deleted"), problems)
    return row


def _deleted(value: object, problems: list[str] | None) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    if value is None or isinstance(value, bool | int | float):
        return bool(value)
    _note(problems, f"account_stat: deleted is {short(value)}, not a boolean: taken as false")
    return False

