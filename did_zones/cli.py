"""Command line: ``did-zones`` (also ``python -m did_zones``).

Each subcommand is one small function registered in ``COMMANDS``; later features plug in
by adding a line there. Subcommands print or write files; they compute nothing themselves.

Errors: a user error (a :class:`~did_zones.errors.DidZonesError`, a missing, unreadable or
undecodable file, invalid TOML) prints one line, ``did-zones: error: <message>``, and exits
with status 2; anything else is a bug in did_zones: a short message saying where to report it,
status 1. ``--debug`` (before or after the subcommand) adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import DidZonesError, SpecificationError

__all__ = ["main", "COMMANDS", "build_parser", "user_error"]


def _add_timing(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timing", default="approval_year",
                   choices=["approval_year", "next_year", "half_year"],
                   help="rule turning approval dates into first treated years")
    p.add_argument("--county-level", default="parent", choices=["parent", "drop"],
                   help="county-level zones (e.g. Yiwu) treat their parent prefecture, or not")


def _out(frame, out: str | None) -> None:
    if out:
        folder = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(folder):
            what = "is a file" if os.path.lexists(folder) else "does not exist"
            raise SpecificationError(f"--out {out}: {folder!r} {what}. Create the folder "
                                     "first, or choose another path.")
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
            "zone_type", "city_code", "province_en", "sources_agree", "revoked_date"]
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

    run_demo(Path(args.out), seed=args.seed, overwrite=args.overwrite, language=args.language)
    return 0


def _run(args: argparse.Namespace) -> int:
    from .report import run

    run(Path(args.study), Path(args.out), overwrite=args.overwrite,
        progress=not args.quiet)
    return 0


def _register_zones(sub) -> None:
    p = sub.add_parser("zones", help="list the 181 pilot zones of batches 1-8 (registry)")
    p.add_argument("--batch", type=int, nargs="*", help="only these batches (1-8)")
    p.add_argument("--out", help="write CSV here instead of printing")
    p.set_defaults(func=_zones)


def _register_cohorts(sub) -> None:
    p = sub.add_parser("cohorts", help="city_code -> first treated year")
    _add_timing(p)
    p.add_argument("--batch", type=int, nargs="*",
                   help="only these batches (1-8; default 1-7)")
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
    p.add_argument("--language", choices=["en", "zh"], default="en",
                   help="language of the report (zh: Chinese)")
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


_DEBUG_HELP = "on an error, also print the traceback (add it to a bug report)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand.

    Returns
    -------
    argparse.ArgumentParser
        With the global ``--version`` and ``--debug``; ``--debug`` is also accepted after
        the subcommand.
    """
    parser = argparse.ArgumentParser(
        prog="did-zones",
        description="Staggered difference-in-differences for China's cross-border "
                    "e-commerce pilot zones.",
    )
    parser.add_argument("--version", action="version", version=f"did_zones {__version__}")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(sub)
    for command in sub.choices.values():  # "did-zones run x --debug" works too
        # SUPPRESS: a subcommand without the flag keeps the global value
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help=_DEBUG_HELP)
    return parser


def user_error(exc: BaseException) -> str | None:
    """The one-line message of an error the user can fix, or None for a bug.

    Parameters
    ----------
    exc : BaseException

    Returns
    -------
    str or None
        The message for a :class:`~did_zones.errors.DidZonesError`, a file that is missing,
        unreadable, unwritable or not text, invalid TOML, or a table pandas cannot parse;
        ``None`` for anything else.
    """
    # a module that raised the error is loaded; nothing is imported while reporting it
    toml_errors = tuple(sys.modules[m].TOMLDecodeError for m in ("tomllib", "tomli")
                        if m in sys.modules)
    pandas_errors: tuple[type[BaseException], ...] = ()
    if "pandas" in sys.modules:
        errors = sys.modules["pandas"].errors
        pandas_errors = (errors.EmptyDataError, errors.ParserError)
    if isinstance(exc, DidZonesError):
        message = str(exc)
    elif isinstance(exc, OSError):
        message = _os_message(exc)
    elif isinstance(exc, UnicodeDecodeError):
        message = (f"a file is not {exc.encoding} text ({exc.reason} at byte {exc.start}). "
                   "Save it as UTF-8.")
    elif isinstance(exc, toml_errors):
        message = f"the study file is not valid TOML: {exc}. Fix the syntax."
    elif isinstance(exc, pandas_errors):
        message = f"a data file cannot be read: {exc}. Check the file and its separator."
    else:
        return None
    return " ".join(message.split()) or type(exc).__name__


def _os_message(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    shown = repr(os.fsdecode(name)) if name != "" else "a file"
    if isinstance(exc, FileNotFoundError):
        return f"{shown} not found. Check the path."
    if isinstance(exc, PermissionError):
        return f"permission denied for {shown}. Choose a path you can read and write."
    if isinstance(exc, IsADirectoryError):
        return f"{shown} is a folder, not a file. Give a file name."
    if isinstance(exc, NotADirectoryError):
        return f"{shown}: part of the path is a file, not a folder. Fix the path."
    if exc.strerror and name != "":
        return f"{exc.strerror}: {shown}."
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``did-zones`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 2 on a user error (one line on stderr, see :func:`user_error`) and
        on a usage error; 1 on an unexpected error (a bug: a short message saying how to
        report it); 130 when interrupted. ``--debug`` adds the traceback.
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("did-zones: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place every error is reported
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        message = user_error(exc)
        if message is not None:
            print(f"did-zones: error: {message}", file=sys.stderr)
            return 2
        detail = " ".join(str(exc).split())
        print(f"did-zones: error: unexpected {type(exc).__name__}"
              + (f": {detail}" if detail else ""), file=sys.stderr)
        print(f"did-zones: this is a bug in did_zones {__version__}; please report it with "
              "the command you ran and the output of the same command with --debug"
              + ("" if args.debug else " (did-zones --debug ...)") + ".", file=sys.stderr)
        return 1
