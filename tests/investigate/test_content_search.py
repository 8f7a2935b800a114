"""Content search: decoded text found (QP, base64, ISO-8859-1, RFC 2047, RFC 2231), headers nobody reads
left alone, each blob read once, hostile mails as errors rows, the evidence untouched."""

from __future__ import annotations

import pytest
from evidence_snapshot import snapshot
from tiny_mailbox import ACCOUNT_ID, T0, bomb, forged, items, mail, new_store, state

import zxforensics as zx
from zxforensics.errors import InvalidArgument
from zxforensics.investigate import content_search
from zxforensics.sample.mail_cases import ACCOUNT, EXPORT_DATE, SEARCH_CASES


def found(hits) -> dict[int, str]:
    return dict(zip(hits["item_id"], hits["field"], strict=True))


def test_the_pattern_in_every_encoding_and_not_in_unsearched_headers(sample_store):
    hits = zx.search_content(sample_store, "4711")
    assert found(hits) == {item: field for item, field in SEARCH_CASES.items() if field}
    assert list(hits.columns) == content_search.HIT_COLUMNS
    assert set(hits["account"]) == {ACCOUNT} and set(hits["folder_path"]) == {"/Inbox/Invoices"}
    snippet = hits.set_index("item_id").loc[8111, "snippet"]
    assert snippet == "Dear Alice, the payment of invoice 4711 is overdue since 30 June."
    assert set(found(zx.search_content(sample_store, "invoice 4711"))) == {8111, 8112}  # QP soft break, base64
    assert set(found(zx.search_content(sample_store, "GEBÜHR FÜR rechnung 4711"))) == {8113}  # ISO-8859-1, any case
    assert found(zx.search_content(sample_store, "4711", fields="subject")) == {8116: "subject"}


def test_regular_expressions_and_bad_arguments(sample_store):
    hits = zx.search_content(sample_store, r"rechnung\s+47\d\d", regex=True)
    assert found(hits) == {8113: "body", 8114: "attachment_names", 8116: "subject"}
    assert zx.search_content(sample_store, r"rechnung\s+47\d\d").empty  # a literal unless regex
    with pytest.raises(InvalidArgument, match="regular expression"):
        zx.search_content(sample_store, "(unclosed", regex=True)
    with pytest.raises(InvalidArgument, match="empty"):
        zx.search_content(sample_store, "  ")
    with pytest.raises(InvalidArgument, match="fields"):
        zx.search_content(sample_store, "x", fields=("subject", "headers"))


def test_dates_and_deleted_states(sample_store):
    """8103 was deleted on 2 September 2013: both states hold its mail; `last` is the deleted one."""

    def states(**options):
        hits = zx.search_content(sample_store, "Project kick-off", accounts=ACCOUNT, **options)
        return sorted(zip(hits["transaction_id"], hits["deleted"], strict=True))

    assert states() == [(1, False), (2, True)]
    assert states(include_deleted=False) == [(1, False)]
    assert states(date="last") == [(2, True)]
    assert states(date="last", include_deleted=False) == []
    assert states(date=EXPORT_DATE) == [(1, False)]
    assert zx.search_content(sample_store, "Project kick-off", accounts="bob@example.com").empty


def test_broken_sample_mails_are_error_rows(sample_store):
    sample_store.search_content("anything")
    errors = sample_store.errors
    mime = errors[errors["kind"] == "invalid_mime"]
    assert set(mime["item_id"]) == {6311, 6312} and mime["account_id"].notna().all()
    assert (errors["kind"] == "too_large").any()  # the sample's bomb, stopped at the store's limit


def test_a_blob_is_read_once_for_all_its_states(make_store, monkeypatch):
    builder = new_store(make_store())
    digest = builder.blob(mail("Shared", "one body, many states 4711\n"))
    builder.account({"zimbraId": "acc-2", "mail": "b@example.com"}, {"lastScan": T0})
    items(builder, {300: [state(300, digest), state(300, digest, folder=3, start=T0 + 1000)],
                    301: [state(301, digest)]})  # fmt: skip
    items(builder, {400: [state(400, digest)]}, account_id="acc-2")
    reads = []

    def counting(ev, wanted, limit):
        reads.append(wanted)
        return original(ev, wanted, limit)

    original = content_search.read_verified_blob
    monkeypatch.setattr(content_search, "read_verified_blob", counting)
    hits = zx.search_content(zx.open_backup(builder.root, workers=1), "4711")
    assert reads == [digest]
    assert sorted(zip(hits["account_id"], hits["item_id"], hits["transaction_id"], strict=True)) == [
        ("acc-1", 300, 1), ("acc-1", 300, 2), ("acc-1", 301, 1), ("acc-2", 400, 1)]


def test_worker_processes_give_the_same_hits(make_store, monkeypatch):
    builder = new_store(make_store())
    histories = {}
    for n in range(40):
        body = f"mail {n}: " + ("the word 4711\n" if n % 3 == 0 else "nothing\n")
        histories[300 + n] = [state(300 + n, builder.blob(mail(f"m{n}", body)), start=T0 + n)]
    histories[399] = [state(399, forged(builder))]
    items(builder, histories)
    serial_store = zx.open_backup(builder.root, workers=1)
    serial = zx.search_content(serial_store, "4711")
    monkeypatch.setattr(content_search, "PARALLEL_MIN", 1)
    parallel_store = zx.open_backup(builder.root, workers=2)
    parallel = zx.search_content(parallel_store, "4711")
    assert len(serial) == 14 and parallel.equals(serial)
    assert parallel_store.errors.equals(serial_store.errors)
    assert list(serial_store.errors["kind"]) == ["digest_mismatch"]


def test_hostile_mails_are_errors_rows_and_the_search_goes_on(make_store):
    builder = new_store(make_store())
    deep = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(5000))
    cases = {
        300: builder.blob(mail("good", "the 4711 you want\n")),
        301: bomb(builder, 8 << 20),
        302: builder.blob(mail("broken", "--other\n\nbroken 4711\n", 'Content-Type: multipart/mixed; boundary="x"\n')),
        303: builder.blob(mail("charset", "klingon 4711\n", "Content-Type: text/plain; charset=x-klingon\n")),
        304: builder.blob(mail("deep 4711", deep, "")),
        305: forged(builder),
        306: vdigest_of_missing(),
        307: builder.blob(b"\x00\xff garbage \x80 4711 \xfe"),
    }
    items(builder, {item: [state(item, digest)] for item, digest in cases.items()})
    builder.symlink(f"items/{cases[306][:2]}/{cases[306]}", "/etc/passwd")
    before = snapshot(builder.root)
    store = zx.open_backup(builder.root, workers=1, max_blob_size=4 << 20)
    hits = zx.search_content(store, "4711")
    assert found(hits) == {300: "body", 302: "body", 303: "body", 304: "subject", 307: "body"}
    errors = store.errors.set_index("item_id")["kind"].astype(str).groupby(level=0).agg(sorted).to_dict()
    assert errors == {301: ["too_large"], 302: ["invalid_mime"], 303: ["invalid_mime"],
                      304: ["invalid_mime"], 305: ["digest_mismatch"], 306: ["link_outside"]}  # fmt: skip
    assert set(store.errors["account_id"]) == {ACCOUNT_ID}
    # a blob that cannot be read is not read again by the next search of this store
    assert store.memo("content_search.unreadable", set) == {cases[301], cases[305], cases[306]}
    assert zx.search_content(store, "4711").equals(hits) and len(store.errors) == 6
    assert snapshot(builder.root) == before


def vdigest_of_missing() -> str:
    from zxforensics.format import digest as vdigest

    return vdigest.digest_of(b"content whose blob is a link out of the tree")
