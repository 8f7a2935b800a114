"""The LDAP dump of an `ldap` archive (`ldap.ldif`, FORMAT.md §5) as records.

The LDIF is read here (RFC 2849: folded lines, base64 values, comments), not with the `ldif` package:
its unfolding is quadratic (a value folded over 80,000 lines took minutes) and its strict DN pattern
backtracks exponentially (`dn: a=x+a=x+...` of 22 pairs took 20 s). Here two `replace` passes unfold
the text, every line is then visited once, and bytes and lines are bounded.

Entries are sorted by objectClass into accounts, COS, domains and distribution lists. An account's
effective COS follows Zimbra: its own `zimbraCOSId`, else its domain's `zimbraDomainDefaultCOSId`,
else the COS named `default`; a COS whose `zimbraNotes` holds `${ZxBackup_Disabled}` leaves its
accounts unprotected (the backup treats them as deleted, FORMAT.md §5).
"""

from __future__ import annotations

import base64
import binascii
import io

from ..format.dates import ldap_time_to_ms
from . import ParseError
from .bounds import short

BACKUP_DISABLED = "${ZxBackup_Disabled}"  # [vendor] the COS note that disables backup
DEFAULT_COS_NAME = "default"  # [Zimbra] the COS used when neither account nor domain names one
# [Zimbra schema] objectClass -> the kind of record it makes (first match wins).
KINDS = (
    ("zimbracos", "cos"),
    ("zimbradomain", "domains"),
    ("zimbradistributionlist", "distribution_lists"),
    ("zimbragroup", "distribution_lists"),
    ("zimbracalendarresource", "accounts"),
    ("zimbraaccount", "accounts"),
)
RECORD_KINDS = ("accounts", "cos", "domains", "distribution_lists")

Entry = tuple[str, dict[str, list[str]]]
MAX_LDIF_BYTES = 64 * 1024 * 1024  # [ours] as an archive member (evidence.tar.MAX_MEMBER_SIZE)
MAX_LDIF_LINES = 8_000_000  # [ours] physical lines, folded ones included


def parse_ldif(data: bytes) -> list[Entry]:
    """LDIF bytes -> `(dn, {attribute (lower case): [values]})` entries, in file order.

    ParseError `too_large` past MAX_LDIF_BYTES or MAX_LDIF_LINES, `invalid_metadata` for a line that is
    no `attribute: value`, a record without `dn:` first, or base64 that does not decode."""
    if len(data) > MAX_LDIF_BYTES:
        raise ParseError("too_large", f"LDIF of {len(data)} bytes, over the {MAX_LDIF_BYTES}-byte limit")
    lines = data.count(b"\n")
    if lines > MAX_LDIF_LINES:
        raise ParseError("too_large", f"LDIF of {lines} lines, over the {MAX_LDIF_LINES}-line limit")
    entries: list[Entry] = []
    record: list[bytes] = []
    unfolded = data.replace(b"\r\n ", b"").replace(b"\n ", b"")  # [RFC 2849] a separator then a space continues
    for raw in io.BytesIO(unfolded):
        line = raw.rstrip(b"\r\n")
        if line:
            if not line.startswith(b"#"):
                record.append(line)
        elif record:
            entries.append(_entry(record, len(entries) + 1))
            record = []
    if record:
        entries.append(_entry(record, len(entries) + 1))
    return entries


def _entry(lines: list[bytes], number: int) -> Entry:
    """One record's lines (unfolded) -> (dn, attributes); `version: 1` may precede the first dn."""
    dn: str | None = None
    folded: dict[str, list[str]] = {}
    for line in lines:
        name, value = _attribute(line, number)
        if name == "version" and dn is None:
            continue
        if name == "dn":
            if dn is not None:
                raise ParseError("invalid_metadata", f"LDIF record {number}: two dn: lines")
            dn = value
        elif dn is None:
            raise ParseError("invalid_metadata", f"LDIF record {number}: starts with {short(name)}:, not dn:")
        else:
            folded.setdefault(name, []).append(value)
    return dn or "", folded


def _attribute(line: bytes, number: int) -> tuple[str, str]:
    """`name: value`, `name:: base64` or `name:< url` (kept empty: a dump read offline follows no URL)."""
    name, colon, rest = line.partition(b":")
    if not colon or not name.strip():
        raise ParseError("invalid_metadata", f"LDIF record {number}: {short(_text(line))} is no attribute: value")
    try:
        text_name = name.decode("ascii").strip().lower()
        if rest.startswith(b":"):
            value = base64.b64decode(rest[1:].strip(), validate=False)
        elif rest.startswith(b"<"):
            value = b""
        else:
            value = rest.strip()
    except (UnicodeError, binascii.Error) as exc:
        raise ParseError("invalid_metadata", f"LDIF record {number}: {short(_text(line))}: {exc}") from None
    return text_name, _text(value)


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def _one(attrs: dict[str, list[str]], name: str) -> str | None:
    values = attrs.get(name.lower())
    return values[0] if values else None


def _kind(attrs: dict[str, list[str]]) -> str | None:
    classes = {c.lower() for c in attrs.get("objectclass", [])}
    return next((kind for cls, kind in KINDS if cls in classes), None)


def ldap_records(entries: list[Entry]) -> dict[str, list[dict]]:
    """Records by kind (`accounts`, `cos`, `domains`, `distribution_lists`), accounts with their effective COS."""
    out: dict[str, list[dict]] = {kind: [] for kind in RECORD_KINDS}
    builders = {"accounts": _account, "cos": _cos, "domains": _domain, "distribution_lists": _list}
    for dn, attrs in entries:
        kind = _kind(attrs)
        if kind is not None:
            out[kind].append(builders[kind](dn, attrs))
    _resolve_cos(out)
    return out


def _account(dn: str, attrs: dict[str, list[str]]) -> dict:
    created = _one(attrs, "zimbraCreateTimestamp")
    return {
        "account_id": _one(attrs, "zimbraId"),
        "name": _one(attrs, "mail") or _one(attrs, "uid"),
        "display_name": _one(attrs, "displayName"),
        "status": _one(attrs, "zimbraAccountStatus"),
        "cos_id": _one(attrs, "zimbraCOSId"),
        "mail_host": _one(attrs, "zimbraMailHost"),
        "aliases": list(attrs.get("zimbramailalias", [])),
        "created": ldap_time_to_ms(created),
        "is_admin": (_one(attrs, "zimbraIsAdminAccount") or "").upper() == "TRUE",
        "dn": dn,
    }


def _cos(dn: str, attrs: dict[str, list[str]]) -> dict:
    notes = attrs.get("zimbranotes", [])
    return {
        "cos_id": _one(attrs, "zimbraId"),
        "name": _one(attrs, "cn"),
        "notes": "\n".join(notes) if notes else None,
        "backup_disabled": any(BACKUP_DISABLED in note for note in notes),
        "dn": dn,
    }


def _domain(dn: str, attrs: dict[str, list[str]]) -> dict:
    return {
        "domain_id": _one(attrs, "zimbraId"),
        "name": _one(attrs, "zimbraDomainName"),
        "status": _one(attrs, "zimbraDomainStatus"),
        "type": _one(attrs, "zimbraDomainType"),
        "default_cos_id": _one(attrs, "zimbraDomainDefaultCOSId"),
        "dn": dn,
    }


def _list(dn: str, attrs: dict[str, list[str]]) -> dict:
    return {
        "list_id": _one(attrs, "zimbraId"),
        "name": _one(attrs, "mail") or _one(attrs, "uid"),
        "display_name": _one(attrs, "displayName"),
        "status": _one(attrs, "zimbraMailStatus"),
        "members": list(attrs.get("zimbramailforwardingaddress", [])),
        "aliases": list(attrs.get("zimbramailalias", [])),
        "dn": dn,
    }


def _resolve_cos(out: dict[str, list[dict]]) -> None:
    """Each account's effective COS (own, else its domain's default, else `default`) and its backup flag."""
    cos_by_id = {c["cos_id"]: c for c in out["cos"] if c["cos_id"]}
    default = next((c for c in out["cos"] if (c["name"] or "").lower() == DEFAULT_COS_NAME), None)
    domain_cos = {(d["name"] or "").lower(): d["default_cos_id"] for d in out["domains"]}
    for account in out["accounts"]:
        domain = (account["name"] or "").rpartition("@")[2].lower()
        if account["cos_id"]:
            cos_id, via = account["cos_id"], "account"
        elif domain_cos.get(domain):
            cos_id, via = domain_cos[domain], "domain"
        else:
            cos_id, via = (default or {}).get("cos_id"), "default"
        cos = cos_by_id.get(cos_id) or {}
        account["effective_cos_id"] = cos_id
        account["cos_name"] = cos.get("name")
        account["cos_via"] = via
        account["backup_disabled"] = bool(cos.get("backup_disabled"))
