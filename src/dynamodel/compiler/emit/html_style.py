"""The HTML report's stylesheet and its entity colours.

Each entity gets one background colour, by its place in the spec: a fixed palette of light,
clearly distinct tints (so a row's entity is seen at a glance, and a screenshot test can count
each colour's pixels), then golden-angle hues for specs with more entities. Those hues, at one
lightness, round to only a few hundred distinct colours; past the first clash the picker walks a
lattice of light tints instead, so any number of entities (up to the lattice's 681,472) get
distinct colours in linear time, and the colours of small specs never change. Unique guard items
share one grey. The colours never appear elsewhere on the page except in the legend swatches.
"""

from __future__ import annotations

import colorsys

from dynamodel.compiler.design.ir import Design

PALETTE = (
    "#cfe2ff",  # blue
    "#c9f0cf",  # green
    "#ffdcae",  # orange
    "#f6cdf1",  # pink
    "#fff1a8",  # yellow
    "#c4eeee",  # cyan
    "#ddd0ff",  # violet
    "#ffcfcf",  # red
    "#dfe8b8",  # olive
    "#d2dde9",  # slate
    "#f0dcc8",  # sand
    "#bfe6d8",  # mint
)
GUARD_COLOUR = "#e4e4e4"


def _extra_colour(position: int) -> str:
    hue = (position * 137.508) % 360 / 360
    red, green, blue = colorsys.hls_to_rgb(hue, 0.86, 0.7)
    return f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"


def _lattice_colour(index: int) -> str:
    # Every channel in 0xa8..0xff keeps the tint light enough for black text; the prime
    # stride visits every point of the lattice once, far from its neighbours in order.
    point = index * _LATTICE_STRIDE % _LATTICE_SIZE
    red, rest = divmod(point, _CHANNEL_LEVELS * _CHANNEL_LEVELS)
    green, blue = divmod(rest, _CHANNEL_LEVELS)
    low = 0x100 - _CHANNEL_LEVELS
    return f"#{low + red:02x}{low + green:02x}{low + blue:02x}"


_CHANNEL_LEVELS = 88
_LATTICE_SIZE = _CHANNEL_LEVELS**3
_LATTICE_STRIDE = 104_729  # a prime, so coprime with 88**3 = 2**9 * 11**3


def entity_colours(design: Design) -> dict[str, str]:
    """Entity name -> its background colour (`#rrggbb`), distinct for every entity."""
    colours: dict[str, str] = {}
    used = {GUARD_COLOUR}
    lattice = 0  # only moves forward, so all clashes together cost O(entities)
    for position, entity in enumerate(design.entities):
        colour = PALETTE[position] if position < len(PALETTE) else _extra_colour(position)
        while colour in used and lattice < _LATTICE_SIZE:
            colour = _lattice_colour(lattice)
            lattice += 1
        used.add(colour)  # past the lattice's end colours repeat rather than loop forever
        colours[entity.name] = colour
    return colours


def stylesheet(colours: dict[str, str], classes: dict[str, str]) -> str:
    """The page's CSS; `classes` maps each entity to its row class (`e0`, `e1`, ...)."""
    rules = [
        f".{classes[name]} > td.a, .{classes[name]} > td.sk, .{classes[name]} > td.fill, "
        f".swatch.{classes[name]} {{ background: {colour}; }}"
        for name, colour in colours.items()
    ]
    rules.append(
        f".g > td.a, .g > td.sk, .g > td.fill, .swatch.g {{ background: {GUARD_COLOUR}; }}"
    )
    return BASE_CSS + "\n".join(rules) + "\n"


BASE_CSS = """\
:root { color-scheme: light; }
body { margin: 0; padding: 24px 32px 48px; background: #ffffff; color: #1f2328;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 15px; margin: 20px 0 6px; }
p { margin: 6px 0; }
code, .mono, td.pk, td.sk, td.a { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas,
  "DejaVu Sans Mono", monospace; font-size: 12.5px; }
nav { margin: 12px 0 0; }
nav a { margin-right: 14px; color: #0a58ca; text-decoration: none; }
.muted { color: #57606a; }
.settings { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0 0; padding: 0;
  list-style: none; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 20px; margin: 10px 0 4px; padding: 0;
  list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 22px; height: 14px; border: 1px solid #8c959f; }
.grid-wrap { overflow-x: auto; margin: 8px 0 4px; }
table { border-collapse: collapse; }
table.grid { width: 100%; border: 1px solid #8c959f; }
table.grid th { background: #f6f8fa; text-align: left; font-weight: 600; padding: 4px 8px;
  border: 1px solid #8c959f; white-space: nowrap; }
table.grid td { padding: 3px 8px; border: 1px solid #ffffff; white-space: nowrap;
  vertical-align: top; max-width: 26em; overflow: hidden; text-overflow: ellipsis; }
table.grid td.pk { background: #ffffff; border: 1px solid #8c959f; font-weight: 600;
  min-width: 8em; }
table.grid td.sk { font-weight: 600; }
table.grid td.pk, table.grid td.sk { max-width: none; }  /* keys are shown whole */
table.grid td.a .n { display: block; font-family: system-ui, sans-serif; font-size: 11px;
  color: #57606a; }
table.grid td.sk .n { display: block; font-family: system-ui, sans-serif; font-size: 11px;
  color: #57606a; font-weight: 400; }
table.grid tbody { border-top: 2px solid #57606a; }
table.grid td.fill { width: 100%; }
table.plain { margin: 6px 0 10px; }
table.plain th, table.plain td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left;
  vertical-align: top; }
table.plain th { background: #f6f8fa; font-weight: 600; }
table.plain td.nowrap { white-space: nowrap; }
table.matrix { width: 100%; }
table.matrix td.mono:not(.nowrap) { min-width: 20em; }
table.matrix td.wide { min-width: 16em; }
.empty { color: #57606a; font-style: italic; }
footer { margin-top: 40px; color: #57606a; font-size: 12px; }
"""
