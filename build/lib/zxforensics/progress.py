"""Progress bars: tqdm.auto (widget bars in notebooks), silenced by TQDM_DISABLE=1."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], **options) -> Iterable[T]:
    """Wrap an iterable in a progress bar unless disabled or too short to matter."""
    # None lets tqdm hide the bar where output is not a terminal (CI logs, pipes)
    disable = True if os.environ.get("TQDM_DISABLE") else options.pop("disable", None)
    return tqdm(iterable, disable=disable, leave=False, **options)
