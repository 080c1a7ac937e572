"""The `--region` and `--prices FILE` options of `dynamodel design`: which prices the cost
estimates use (see compiler/design/prices.py and docs/capacity.md#prices)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dynamodel.cli.common import EXIT_USAGE, stderr
from dynamodel.compiler.design.prices import REGIONS, Prices, read_prices, region_prices
from dynamodel.compiler.names import plural

RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="Price the cost estimates at this region's built-in prices ("
        + ", ".join(REGIONS)
        + ") [default: us-east-1].",
        show_default=False,
    ),
]
PricesOption = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        help="Price the cost estimates at the prices in this JSON or YAML file (format: "
        "docs/capacity.md#prices).",
        show_default=False,
        metavar="FILE",
    ),
]


def chosen_prices(*, region: str | None, prices_file: Path | None) -> Prices | None:
    """The prices the options ask for (None: the default), or exit 2 saying why not: an
    unknown region, both options, an unreadable file, or a file with errors (each printed as
    `FILE:LINE:COL: error: ...`)."""
    err = stderr()
    if region is not None and prices_file is not None:
        err.print(
            "dynamodel: --region and --prices exclude each other (a prices file names its region)"
        )
        raise typer.Exit(EXIT_USAGE)
    if region is not None:
        try:
            return region_prices(region)
        except ValueError as exc:
            err.print(f"dynamodel: {exc}")
            raise typer.Exit(EXIT_USAGE) from None
    if prices_file is None:
        return None
    try:
        text = prices_file.read_bytes().decode("utf-8")
    except OSError as exc:
        err.print(f"dynamodel: cannot read {prices_file}: {exc.strerror or exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except UnicodeDecodeError as exc:
        err.print(f"{prices_file}:1:1: error: the prices file is not UTF-8 text ({exc.reason})")
        raise typer.Exit(EXIT_USAGE) from None
    prices, problems = read_prices(text, source=prices_file.name)
    for problem in problems:
        err.print(problem.render(str(prices_file)), style="red")
    if prices is None:
        err.print(f"{plural(len(problems), 'error')} in {prices_file}")
        raise typer.Exit(EXIT_USAGE)
    return prices
