"""The HTML report renders in a real browser: headless Chromium (Debian's `chromium`, which
`scripts/backends.sh install` installs) takes a screenshot of each example's `report.html`,
and the test reads the pixels.

Each entity's rows have their own background colour (`html_style.py`), so the screenshot shows
whether the grids rendered: every entity's colour must cover an area that fits its number of
grid rows (cells with real sizes, not collapsed), in roughly the share its rows have among all
rows, and the page must not be blank. A stylesheet that failed to apply, a grid that collapsed
or rows that lost their entity would fail this. The screenshots are kept under pytest's tmp
directory; their paths are printed (`pytest -s`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from dynamodel.compiler.design.ir import Design
from dynamodel.compiler.emit.html import emit_html
from dynamodel.compiler.emit.html_grid import grid_items
from dynamodel.compiler.emit.html_style import GUARD_COLOUR, entity_colours
from dynamodel.compiler.pipeline import compile_spec
from dynamodel.compiler.samples import sample_data

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(ROOT.glob("examples/*/spec.yaml"))
WIDTH = 1400
ROW_HEIGHT_MIN = 30  # px: a grid row shows two lines (the attribute name and its value)
COLOURED_WIDTH_MIN = 800  # px of a row in the entity's colour (all but the partition key cell)
# Without these Chromium reaches for the network (component updates, sync, QUIC probes) and
# hangs on this closed network; as root it needs --no-sandbox.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--force-device-scale-factor=1",
    "--run-all-compositor-stages-before-draw",
)


def _chromium_path() -> str | None:
    for name in (os.environ.get("DYNAMODEL_CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and (found := shutil.which(name)):
            return found
    return None


# `scripts/backends.sh install` installs Chromium with apt-get, as root (CI); another user
# without it cannot, and the rest of the suite must still run for them. As root a missing
# Chromium is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    _chromium_path() is None and os.geteuid() != 0,
    reason="chromium is not installed, and this user is not root, so scripts/backends.sh did "
    "not install it (as root: apt-get install -y chromium; or set DYNAMODEL_CHROMIUM)",
)


def chromium() -> str:
    found = _chromium_path()
    if found is None:
        pytest.fail(
            "chromium is not installed: run `bash scripts/backends.sh install`", pytrace=False
        )
    return found


# A screenshot takes a few seconds. Now and then headless Chromium never exits (seen once in
# a CI rehearsal on a slow machine, after the page had rendered): that browser is killed and
# the screenshot taken again by a new one, once; a second hang fails the test.
SCREENSHOT_SECONDS = 60
SCREENSHOT_ATTEMPTS = 2


def screenshot(page: Path, png: Path, profile: Path, height: int) -> Image.Image:
    for attempt in range(1, SCREENSHOT_ATTEMPTS + 1):
        command = [
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}-{attempt}",
            f"--window-size={WIDTH},{height}",
            f"--screenshot={png}",
            page.as_uri(),
        ]
        png.unlink(missing_ok=True)
        # A session of its own, so that a hung browser goes with all its processes.
        browser = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            _, stderr = browser.communicate(timeout=SCREENSHOT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.communicate()
            if attempt == SCREENSHOT_ATTEMPTS:
                raise
            continue
        assert browser.returncode == 0 and png.exists(), stderr.decode(errors="replace")[-2000:]
        break
    return Image.open(png).convert("RGB")


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def expected_rows(design: Design) -> Counter[str]:
    """Grid rows per colour key (entity name, or "guards") over every grid on the page."""
    samples = sample_data(design)
    rows: Counter[str] = Counter()
    for index in [None, *(g.name for g in design.indexes)]:
        for sample in grid_items(design, samples, index):
            rows["guards" if sample.guard else sample.entity] += 1
    return rows


def render(spec_path: Path, tmp_path: Path) -> tuple[Design, Image.Image, Path]:
    result = compile_spec(spec_path.read_text(encoding="utf-8"), path=spec_path.name)
    assert result.design is not None
    page = tmp_path / "report.html"
    page.write_text(emit_html(result.design, path=spec_path.name), encoding="utf-8")
    height = 6000
    while True:
        png = tmp_path / f"{spec_path.parent.name}-report.png"
        image = screenshot(page, png, tmp_path / f"profile-{height}", height)
        bottom = image.crop((0, height - 60, WIDTH, height))
        if bottom.getcolors(1) is not None or height >= 48000:  # one colour: the page ended
            break
        height *= 2  # the page is longer than the window: take it again, taller
    print(f"\nscreenshot of {spec_path.parent.name}: {png}")
    return result.design, image, png


@pytest.mark.parametrize("spec_path", EXAMPLES, ids=lambda p: p.parent.name)
def test_the_grids_render_in_chromium(spec_path: Path, tmp_path: Path) -> None:
    design, image, png = render(spec_path, tmp_path)
    width, height = image.size
    bottom = image.crop((0, height - 60, width, height))
    assert bottom.getcolors(1) is not None, f"the page did not fit into {height} px: {png}"
    colours = Counter({rgb: n for n, rgb in image.getcolors(width * height) or []})
    white = colours[(255, 255, 255)]
    assert white < 0.95 * width * height, f"the page is blank: {png}"

    rows = expected_rows(design)
    wanted = {name: _rgb(c) for name, c in entity_colours(design).items() if rows[name]}
    if rows["guards"]:
        wanted["guards"] = _rgb(GUARD_COLOUR)
    area = {name: colours[rgb] for name, rgb in wanted.items()}
    for name, pixels in area.items():
        # Each row's cells are laid out with a height and most of the grid's width.
        floor = rows[name] * ROW_HEIGHT_MIN * COLOURED_WIDTH_MIN
        assert pixels >= floor, f"{name}: {pixels} px for {rows[name]} rows (< {floor}): {png}"
    total_rows = sum(rows[name] for name in wanted)
    total_area = sum(area.values())
    for name, pixels in area.items():
        share, expected = pixels / total_area, rows[name] / total_rows
        assert 0.75 * expected <= share <= 1.33 * expected, (
            f"{name}: {share:.1%} of the coloured area, expected about {expected:.1%} "
            f"({rows[name]} of {total_rows} rows): {png}"
        )
