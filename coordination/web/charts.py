"""Charts drawn on the server as inline SVG: no script, no CDN, readable without colour
(the value is written next to each bar; a masked cell says so in words)."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW, LABEL_WIDTH, BAR_WIDTH, TOP = 24, 340, 340, 8
MAX_LABEL = 46  # characters that fit LABEL_WIDTH at 12 px


def _short(text: str) -> str:
    """A label that fits: a combined label ("type · T1 2026") keeps its last parts (the
    period, the territory) whole and shortens its first, so bars stay distinguishable."""
    if len(text) <= MAX_LABEL:
        return text
    *first, last = text.split(" · ")
    if first:
        room = MAX_LABEL - len(last) - 3
        head = " · ".join(first)
        if room >= 8:
            return (head[:room - 1] + "…" if len(head) > room else head) + " · " + last
    return text[:MAX_LABEL - 1] + "…"


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
