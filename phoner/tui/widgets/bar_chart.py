"""A horizontal bar chart drawn with block characters: one row per label, its count at
the end of the bar.

Exact at every width: a bar is as long as its share of the largest value (in eighths of
a cell), a value above zero always shows at least a sliver, and every row is drawn (the
widget's height is the number of rows plus the title). No axis is needed: each bar says
its own number, and numbers are whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

#: A bar's end in eighths of a cell (index 1..7); full cells are "█".
EIGHTHS = " ▏▎▍▌▋▊▉"
#: wide enough for the longest outcome label ("Frabeder sig henvendelser")
MAX_LABEL = 25


def bar_cells(value: int, largest: int, width: int) -> str:
    """The bar for ``value`` in ``width`` cells when ``largest`` fills them all."""
    if value <= 0 or largest <= 0 or width <= 0:
        return ""
    eighths = max(1, round(8 * width * value / largest))
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def _fit(label: str, width: int) -> str:
    if cell_len(label) <= width:
        return label + " " * (width - cell_len(label))
    return label[: max(0, width - 1)] + "…"


def chart_text(title: str, rows: Sequence[tuple[str, int]], width: int) -> Text:
    """The chart as text, ``width`` cells wide (title, then one line per row)."""
    out = Text(title, style="bold", no_wrap=True, overflow="ellipsis")
    if not rows:
        return out
    label_width = min(MAX_LABEL, max(cell_len(label) for label, _ in rows))
    largest = max(value for _, value in rows)
    number_width = len(str(largest))
    bar_room = max(1, width - label_width - number_width - 3)
    for label, value in rows:
        out.append("\n")
        out.append(_fit(label, label_width) + " ")
        bar = bar_cells(value, largest, bar_room)
        out.append(bar, style="bold")
        out.append(f" {value}")
    return out


class BarChart(Widget):
    """Labelled horizontal bars; ``rows`` is ``[(label, count), ...]`` top to bottom."""

    DEFAULT_CSS = """
    BarChart { height: auto; padding: 0 1; }
    """

    rows: reactive[tuple[tuple[str, int], ...]] = reactive((), layout=True)
    title: reactive[str] = reactive("")

    def render(self) -> Text:
        return chart_text(self.title, self.rows, self.content_size.width)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1 + len(self.rows)
