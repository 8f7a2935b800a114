"""The synthetic store generator: the committed sample and stores of any size.

    zx.make_sample("sample_data/backup")          # the committed sample, byte for byte
    zx.generate_store("/tmp/big", accounts=100, items_per_account=1000)   # benchmarks

Cases for later investigations (restore, server configuration, audit) are added by the
modules named in EXTENSIONS, each with its own random stream so they do not disturb others.
"""

from __future__ import annotations

import random
from importlib import import_module
from pathlib import Path

from . import faults, seed_examples
from .builder import StoreBuilder
from .catalog import ACCOUNTS, FIRST_SCAN, LAST_SCAN, SERVER_ID, SERVER_TZ
from .generate import account_records, generate_store, populate_account

ITEMS_PER_ACCOUNT = 64
# Modules adding their cases: `add(builder, plans)` inside the store, and optionally
# `add_siblings(sample_dir, backup_path)` for files beside it (notifications, copies...).
EXTENSIONS = ("restore_cases", "server", "audit_cases", "mail_cases")

__all__ = ["generate_store", "make_sample", "make_sample_data"]


def make_sample(path: str | Path, seed: int = 2013) -> Path:
    """Write the sample backup path at `path` (which must not exist or be empty)."""
    target = Path(path)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty: the generator only writes into a new folder")
    builder = StoreBuilder(target)
    rng = random.Random(seed)
    pool: list = []
    mails = [spec.mail for spec in ACCOUNTS]
    plans = {}
    for spec in ACCOUNTS:
        info, stat = account_records(spec, ITEMS_PER_ACCOUNT)
        builder.account(info, stat)
        plans[spec.mail] = populate_account(
            builder, rng, spec, ITEMS_PER_ACCOUNT, [m for m in mails if m != spec.mail], shared_pool=pool
        )
    seed_examples.add(builder, plans)
    faults.add(builder, plans)
    for name in EXTENSIONS:
        import_module(f".{name}", __name__).add(builder, plans)
    active = sum(1 for spec in ACCOUNTS if spec.deleted_ms is None)
    builder.backupstat(SERVER_ID, FIRST_SCAN, LAST_SCAN, active, timeZone=SERVER_TZ)
    return target


def make_sample_data(folder: str | Path, seed: int = 2013) -> Path:
    """The whole `sample_data/` tree: the backup path and the files that go beside it."""
    root = Path(folder)
    backup = make_sample(root / "backup", seed)
    for name in EXTENSIONS:
        module = import_module(f".{name}", __name__)
        if hasattr(module, "add_siblings"):
            module.add_siblings(root, backup)
    return root
