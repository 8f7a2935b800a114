"""Share grants: the values of `zimbraSharedItem` (FORMAT.md §6), one per grant.

`granteeId:<zimbraId>;granteeName:<mail>;granteeType:usr;folderId:257;folderPath:/Inbox/Projects;...`
(granteeType is a Zimbra ACL grantee type: usr, grp, dom, cos, all, pub, guest, key; only `usr` names
one account, which must hold a mountpoint.)
"""

from __future__ import annotations

from . import ParseError


def parse_grant(value: str) -> dict[str, str]:
    """One `zimbraSharedItem` value -> its `key: value` pairs (keys as written)."""
    grant: dict[str, str] = {}
    for part in str(value).split(";"):
        if not part.strip():
            continue
        key, sep, text = part.partition(":")
        if not sep:
            raise ParseError("invalid_metadata", f"zimbraSharedItem: {part!r} is not key:value")
        grant[key.strip()] = text.strip()
    if "folderId" not in grant:
        raise ParseError("invalid_metadata", f"zimbraSharedItem without folderId: {value!r}")
    return grant
