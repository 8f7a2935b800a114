"""Shell baselines: a bash loop over files, as an administrator would type it, timed; cold page caches."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path


def time_bash_loop(files: list[str], body: str) -> float:
    """Seconds of `while read f; do BODY; done` over `files` (`$f` the file, `$n` its number from 1)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lst", delete=False) as listing:
        listing.write("\n".join(files) + "\n")
    script = f"n=0; while IFS= read -r f; do n=$((n+1)); {body}; done < {listing.name}"
    started = time.perf_counter()
    subprocess.run(["bash", "-c", script], check=True)
    elapsed = time.perf_counter() - started
    os.unlink(listing.name)
    return elapsed


def drop_caches() -> bool:
    """Drop the page cache (root on Linux); False where the machine does not allow it."""
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False
