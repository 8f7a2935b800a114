"""Share grants: the values of `zimbraSharedItem` (FORMAT.md §6), one per grant.

`granteeId:<zimbraId>;granteeName:<mail>;granteeType:usr;folderId:257;folderPath:/Inbox/Projects;...`
(granteeType is a Zimbra ACL grantee type: usr, grp, dom, cos, all, pub, guest, key; only `usr` names
one account, which must hold a mountpoint.)
"""

from __future__ import annotations

from . import ParseError
from .bounds import as_int64, short


def parse_grant(value: str) -> dict[str, str]:
    """One `zimbraSharedItem` value -> its `key: value` pairs (keys as written).

    `folderId` must be an integer in int64 (a folder id of 1e23 would overflow the shares frame)."""
    if not isinstance(value, str):
        raise ParseError("invalid_metadata", f"zimbraSharedItem: a grant is text, not {short(value)}")
    grant: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        key, sep, text = part.partition(":")
        if not sep:
            raise ParseError("invalid_metadata", f"zimbraSharedItem: {short(part)} is not key:value")
        grant[key.strip()] = text.strip()
    try:
        folder = as_int64(grant.get("folderId"), "folderId")
    except ValueError as exc:
        raise ParseError("invalid_metadata", f"zimbraSharedItem: {exc}") from None
    if folder is None:
        raise ParseError("invalid_metadata", f"zimbraSharedItem without folderId: {short(value)}")
    return grant
