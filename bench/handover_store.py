"""The store both hand-over benchmarks use: realistic MIME mails (`generate_store(fast=False)`) and, in
every account, the sample's "invoice 4711" mails (quoted-printable, base64, ISO-8859-1, RFC 2047 and
RFC 2231 names, and one with the pattern in headers only), each made unique to its account."""

from __future__ import annotations

import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIRST_CASE_ID = 90_001  # above every id the generator gives


def ensure_store(accounts: int, items: int) -> Path:
    """Generate the store once under bench/data/ (gitignored) and reuse it."""
    import zxforensics as zx
    from zxforensics.sample.builder import StoreBuilder
    from zxforensics.sample.catalog import stable_id
    from zxforensics.sample.mail_cases import SEARCH_MAILS

    path = HERE / "data" / f"handover_{accounts}x{items}"
    if (path / "backupstat").exists():
        return path
    started = time.perf_counter()
    print(f"generating {accounts} accounts x {items} items (MIME mails) into {path} ...", flush=True)
    zx.generate_store(path, accounts=accounts, items_per_account=items, seed=14, fast=False)
    builder = StoreBuilder(path)
    for n in range(accounts):
        account_id = stable_id("account:" + f"user{n:05d}@bench{n % 3}.example.com")
        for offset, (case, raw) in enumerate(sorted(SEARCH_MAILS.items())):
            raw = raw.replace(b"@domain.com>", f".{n}@domain.com>".encode())  # one blob per account
            item_id = FIRST_CASE_ID + offset
            state = {"transactionId": 1, "id": item_id, "type": "message", "folderId": 2,
                     "startDate": 1_373_000_000_000, "endDate": None, "deleted": False,
                     "digest": builder.blob(raw), "size": len(raw), "subject": f"case {case}"}  # fmt: skip
            builder.item(account_id, item_id, [state])
    print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def blob_files(root: Path) -> list[str]:
    return sorted(str(p) for p in (root / "items").glob("*/*"))


def warm(files: list[str]) -> None:
    """Read every blob once so that every timed run starts from the same (warm) page cache."""
    for name in files:
        Path(name).read_bytes()
