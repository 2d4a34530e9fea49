"""A workflow definition drawn as SVG (no JavaScript, no external tool): states placed in
columns by their distance from the initial state, transitions as arrows labelled with
their event. Plain Python; the admin page embeds the result."""

from __future__ import annotations

from collections import deque
from xml.sax.saxutils import escape

from coordination.workflows.definition import WorkflowDefinition

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 170, 44, 90, 36, 20


def _layers(definition: WorkflowDefinition) -> dict[str, int]:
    """Columns by distance from the initial state along the main path; states one leaves
    the main path for (final states, interruptions such as a rupture) go last."""
    aside = {s.name for s in definition.states
             if s.final or (not s.active and s.name != definition.initial)}
    depth = {definition.initial: 0}
    queue = deque([definition.initial])
    while queue:
        state = queue.popleft()
        for transition in definition.transitions_from(state):
            if transition.dest not in depth and transition.dest not in aside:
                depth[transition.dest] = depth[state] + 1
                queue.append(transition.dest)
    last = max(depth.values()) + 1
    for state in definition.states:
        depth.setdefault(state.name, last)
    return depth


def workflow_svg(definition: WorkflowDefinition) -> str:
    depth = _layers(definition)
    columns: dict[int, list[str]] = {}
    for state in definition.states:
        columns.setdefault(depth[state.name], []).append(state.name)
    position = {}
    for column, names in columns.items():
        for row, name in enumerate(names):
            position[name] = (MARGIN + column * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y))
    width = MARGIN * 2 + (max(columns) + 1) * (BOX_W + GAP_X)
    height = MARGIN * 2 + max(len(n) for n in columns.values()) * (BOX_H + GAP_Y) - GAP_Y
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" '
             f'aria-labelledby="wf-title"><title id="wf-title">Workflow '
             f'{escape(definition.name)} : états et transitions</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M 0 0 L 10 5 L 0 10 z" fill="#4a4a55"/></marker></defs>']
    drawn = set()
    for transition in definition.transitions:
        for source in transition.sources:
            if (source, transition.dest, transition.event) in drawn or source == transition.dest:
                continue
            drawn.add((source, transition.dest, transition.event))
            x1, y1 = position[source]
            x2, y2 = position[transition.dest]
            title = f"<title>{escape(transition.label)} ({escape(transition.event)})</title>"
            if x1 == x2:  # same column: a curve beside the boxes, not through them
                bulge = x1 + BOX_W + 30 + abs(y2 - y1) / 8
                parts.append(f'<path d="M {x1 + BOX_W} {y1 + BOX_H / 2:.0f} C {bulge:.0f} '
                             f'{y1 + BOX_H / 2:.0f}, {bulge:.0f} {y2 + BOX_H / 2:.0f}, '
                             f'{x2 + BOX_W} {y2 + BOX_H / 2:.0f}" fill="none" '
                             f'stroke="#8a8a95" stroke-width="1.2" '
                             f'marker-end="url(#arrow)">{title}</path>')
                continue
            start = (x1 + BOX_W, y1 + BOX_H / 2) if x2 > x1 else (x1, y1 + BOX_H / 2)
            end = (x2, y2 + BOX_H / 2) if x2 > x1 else (x2 + BOX_W, y2 + BOX_H / 2)
            parts.append(f'<line x1="{start[0]:.0f}" y1="{start[1]:.0f}" x2="{end[0]:.0f}" '
                         f'y2="{end[1]:.0f}" stroke="#8a8a95" stroke-width="1.2" '
                         f'marker-end="url(#arrow)">{title}</line>')
    for state in definition.states:
        x, y = position[state.name]
        fill = "#eef4ea" if state.final else ("#fff8e6" if not state.active else "#ffffff")
        parts.append(f'<g><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" '
                     f'fill="{fill}" stroke="#1d4e89" stroke-width="1.5"/>'
                     f'<text x="{x + BOX_W / 2:.0f}" y="{y + 19}" text-anchor="middle" '
                     f'font-size="13" font-family="sans-serif" fill="#1b1b1f">'
                     f'{escape(state.label)}</text>'
                     f'<text x="{x + BOX_W / 2:.0f}" y="{y + 35}" text-anchor="middle" '
                     f'font-size="10" font-family="monospace" fill="#4a4a55">'
                     f'{escape(state.name)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
