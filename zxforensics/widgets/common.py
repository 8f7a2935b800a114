"""Helpers shared by the widgets: frames as HTML that fits the page, figures at the page's resolution,
controls sized to their labels, and appending to an Output.

What fits the page (JupyterLab's output area, Voilà's page): a wide table scrolls inside its own box
instead of being cut at the output's edge; a hash shows its first characters, the full value on hover;
a figure is drawn at `RETINA` times the CSS pixels it is shown at (crisp on any screen, never upscaled)
and keeps its aspect ratio whatever box holds it.

Callbacks append to an `Output` (`append_stdout`, `append_display_data`) instead of printing
inside `with out:`, so that papermill and nbval render them alike.
"""

from __future__ import annotations

import html
import io
import re

import pandas as pd

from ..report.plots import SCREEN_DPI

MAX_ROWS = 200  # rows of a table shown in a widget; the frame itself keeps them all
RETINA = 2  # device pixels per CSS pixel a figure is drawn for (a 1x screen downscales it: still sharp)
HASH_SHOWN = 12  # characters of a hash shown in a table; the rest is on hover
HASH_COLUMNS = re.compile(r"(^|_)(sha256|sha1|md5|digest|hash)($|_)", re.IGNORECASE)
HEX_HASH = re.compile(r"[0-9a-fA-F]{32,}")  # an MD5, SHA-1 or SHA-256 in any column
TABLE_BOX = "overflow-x:auto;max-width:100%"  # a wide table scrolls in its own box
# a widget's HTML gets no notebook table style: columns apart, text left (JupyterLab's right-aligns headings),
# a rule between rows
TABLE_STYLE = ("<style>.zx-table{border-collapse:collapse;font-size:var(--jp-ui-font-size1,13px)}"
               ".zx-table th,.zx-table td{padding:2px 10px 2px 4px;text-align:left!important;vertical-align:top;"
               "border-bottom:1px solid var(--jp-border-color2,#ddd)}"
               ".zx-table th{white-space:nowrap}</style>")  # fmt: skip
DESCRIPTION = {"description_width": "initial"}  # a control's label is never cut
MAX_CONTROL_CH = 72  # the widest a dropdown grows for its longest label (characters)


def short_hash(value: str) -> str:
    """A hash as a table shows it: its first characters, the full value in the title (hover) - escaped."""
    full = html.escape(value, quote=True)
    if len(value) <= HASH_SHOWN + 1:
        return full
    return f'<span title="{full}" style="font-family:monospace">{html.escape(value[:HASH_SHOWN])}…</span>'


def _cell_html(value: object, hash_column: bool) -> str:
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)):
        return ""
    text = str(value)
    if hash_column or HEX_HASH.fullmatch(text):
        return short_hash(text)
    return html.escape(text)


def table_html(df: pd.DataFrame) -> str:
    """A frame as an HTML table in a box that scrolls sideways: every cell and heading escaped, index
    hidden, hashes shortened (`short_hash`)."""
    shown = pd.DataFrame({n: [_cell_html(v, bool(HASH_COLUMNS.search(str(c)))) for v in df.iloc[:, n]]
                          for n, c in enumerate(df.columns)})  # fmt: skip
    shown.columns = [html.escape(str(c)) for c in df.columns]
    body = shown.to_html(index=False, escape=False, na_rep="", border=0, classes="zx-table", justify="left")
    return f'{TABLE_STYLE}<div class="zx-table-box" style="{TABLE_BOX}">{body}</div>'


def frame_html(df: pd.DataFrame, max_rows: int = MAX_ROWS, empty: str = "(no rows)") -> str:
    """A frame as an HTML table that fits the page (`table_html`), or a one-line note when it is empty."""
    if df is None or df.empty:
        return f"<p><i>{html.escape(empty)}</i></p>"
    note = f"<p><i>first {max_rows} of {len(df)} rows</i></p>" if len(df) > max_rows else ""
    return table_html(df.head(max_rows)) + note


def table_box(value: str = ""):
    """An HTML widget for a table (`frame_html`): it scrolls sideways itself, since a widget's content grows
    to its table's width and no box inside it can scroll; an Output's tables scroll in their own box."""
    import ipywidgets as w

    return w.HTML(value, layout=w.Layout(overflow="auto", max_width="100%"))


def render_figure(fig) -> tuple[bytes, int]:
    """A matplotlib figure as PNG bytes drawn for `RETINA` screens, and the CSS width (px) it is shown at.

    The figure's size in inches is what it means on the page (`SCREEN_DPI` CSS pixels an inch), so a
    10-inch figure shows 960 px wide, drawn with 1920 pixels: no browser upscaling, no blur."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=SCREEN_DPI * RETINA)
    data = buffer.getvalue()
    return data, round(png_width(data) / RETINA)


def png_width(data: bytes) -> int:
    """The pixel width written in a PNG's header (IHDR)."""
    return int.from_bytes(data[16:20], "big") if data[:8] == b"\x89PNG\r\n\x1a\n" else 0


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (`render_figure`'s; a notebook shows it with `show_figure`)."""
    return render_figure(fig)[0]


def show_figure(fig, alt: str = ""):
    """A figure for a notebook cell to display: an IPython Image at its CSS size (`render_figure`),
    with an alt text (the figure's title when not given)."""
    from IPython.display import Image

    alt = alt or figure_title(fig)
    data, width = render_figure(fig)
    return Image(data=data, format="png", width=width, alt=alt or None)


def figure_title(fig) -> str:
    """The titles of a figure's axes (what its alt text says when no better one is given)."""
    return "; ".join(t for t in (ax.get_title() for ax in fig.axes) if t)


def figure_image(fig=None):
    """An ipywidgets Image sized for the page: its CSS width, shrinking with a narrow output but never
    stretched by the box that holds it (height follows the width: the aspect ratio is kept)."""
    import ipywidgets as w

    image = w.Image(format="png", layout=w.Layout(max_width="100%", height="auto", object_fit="contain",
                                                  align_self="flex-start", flex="0 0 auto"))  # fmt: skip
    set_figure(image, fig)
    return image


def beside(image, min_px: int = 360):
    """An Image of `figure_image` that shares a `wrapping_row` with another child: it shrinks to the room
    left (down to `min_px`, then it goes to the next line), never grows past its drawn size."""
    image.layout.max_width, image.layout.width = image.layout.width, None
    image.layout.flex, image.layout.min_width = f"1 1 {min_px}px", "0"
    return image


def set_figure(image, fig) -> None:
    """Show `fig` in an Image made by `figure_image` (None: empty it)."""
    if fig is None:
        image.value, image.layout.width = b"", None
        return
    data, width = render_figure(fig)
    # no tooltip: ipywidgets 8's Image view fails on one ("Cannot read properties of undefined")
    image.value, image.layout.width = data, f"{width}px"


def fit_dropdown(control, min_ch: int = 16) -> None:
    """Size a Dropdown to its longest option label (up to `MAX_CONTROL_CH` characters), label included,
    so that an option is read whole; call again after its options change."""
    labels = [str(label) for label, *_ in (o if isinstance(o, tuple) else (o,) for o in control.options)]
    longest = min(max([min_ch, *map(len, labels)]), MAX_CONTROL_CH)
    described = len(control.description or "")
    control.style.description_width = "initial"
    control.layout.width = f"calc({longest + described}ch + 4em)"


def wrapping_row(children: list, **layout) -> object:
    """An HBox whose children keep their own size (none stretched to another's height) and go to the next
    line when the output is narrow; `layout` adds to it (`grid_gap`: the space between children)."""
    import ipywidgets as w

    return w.HBox(children, layout=w.Layout(**{"flex_flow": "row wrap", "align_items": "flex-start", **layout}))


def append_frame(out, df: pd.DataFrame, max_rows: int = MAX_ROWS) -> None:
    """Append a frame to an ipywidgets Output as HTML."""
    from IPython.display import HTML

    out.append_display_data(HTML(frame_html(df, max_rows)))


def append_text(out, text: str) -> None:
    """Append a line of text to an ipywidgets Output."""
    out.append_stdout(text if text.endswith("\n") else text + "\n")


class Note:
    """A few lines a cell shows in words (`label: value`), as HTML in a notebook or a dashboard and as
    plain text where only text is read (papermill's output, a console); every value escaped."""

    def __init__(self, lines: list[tuple[str, str]], items: list[str] = ()) -> None:
        self.lines, self.items = list(lines), list(items)

    def _repr_html_(self) -> str:
        lines = "<br>".join(f"<b>{html.escape(k)}</b>: {html.escape(v)}" if k else html.escape(v)
                            for k, v in self.lines)  # fmt: skip
        items = "".join(f"<li>{html.escape(item)}</li>" for item in self.items)
        return f"<p>{lines}</p>" + (f"<ul>{items}</ul>" if items else "")

    def __repr__(self) -> str:
        return "\n".join([f"{k}: {v}" if k else v for k, v in self.lines] + [f"- {item}" for item in self.items])


class View:
    """Base of the views: a composition of child widgets held in `self.widget` (msticpy's shape),
    displayed as that widget, with its `layout`; subclasses expose `.value` (the selection or result a
    person made, what a notebook cell reads back) and their actions."""

    widget: object

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def layout(self):
        return self.widget.layout

    @property
    def value(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} has no value")
