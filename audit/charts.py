"""Inline SVG charts drawn on the server (no chart library, no script).

Each function returns plain geometry for a template to write out as SVG
elements; every mark carries its figure in ``data-value`` so a test (and a
screen reader's table beside it) can check that what is drawn is what is counted.
"""

from __future__ import annotations

CHANNEL_COLOURS = {"web": "#2563eb", "email": "#7c3aed", "phone": "#059669", "sms": "#d97706", "x": "#111827"}
BAR_COLOUR = "#2563eb"
WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 30


def _y(value: float) -> float:
    return round(TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / 100.0), 1)


def _grid() -> list[dict]:
    return [{"y": _y(value), "label": value} for value in (0, 25, 50, 75, 100)]


def line_chart(series: dict[str, list[float | None]], labels: list[str]) -> dict:
    """Scores (0-100) per week for each channel; a week without answers leaves a gap."""
    count = max(len(labels), 1)
    step = (WIDTH - LEFT - RIGHT) / max(count - 1, 1)
    lines = []
    for name, values in series.items():
        points, dots, segment = [], [], []
        for index, value in enumerate(values):
            x = round(LEFT + index * step, 1)
            if value is None:
                if segment:
                    points.append(" ".join(segment))
                segment = []
                continue
            segment.append(f"{x},{_y(value)}")
            dots.append({"x": x, "y": _y(value), "value": value, "label": labels[index]})
        if segment:
            points.append(" ".join(segment))
        lines.append({"name": name, "colour": CHANNEL_COLOURS.get(name, "#6b7280"), "segments": points, "dots": dots})
    ticks = [{"x": round(LEFT + index * step, 1), "label": label} for index, label in enumerate(labels) if index % 2 == 0]
    return {"width": WIDTH, "height": HEIGHT, "lines": lines, "grid": _grid(), "ticks": ticks, "left": LEFT, "right": WIDTH - RIGHT,
            "baseline": HEIGHT - BOTTOM}


def bar_chart(items: list[tuple[str, float | None]]) -> dict:
    """One bar per item (score 0-100); an item without answers to judge gets no bar."""
    count = max(len(items), 1)
    slot = (WIDTH - LEFT - RIGHT) / count
    bars = []
    for index, (label, value) in enumerate(items):
        x = round(LEFT + index * slot + slot * 0.15, 1)
        if value is None:
            continue
        y = _y(value)
        bars.append({"x": x, "y": y, "width": round(slot * 0.7, 1), "height": round(HEIGHT - BOTTOM - y, 1), "value": value,
                     "label": label, "label_x": round(x + slot * 0.35, 1)})
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "grid": _grid(), "colour": BAR_COLOUR, "left": LEFT,
            "right": WIDTH - RIGHT, "baseline": HEIGHT - BOTTOM}
