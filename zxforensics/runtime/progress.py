"""Progress bars: tqdm.auto (widget bars in notebooks), silenced by TQDM_DISABLE=1."""

from __future__ import annotations

import os

from tqdm.auto import tqdm


def progress_bar(total: int, desc: str, unit: str, show: bool = True) -> tqdm:
    """A bar to `update()` by hand; hidden with TQDM_DISABLE, `show=False`, or where output is
    not a terminal (tqdm's `disable=None`: CI logs, pipes)."""
    disable = True if (os.environ.get("TQDM_DISABLE") or not show) else None
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, leave=False)
