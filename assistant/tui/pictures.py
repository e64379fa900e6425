"""Pictures in the chat: the feedback's spectrum and loudness plots, drawn in the log where the
terminal can show images (textual-image: sixel, the kitty graphics protocol, or coloured half
cells on any colour terminal); elsewhere the reply's text gives the saved PNGs' paths.

textual-image asks the terminal what it can draw when it is first imported, which cannot
happen once Textual owns the screen: :func:`probe_terminal` runs before the app starts.
"""

from __future__ import annotations

from pathlib import Path

from textual.widget import Widget

PLOT_WIDTH_CELLS = 64


def probe_terminal() -> str:
    """The way this terminal shows images ("sixel", "tgp", "halfcell") or "none" (not a
    terminal, or textual-image missing). Imports textual-image, so call it before the app
    runs."""
    try:
        from textual_image import renderable
    except ImportError:
        return "none"
    names = {
        renderable.SixelImage: "sixel",
        renderable.TGPImage: "tgp",
        renderable.HalfcellImage: "halfcell",
    }
    return names.get(renderable.Image, "none")


def plot_widgets(paths: list[str], *, mode: str) -> list[Widget]:
    """Image widgets for the PNGs that exist (none when the terminal cannot show them)."""
    if mode == "none":
        return []
    from textual_image.widget import Image

    widgets: list[Widget] = []
    for path in paths:
        if Path(path).is_file():
            widget = Image(path, classes="plot")
            # the plots share the log's width (side by side, never clipped), each at most
            # PLOT_WIDTH_CELLS wide and as tall as its picture's shape asks
            widget.styles.width = "1fr"
            widget.styles.max_width = PLOT_WIDTH_CELLS
            widget.styles.height = "auto"
            widgets.append(widget)
    return widgets
