"""Files bundled with the package, found one way from an installed wheel and from a checkout.

The facts the package ships (the pilot-zone registry, the prefecture universe, the CJK font
of the figures) live in the repository's top-level ``data/`` folder, which an install maps to
the subpackage ``did_zones.data``. :func:`bundled_file` finds a file in either place, so
``import did_zones`` and ``python -m did_zones`` work from the repository root without an
install.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["bundled_file"]

# the checkout layout: <root>/did_zones/_resources.py and <root>/data/
_CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=1)
def _data_root() -> Path:
    """The folder holding the bundled data: the checkout's when running from one, else the
    installed package data."""
    # A checkout (e.g. a git worktree) may import did_zones from its own folder while an
    # editable install maps did_zones.data to another checkout: the files beside the imported
    # code are the ones that belong to it.
    if (_CHECKOUT_DATA / "pilot_zones.csv").is_file() and (
            _CHECKOUT_DATA.parent / "pyproject.toml").is_file():
        return _CHECKOUT_DATA
    try:
        root = resources.files("did_zones.data")
    except ModuleNotFoundError:  # running from a checkout: data/ is not a subpackage there
        return _CHECKOUT_DATA
    # setuptools installs package data as plain files (zip_safe = False), so this is a path
    return Path(str(root))


def bundled_file(name: str) -> Path:
    """Path of the bundled data file ``name`` (e.g. ``"pilot_zones.csv"``, ``"fonts/x.otf"``).

    Parameters
    ----------
    name : str
        Path relative to the data folder, with ``/`` separators.

    Returns
    -------
    pathlib.Path
        The file in the installed package data, or in the checkout's ``data/`` folder.

    Raises
    ------
    FileNotFoundError
        The file is in neither place (a broken install); the message names both places.

    Examples
    --------
    >>> bundled_file("pilot_zones.csv").name
    'pilot_zones.csv'
    """
    path = _data_root().joinpath(*name.split("/"))
    if not path.is_file():
        raise FileNotFoundError(
            f"bundled data file {name!r} not found in {_data_root()}. Reinstall did_zones "
            "(pip install .) or run from a complete checkout of the repository.")
    return path
