"""Progress bars: a text bar on a terminal, a widget bar in a notebook kernel (JupyterLab, Voilà,
papermill) that leaves nothing behind once done, and nothing anywhere else.

Why a bar of our own in a kernel: tqdm's notebook bar with `leave=False` closes its widget when done,
but the output still names it, so Voilà (which draws a view's outputs once it has run) and any saved
notebook show "Error displaying widget: model not found" in its place. Ours is displayed under a
display id, and the finished bar's output is replaced by nothing. A kernel without ipywidgets gets no
bar: a text bar there would only be red stderr under a cell.
"""

from __future__ import annotations

import os
import sys

from tqdm import tqdm as text_tqdm

EMPTY = {"text/plain": "", "text/html": ""}  # what a finished bar's output becomes


def progress_bar(total: int, desc: str, unit: str, show: bool = True) -> text_tqdm:
    """A bar to `update()` by hand; hidden with TQDM_DISABLE, `show=False`, or where output is not a
    terminal (tqdm's `disable=None`: CI logs, pipes); a widget bar in a notebook kernel."""
    if os.environ.get("TQDM_DISABLE") or not show:
        return text_tqdm(total=total, desc=desc, unit=unit, disable=True)
    kernel = in_kernel()
    if kernel and widgets_available():
        return _kernel_bar()(total=total, desc=desc, unit=unit, leave=False)
    return text_tqdm(total=total, desc=desc, unit=unit, disable=True if kernel else None, leave=False)


def in_kernel() -> bool:
    """Whether this process is a Jupyter kernel (its output goes to a notebook, not a terminal)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def widgets_available() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def _kernel_bar() -> type:
    """tqdm's notebook bar, displayed under a display id and replaced by nothing when it closes done
    (a bar stopped short stays, in tqdm's red: it tells how far the work went)."""
    from IPython.display import display
    from tqdm.notebook import tqdm_notebook

    class KernelBar(tqdm_notebook):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, display=False, **kwargs)
            self.handle = None if self.disable else display(self.container, display_id=True)

        def close(self) -> None:
            super().close()
            handle, self.handle = getattr(self, "handle", None), None
            if handle is not None and not (self.total and self.n < self.total):
                handle.update(EMPTY, raw=True)

    return KernelBar
