"""A small store of the shapes a monitoring check meets, built on the fly with StoreBuilder.

Accounts: two live users with mail, one deleted, one in a COS whose notes disable backup, Zimbra's
system accounts (recognised by attribute, and by name where the attribute is missing), and a human
whose name merely starts like one. An LDAP dump names the COS. Times are relative to `now`, so the
same builder makes a sound store (last scan an hour ago) or a stale one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from zxforensics.format.archives import archive_name
from zxforensics.parse.ldap_dump import BACKUP_DISABLED
from zxforensics.sample.builder import StoreBuilder
from zxforensics.sample.server import ldif_archive

DOMAIN = "corp.example.com"
DEFAULT_COS, NOBACKUP_COS = "cos-default-0001", "cos-nobackup-0002"
LIVE = ("ann@corp.example.com", "ben@corp.example.com")
DELETED = "old@corp.example.com"
DISABLED = "quiet@corp.example.com"  # its COS carries ${ZxBackup_Disabled}
# name -> the attributes that make it a system account (empty: recognised by its name alone)
SYSTEM = {
    "galsync.k3x9@corp.example.com": {"zimbraIsSystemResource": "TRUE"},
    "virus-quarantine.q1w2@corp.example.com": {"zimbraIsSystemAccount": "TRUE"},
    "spam.a1b2c3@corp.example.com": {},
    "ham.d4e5f6@corp.example.com": {},
    "ops-probe@corp.example.com": {"zimbraIsSystemResource": ["TRUE"]},  # flagged by its attribute only
}
LOOKALIKES = ("galsyncer@corp.example.com", "spam@corp.example.com")  # humans: no attribute, no Zimbra suffix


@dataclass
class Watched:
    root: str
    now: datetime
    last_scan: datetime
    ids: dict[str, str] = field(default_factory=dict)
    digests: list[str] = field(default_factory=list)

    @property
    def backed_up(self) -> list[str]:
        """Accounts a script should find `end date now` for: neither deleted nor out of backup."""
        return sorted([*LIVE, *SYSTEM, *LOOKALIKES])


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def build(builder: StoreBuilder, last_scan_hours: float = 1.0, now: datetime | None = None,
          out_of_backup: bool = True) -> Watched:
    """Write the store; `last_scan_hours` ago is backupstat's lastScan; `out_of_backup` adds the account
    whose COS disables backup (a sound store has none)."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    first, last = now - timedelta(days=40), now - timedelta(hours=last_scan_hours)
    watched = Watched(str(builder.root), now, last)
    names = [*LIVE, DELETED, *([DISABLED] if out_of_backup else []), *SYSTEM, *LOOKALIKES]
    for n, name in enumerate(names):
        account_id = f"{n:08d}-aaaa-4bbb-8ccc-{n:012d}"
        watched.ids[name] = account_id
        info = {"zimbraId": account_id, "mail": name, "zimbraAccountStatus": "active",
                "zimbraCOSId": NOBACKUP_COS if name == DISABLED else DEFAULT_COS,
                "zimbraCreateTimestamp": (first - timedelta(days=365)).strftime("%Y%m%d%H%M%SZ"),
                **SYSTEM.get(name, {})}  # fmt: skip
        deleted = ms(now - timedelta(days=3)) if name == DELETED else None
        builder.account(info, {"lastScan": ms(last), "deleted": deleted is not None, "deletedDate": deleted})
        for item in range(2 if name in LIVE else 1):
            raw = f"From: a@{DOMAIN}\nTo: {name}\nSubject: note {n}.{item}\n\nbody {n}.{item}\n".encode()
            digest = builder.blob(raw)
            watched.digests.append(digest)
            builder.item(account_id, 300 + item, [
                {"id": 300 + item, "type": "message", "folderId": 2, "startDate": ms(first + timedelta(days=n)),
                 "deleted": False, "transactionId": 1, "digest": digest, "size": len(raw), "subject": f"note {n}"}])
    active = len(names) - 1 - out_of_backup  # the deleted account, and the one out of backup
    builder.backupstat("srv-0001-watched", ms(first), ms(last), active, timeZone="Europe/Rome")
    moment = last + timedelta(minutes=1)
    builder.write(f"server/{archive_name('ldap', moment)}", ldif_archive(ldif(watched), moment))
    return watched


def ldif(watched: Watched) -> list[tuple[str, dict[str, list[str]]]]:
    entries = [
        ("cn=default,cn=cos,cn=zimbra", {"objectClass": ["zimbraCOS"], "cn": ["default"], "zimbraId": [DEFAULT_COS]}),
        ("cn=nobackup,cn=cos,cn=zimbra", {"objectClass": ["zimbraCOS"], "cn": ["nobackup"],
                                          "zimbraId": [NOBACKUP_COS], "zimbraNotes": [f"{BACKUP_DISABLED} tests"]}),
        ("dc=corp,dc=example,dc=com", {"objectClass": ["dcObject", "zimbraDomain"], "dc": ["corp"],
                                       "zimbraDomainName": [DOMAIN], "zimbraId": ["dom-0001"],
                                       "zimbraDomainDefaultCOSId": [DEFAULT_COS]}),
    ]  # fmt: skip
    for name, account_id in watched.ids.items():
        if name == DELETED:
            continue  # a deleted account has left the directory
        uid = name.split("@")[0]
        record = {"objectClass": ["inetOrgPerson", "zimbraAccount"], "uid": [uid], "mail": [name],
                  "zimbraId": [account_id], "zimbraCOSId": [NOBACKUP_COS if name == DISABLED else DEFAULT_COS]}
        entries.append((f"uid={uid},ou=people,dc=corp,dc=example,dc=com", record))
    return entries
