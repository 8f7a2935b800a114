"""Server archives of the sample: names, the vendor's date and query semantics, the LDAP dump, backup_disabled."""

from __future__ import annotations

import tarfile
from datetime import UTC, datetime

import pandas as pd
import pytest

import zxforensics as zx
from zxforensics.format.archives import archive_name, parse_archive_name
from zxforensics.parse import ParseError
from zxforensics.parse.ldap_dump import ldap_records, parse_ldif
from zxforensics.parse.server_config import config_rows, match_query, split_query
from zxforensics.sample.builder import gzip_bytes
from zxforensics.sample.catalog import ACCOUNTS, NOBACKUP_COS_ID, account_id
from zxforensics.sample.server import config_json, tar_gz
from zxforensics.sample.server_ldap import ldif_entries

SEED_ARCHIVE = "customizations_28_02_14#04_01_14.tar.gz"
HOSTILE_ARCHIVE = "server/customizations_25_02_14#04_00_47.tar.gz"
SNAPSHOTS_UTC = ["2014-02-22 03:00:58", "2014-02-23 03:01:03", "2014-02-24 03:01:09", "2014-02-25 03:00:47",
                 "2014-02-26 03:01:22", "2014-02-27 03:01:05", "2014-02-28 03:01:14"]  # fmt: skip


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# -- names -------------------------------------------------------------------------------------
def test_archive_name_is_day_first_in_the_server_zone():
    seed = datetime(2014, 2, 28, 3, 1, 14, tzinfo=UTC)  # 04:01:14 CET
    assert parse_archive_name(SEED_ARCHIVE, "Europe/Paris") == ("customizations", seed)
    summer = parse_archive_name("config_01_07_14#04_00_00.tar.gz", "Europe/Paris")[1]
    assert summer == datetime(2014, 7, 1, 2, tzinfo=UTC)  # CEST
    assert parse_archive_name(SEED_ARCHIVE)[1] == datetime(2014, 2, 28, 4, 1, 14, tzinfo=UTC)
    local = datetime(2014, 2, 28, 4, 1, 14)
    assert archive_name("customizations", local) == SEED_ARCHIVE


@pytest.mark.parametrize(
    "name",
    ["customizations_28_02_14#04_01_14 (copy).tar.gz", "config_2014-02-28.tar.gz", "config_31_02_14#04_01_14.tar.gz",
     "config_28_13_14#04_01_14.tar.gz", "ldap_28_02_14#25_00_00.tar.gz", "notes.txt"],
)  # fmt: skip
def test_bad_archive_names(name):
    with pytest.raises(ParseError) as bad:
        parse_archive_name(name, "Europe/Paris")
    assert bad.value.kind == "bad_name"


# -- pure parsers --------------------------------------------------------------------------------
def test_config_rows_and_queries():
    doc = {"serverConfig": {"zimbraMailMode": {"test.domain.com": "both", "mta.domain.com": "https"}},
           "globalConfig": {"zimbraMtaRestriction": ["a", "b"], "zimbraSpamKillPercent": 75, "zimbraX": True},
           "zimlets": {"com_zimbra_ymemoticons": {"zimbraZimletEnabled": "TRUE"}}, "version": "8.0.6"}  # fmt: skip
    rows = config_rows(doc)
    assert rows == [
        ("globalConfig", "zimbraMtaRestriction", "", ("a", "b")),
        ("globalConfig", "zimbraSpamKillPercent", "", "75"),
        ("globalConfig", "zimbraX", "", "TRUE"),
        ("serverConfig", "zimbraMailMode", "mta.domain.com", "https"),
        ("serverConfig", "zimbraMailMode", "test.domain.com", "both"),
        ("version", "", "", "8.0.6"),
        ("zimlets", "com_zimbra_ymemoticons", "zimbraZimletEnabled", "TRUE"),
    ]
    assert split_query("/") == ("", "", "")
    assert split_query("serverConfig/zimbraMailMode/test.domain.com") == (
        "serverConfig", "zimbraMailMode", "test.domain.com",
    )  # fmt: skip
    assert split_query("zimlets/com_zimbra_ymemoticons/") == ("zimlets", "com_zimbra_ymemoticons", "")
    assert split_query("files/conf/a/b") == ("files", "conf", "a/b")
    assert match_query(rows, "serverConfig/zimbraMailMode/test.domain.com") == [rows[4]]
    assert match_query(rows, "SERVERCONFIG/zimbramailmode") == rows[3:5]
    assert match_query(rows, "serverConfig//mta.domain.com") == [rows[3]]
    assert match_query(rows, "globalConfig") == rows[:3]
    assert match_query(rows, "/") == rows
    assert match_query(rows, "nothing") == []


def test_ldif_of_the_sample_day():
    import io

    import ldif

    buffer = io.BytesIO()
    writer = ldif.LDIFWriter(buffer)
    for dn, record in ldif_entries(0):
        writer.unparse(dn, record)
    records = ldap_records(parse_ldif(buffer.getvalue()))
    assert {k: len(v) for k, v in records.items()} == {"accounts": 9, "cos": 2, "domains": 2, "distribution_lists": 2}
    bob = next(a for a in records["accounts"] if a["name"] == "bob@example.com")
    assert bob["display_name"] == "Bob Müller"  # base64 in the LDIF, decoded
    frank = next(a for a in records["accounts"] if a["name"] == "frank@example.com")
    assert frank["status"] == "active"  # locked only from 25/02
    assert [a["name"] for a in records["accounts"] if a["backup_disabled"]] == ["eve@domain.com"]
    assert [(c["name"], c["backup_disabled"]) for c in records["cos"]] == [("default", False), ("nobackup", True)]


def test_effective_cos_falls_back_to_domain_then_default():
    text = b"""dn: cn=default,cn=cos,cn=zimbra
objectClass: zimbraCOS
cn: default
zimbraId: cos-default
zimbraNotes: ${ZxBackup_Disabled}

dn: cn=kept,cn=cos,cn=zimbra
objectClass: zimbraCOS
cn: kept
zimbraId: cos-kept

dn: dc=kept,dc=org
objectClass: zimbraDomain
zimbraDomainName: kept.org
zimbraDomainDefaultCOSId: cos-kept

dn: uid=a,ou=people,dc=kept,dc=org
objectClass: zimbraAccount
mail: a@kept.org
zimbraId: id-a

dn: uid=b,ou=people,dc=other,dc=org
objectClass: zimbraAccount
mail: b@other.org
zimbraId: id-b
"""
    records = ldap_records(parse_ldif(text))
    assert [(a["name"], a["cos_name"], a["cos_via"], a["backup_disabled"]) for a in records["accounts"]] == [
        ("a@kept.org", "kept", "domain", False), ("b@other.org", "default", "default", True),
    ]  # fmt: skip
    with pytest.raises(ParseError) as bad:
        parse_ldif(b"dn: cn=x\nno colon here\n")
    assert bad.value.kind == "invalid_metadata"


# -- the store ---------------------------------------------------------------------------------
def test_server_archives_of_the_sample(fresh_store):
    archives = fresh_store.server_archives()
    assert list(archives.columns) == ["component", "date", "path", "size", "members"]
    assert archives.groupby("component")["members"].apply(list).to_dict() == {
        "config": [1] * 7, "customizations": [9, 9, 9, 9, 10, 10, 10], "ldap": [1] * 7,
    }  # fmt: skip
    assert list(archives.loc[archives["component"] == "config", "date"]) == [utc(d) for d in SNAPSHOTS_UTC]
    last = archives.iloc[13]
    assert last["path"] == f"{fresh_store.root}/server/{SEED_ARCHIVE}"
    errors = fresh_store.errors
    assert [(e.path, e.kind) for e in errors.itertuples()] == [
        ("server/customizations_28_02_14#04_01_14 (copy).tar.gz", "bad_name"),
        (HOSTILE_ARCHIVE, "hostile_member"), (HOSTILE_ARCHIVE, "hostile_member"),
    ]  # fmt: skip
    assert list(errors["detail"][1:]) == [
        "member '../../../etc/cron.d/zimbra-update' refused: a path with `..` that leaves the archive",
        "member 'conf/ssl_key_link' refused: a symbolic link to '/etc/shadow'",
    ]


def test_seed_query_and_date_semantics(sample_store):
    seed = sample_store.server_config("standard", "last", "serverConfig/zimbraMailMode/test.domain.com")
    assert seed.to_dict("records") == [{"date": utc("2014-02-28 03:01:14"), "section": "serverConfig",
                                        "id": "zimbraMailMode", "key": "test.domain.com", "value": "both"}]  # fmt: skip
    every = sample_store.server_config("standard", "all", "serverConfig/zimbraMailMode")
    assert list(every["value"]) == ["https"] * 3 + ["both"] * 4
    assert list(every["date"]) == [utc(d) for d in SNAPSHOTS_UTC]
    query = "globalConfig/zimbraMtaMaxMessageSize"
    assert list(sample_store.server_config("standard", "24/02/2014 04:01:08", query)["value"]) == ["10240000"]
    at = sample_store.server_config("standard", "24/02/2014 04:01:09", query)
    assert list(at["value"]) == ["20480000"] and list(at["date"]) == [utc("2014-02-24 03:01:09")]
    moment = datetime(2014, 2, 24, 3, 1, 8, tzinfo=UTC)
    assert sample_store.server_config("standard", moment, query)["value"][0] == "10240000"
    assert sample_store.server_config("standard", "01/01/2014 00:00:00").empty
    zimlet = sample_store.server_config(query="zimlets/com_zimbra_ymemoticons")
    assert dict(zip(zimlet["key"], zimlet["value"], strict=True)) == {
        "zimbraZimletDescription": "Yahoo! Emoticons", "zimbraZimletEnabled": "TRUE",
        "zimbraZimletIsExtension": "FALSE", "zimbraZimletPriority": "4", "zimbraZimletVersion": "1.5",
    }  # fmt: skip
    everything = sample_store.server_config(query="/")
    assert everything.groupby("section").size().to_dict() == {
        "cos": 15, "domains": 15, "globalConfig": 12, "serverConfig": 17, "zimlets": 35,
    }  # fmt: skip
    restriction = sample_store.server_config("standard", "22/02/2014 12:00:00", "globalConfig/zimbraMtaRestriction")
    assert restriction["value"][0] == ("reject_invalid_helo_hostname", "reject_non_fqdn_sender")
    with pytest.raises(ValueError):
        sample_store.server_config("nonsense")


def test_customizations_listing(sample_store):
    members = sample_store.server_config("customizations", "last")
    assert list(members.columns) == ["date", "archive", "member", "size", "mode", "sha256"]
    assert set(members["archive"]) == {SEED_ARCHIVE}
    assert list(members["member"]) == [
        "conf/keystore", "conf/localconfig.xml", "conf/log4j.properties", "conf/msgs/ZsMsg_fr.properties",
        "conf/postfix_header_checks.in", "conf/postfix_reject_sender", "conf/salocal.cf.in", "conf/zmconfigd.cf",
        "postfix/conf/main.cf", "postfix/conf/master.cf",
    ]  # fmt: skip
    assert list(members["mode"].unique()) == ["0640", "0644"]
    assert members.loc[members["member"] == "postfix/conf/main.cf", "size"].item() == 1043
    hostile_day = sample_store.server_config("customizations", "25/02/2014 12:00:00")
    assert len(hostile_day) == 9 and not hostile_day["member"].str.contains(r"\.\.|ssl_key_link").any()
    postfix = sample_store.server_config("customizations", "all", "postfix/conf")
    assert len(postfix) == 14 and set(postfix["member"]) == {"postfix/conf/main.cf", "postfix/conf/master.cf"}


def test_ldap_frames(sample_store):
    last = sample_store.ldap()
    assert {k: len(v) for k, v in last.items()} == {
        "accounts": 9, "cos": 2, "domains": 2, "distribution_lists": 2, "unprotected": 1,
    }  # fmt: skip
    catalog = {spec.account_id for spec in ACCOUNTS if spec.deleted_ms is None}
    assert set(last["accounts"]["account_id"]) == catalog
    assert last["unprotected"][["name", "cos_id", "cos_name"]].values.tolist() == [
        ["eve@domain.com", NOBACKUP_COS_ID, "nobackup"]
    ]
    assert set(last["domains"]["name"]) == {"example.com", "domain.com"}
    staff = last["distribution_lists"].set_index("name").loc["staff@example.com", "members"]
    assert staff == ["admin@example.com", "alice@example.com", "bob@example.com", "carol@domain.com"]
    before = sample_store.ldap("23/02/2014 12:00:00")
    frank = before["accounts"].set_index("name").loc["frank@example.com"]
    assert frank["status"] == "active"
    assert last["accounts"].set_index("name").loc["frank@example.com", "status"] == "locked"
    assert set(before["accounts"]["date"]) == {utc(SNAPSHOTS_UTC[1])}
    assert len(sample_store.ldap("all")["accounts"]) == 63


def test_accounts_backup_disabled_from_the_ldap_dump(fresh_store):
    flags = dict(zip(fresh_store.accounts()["name"], fresh_store.accounts()["backup_disabled"], strict=True))
    assert flags == {spec.mail: spec.mail == "eve@domain.com" for spec in ACCOUNTS}
    assert str(fresh_store.accounts()["backup_disabled"].dtype) == "boolean"
    # listing server/ for the dump records no error of its own: the bad name shows when server/ is asked for
    assert fresh_store.errors.empty
    assert zx.open_backup(fresh_store.root).ldap()["unprotected"]["name"].tolist() == ["eve@domain.com"]
    disabled = fresh_store.server.backup_disabled(fresh_store.accounts())
    assert disabled[account_id("eve@domain.com")] is True
    assert disabled[account_id("dave@domain.com")] is False


def test_without_server_archives_backup_disabled_stays_unknown(make_store):
    builder = make_store()
    builder.account({"zimbraId": "id-1", "mail": "a@x.org"}, {"lastScan": 0})
    store = zx.open_backup(builder.root)
    assert store.accounts()["backup_disabled"].isna().all()
    assert store.server_archives().empty and store.server_config().empty
    assert all(frame.empty for frame in store.ldap().values())
    assert store.errors.empty


def test_an_unreadable_snapshot_is_passed_over(make_store):
    builder = make_store()
    builder.account({"zimbraId": "id-1", "mail": "a@x.org"}, {"lastScan": 0})
    good = tar_gz([("config.json", config_json(0), tarfile.REGTYPE, 0, "")], 1393038058)
    builder.write("server/config_27_02_14#04_01_05.tar.gz", good)
    builder.write("server/config_28_02_14#04_01_14.tar.gz", good[:100])  # cut short
    builder.write("server/config_01_03_14#04_00_00.tar.gz", gzip_bytes(b"not a tar"))
    builder.write("server/ldap_28_02_14#04_01_14.tar.gz", b"")
    store = zx.open_backup(builder.root, tz="Europe/Paris")
    last = store.server_config("standard", "last", "serverConfig/zimbraMailMode")
    assert list(last["date"]) == [utc("2014-02-27 03:01:05")] and list(last["value"]) == ["https"]
    assert sorted(zip(store.errors["path"], store.errors["kind"], strict=True)) == [
        ("server/config_01_03_14#04_00_00.tar.gz", "truncated_gzip"),
        ("server/config_28_02_14#04_01_14.tar.gz", "truncated_gzip"),
    ]
    assert store.accounts()["backup_disabled"].isna().all()  # the only dump is empty: no verdict
    kinds = set(zip(store.errors["path"], store.errors["kind"], strict=True))
    assert ("server/ldap_28_02_14#04_01_14.tar.gz", "not_gzip") in kinds
