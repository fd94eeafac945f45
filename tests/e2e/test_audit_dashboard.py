"""The consistency dashboard in Chromium: the charts draw, and what they draw
is what the tables beside them say (checked on a screenshot, pixel by pixel)."""

from __future__ import annotations

import pytest

from audit import scenario
from tests.e2e import _png
from tests.e2e.conftest import _sign_in
from tests.factories import SupervisorFactory

BLUE = (0x25, 0x63, 0xEB)  # audit.charts.BAR_COLOUR


@pytest.fixture
def supervisor_page(new_context, live_url):
    scenario.seed(customers_per_channel=20)
    supervisor = SupervisorFactory(username="ingrid", first_name="Ingrid")
    context = new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    _sign_in(context, live_url, supervisor)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors


def test_topic_bars_are_drawn_at_the_heights_the_table_gives(supervisor_page, live_url):
    page = supervisor_page
    page.goto(f"{live_url}/supervisor/audit/")
    svg = page.locator("#chart-topics svg")
    table = {row.get_attribute("data-label"): row.locator("td").first.get_attribute("data-score")
             for row in page.locator("#table-topics tbody tr").all()}
    bars = page.locator("#chart-topics rect.bar").all()
    assert len(bars) == len([score for score in table.values() if score]) >= 3
    box = svg.bounding_box()
    width, height, rows, bpp = _png.decode(svg.screenshot())
    plot_height = 220 - 10 - 30  # audit.charts HEIGHT - TOP - BOTTOM
    for bar in bars:
        label, value = bar.get_attribute("data-label"), float(bar.get_attribute("data-value"))
        # The bar's figure is the table's figure
        assert float(table[label]) == value
        # And on the screenshot, the column through the bar's middle is blue
        # for as many pixels as the score says
        bar_box = bar.bounding_box()
        x = round(bar_box["x"] - box["x"] + bar_box["width"] / 2)
        blue = sum(1 for y in range(height) if _png.near(_png.pixel(rows, bpp, x, y), BLUE))
        assert abs(blue - plot_height * value / 100) <= 3, (label, value, blue)


def test_channel_lines_are_drawn_where_the_table_says(supervisor_page, live_url):
    page = supervisor_page
    page.goto(f"{live_url}/supervisor/audit/")
    svg = page.locator("#chart-channels svg")
    box = svg.bounding_box()
    width, height, rows, bpp = _png.decode(svg.screenshot())
    dots = []
    for dot in page.locator("#chart-channels circle.dot").all():
        dot_box = dot.bounding_box()
        dots.append({
            "series": dot.locator("xpath=..").get_attribute("data-series"), "week": dot.get_attribute("data-week"),
            "value": float(dot.get_attribute("data-value")),
            "colour": tuple(int(dot.get_attribute("fill")[i:i + 2], 16) for i in (1, 3, 5)),
            "x": round(dot_box["x"] - box["x"] + dot_box["width"] / 2), "y": round(dot_box["y"] - box["y"] + dot_box["height"] / 2),
        })
    assert len({dot["series"] for dot in dots}) == 5
    for dot in dots:
        # The dot's figure is the table's figure
        series, week = dot["series"], dot["week"]
        cell = page.locator(f'#table-channels td[data-series="{series}"][data-week="{week}"]')
        assert float(cell.get_attribute("data-score")) == dot["value"]
        # It sits at the height of its score (180 px plot, 10 px top margin)
        assert abs(dot["y"] - (10 + 180 * (1 - dot["value"] / 100))) <= 2
        # And the screenshot is painted there in its channel's colour (or in the
        # colour of another channel's dot drawn on top of it at the same place)
        allowed = [other["colour"] for other in dots if other["week"] == dot["week"] and abs(other["y"] - dot["y"]) <= 6]
        painted = [_png.pixel(rows, bpp, dot["x"] + dx, dot["y"] + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        assert any(_png.near(colour, target, 60) for colour in painted for target in allowed), (dot, painted)
