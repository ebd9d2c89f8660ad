"""Command line: ``did-zones`` (also ``python -m did_zones``).

Each subcommand is one small function registered in ``COMMANDS``; later features plug in
by adding a line there. Subcommands print or write files; they compute nothing themselves.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import DidZonesError

__all__ = ["main", "COMMANDS"]


def _add_timing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timing", default="approval_year",
                   choices=["approval_year", "next_year", "half_year"],
                   help="rule turning approval dates into first treated years")
    p.add_argument("--county-level", default="parent", choices=["parent", "drop"],
                   help="county-level zones (e.g. Yiwu) treat their parent prefecture, or not")


def _out(frame, out: str | None) -> None:
    if out:
        frame.to_csv(out, index=False)
        print(f"wrote {len(frame)} rows to {out}", file=sys.stderr)
    else:
        with _pandas_display():
            print(frame.to_string(index=False))


def _pandas_display():
    import pandas as pd

    return pd.option_context("display.width", 200, "display.max_columns", 50)


# ----------------------------------------------------------------- commands


def _zones(args: argparse.Namespace) -> int:
    from .registry import load_zones

    zones = load_zones()
    if args.batch:
        zones = zones[zones["batch"].isin(args.batch)]
    cols = ["batch", "approval_date", "date_kind", "document", "zone_zh", "zone_en",
            "zone_type", "city_code", "province_en", "sources_agree"]
    _out(zones if args.out else zones[cols], args.out)
    return 0


def _cohorts(args: argparse.Namespace) -> int:
    from .registry import zone_cohorts

    s = zone_cohorts(timing=args.timing, county_level=args.county_level,
                     batches=args.batch or None)
    _out(s.reset_index(), args.out)
    return 0


def _cities(args: argparse.Namespace) -> int:
    from .registry import load_cities

    _out(load_cities(), args.out)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from .simulate import simulate_pilot_panel

    sim = simulate_pilot_panel(seed=args.seed, years=(args.start, args.end),
                               effect=args.effect, timing=args.timing,
                               county_level=args.county_level)
    _out(sim.data, args.out)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    run_demo(Path(args.out), seed=args.seed, overwrite=args.overwrite)
    return 0


def _run(args: argparse.Namespace) -> int:
    from .report import run

    run(Path(args.study), Path(args.out), overwrite=args.overwrite,
        progress=not args.quiet)
    return 0


def _register_zones(sub) -> None:
    p = sub.add_parser("zones", help="list the 165 pilot zones (registry)")
    p.add_argument("--batch", type=int, nargs="*", help="only these batches (1-7)")
    p.add_argument("--out", help="write CSV here instead of printing")
    p.set_defaults(func=_zones)


def _register_cohorts(sub) -> None:
    p = sub.add_parser("cohorts", help="city_code -> first treated year")
    _add_timing(p)
    p.add_argument("--batch", type=int, nargs="*", help="only these batches (1-7)")
    p.add_argument("--out", help="write CSV here instead of printing")
    p.set_defaults(func=_cohorts)


def _register_cities(sub) -> None:
    p = sub.add_parser("cities", help="the prefecture universe with region and city flags")
    p.add_argument("--out", help="write CSV here instead of printing")
    p.set_defaults(func=_cities)


def _register_simulate(sub) -> None:
    p = sub.add_parser("simulate", help="write a calibrated simulated city-year panel")
    p.add_argument("--out", required=True, help="CSV file to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=2010)
    p.add_argument("--end", type=int, default=2021)
    p.add_argument("--effect", default="heterogeneous",
                   choices=["none", "homogeneous", "heterogeneous"])
    _add_timing(p)
    p.set_defaults(func=_simulate)


def _register_demo(sub) -> None:
    p = sub.add_parser("demo", help="run the main study on the calibrated simulated panel")
    p.add_argument("--out", required=True, help="output folder (must not exist, or --overwrite)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    p.set_defaults(func=_demo)


def _register_run(sub) -> None:
    p = sub.add_parser("run", help="run a study described in a TOML file and write its "
                                   "report (see examples/study.toml)")
    p.add_argument("study", help="the study file (TOML)")
    p.add_argument("--out", required=True, help="output folder (must not exist, or --overwrite)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a folder an earlier run wrote")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_run)


COMMANDS: list[Callable] = [
    _register_zones,
    _register_cohorts,
    _register_cities,
    _register_simulate,
    _register_demo,
    _register_run,
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="did-zones",
        description="Staggered difference-in-differences for China's cross-border "
                    "e-commerce pilot zones.",
    )
    parser.add_argument("--version", action="version", version=f"did_zones {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``did-zones`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DidZonesError as exc:
        print(f"did-zones: error: {exc}", file=sys.stderr)
        return 2
