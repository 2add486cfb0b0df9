"""Charts drawn on the server: the geometry of an SVG the template writes out.

The site's Content-Security-Policy allows no inline script or style and nothing
from another site, so a chart is plain SVG shapes placed here, coloured by
classes from static/reports/reports.css. Short labels (weeks) become columns;
long ones (categories, agencies) become horizontal bars with the label beside.
"""

import math
from dataclasses import dataclass, field

from reports.report import Chart

WIDTH = 720
COLUMN_HEIGHT = 280
COLUMN_LABEL_MAX = 8  # characters: longer labels are drawn as horizontal bars
ROW_HEIGHT = 32
LABEL_WIDTH = 300
LABEL_CHARS = 34
MAX_COLUMN_LABELS = 14
# Gridlines: five steps of a 1-2-5 ceiling fall on whole numbers from 5 up.
TICKS = 5


@dataclass
class Shape:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    title: str = ""


@dataclass
class Gridline:
    x1: float
    y1: float
    x2: float
    y2: float
    text: Text


@dataclass
class SvgChart:
    key: str
    title: str
    width: int
    height: int
    horizontal: bool
    bars: list[Shape] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)
    gridlines: list[Gridline] = field(default_factory=list)
    totals: list[Text] = field(default_factory=list)
    legend: list[tuple[int, str]] = field(default_factory=list)
    # The figures again, as rows (label, value per series), for the table under the picture.
    data: list[list] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(bar.height and bar.width for bar in self.bars)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten that is at least value (1 for nothing)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    raise AssertionError("unreachable")


def _ticks(extent: float) -> int:
    """How many steps the axis has: one per unit below TICKS, so no step is a fraction."""
    return int(extent) if extent < TICKS else TICKS


def _fmt(value: float) -> str:
    return f"{value:g}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _segments(chart: Chart, index: int) -> list[tuple[int, float]]:
    """(series, value) of the label at index, in series order."""
    return [(series, values[index]) for series, (_name, values) in enumerate(chart.series)]


def _extent(chart: Chart) -> float:
    if not chart.labels:
        return 1
    if chart.kind == "stacked":
        return nice_ceiling(
            max(sum(v for _s, v in _segments(chart, i)) for i in range(len(chart.labels)))
        )
    return nice_ceiling(max(max(values, default=0) for _name, values in chart.series))


def chart_svg(chart: Chart) -> SvgChart:
    """Lay the chart out: columns for short labels, horizontal bars for long ones."""
    horizontal = any(len(label) > COLUMN_LABEL_MAX for label in chart.labels)
    layout = _horizontal if horizontal else _columns
    svg = layout(chart, _extent(chart))
    svg.legend = [(index, name) for index, (name, _values) in enumerate(chart.series)]
    svg.data = [
        [label, *(values[i] for _name, values in chart.series)]
        for i, label in enumerate(chart.labels)
    ]
    return svg


def _bar_title(chart: Chart, label: str, series: int, value: float) -> str:
    name = chart.series[series][0]
    return (
        f"{label} · {name}: {_fmt(value)}" if len(chart.series) > 1 else f"{label}: {_fmt(value)}"
    )


def _columns(chart: Chart, extent: float) -> SvgChart:
    left, right, top, bottom = 52, 8, 12, 40
    plot_width, plot_height = WIDTH - left - right, COLUMN_HEIGHT - top - bottom
    svg = SvgChart(chart.key, chart.title, WIDTH, COLUMN_HEIGHT, horizontal=False)
    ticks = _ticks(extent)
    for tick in range(ticks + 1):
        value = extent * tick / ticks
        y = top + plot_height - plot_height * tick / ticks
        svg.gridlines.append(
            Gridline(left, y, WIDTH - right, y, Text(left - 6, y + 4, _fmt(value), "end"))
        )
    count = max(1, len(chart.labels))
    slot = plot_width / count
    grouped = 1 if chart.kind == "stacked" else max(1, len(chart.series))
    width = slot * 0.7 / grouped
    every = math.ceil(count / MAX_COLUMN_LABELS)
    for i, label in enumerate(chart.labels):
        x0 = left + slot * i + slot * 0.15
        base = top + plot_height
        for series, value in _segments(chart, i):
            height = plot_height * value / extent
            x = x0 if chart.kind == "stacked" else x0 + width * series
            svg.bars.append(
                Shape(
                    x, base - height, width, height, series, _bar_title(chart, label, series, value)
                )
            )
            if chart.kind == "stacked":
                base -= height
        if i % every == 0:
            svg.labels.append(Text(left + slot * (i + 0.5), COLUMN_HEIGHT - bottom + 18, label))
    return svg


def _horizontal(chart: Chart, extent: float) -> SvgChart:
    top, right, bottom = 8, 48, 24
    height = top + ROW_HEIGHT * max(1, len(chart.labels)) + bottom
    plot_width = WIDTH - LABEL_WIDTH - right
    svg = SvgChart(chart.key, chart.title, WIDTH, int(height), horizontal=True)
    ticks = _ticks(extent)
    for tick in range(ticks + 1):
        value = extent * tick / ticks
        x = LABEL_WIDTH + plot_width * tick / ticks
        svg.gridlines.append(
            Gridline(x, top, x, height - bottom, Text(x, height - bottom + 16, _fmt(value)))
        )
    grouped = 1 if chart.kind == "stacked" else max(1, len(chart.series))
    bar_height = ROW_HEIGHT * 0.7 / grouped
    for i, label in enumerate(chart.labels):
        y0 = top + ROW_HEIGHT * i + ROW_HEIGHT * 0.15
        start = LABEL_WIDTH
        for series, value in _segments(chart, i):
            width = plot_width * value / extent
            y = y0 if chart.kind == "stacked" else y0 + bar_height * series
            svg.bars.append(
                Shape(start, y, width, bar_height, series, _bar_title(chart, label, series, value))
            )
            if chart.kind == "stacked":
                start += width
        svg.labels.append(Text(LABEL_WIDTH - 8, y0 + ROW_HEIGHT * 0.5, _short(label), "end", label))
        # The figure at the end of the row: the stack's total, or the longest bar.
        values = [value for _series, value in _segments(chart, i)]
        shown = sum(values) if chart.kind == "stacked" else max(values, default=0)
        end = LABEL_WIDTH + plot_width * shown / extent
        svg.totals.append(Text(end + 4, y0 + ROW_HEIGHT * 0.5, _fmt(shown), "start"))
    return svg
