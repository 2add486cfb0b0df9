"""The SVG geometry of the charts: proportional bars, readable axes, long labels beside the bars."""

import pytest

from reports.charts import chart_svg, nice_ceiling
from reports.report import Chart


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (3, 5), (7, 10), (11, 20), (96, 100), (140, 200)]
)
def test_it_rounds_the_axis_up_to_one_two_or_five_times_a_power_of_ten(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_it_stacks_the_series_of_a_week_into_one_column_scaled_to_the_axis():
    chart = Chart(
        "weeks", "Tuần", "stacked", ["05/01", "12/01"], [("web", [30, 10]), ("sms", [20, 0])]
    )

    svg = chart_svg(chart)

    assert not svg.horizontal
    first_week = svg.bars[:2]
    plot_height = first_week[0].height * 50 / 30  # the axis ends at 50, the stack's total
    assert sum(bar.height for bar in first_week) == pytest.approx(plot_height)
    assert first_week[1].y + first_week[1].height == pytest.approx(first_week[0].y)
    assert [line.text.text for line in svg.gridlines] == ["0", "10", "20", "30", "40", "50"]
    assert svg.data == [["05/01", 30, 20], ["12/01", 10, 0]]


def test_it_draws_long_labels_as_horizontal_bars_with_the_full_label_kept():
    long_name = "Phát tán hình ảnh nhạy cảm không được đồng ý trên mạng xã hội"
    svg = chart_svg(Chart("top", "Vấn đề", "bar", [long_name, "Bạn bè"], [("Lượt", [4, 2])]))

    assert svg.horizontal
    assert svg.labels[0].text.endswith("…") and svg.labels[0].title == long_name
    assert svg.bars[0].width == pytest.approx(2 * svg.bars[1].width)
    assert [total.text for total in svg.totals] == ["4", "2"]
    assert [line.text.text for line in svg.gridlines] == ["0", "1", "2", "3", "4", "5"]


def test_it_says_a_chart_without_figures_is_empty():
    assert chart_svg(Chart("none", "Không", "stacked", [], [("a", [])])).empty
    assert chart_svg(Chart("zero", "Không", "bar", ["x"], [("a", [0])])).empty
