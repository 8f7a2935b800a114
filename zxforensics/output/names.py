"""Names taken from the evidence (mail addresses, folder names, subjects) are never paths.

`safe_name` keeps a name only when it is one harmless path component on every file system the
output may be copied to; otherwise the caller's fallback (an account id, an item id) is used.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_BYTES = 255  # a component's limit on ext4, XFS, NTFS (in UTF-16 units there), APFS
# Characters Windows and SMB shares refuse, beside `/` and NUL everywhere.
_RESERVED = set('\\:*?"<>|')
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def unsafe_reason(name: object) -> str | None:
    """Why `name` cannot be a path component as it is (None when it can)."""
    if not isinstance(name, str) or not name:
        return "empty"
    if name in (".", "..") or name.startswith("."):
        return "starts with a dot"
    if "/" in name or "\\" in name or "\0" in name:
        return "holds a path separator or NUL"
    if any(ch in _RESERVED for ch in name):
        return "holds a character file systems refuse"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "holds control or invisible format characters"
    if name != name.strip() or name.endswith("."):
        return "starts or ends with a space or a dot"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"longer than {MAX_NAME_BYTES} bytes"
    if name.split(".")[0].lower() in _WINDOWS_DEVICES:
        return "a reserved device name"
    return None


def safe_name(name: object, fallback: str, taken: set[str] | None = None) -> str:
    """`name` when it is a safe component not yet `taken` in its folder (compared case-folded: two names
    that differ only in case would collide on a case-insensitive copy), else `fallback`.

    `taken` (case-folded names already used in the folder) is updated with the name chosen."""
    chosen = name if unsafe_reason(name) is None else fallback
    if taken is not None:
        if chosen.casefold() in taken and chosen != fallback:
            chosen = fallback
        taken.add(chosen.casefold())
    if unsafe_reason(chosen) is not None:
        raise ValueError(f"the fallback name {fallback!r} is not a safe path component")  # a bug of the caller
    return chosen
