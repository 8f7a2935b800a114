"""Config diffs of the sample: the known change of each day, the timeline of every change, file diffs."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

import zxforensics as zx
from zxforensics.errors import NotFound
from zxforensics.investigate.config_diff import diff_table, key_history, timeline_keys
from zxforensics.report import plots

DAYS = ["22/02/2014 04:00:58", "23/02/2014 04:01:03", "24/02/2014 04:01:09", "25/02/2014 04:00:47",
        "26/02/2014 04:01:22", "27/02/2014 04:01:05", "28/02/2014 04:01:14"]  # fmt: skip
RESTRICTION = ("reject_invalid_helo_hostname", "reject_non_fqdn_sender")
# the one known change between each day and the next (sample/server.py)
DAILY = [
    [],
    [("globalConfig", "zimbraMtaMaxMessageSize", "", "10240000", "20480000", "changed")],
    [("serverConfig", "zimbraMailMode", "test.domain.com", "https", "both", "changed")],
    [("domains", "example.com", "zimbraPublicServiceHostname", None, "mail.example.com", "added")],
    [("globalConfig", "zimbraMtaRestriction", "", RESTRICTION, None, "removed")],
    [("zimlets", "com_zimbra_ymemoticons", "zimbraZimletPriority", "11", "4", "changed")],
]


def rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame.itertuples(index=False)]


@pytest.mark.parametrize("day", range(6))
def test_each_days_known_change(sample_store, day):
    diff = zx.diff_config(sample_store, DAYS[day], DAYS[day + 1])
    assert list(diff.columns) == ["section", "id", "key", "before", "after", "change"]
    assert rows(diff) == DAILY[day]
    assert diff.attrs["date_a"] == pd.Timestamp(DAYS[day], tz="Europe/Paris").tz_convert("UTC")


def test_diff_across_the_week_and_reversed(sample_store):
    week = zx.diff_config(sample_store, DAYS[0], "last")
    assert rows(week) == [
        ("domains", "example.com", "zimbraPublicServiceHostname", None, "mail.example.com", "added"),
        ("globalConfig", "zimbraMtaMaxMessageSize", "", "10240000", "20480000", "changed"),
        ("globalConfig", "zimbraMtaRestriction", "", RESTRICTION, None, "removed"),
        ("serverConfig", "zimbraMailMode", "test.domain.com", "https", "both", "changed"),
        ("zimlets", "com_zimbra_ymemoticons", "zimbraZimletPriority", "11", "4", "changed"),
    ]
    back = zx.diff_config(sample_store, "last", "23/02/2014 12:00:00", query="globalConfig")
    assert rows(back) == [
        ("globalConfig", "zimbraMtaMaxMessageSize", "", "20480000", "10240000", "changed"),
        ("globalConfig", "zimbraMtaRestriction", "", None, RESTRICTION, "added"),
    ]
    assert zx.diff_config(sample_store, "last", "last").empty
    with pytest.raises(NotFound):
        zx.diff_config(sample_store, "01/01/2014 00:00:00", "last")
    with pytest.raises(ValueError):
        zx.diff_config(sample_store, "all", "last")


def test_config_timeline(sample_store):
    timeline = zx.config_timeline(sample_store, "/")
    assert list(timeline.columns) == ["date", "section", "id", "key", "value", "previous", "change"]
    assert timeline["change"].value_counts().to_dict() == {"initial": 94, "changed": 3, "added": 1, "removed": 1}
    moved = timeline[timeline["change"] != "initial"]
    utc = [pd.Timestamp(d, tz="Europe/Paris").tz_convert("UTC") for d in DAYS]
    assert rows(moved) == [
        (utc[4], "domains", "example.com", "zimbraPublicServiceHostname", "mail.example.com", None, "added"),
        (utc[2], "globalConfig", "zimbraMtaMaxMessageSize", "", "20480000", "10240000", "changed"),
        (utc[5], "globalConfig", "zimbraMtaRestriction", "", None, RESTRICTION, "removed"),
        (utc[3], "serverConfig", "zimbraMailMode", "test.domain.com", "both", "https", "changed"),
        (utc[6], "zimlets", "com_zimbra_ymemoticons", "zimbraZimletPriority", "4", "11", "changed"),
    ]
    mode = zx.config_timeline(sample_store, "serverConfig/zimbraMailMode/test.domain.com")
    assert rows(mode[["date", "value", "change"]]) == [(utc[0], "https", "initial"), (utc[3], "both", "changed")]


MAIN_CF_DIFF = """\
--- customizations_23_02_14#04_01_03.tar.gz:postfix/conf/main.cf
+++ customizations_24_02_14#04_01_09.tar.gz:postfix/conf/main.cf
@@ -7,7 +7,7 @@
 disable_dns_lookups = no
 header_checks = pcre:/opt/zimbra/conf/postfix_header_checks
 mailbox_size_limit = 0
-message_size_limit = 10240000
+message_size_limit = 20480000
 mydestination = localhost
 myhostname = test.domain.com
 mynetworks = 127.0.0.0/8 192.168.10.0/24 [::1]/128"""

FRENCH_DIFF = """\
--- customizations_24_02_14#04_01_09.tar.gz:conf/msgs/ZsMsg_fr.properties
+++ customizations_25_02_14#04_00_47.tar.gz:conf/msgs/ZsMsg_fr.properties
@@ -1,4 +1,4 @@
 # Messages du serveur, personnalisés pour les utilisateurs francophones
 mail.notification.subject = Message non distribué
-quota.warning = Votre boîte aux lettres est presque pleine : {0} % utilisés.
+quota.warning = Votre boîte aux lettres est remplie à 90 % : {0} % utilisés.
 password.expiry = Votre mot de passe expire dans {0} jours ; changez-le depuis « Préférences »."""

DAILY_FILES = [
    [("conf/keystore", "changed", False)],
    [("postfix/conf/main.cf", "changed", True)],
    [("conf/msgs/ZsMsg_fr.properties", "changed", True)],  # the hostile members of 25/02 are not in it
    [("conf/postfix_reject_sender", "added", True)],
    [("conf/localconfig.xml", "changed", True)],
    [("postfix/conf/master.cf", "changed", True)],
]


@pytest.mark.parametrize("day", range(6))
def test_each_days_customization_change(sample_store, day):
    changes = zx.diff_customizations(sample_store, DAYS[day], DAYS[day + 1])
    assert list(changes.columns) == [
        "member", "change", "size_before", "size_after", "sha256_before", "sha256_after", "text", "diff",
    ]  # fmt: skip
    assert rows(changes[["member", "change", "text"]]) == DAILY_FILES[day]


def test_unified_diffs_of_changed_files(sample_store):
    main_cf = zx.diff_customizations(sample_store, DAYS[1], DAYS[2])
    assert main_cf["diff"].item() == MAIN_CF_DIFF
    assert (main_cf["size_before"].item(), main_cf["size_after"].item()) == (1043, 1043)
    french = zx.diff_customizations(sample_store, DAYS[2], DAYS[3])  # a Latin-1 file, decoded
    assert french["diff"].item() == FRENCH_DIFF
    keystore = zx.diff_customizations(sample_store, DAYS[0], DAYS[1])
    assert keystore["diff"].item() is None and keystore["sha256_before"].item() != keystore["sha256_after"].item()
    added = zx.diff_customizations(sample_store, DAYS[3], DAYS[4])
    assert added["diff"].item().splitlines()[:3] == [
        "--- /dev/null", "+++ customizations_26_02_14#04_01_22.tar.gz:conf/postfix_reject_sender", "@@ -0,0 +1,4 @@",
    ]  # fmt: skip
    assert pd.isna(added["size_before"].item()) and added["size_after"].item() == 233


def test_customizations_by_archive_name_and_reversed(sample_store):
    named = zx.diff_customizations(
        sample_store, "customizations_26_02_14#04_01_22.tar.gz", "customizations_25_02_14#04_00_47.tar.gz"
    )
    assert rows(named[["member", "change"]]) == [("conf/postfix_reject_sender", "removed")]
    assert named["diff"].item().splitlines()[1] == "+++ /dev/null"
    assert named.attrs["archive_a"] == "customizations_26_02_14#04_01_22.tar.gz"
    week = zx.diff_customizations(sample_store, DAYS[0], "last")
    assert list(week["member"]) == [
        "conf/keystore", "conf/localconfig.xml", "conf/msgs/ZsMsg_fr.properties", "conf/postfix_reject_sender",
        "postfix/conf/main.cf", "postfix/conf/master.cf",
    ]  # fmt: skip
    with pytest.raises(NotFound):
        zx.diff_customizations(sample_store, "nothing_01_01_14#00_00_00.tar.gz", "last")


MAIL_MODE = "serverConfig/zimbraMailMode/test.domain.com"


def test_diff_table_and_timeline_keys(sample_store):
    table = diff_table(sample_store, "26/02/2014 04:01:22", "last")
    assert table.values.tolist() == [
        ["globalConfig/zimbraMtaRestriction", "removed", "reject_invalid_helo_hostname, reject_non_fqdn_sender", ""],
        ["zimlets/com_zimbra_ymemoticons/zimbraZimletPriority", "changed", "11", "4"],
    ]
    assert timeline_keys(sample_store, "24/02/2014 04:01:09", "25/02/2014 04:00:47", "serverConfig") == [MAIL_MODE]
    # no difference between the two dates: every key that changed in some snapshot under the query
    assert timeline_keys(sample_store, "last", "last", "globalConfig") == [
        "globalConfig/zimbraMtaMaxMessageSize", "globalConfig/zimbraMtaRestriction",
    ]  # fmt: skip


def test_key_history_and_figure(sample_store):
    history = key_history(sample_store, "domains/example.com/zimbraPublicServiceHostname")
    assert list(history["value"]) == ["(absent)"] * 4 + ["mail.example.com"] * 3
    assert history["date"].iloc[0] == pd.Timestamp("2014-02-22 03:00:58", tz="UTC")
    fig = plots.key_history(key_history(sample_store, MAIL_MODE), MAIL_MODE, sample_store.tz)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == MAIL_MODE
    assert [t.get_text() for t in ax.get_yticklabels()] == ["https", "both"]
    assert list(ax.lines[0].get_ydata()) == [0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize("shape", ["no_server", "empty"])
def test_a_store_without_server_archives_has_nothing_to_compare(store_shape, shape):
    """No `server/`: empty diffs and timeline with their columns, not an error; a date before every snapshot
    of a store that has some is still one."""
    from zxforensics.investigate.config_diff import CUSTOM_DIFF_COLUMNS, DIFF_COLUMNS, TIMELINE_COLUMNS

    store = zx.open_backup(store_shape(shape))
    diff = zx.diff_config(store, "last", "last")
    assert diff.empty and list(diff.columns) == DIFF_COLUMNS and diff.attrs["date_a"] is None
    custom = zx.diff_customizations(store)
    assert custom.empty and list(custom.columns) == CUSTOM_DIFF_COLUMNS and custom.attrs["archive_a"] is None
    timeline = zx.config_timeline(store)
    assert timeline.empty and list(timeline.columns) == TIMELINE_COLUMNS
    with_archives = zx.open_backup(store_shape("no_deleted"))
    with pytest.raises(zx.NotFound, match="no config snapshot valid at '01/01/2000 00:00:00'"):
        zx.diff_config(with_archives, "01/01/2000 00:00:00", "last")
    with pytest.raises(zx.NotFound, match="no customizations archive for '01/01/2000 00:00:00'"):
        zx.diff_customizations(with_archives, "01/01/2000 00:00:00", "last")
