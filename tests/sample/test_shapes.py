"""The store shapes of the generator: each is what its name says, deterministic, and small but for one."""

from __future__ import annotations

import hashlib
import stat

import pytest
from evidence_snapshot import list_names, read_evidence, walk_tree

import zxforensics as zx
from zxforensics.errors import ZxError
from zxforensics.sample.shapes import LARGE_ITEMS, SHAPES, make_shape


def contents(root) -> dict[str, str]:
    return {rel: hashlib.sha256(read_evidence(path)).hexdigest() if stat.S_ISREG(info.st_mode) else "dir"
            for rel, path, info in walk_tree(root)}  # fmt: skip


def non_ascii(values) -> bool:
    return any(isinstance(v, str) and not v.isascii() for v in values)


@pytest.mark.parametrize("name", [n for n in SHAPES if n != "large_account"])
def test_a_shape_is_the_same_bytes_every_time(tmp_path, name):
    first, second = make_shape(tmp_path / "a", name), make_shape(tmp_path / "b", name)
    assert contents(first.parent) == contents(second.parent)
    size = sum(info.st_size for _rel, _path, info in walk_tree(first.parent))
    assert size < 2_000_000  # small on disk


def test_what_each_shape_holds(store_shape):
    stores = {name: zx.open_backup(store_shape(name)) for name in SHAPES}
    accounts = {name: store.accounts() for name, store in stores.items()}
    items = {name: store.item_states().groupby(["account_id", "item_id"], observed=True).ngroups
             for name, store in stores.items()}  # fmt: skip
    assert list_names(store_shape("empty")) == ["accounts"] and accounts["empty"].empty  # listed without atime
    assert not list_names(store_shape("empty") / "accounts")
    assert len(accounts["no_items"]) == 1 and items["no_items"] == 0
    assert not (store_shape("no_server") / "server").exists() and items["no_server"] > 0
    assert not accounts["no_deleted"]["deleted"].any() and not accounts["no_deleted"]["backup_disabled"].any()
    assert accounts["only_deleted"]["deleted"].all() and len(accounts["only_deleted"]) == 2
    archives = list_names(store_shape("archives_only") / "accounts")
    assert len(archives) == 2 and all(name.endswith(".tar.gz") for name in archives) and items["archives_only"] > 0
    assert len(accounts["large_account"]) == 1 and items["large_account"] == LARGE_ITEMS
    for name in SHAPES:
        assert stores[name].errors.empty, name  # shapes are unusual, not damaged
        if name not in ("empty", "no_server"):
            assert set(stores[name].server_archives()["component"].astype(str)) == {"config", "customizations",
                                                                                    "ldap"}, name  # fmt: skip


def test_the_unicode_shape_has_unicode_everywhere(store_shape):
    store = zx.open_backup(store_shape("unicode"))
    accounts, states = store.accounts(), store.item_states()
    assert accounts["name"].map(lambda m: not m.isascii()).all()  # every address
    assert non_ascii(store.account_info(accounts["name"].iloc[0])["value"].astype(str))  # display name, notes
    assert non_ascii(states["folder_path"].astype(str)) and non_ascii(states["subject"].dropna())
    assert non_ascii(states["name"].dropna())  # documents, contacts, tags
    config = store.server_config("standard", "last")
    assert non_ascii(config["value"].astype(str)) and non_ascii(config["id"].astype(str))  # values, COS and domains
    members = store.server_config("customizations", "last")["member"]
    assert {"conf/ünïcødé.cf", "postfix/conf/日本語.map"} <= set(members)
    notification = zx.read_notification(store_shape("unicode").parent / "notifications" / "restore_report.txt")
    assert non_ascii(notification.unrestored["account"])


def test_make_shape_refuses_a_used_folder_and_an_unknown_shape(tmp_path):
    (tmp_path / "x" / "backup").mkdir(parents=True)
    (tmp_path / "x" / "backup" / "keep").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        make_shape(tmp_path / "x", "empty")
    with pytest.raises(ZxError, match="unknown store shape 'round'"):
        make_shape(tmp_path / "y", "round")
    assert (tmp_path / "x" / "backup" / "keep").read_text() == "mine"
