"""Helpers shared by the widgets: frames as HTML, figures as PNG, and appending to an Output.

Callbacks append to an `Output` (`append_stdout`, `append_display_data`) instead of printing
inside `with out:`, so that papermill and nbval render them alike.
"""

from __future__ import annotations

import html
import io

import pandas as pd

MAX_ROWS = 200  # rows of a table shown in a widget; the frame itself keeps them all


def frame_html(df: pd.DataFrame, max_rows: int = MAX_ROWS, empty: str = "(no rows)") -> str:
    """A frame as an HTML table (escaped, index hidden), or a one-line note when it is empty."""
    if df is None or df.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    note = f"<p><i>first {max_rows} of {len(df)} rows</i></p>" if len(df) > max_rows else ""
    return df.head(max_rows).to_html(index=False, escape=True, na_rep="") + note


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes; the figure is closed (no inline backend needed)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def append_frame(out, df: pd.DataFrame, max_rows: int = MAX_ROWS) -> None:
    """Append a frame to an ipywidgets Output as HTML."""
    from IPython.display import HTML

    out.append_display_data(HTML(frame_html(df, max_rows)))


def append_text(out, text: str) -> None:
    """Append a line of text to an ipywidgets Output."""
    out.append_stdout(text if text.endswith("\n") else text + "\n")


class View:
    """Base of the views: a composition of child widgets held in `self.widget` (msticpy's shape),
    displayed as that widget, with its `layout`; subclasses add `.value` and their actions."""

    widget: object

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def layout(self):
        return self.widget.layout
