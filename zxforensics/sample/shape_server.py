"""The `server/` archives of a store shape: two daily snapshots whose directory is the shape's own accounts.

The configuration reuses the sample's sections (a server, the global settings, the zimlets), with the COS
and domains of the shape; the LDAP dump lists the shape's living accounts; the customizations are the
sample's files of its last two days (a heap size and master.cf change between them), plus any `extra`
members. Deterministic, as every archive of the generator.
"""

from __future__ import annotations

import io
import tarfile

import ldif
import orjson

from ..format.archives import CONFIG_MEMBER, LDAP_MEMBER, archive_name
from .builder import StoreBuilder
from .catalog import COS, AccountSpec
from .server import (
    DAYS,
    global_config_section,
    server_config_section,
    snapshot_time,
    tar_gz,
    zimlets_section,
)
from .server_files import files_on
from .server_ldap import COS_NOTES, account_entry, domain_dn, domain_id

SHAPE_DAYS = (len(DAYS) - 2, len(DAYS) - 1)  # 27/02/2014 and 28/02/2014 of the sample's schedule


def cos_config(names: tuple[str, ...], extra: dict[str, dict]) -> dict:
    """The `cos` section: the catalog's COS of `names` (with their notes), then `extra` COS as given."""
    out = {}
    for name in names:
        attrs = {"cn": name, "zimbraId": COS[name], "zimbraMailQuota": "0"}
        if name in COS_NOTES:
            attrs["zimbraNotes"] = COS_NOTES[name]
        out[name] = attrs
    return out | extra


def domains_config(domains: list[str]) -> dict:
    return {
        domain: {"zimbraDomainName": domain, "zimbraDomainStatus": "active", "zimbraId": domain_id(domain)}
        for domain in domains
    }


def config_json(day: int, specs: list[AccountSpec], cos: tuple[str, ...], extra: dict) -> bytes:
    """config.json of snapshot `day`; `extra` maps a section to values merged over it (Unicode ones...)."""
    doc = {
        "serverConfig": server_config_section(day),
        "globalConfig": global_config_section(day),
        "zimlets": zimlets_section(day),
        "cos": cos_config(cos, extra.get("cos", {})),
        "domains": domains_config(sorted({spec.domain for spec in specs})),
    }
    for section in ("serverConfig", "globalConfig", "domains"):
        doc[section] |= extra.get(section, {})
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def ldif_dump(day: int, specs: list[AccountSpec], cos: tuple[str, ...]) -> bytes:
    """The directory of the shape: its COS, its domains, and its accounts that are not deleted."""
    entries = [("cn=zimbra", {"objectClass": ["organizationalRole"], "cn": ["zimbra"]})]
    for name in cos:
        record = {"objectClass": ["zimbraCOS"], "cn": [name], "zimbraId": [COS[name]]}
        if name in COS_NOTES:
            record["zimbraNotes"] = [COS_NOTES[name]]
        entries.append((f"cn={name},cn=cos,cn=zimbra", record))
    for domain in sorted({spec.domain for spec in specs}):
        record = {"objectClass": ["dcObject", "zimbraDomain"], "zimbraDomainName": [domain],
                  "zimbraId": [domain_id(domain)]}  # fmt: skip
        entries.append((domain_dn(domain), record))
    entries += [account_entry(spec, day) for spec in specs if spec.deleted_ms is None]
    buffer = io.BytesIO()
    writer = ldif.LDIFWriter(buffer, cols=76)
    for dn, record in entries:
        writer.unparse(dn, record)
    return buffer.getvalue()


def customizations(day: int, extra_members: dict[str, bytes]) -> list[tuple]:
    folders = ["conf", "postfix", "postfix/conf"]
    entries = [(name, b"", tarfile.DIRTYPE, 0, "") for name in folders]
    entries += [(name, data, tarfile.REGTYPE, 0, "") for name, data in files_on(day).items()]
    entries += [(name, data, tarfile.REGTYPE, 0, "") for name, data in extra_members.items()]
    return entries


def add_server(
    builder: StoreBuilder,
    specs: list[AccountSpec],
    cos: tuple[str, ...] = ("default",),
    extra: dict | None = None,
    members: dict[int, dict[str, bytes]] | None = None,
) -> None:
    """Write config, customizations and ldap archives for the two snapshot days of SHAPE_DAYS;
    `members[n]` adds customization files to snapshot n (0 or 1)."""
    for number, day in enumerate(SHAPE_DAYS):
        moment = snapshot_time(day)
        when = int(moment.timestamp())
        archives = {
            "config": [(CONFIG_MEMBER, config_json(day, specs, cos, extra or {}), tarfile.REGTYPE, when, "")],
            "customizations": customizations(day, (members or {}).get(number, {})),
            "ldap": [(LDAP_MEMBER, ldif_dump(day, specs, cos), tarfile.REGTYPE, when, "")],
        }
        for component, entries in archives.items():
            builder.write(f"server/{archive_name(component, moment)}", tar_gz(entries, when))
