"""The sample's LDAP dumps: the directory of `catalog.py` (accounts, COS, domains, lists) on each day.

Consistent with the backup's account_info files: the same zimbraIds, mail addresses, aliases and
COS ids; the `nobackup` COS carries `${ZxBackup_Disabled}`, so eve@domain.com is unprotected.
Deleted accounts (dave@domain.com, deleted 15/01/2014) are no longer in the directory.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from ..parse.ldap_dump import BACKUP_DISABLED
from .catalog import ACCOUNTS, COS, SERVER_NAME, AccountSpec, stable_id

FRANK_LOCKED = 3  # 25/02: frank@example.com locked (index into server.DAYS)
CAROL_JOINS_STAFF = 5  # 27/02: carol@domain.com added to staff@example.com
COS_NOTES = {"nobackup": f"{BACKUP_DISABLED} no backup: test mailboxes"}
DOMAINS = ("example.com", "domain.com")
LISTS = {
    "staff@example.com": ("Staff", ["admin@example.com", "alice@example.com", "bob@example.com"]),
    "all@domain.com": ("Everyone at domain.com", ["account1@domain.com", "account2@domain.com",
                                                  "account14@domain.com", "carol@domain.com", "eve@domain.com"]),
}  # fmt: skip

Record = dict[str, list[str]]


def domain_id(domain: str) -> str:
    """The zimbraId of a domain, the same in the LDAP dump and in config.json."""
    return stable_id("domain:" + domain)


def domain_dn(domain: str) -> str:
    return ",".join(f"dc={part}" for part in domain.split("."))


def cos_entries() -> list[tuple[str, Record]]:
    out = []
    for name, cos_id in COS.items():
        record: Record = {"objectClass": ["zimbraCOS"], "cn": [name], "zimbraId": [cos_id]}
        if name in COS_NOTES:
            record["zimbraNotes"] = [COS_NOTES[name]]
        out.append((f"cn={name},cn=cos,cn=zimbra", record))
    return out


def domain_entries() -> list[tuple[str, Record]]:
    out = []
    for domain in DOMAINS:
        out.append((domain_dn(domain), {
            "objectClass": ["dcObject", "organization", "zimbraDomain"],
            "dc": [domain.split(".")[0]], "o": [f"{domain} domain"],
            "zimbraDomainName": [domain], "zimbraId": [domain_id(domain)],
            "zimbraDomainStatus": ["active"], "zimbraDomainType": ["local"],
            "zimbraDomainDefaultCOSId": [COS["default"]],
        }))  # fmt: skip
        out.append((f"ou=people,{domain_dn(domain)}", {"objectClass": ["organizationalUnit"], "ou": ["people"]}))
    return out


def account_entry(spec: AccountSpec, day: int) -> tuple[str, Record]:
    uid = spec.mail.split("@")[0]
    created = datetime.fromtimestamp(spec.created_ms / 1000, UTC).strftime("%Y%m%d%H%M%SZ")
    status = spec.status if spec.status != "locked" or day >= FRANK_LOCKED else "active"
    given, _, family = spec.display.partition(" ")
    salt = hashlib.sha256(spec.mail.encode()).hexdigest()[:16]
    record: Record = {
        "objectClass": ["inetOrgPerson", "zimbraAccount", "amavisAccount"],
        "uid": [uid], "mail": [spec.mail, *spec.aliases], "cn": [spec.display], "givenName": [given],
        "sn": [family or given], "displayName": [spec.display],
        "userPassword": ["{SSHA512}" + hashlib.sha512((salt + uid).encode()).hexdigest()[:64]],
        "zimbraId": [spec.account_id], "zimbraAccountStatus": [status], "zimbraCOSId": [spec.cos_id],
        "zimbraMailHost": [SERVER_NAME], "zimbraMailDeliveryAddress": [spec.mail],
        "zimbraMailStatus": ["enabled"], "zimbraCreateTimestamp": [created], "zimbraPrefLocale": ["en_US"],
    }  # fmt: skip
    if spec.aliases:
        record["zimbraMailAlias"] = list(spec.aliases)
    if uid == "admin":
        record["zimbraIsAdminAccount"] = ["TRUE"]
    return f"uid={uid},ou=people,{domain_dn(spec.domain)}", record


def alias_entries(spec: AccountSpec) -> list[tuple[str, Record]]:
    return [
        (f"uid={alias.split('@')[0]},ou=people,{domain_dn(alias.split('@')[1])}",
         {"objectClass": ["zimbraAlias"], "uid": [alias.split("@")[0]], "zimbraId": [stable_id("alias:" + alias)],
          "zimbraAliasTargetId": [spec.account_id]})
        for alias in spec.aliases
    ]  # fmt: skip


def list_entries(day: int) -> list[tuple[str, Record]]:
    out = []
    for mail, (display, members) in LISTS.items():
        members = list(members)
        if mail == "staff@example.com" and day >= CAROL_JOINS_STAFF:
            members.append("carol@domain.com")
        uid, domain = mail.split("@")
        out.append((f"uid={uid},ou=people,{domain_dn(domain)}", {
            "objectClass": ["zimbraDistributionList", "zimbraMailRecipient"],
            "uid": [uid], "mail": [mail], "displayName": [display], "zimbraId": [stable_id("list:" + mail)],
            "zimbraMailStatus": ["enabled"], "zimbraMailForwardingAddress": members,
        }))  # fmt: skip
    return out


def ldif_entries(day: int) -> list[tuple[str, Record]]:
    """Every entry of the dump of snapshot `day`, in the order slapcat writes a tree (parents first)."""
    entries: list[tuple[str, Record]] = [
        ("cn=zimbra", {"objectClass": ["organizationalRole"], "cn": ["zimbra"]}),
        ("cn=cos,cn=zimbra", {"objectClass": ["organizationalRole"], "cn": ["cos"]}),
        *cos_entries(),
        *domain_entries(),
    ]
    for spec in ACCOUNTS:
        if spec.deleted_ms is None:
            entries.append(account_entry(spec, day))
            entries.extend(alias_entries(spec))
    entries.extend(list_entries(day))
    return entries
