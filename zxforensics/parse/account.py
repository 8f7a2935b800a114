"""Account metadata: `account_info` (LDAP attributes) and `account_stat` (FORMAT.md §3)."""

from __future__ import annotations

from ..format.dates import BadDate, ldap_time_to_ms, to_epoch_ms
from ..format.keys import get_folded
from . import ParseError
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


def as_list(value: object) -> list[str]:
    """An LDAP attribute as a list of strings (single values become one-element lists)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def parse_account_info(data: bytes) -> dict:
    """`account_info` JSON -> its attributes as a flat dict of strings and lists of strings."""
    return load_json_object(data, "account_info")


def account_row(info: dict) -> dict:
    """The columns of accounts() from an account_info object."""
    row: dict = {}
    for key, column in ACCOUNT_COLUMNS.items():
        row[column] = get_folded(info, key)
    row["aliases"] = as_list(row["aliases"])
    created = row["created"]
    row["created"] = ldap_time_to_ms(created) if isinstance(created, str) and created.endswith("Z") else None
    if row["created"] is None and created is not None:
        try:
            row["created"] = to_epoch_ms(created)
        except BadDate:
            row["created"] = None
    for column in ("account_id", "name", "status", "cos_id", "mail_host"):
        value = row[column]
        row[column] = value[0] if isinstance(value, list) and value else (str(value) if value else None)
    return row


def parse_account_stat(data: bytes) -> dict:
    """`account_stat` JSON -> `last_scan`, `last_sequence`, `deleted`, `deleted_date` (epoch ms)."""
    doc = load_json_object(data, "account_stat")
    try:
        deleted = get_folded(doc, "deleted")
        return {
            "last_scan": to_epoch_ms(get_folded(doc, "lastscan")),
            "last_sequence": get_folded(doc, "lastsequence"),
            "deleted": str(deleted).lower() == "true" if isinstance(deleted, str) else bool(deleted),
            "deleted_date": to_epoch_ms(get_folded(doc, "deleteddate")),
        }
    except BadDate as exc:
        raise ParseError("invalid_metadata", f"account_stat: {exc}") from None
