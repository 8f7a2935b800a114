"""Shell baselines: a bash loop over files, as an administrator would type it, timed."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


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
