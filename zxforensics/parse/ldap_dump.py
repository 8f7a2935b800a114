"""The LDAP dump of an `ldap` archive (`ldap.ldif`, FORMAT.md §5) as records, with the `ldif` library.

Entries are sorted by objectClass into accounts, COS, domains and distribution lists. An account's
effective COS follows Zimbra: its own `zimbraCOSId`, else its domain's `zimbraDomainDefaultCOSId`,
else the COS named `default`; a COS whose `zimbraNotes` holds `${ZxBackup_Disabled}` leaves its
accounts unprotected (the backup treats them as deleted, FORMAT.md §5).
"""

from __future__ import annotations

import io

import ldif

from ..format.dates import ldap_time_to_ms
from . import ParseError

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


def parse_ldif(data: bytes) -> list[Entry]:
    """LDIF bytes -> `(dn, {attribute (lower case): [values]})` entries, in file order."""
    parser = ldif.LDIFParser(io.BytesIO(data), encoding="utf8", strict=True)
    entries: list[Entry] = []
    try:
        for dn, attrs in parser.parse():
            folded: dict[str, list[str]] = {}
            for name, values in attrs.items():
                folded.setdefault(name.lower(), []).extend(_text(v) for v in values)
            entries.append((dn or "", folded))
    except (ValueError, KeyError, UnicodeError) as exc:
        raise ParseError("invalid_metadata", f"LDIF near line {parser.line_counter}: {exc}") from None
    return entries


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
