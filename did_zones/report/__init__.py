"""The one-command study report: ``did-zones run STUDY.toml --out DIR``.

:func:`load_config` reads a TOML study description into a frozen :class:`StudyConfig`;
:func:`run_study` runs it into a frozen :class:`StudyOutput` (named results, tables and
figures in report sections); :func:`write_report` writes ``report.html``, ``report.md``,
``tables/``, ``figures/``, ``versions.json`` and the manifest ``.did_zones_manifest.json``
that lists them. :func:`run` does all three.

The output folder is the writer's own: it must be absent, empty, or an earlier report
(replaced with ``overwrite=True``, which removes only the files that report's manifest
lists). See :mod:`did_zones.report.folder` for the rules.
"""

from __future__ import annotations

from pathlib import Path

from .config import StudyConfig, load_config, parse_config
from .folder import check_folder, prepare_folder, protected_paths
from .render import write_report
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
        Output folder: absent, empty, or with ``overwrite`` an earlier report folder. It may
        not be the current, home or root folder, nor hold the study file or its data.
    overwrite : bool
        Replace a report an earlier run wrote to ``out``: only the files listed in its
        manifest (``.did_zones_manifest.json``) are removed; other files stay.
    progress : bool
        Progress lines on stderr.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.

    Raises
    ------
    SpecificationError
        On a bad configuration, or an output folder that may not be written (see
        :func:`~did_zones.report.check_folder`); checked before the study runs.
    PanelError
        If the data file is empty, has no data rows or cannot be read as a table.

    Examples
    --------
    >>> from did_zones.report import run
    >>> run("examples/study.toml", "study_out")  # doctest: +SKIP
    """
    config = study if isinstance(study, StudyConfig) else load_config(study)
    out = Path(out)
    check_folder(out, overwrite, protect=protected_paths(config))  # before the long run
    output = run_study(config, progress=progress)
    return write_report(output, out, overwrite=overwrite, progress=progress)
