"""Several mailstores' backup paths as one view: the sample's two servers, carol on both."""

from __future__ import annotations

import pytest

import zxforensics as zx
from zxforensics.sample.audit_cases import SERVER2_ACCOUNTS, SERVER2_ID, SERVER2_NAME
from zxforensics.sample.catalog import ACCOUNTS, SERVER_NAME, account_id


@pytest.fixture(scope="module")
def both(sample_path):
    return zx.open_backups([sample_path, sample_path.parent / "backup2"])


def test_servers_and_accounts(both):
    assert list(both.stores) == [SERVER_NAME, SERVER2_NAME]
    accounts = both.accounts()
    assert accounts.columns[0] == "server"
    assert accounts.groupby("server", observed=True).size().to_dict() == {SERVER_NAME: len(ACCOUNTS),
                                                                          SERVER2_NAME: len(SERVER2_ACCOUNTS)}
    on_two = accounts[accounts["on_servers"] == 2]
    assert sorted(on_two["server"].astype(str)) == sorted([SERVER_NAME, SERVER2_NAME])
    assert set(on_two["name"]) == {"carol@domain.com"}


def test_the_account_on_two_servers_is_reported(both):
    dup = both.duplicates()
    assert dup.values.tolist() == [[account_id("carol@domain.com"), "carol@domain.com",
                                    [SERVER2_NAME, SERVER_NAME], 2]]  # fmt: skip


def test_states_keep_their_server(both):
    states = both.item_states()
    per = states.groupby("server", observed=True).size().to_dict()
    assert per == {name: len(store.item_states()) for name, store in both.stores.items()}
    carol = states[states["account_id"] == account_id("carol@domain.com")]
    assert set(carol["server"].astype(str)) == {SERVER_NAME, SERVER2_NAME}
    assert str(states["account_id"].dtype) == "category"
    last = both.items("last")
    assert len(last) == sum(len(s.items("last")) for s in both.stores.values())


def test_labels(sample_path, make_store):
    named = zx.open_backups([sample_path, sample_path], names=["ms1", "ms1"])
    assert list(named.stores) == ["ms1", "ms1#2"]
    builder = make_store()
    builder.write(f"lock_{SERVER2_ID}", b"")
    builder.write("items/.keep", b"")
    assert list(zx.open_backups([builder.root]).stores) == [SERVER2_ID]  # no account: the lock names it
