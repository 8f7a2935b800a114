"""Monitoring benchmark: `zxforensics check` (the whole process, as Nagios runs it) cold and warm, against a
shell doing the same reading (backupstat, every account header, the item folders' and blobs' listings),
and against the full metadata scan a check must not need.

    python bench/bench_check.py                 # 2,000 accounts x 40 items
    python bench/bench_check.py --accounts 500  # another size

The store is generated once under bench/data/ (gitignored) and reused.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_data import ensure_store  # noqa: E402  (the generated stores every benchmark shares)
from bench_scan import drop_caches  # noqa: E402  (the page-cache drop of the scan benchmark)

ITEMS_PER_ACCOUNT = 40
ZXFORENSICS = Path(sys.executable).parent / "zxforensics"
SCAN_CHILD = "import sys, zxforensics as zx; zx.open_backup(sys.argv[1]).item_states()"


def timed(args: list[str], shell: bool = False) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args if not shell else args[0], shell=shell, capture_output=True, text=True,
                          env=dict(os.environ, TQDM_DISABLE="1"), check=False)  # fmt: skip
    return time.perf_counter() - started, done.stdout.strip().splitlines()[0] if done.stdout.strip() else ""


def shell_baseline(path: Path) -> list[str]:
    """What a check reads, done by the shell: the stat file, every account header, the listings."""
    return [f"cat '{path}/backupstat' > /dev/null; find '{path}/accounts' -mindepth 2 -maxdepth 2 -type f "
            f"-exec cat {{}} + > /dev/null; find '{path}/accounts' -mindepth 3 -maxdepth 4 | wc -l > /dev/null; "
            f"find '{path}/items' -type f | wc -l"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    args = parser.parse_args()
    path = ensure_store("check", args.accounts, ITEMS_PER_ACCOUNT, seed=7)
    copy = path.with_name(path.name + "_copy")
    if not copy.exists():
        shutil.copytree(path, copy, copy_function=shutil.copy2)
    files = sum(len(f) for _, _, f in os.walk(path))
    check = [str(ZXFORENSICS), "check", "backup_path", str(path), "max_age_hours", "1000000"]
    runs = []
    for label, argv, shell in [
        ("shell: cat headers + find listings", shell_baseline(path), True),
        ("zxforensics check", check, False),
        ("zxforensics check verify_sample 200", [*check, "verify_sample", "200"], False),
        ("zxforensics check copy C (stat)", [*check, "copy", str(copy)], False),
        ("shell: find -printf size,mtime, both trees", [f"find '{path}' '{copy}' -printf '%s %T@\\n' | wc -l"], True),
        ("full metadata scan (item_states)", [sys.executable, "-c", SCAN_CHILD, str(path)], False),
    ]:
        cold = drop_caches()
        seconds_cold, line = timed(argv, shell)
        seconds_warm, _ = timed(argv, shell)
        runs.append((label, seconds_cold if cold else None, seconds_warm, line))
    print(f"\nstore: {path} ({args.accounts:,} accounts, {files:,} files); cores: {os.cpu_count()}")
    print(f"{'run':44}{'cold s':>8}{'warm s':>8}")
    for label, cold_s, warm_s, _ in runs:
        print(f"{label:44}{(f'{cold_s:8.2f}' if cold_s is not None else '       -')}{warm_s:8.2f}")
    print("\nstatus lines:")
    for label, _, _, line in runs[1:4]:
        print(f"  {label}: {line[:160]}")


if __name__ == "__main__":
    main()
