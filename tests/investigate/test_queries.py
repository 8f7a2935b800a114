"""The vendor's query verbs over a store: getItem, doItemSearch, getAccountInfo."""

from __future__ import annotations

from zxforensics.sample.seed_examples import SEED_ITEM


def test_seed_item_24700(sample_store):
    states = sample_store.get_item(*SEED_ITEM, date="all")
    assert states["start_date"].dt.tz_convert("Europe/Paris").dt.strftime("%d/%m/%Y %H:%M:%S").tolist() == [
        "12/07/2013 16:35:44", "12/07/2013 17:04:33", "15/07/2013 10:03:26",
    ]  # fmt: skip
    assert states["deleted"].all() and set(states["type"].astype(str)) == {"message"}
    raw = sample_store.read_blob(states["digest"].iloc[-1])
    assert raw.startswith(b"Return-Path: zimbra@test.example.com\n")
    assert b"Subject: Service mailboxd started on test.example.com" in raw


def test_seed_unrestored_items_exist(sample_store):
    for mail, item_id in [("account2@domain.com", 49965), ("account1@domain.com", 1369)]:
        assert not sample_store.get_item(mail, item_id).empty


def test_a_missing_subject_sender_or_name_is_no_text(sample_store):
    """Searching the text `nan` finds only items that hold it: a missing value is not the text "nan"."""
    every = sample_store.search_items("alice@example.com", filter="all")
    assert every["sender"].isna().any() and every["subject"].isna().any()
    found = sample_store.search_items("alice@example.com", text="nan", filter="all")
    for row in found.itertuples():
        assert any("nan" in str(v).lower() for v in (row.subject, row.sender, row.name) if isinstance(v, str))


def test_search_items(sample_store):
    found = sample_store.search_items("admin@example.com", text="mailboxd")
    assert found["item_id"].tolist() == [24700]
    assert sample_store.search_items("admin@example.com", text="mailboxd", filter="not_deleted").empty
    messages = sample_store.search_items("alice@example.com", type="message", filter="all")
    assert len(messages) > 10 and set(messages["type"].astype(str)) == {"message"}
    before = sample_store.search_items("admin@example.com", before="13/07/2013 00:00:00", filter="all")
    assert 24700 in before["item_id"].tolist()
    assert 24700 not in sample_store.search_items("admin@example.com", after="13/07/2013 00:00:00")["item_id"].tolist()


def test_account_info(sample_store):
    info = sample_store.account_info("root@example.com").set_index("attribute")["value"]
    assert info["mail"] == "admin@example.com"
    assert info["displayName"] == "Administrator"
