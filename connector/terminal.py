"""Tables for a terminal: they fit 80 columns by default; `--wide` shows every column at its natural width.

Numbers are right-aligned and never wrapped; only left-aligned text columns (names, reasons) may wrap. The
frame is light (a rule under the header, no vertical bars) so eight columns fit in 80.
"""

from __future__ import annotations

import sys

from rich import box
from rich.console import Console
from rich.table import Table

WIDE_WIDTH = 220  # --wide: room for every column (read it with `less -S` or on a wide terminal)
_settings = {"wide": False}


def set_wide(wide: bool) -> None:
    _settings["wide"] = wide


def is_wide() -> bool:
    return _settings["wide"]


def stdout_console() -> Console:
    """The console for tables on stdout: the terminal's width (80 when piped), WIDE_WIDTH with --wide."""
    return Console(file=sys.stdout, width=WIDE_WIDTH if is_wide() else None)


def table(title: str | None = None) -> Table:
    return Table(
        title=title,
        min_width=len(title) if title else None,  # the title on one line, not wrapped to narrow columns
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 0, 0, 0),  # the frame puts one space between columns
    )


def columns(table_: Table, headers: list[str] | tuple[str, ...], numbers: set[str] | tuple = ()) -> None:
    """Add columns: those in `numbers` right-aligned and unwrapped, the others left-aligned and folding."""
    for header in headers:
        if header in numbers:
            table_.add_column(header, justify="right", no_wrap=True)
        else:
            table_.add_column(header, overflow="fold")
