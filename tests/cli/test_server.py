"""getServerConfig and diffServerConfig: every seed command line against the sample, in the seed's layouts."""

from __future__ import annotations

import json

from evidence_snapshot import read_evidence

SEED_STANDARD = [
    "config date_______________________________________________________________________________________________"
    "28/02/2014 04:01:14 CET",
    "test.domain.com___________________________________________________________________________________________"
    "_________________both",
]
SEED_CUSTOMIZATIONS = """\
ATTENTION: These files contain the directories {{zimbraHome}}/conf/ and {{zimbraHome}}/postfix/conf/ compressed \
into a single archive.
           Restore can only be performed manually. Do it only if you know what you're doing.




        archives


                filename                                                    customizations_28_02_14#04_01_14.tar.gz
                path                                                        {server}/
                modify date                                                 28/02/2014 04:01:14 CET
"""
LAST_CONFIG = "config_28_02_14#04_01_14.tar.gz"


def words(command: str) -> list[str]:
    return command.split()



def test_the_seeds_example_byte_for_byte(run):
    code, out, err = run(*words("getServerConfig standard date last backup_path SAMPLE query "
                          "serverConfig/zimbraMailMode/test.domain.com"))  # fmt: skip
    assert (code, err) == (0, "")
    assert out == "\n\n" + "\n".join(SEED_STANDARD) + "\n"
    assert [len(line) for line in SEED_STANDARD] == [129, 127]  # the widths measured on the seed


def test_getserverconfig_without_parameters_asks_for_them(run):
    code, out, err = run("getServerConfig")
    assert code == 2 and out == ""
    syntax = "(syntax: `zxforensics help getServerConfig`)"
    assert err == f"error: command getServerConfig requires more parameters {syntax}\n"
    code, out, _ = run("help", "getServerConfig")
    assert code == 0 and "type(M)" in out and "date(O)" in out and "query(O)" in out


def test_seed_usage_date_last_with_the_backup_path_from_the_environment(run, monkeypatch, sample_path):
    monkeypatch.setenv("ZXFORENSICS_BACKUP_PATH", str(sample_path))
    code, out, _ = run("getserverconfig", "standard", "date", "last")
    lines = out.splitlines()
    assert code == 0 and lines[:3] == ["", "", SEED_STANDARD[0]]
    assert len(lines) == 3 + 94 + 28  # every value, and a section/id heading above each of the 28 keyed groups
    assert "zimlets/com_zimbra_ymemoticons" in lines
    assert "zimbraMailMode" + "_" * 108 + "both" not in lines  # keyed values print under their heading
    assert lines[lines.index("serverConfig/zimbraMailMode") + 1] == SEED_STANDARD[1]


def test_seed_usage_file(run, sample_path):
    code, out, _ = run("getserverconfig", "standard", "file", f"SAMPLE/server/{LAST_CONFIG}",
                       "query", "serverConfig/zimbraMailMode/test.domain.com")  # fmt: skip
    assert code == 0 and out == "\n\n" + "\n".join(SEED_STANDARD) + "\n"


def test_file_outside_a_backup_path(run, sample_path, tmp_path):
    copy = tmp_path / "config_25_02_14#04_00_47.tar.gz"
    copy.write_bytes(read_evidence(sample_path / "server" / copy.name))
    code, out, _ = run("--tz", "Europe/Paris", "getServerConfig", "standard", "file", str(copy),
                       "query", "serverConfig/zimbraMailMode")  # fmt: skip
    assert code == 0
    assert out.splitlines()[2:] == [
        "config date_______________________________________________________________________________________________"
        "25/02/2014 04:00:47 CET", SEED_STANDARD[1],
    ]  # fmt: skip
    code, out, _ = run("getServerConfig", "standard", "file", str(copy), "query", "serverConfig/zimbraMailMode")
    assert out.splitlines()[2].endswith("25/02/2014 04:00:47 UTC")  # no zone known: the name is read as UTC


def test_seed_usage_zimlet_colors_verbose(run):
    code, out, _ = run(*words("getserverconfig standard date last query zimlets/com_zimbra_ymemoticons colors true "
                       "verbose true backup_path SAMPLE"))  # fmt: skip
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 + 1 + 5
    assert lines[2].startswith("\x1b[1m\x1b[36mconfig date\x1b[0m")
    assert lines[6] == ("\x1b[1m\x1b[36mzimlets/com_zimbra_ymemoticons/zimbraZimletPriority\x1b[0m\x1b[2m"
                        + "_" * 75 + "\x1b[0m\x1b[32m4\x1b[0m")  # fmt: skip
    code, plain, _ = run(*words("getserverconfig standard date last query zimlets/com_zimbra_ymemoticons "
                         "backup_path SAMPLE"))  # fmt: skip
    assert plain.splitlines()[3:] == [
        "zimbraZimletDescription" + "_" * 88 + "Yahoo! Emoticons",
        "zimbraZimletEnabled" + "_" * 104 + "TRUE",
        "zimbraZimletIsExtension" + "_" * 99 + "FALSE",
        "zimbraZimletPriority" + "_" * 106 + "4",
        "zimbraZimletVersion" + "_" * 105 + "1.5",
    ]


def test_seed_usage_query_everything(run):
    code, out, _ = run(*words("getServerConfig standard backup_path SAMPLE date last query /"))
    assert code == 0 and len(out.splitlines()) == 3 + 94 + 28


def test_seed_customizations_listing(run, sample_path):
    code, out, err = run(*words("getServerConfig customizations date last verbose true backup_path SAMPLE"))
    assert (code, err) == (0, "")
    assert out == SEED_CUSTOMIZATIONS.format(server=f"{sample_path}/server")


def test_date_all_and_an_instant(run):
    code, out, _ = run(*words("getServerConfig standard date all backup_path SAMPLE query serverConfig/zimbraMailMode"))
    blocks = out.strip("\n").split("\n\n")
    assert code == 0 and len(blocks) == 7
    assert [b.splitlines()[1][-5:] for b in blocks] == ["https"] * 3 + ["_both"] * 4
    code, out, _ = run("getServerConfig", "customizations", "date", "25/02/2014 12:00:00", "backup_path", "SAMPLE")
    assert "customizations_25_02_14#04_00_47.tar.gz" in out and out.count("filename") == 1
    code, _out, err = run("getServerConfig", "standard", "date", "01/01/2014 00:00:00", "backup_path", "SAMPLE")
    assert code == 2 and err.startswith("error: no config archive for date")
    code, _out, err = run("getServerConfig", "everything", "backup_path", "SAMPLE")
    assert code == 2 and "standard|customizations" in err


def test_json_and_csv(run):
    code, out, _ = run("--json", "getServerConfig", "standard", "backup_path", "SAMPLE", "query",
                       "globalConfig/zimbraMtaBlockedExtension")  # fmt: skip
    records = json.loads(out)
    assert code == 0 and len(records) == 1
    assert records[0]["value"][:3] == ["asd", "bat", "chm"] and records[0]["date"].startswith("2014-02-28T03:01:14")
    code, out, _ = run("getServerConfig", "customizations", "backup_path", "SAMPLE", "--csv")
    lines = out.splitlines()
    assert lines[0] == "date,archive,member,size,mode,sha256" and len(lines) == 11
    assert lines[9].split(",")[2:5] == ["postfix/conf/main.cf", "1043", "0644"]


def test_the_hostile_archive_read_by_file(run, sample_path):
    code, out, err = run("--json", "getServerConfig", "customizations", "file",
                         "SAMPLE/server/customizations_25_02_14#04_00_47.tar.gz")  # fmt: skip
    assert code == 0 and len(json.loads(out)) == 9
    assert err.splitlines() == [
        "warning: hostile_member: member '../../../etc/cron.d/zimbra-update' refused: a path with `..` that leaves "
        "the archive (customizations_25_02_14#04_00_47.tar.gz)",
        "warning: hostile_member: member 'conf/ssl_key_link' refused: a symbolic link to '/etc/shadow' "
        "(customizations_25_02_14#04_00_47.tar.gz)",
    ]  # fmt: skip


def test_diff_server_config(run):
    code, out, _ = run("diffServerConfig", "24/02/2014 12:00:00", "25/02/2014 12:00:00", "backup_path", "SAMPLE")
    assert code == 0
    assert out.splitlines() == [
        "        from" + " " * 56 + "24/02/2014 04:01:09 CET",
        "        to" + " " * 58 + "25/02/2014 04:00:47 CET",
        "        changes",
        " " * 16 + "key" + " " * 57 + "serverConfig/zimbraMailMode/test.domain.com",
        " " * 16 + "change" + " " * 54 + "changed",
        " " * 16 + "before" + " " * 54 + "https",
        " " * 16 + "after" + " " * 55 + "both",
    ]
    code, out, _ = run("--json", "diffServerConfig", "22/02/2014 12:00:00", "last", "backup_path", "SAMPLE",
                       "query", "globalConfig")  # fmt: skip
    assert json.loads(out) == [
        {"section": "globalConfig", "id": "zimbraMtaMaxMessageSize", "key": "", "before": "10240000",
         "after": "20480000", "change": "changed"},
        {"section": "globalConfig", "id": "zimbraMtaRestriction", "key": "",
         "before": ["reject_invalid_helo_hostname", "reject_non_fqdn_sender"], "after": None, "change": "removed"},
    ]  # fmt: skip
    code, out, _ = run("diffServerConfig", "last", "last", "backup_path", "SAMPLE")
    assert out.splitlines()[-1] == "        changes" + " " * 53 + "none"


def test_diff_server_config_customizations(run):
    code, out, _ = run("diffServerConfig", "23/02/2014 12:00:00", "24/02/2014 12:00:00", "backup_path", "SAMPLE",
                       "type", "customizations")  # fmt: skip
    assert code == 0
    assert "-message_size_limit = 10240000\n+message_size_limit = 20480000" in out
    assert out.splitlines()[3] == " " * 16 + "member" + " " * 54 + "postfix/conf/main.cf"


def test_a_store_without_server_archives_has_no_configuration_to_show(run, store_shape):
    """No `server/`: one line saying so and exit 0 (a valid store), an empty diff; a date no snapshot
    covers in a store that has some is still bad input."""
    path = str(store_shape("no_server"))
    code, out, err = run("getServerConfig", "standard", "date", "last", "backup_path", path)
    assert (code, out.strip(), err) == (0, f"no config archive in {path}/server/", "")
    code, out, _ = run("getServerConfig", "customizations", "date", "last", "backup_path", path)
    assert (code, out.strip()) == (0, f"no customizations archive in {path}/server/")
    code, out, _ = run("diffServerConfig", "last", "last", "backup_path", path)
    assert code == 0 and out.split()[-2:] == ["changes", "none"]
    code, _, err = run("getServerConfig", "standard", "date", "01/01/2000 00:00:00", "backup_path",
                       str(store_shape("no_deleted")))  # fmt: skip
    assert code == 2 and err.strip() == "error: no config archive for date '01/01/2000 00:00:00'"
