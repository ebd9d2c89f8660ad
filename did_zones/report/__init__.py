"""The one-command study report: ``did-zones run STUDY.toml --out DIR``.

:func:`load_config` reads a TOML study description into a frozen :class:`StudyConfig`;
:func:`run_study` runs it into a frozen :class:`StudyOutput` (named results, tables and
figures in report sections); :func:`write_report` writes ``report.html``, ``report.md``,
``tables/``, ``figures/`` and ``versions.json``. :func:`run` does all three.
"""

from __future__ import annotations

from pathlib import Path

from .config import StudyConfig, load_config, parse_config
from .render import check_folder, prepare_folder, write_report
from .runner import Item, Section, StudyOutput, load_panel, run_study

__all__ = ["StudyConfig", "StudyOutput", "Section", "Item", "load_config", "parse_config",
           "load_panel", "run_study", "write_report", "prepare_folder", "check_folder", "run"]


def run(study: str | Path | StudyConfig, out: str | Path, *, overwrite: bool = False,
        progress: bool = True) -> Path:
    """Run a study and write its report.

    Parameters
    ----------
    study : str, pathlib.Path or StudyConfig
        A TOML study file or a parsed configuration.
    out : str or pathlib.Path
        Output folder; it must not exist unless ``overwrite`` is True.
    overwrite : bool
        Replace a folder an earlier run wrote.
    progress : bool
        Progress lines on stderr.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.

    Raises
    ------
    SpecificationError
        On a bad configuration or an existing output folder.

    Examples
    --------
    >>> from did_zones.report import run
    >>> run("examples/study.toml", "study_out")  # doctest: +SKIP
    """
    config = study if isinstance(study, StudyConfig) else load_config(study)
    out = Path(out)
    check_folder(out, overwrite)  # fail before the long run, not after
    output = run_study(config, progress=progress)
    return write_report(output, out, overwrite=overwrite, progress=progress)
