"""The `server/` archives of a store made from a structure report: the components, members, config.json
sections and attributes, and LDAP entries, object classes and attributes the report names."""

from __future__ import annotations

import io
import random
import tarfile
from datetime import UTC, datetime, timedelta

import ldif
import orjson

from ..format.archives import CONFIG_MEMBER, LDAP_MEMBER, archive_name
from ..parse.ldap_dump import KINDS as LDAP_CLASSES
from .builder import StoreBuilder
from .report_values import ValueMaker, raw_key
from .server import tar_gz

MAX_ARCHIVES = 3  # per component
MAX_IDS = 4  # servers, COS, domains, zimlets of a config.json
MAX_ENTRIES = 40  # entries of an LDIF dump
FIRST_SNAPSHOT = datetime(2014, 2, 22, 4, 0, 58, tzinfo=UTC)
_ID_NAMES = {"serverConfig": "mail{}.example.com", "zimlets": "com_example_zimlet{}", "cos": "cos{}",
             "domains": "domain{}.example.com"}  # fmt: skip


def add_server(builder: StoreBuilder, kinds: dict[str, dict], values: ValueMaker, rng: random.Random) -> None:
    archives = kinds.get("server archives") or {}
    components = archives.get("forms", {}).get("component", {})
    members = archives.get("keys", {}).get("member", {})
    refused = archives.get("forms", {}).get("refused member")
    for component, count in sorted(components.items()):
        for serial in range(min(count, MAX_ARCHIVES)):
            moment = FIRST_SNAPSHOT + timedelta(days=serial)
            when = int(moment.timestamp())
            entries = []
            for shown, entry in members.items():  # members FORMAT.md does not describe (customizations: below)
                owner, _, pattern = raw_path(shown).partition("/")
                if owner == component and component != "customizations" and entry["status"] == "unknown":
                    size = int(values.value(entry["shape"]) or 0)
                    entries.append((member_name(pattern, rng), b"x" * size, tarfile.REGTYPE, when, ""))
            if component == "config":
                entries.append((CONFIG_MEMBER, config_json(kinds.get("config.json") or {}, values, rng),
                                tarfile.REGTYPE, when, ""))  # fmt: skip
            elif component == "ldap":
                entries.append((LDAP_MEMBER, ldif_dump(kinds.get("ldap.ldif") or {}, values, rng),
                                tarfile.REGTYPE, when, ""))  # fmt: skip
            elif component == "customizations":
                entries += customization_members(kinds.get("customizations") or {}, values, rng, when)
                if refused and serial == 0:  # a member refused for safety, as the report met one
                    entries.append(("conf/link_out", b"", tarfile.SYMTYPE, when, "/etc/shadow"))
            builder.write(f"server/{archive_name(component, moment)}", tar_gz(entries, when))


def raw_path(shown: str) -> str:
    """A key path of the report (`customizations/conf/*.xml`) with each hidden part made a key again."""
    return "/".join(p if p.startswith("*") else raw_key(p) for p in shown.split("/"))


def member_name(pattern: str, rng: random.Random) -> str:
    """A member name of a pattern (`conf/*/*.xml` -> `conf/f12/f34.xml`)."""
    return "/".join(f"f{rng.randint(10, 99)}{part[1:]}" if part.startswith("*") else part
                    for part in pattern.split("/"))  # fmt: skip


def customization_members(kind: dict, values: ValueMaker, rng: random.Random, when: int) -> list[tuple]:
    out = []
    for pattern, entry in kind.get("keys", {}).get("member", {}).items():
        size = int(values.value(entry["shape"]) or 0)
        out.append((member_name(pattern, rng), b"# generated\n".ljust(size, b"#"), tarfile.REGTYPE, when, ""))
    return out


def config_json(kind: dict, values: ValueMaker, rng: random.Random) -> bytes:
    """config.json with the report's sections and attributes; ids where the report shows `*`."""
    keys = kind.get("keys", {})
    ranges = kind.get("ranges", {})
    doc: dict = {}
    for shown, entry in keys.get("section", {}).items():
        section = raw_key(shown)
        doc[section] = {} if "dict" in entry["shape"] else values.value(entry["shape"])
    for shown, entry in keys.get("attribute", {}).items():
        parts = raw_path(shown).split("/")
        section = parts[0]
        body = doc.setdefault(section, {})
        if not isinstance(body, dict):
            continue
        low, high = ranges.get(f"ids of {section}", [1, 1])
        ids = [_ID_NAMES.get(section, "id{}").format(n) for n in range(max(1, min(rng.randint(low, high), MAX_IDS)))]
        if len(parts) == 3 and parts[2] == "*":  # serverConfig/<attr>/*: one value per server
            body[parts[1]] = {server: values.value(entry["shape"]) for server in ids}
        elif len(parts) == 3:  # <section>/*/<key>: a key of each id
            for ident in ids:
                body.setdefault(ident, {})[parts[2]] = values.value(entry["shape"])
        else:
            body[parts[1]] = values.value(entry["shape"])
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def ldif_dump(kind: dict, values: ValueMaker, rng: random.Random) -> bytes:
    """An LDIF dump with entries of the report's kinds, object classes, DN layouts and attributes."""
    forms = kind.get("forms", {})
    kinds = forms.get("entry kind") or {"accounts": 1}
    layouts = sorted(forms.get("dn") or {"uid,dc,dc": 1})
    keys = kind.get("keys", {})
    classes = {raw_key(k): v["status"] for k, v in keys.get("objectclass", {}).items()}
    ignored = [name for name, status in classes.items() if status != "used"]
    count = max(len(kinds), len(layouts), min(MAX_ENTRIES, kind.get("ranges", {}).get("entries", [5, 5])[1]))
    plan = sorted(kinds) + [values.pick(kinds) for _ in range(count - len(kinds))]
    attributes = keys.get("attribute", {})
    buffer = io.BytesIO()
    writer = ldif.LDIFWriter(buffer, cols=76)
    for serial, entry_kind in enumerate(plan):
        own = [name for name in classes if (name.lower(), entry_kind) in LDAP_CLASSES]
        extra = ignored if entry_kind == "other" or "other" not in kinds else []
        record: dict[str, list[str]] = {"objectClass": (own[:1] + extra) or ["organizationalRole"]}
        total = max(1, kinds.get(entry_kind, 1))
        for shown, entry in attributes.items():
            owner, _, name = shown.partition("/")
            if owner == entry_kind and (serial < len(kinds) or rng.random() <= entry["count"] / total):
                made = values.value(entry["shape"])
                record[raw_key(name)] = [str(v) for v in (made if isinstance(made, list) else [made]) if v is not None]
        layout = layouts[serial % len(layouts)].split(",")
        dn = ",".join(f"{attr}=v{serial}x{n}" for n, attr in enumerate(layout) if attr)
        writer.unparse(dn or f"cn=v{serial}", {k: v for k, v in record.items() if v})
    return buffer.getvalue()
