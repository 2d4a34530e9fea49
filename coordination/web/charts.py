"""Charts drawn on the server as inline SVG: no script, no CDN, readable without colour
(the value is written next to each bar; a masked cell says so in words)."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW, LABEL_WIDTH, BAR_WIDTH, TOP = 24, 300, 360, 8
MAX_LABEL = 48


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


def bar_chart_svg(bars: list[tuple[str, int | None]], title: str) -> Markup:
    """Horizontal bars, one per (label, value); None is a masked cell (secret statistique),
    drawn as an empty outlined bar without any length that would hint at its value."""
    if not bars:
        return Markup("")
    highest = max((v for _, v in bars if v), default=0) or 1
    height = TOP * 2 + ROW * len(bars)
    width = LABEL_WIDTH + BAR_WIDTH + 150
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for index, (label, value) in enumerate(bars):
        y = TOP + index * ROW
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" '
                     f'font-size="12" fill="#1b1b35"><title>{escape(label)}</title>'
                     f'{escape(_short(label))}</text>')
        if value is None:
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="40" height="{ROW - 8}" '
                         'fill="#ffffff" stroke="#6a6a80" stroke-dasharray="3 2"/>'
                         f'<text x="{LABEL_WIDTH + 48}" y="{y + 16}" font-size="12" '
                         'font-style="italic" fill="#3a3a50">secret statistique</text>')
            continue
        length = round(BAR_WIDTH * value / highest) if value else 0
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length}" '
                     f'height="{ROW - 8}" fill="#1d4e89"/>'
                     f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 16}" font-size="12" '
                     f'fill="#1b1b35">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()
