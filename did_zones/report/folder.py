"""The report's output folder: where a report may be written and what ``--overwrite`` removes.

The report writer records every file and folder it writes in a signed manifest,
``DIR/.did_zones_manifest.json``. Replacing a report (``--overwrite``, ``overwrite=True``)
removes only the files that manifest lists, then the listed folders left empty; nothing
else in the folder is touched, and a folder without a valid manifest is never cleared.

Some folders are refused whatever the flags say: the filesystem root, the user's home
folder, the current working directory, and any folder holding the study file, its data
file or its font file (or one of their ancestors).

The signature guards against accidents, not against an adversary: it shows that the manifest
was written by :func:`write_manifest` and not edited since, so a stray or hand-made manifest
(or a folder that merely holds a ``versions.json``) can never make ``--overwrite`` delete
a user's files.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import SpecificationError

__all__ = ["MANIFEST", "check_folder", "prepare_folder", "protected_paths", "read_manifest",
           "write_manifest"]

MANIFEST = ".did_zones_manifest.json"
_FORMAT = "did_zones report manifest"
_SCHEMA = 1
# fixed tag hashed before the entries: only this writer produces the signature
_TAG = b"did_zones report manifest, schema 1\n"
_KEYS = {"format", "schema", "did_zones", "created", "folders", "files", "signature"}
_MAX_BYTES = 16 * 1024 * 1024  # a manifest larger than this was not written here
_SUGGEST = "write the report to a new folder such as --out report/"


class ManifestError(ValueError):
    """The manifest of a folder is unreadable, edited or not written by did_zones."""


class ManifestMissing(ManifestError):
    """The folder has no manifest."""


# ------------------------------------------------------------------ manifest


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def _signature(body: dict[str, Any]) -> str:
    return hashlib.sha256(_TAG + _canonical(body)).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_file(path: Path) -> bool:
    """A regular file, not a link to one."""
    return path.is_file() and not path.is_symlink()


def _is_dir(path: Path) -> bool:
    """A real folder, not a link to one."""
    return path.is_dir() and not path.is_symlink()


def write_manifest(out: str | Path, files: Iterable[str], folders: Iterable[str] = ()) -> Path:
    """Record what the report writer wrote in ``out``: the signed manifest.

    Parameters
    ----------
    out : str or pathlib.Path
        The report folder.
    files : iterable of str
        Paths of the files written, relative to ``out``, with ``/`` as separator. Files that
        do not exist (a write that failed half-way) are left out.
    folders : iterable of str
        Relative paths of the folders the writer made or wrote into (``tables``,
        ``figures``); ``--overwrite`` removes them when they are left empty.

    Returns
    -------
    pathlib.Path
        The path of the manifest, ``out / MANIFEST``.

    Notes
    -----
    The manifest is a JSON object with ``format``, ``schema``, ``did_zones`` (the version),
    ``created`` (UTC, ISO 8601), ``folders``, ``files`` (one ``{"path", "size", "sha256"}``
    per file) and ``signature``: the SHA-256 of a fixed did_zones tag followed by the
    canonical JSON (sorted keys, no spaces, ASCII) of every other field.
    """
    from .. import __version__

    out = Path(out)
    entries = []
    for rel in sorted(set(files)):
        _check_rel(rel)
        path = out / rel
        if _is_file(path):
            entries.append({"path": rel, "size": path.stat().st_size,
                            "sha256": _sha256(path)})
    for rel in folders:
        _check_rel(rel)
    body = {"format": _FORMAT, "schema": _SCHEMA, "did_zones": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "folders": sorted(set(folders)), "files": entries}
    target = out / MANIFEST
    target.write_text(json.dumps({**body, "signature": _signature(body)}, indent=2) + "\n",
                      encoding="utf-8")
    return target


def _check_rel(rel: Any) -> None:
    """Raise ManifestError unless ``rel`` is a plain relative path inside the folder."""
    if not isinstance(rel, str) or not rel or "\\" in rel or ":" in rel or "\0" in rel:
        raise ManifestError(f"bad path {rel!r}")
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or rel == MANIFEST:
        raise ManifestError(f"bad path {rel!r}")


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The validated manifest of a report folder.

    Parameters
    ----------
    out : str or pathlib.Path
        The folder.

    Returns
    -------
    dict
        The manifest (see :func:`write_manifest`).

    Raises
    ------
    ManifestError
        If the folder has no manifest, or it is not a regular file, not JSON, has unknown or
        missing fields, a path leaving the folder, or a signature that does not match (it
        was edited, or made by hand).
    """
    path = Path(out) / MANIFEST
    if not os.path.lexists(path):
        raise ManifestMissing("no manifest")
    if not _is_file(path) or path.stat().st_size > _MAX_BYTES:
        raise ManifestError(f"{MANIFEST} is not a regular file written by did_zones")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ManifestError(f"{MANIFEST} is not valid JSON") from None
    if not isinstance(data, dict) or set(data) != _KEYS:
        raise ManifestError(f"{MANIFEST} does not have the fields did_zones writes")
    if data["format"] != _FORMAT or data["schema"] != _SCHEMA:
        raise ManifestError(f"{MANIFEST} has an unknown format")
    body = {k: v for k, v in data.items() if k != "signature"}
    if not isinstance(data["signature"], str) or not hmac.compare_digest(
            data["signature"], _signature(body)):
        raise ManifestError(f"the signature of {MANIFEST} does not match its entries "
                            "(edited, or not written by did_zones)")
    if not isinstance(data["folders"], list) or not isinstance(data["files"], list):
        raise ManifestError(f"{MANIFEST} does not have the fields did_zones writes")
    for rel in data["folders"]:
        _check_rel(rel)
    for entry in data["files"]:
        if (not isinstance(entry, dict) or set(entry) != {"path", "size", "sha256"}
                or not isinstance(entry["size"], int) or not isinstance(entry["sha256"], str)):
            raise ManifestError(f"{MANIFEST} has a malformed file entry")
        _check_rel(entry["path"])
    return data


# ------------------------------------------------------------ the folder rules


def protected_paths(config: Any) -> dict[Path, str]:
    """The user's files a study reads: its study file, data file and font file.

    Parameters
    ----------
    config : StudyConfig or None

    Returns
    -------
    dict
        Path -> what it is (``"study file"``, ``"data file"``, ``"font file"``). The output
        folder may be none of their folders, nor an ancestor of one.
    """
    if config is None:
        return {}
    paths = {config.source: "study file", config.data.file: "data file"}
    font = config.study.font
    if font and os.path.isabs(font):
        paths[Path(font)] = "font file"
    return {Path(p): kind for p, kind in paths.items() if p is not None}


def _inside(folder: Path, path: Path) -> bool:
    """``path`` is ``folder`` or lies below it (both resolved)."""
    return folder == path or folder in path.parents


def _refuse_protected(out: Path, protect: Iterable[str | Path] | Mapping[Any, str]) -> None:
    shown = str(out)
    target = out.resolve()
    if target == Path(target.anchor):
        raise SpecificationError(f"--out {shown} is the root of the filesystem; {_SUGGEST}.")
    kinds = protect if isinstance(protect, Mapping) else dict.fromkeys(protect, "file")
    held = [(Path(path).resolve(), kind) for path, kind in kinds.items()]
    held = [(path, kind) for path, kind in held if _inside(target, path.parent)]
    if held:  # name a file right in the folder first
        path, kind = min(held, key=lambda pk: len(pk[0].relative_to(target).parts))
        raise SpecificationError(f"--out {shown} holds the {kind} "
                                 f"{path.relative_to(target).as_posix()}; {_SUGGEST}.")
    cwd = Path.cwd().resolve()
    if _inside(target, cwd):
        what = "is the current folder" if target == cwd else "holds the current folder"
        raise SpecificationError(f"--out {shown} {what}; {_SUGGEST}.")
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no home folder known (some service accounts)
        return
    if _inside(target, home):
        what = "is your home folder" if target == home else "holds your home folder"
        raise SpecificationError(f"--out {shown} {what}; {_SUGGEST}.")


def _refuse_unwritable(out: Path) -> None:
    """Refuse a path below a file, or below a folder the user cannot write to."""
    shown = str(out)
    for parent in Path(os.path.abspath(out)).parents:
        if not os.path.lexists(parent):
            continue
        if not parent.is_dir():
            raise SpecificationError(
                f"--out {shown}: {str(parent)!r} is a file, so no folder can be made below "
                "it. Choose a folder path, e.g. --out report/.")
        if not out.exists() and not os.access(parent, os.W_OK | os.X_OK):
            raise SpecificationError(
                f"--out {shown}: no permission to create a folder in {str(parent)!r}. "
                "Choose a folder you can write to.")
        return


def _changed_files(out: Path, manifest: dict[str, Any]) -> list[str]:
    """Listed paths that no longer hold what did_zones wrote (missing files are fine)."""
    changed = []
    for entry in manifest["files"]:
        path = out / entry["path"]
        if not os.path.lexists(path):
            continue
        if (not _below_real_folders(out, entry["path"]) or not _is_file(path)
                or path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]):
            changed.append(entry["path"])
    return changed


def _below_real_folders(out: Path, rel: str) -> bool:
    """Every folder between ``out`` and ``rel`` is a real folder (no link leads elsewhere)."""
    here = out
    for part in PurePosixPath(rel).parts[:-1]:
        here = here / part
        if not _is_dir(here):
            return False
    return True


def _entries(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir())


def _examples(names: list[str]) -> str:
    n = len(names)
    return f"{n} {'entry' if n == 1 else 'entries'} ({', '.join(names[:5])}" + (
        ", ...)" if n > 5 else ")")


def _inspect(out: Path, overwrite: bool,
             protect: Iterable[str | Path] | Mapping[Any, str]) -> dict | None:
    """Apply every rule; return the valid manifest of a folder to replace, else None."""
    _refuse_protected(out, protect)
    _refuse_unwritable(out)
    if not os.path.lexists(out):
        return None
    shown = str(out)
    if not out.is_dir():
        raise SpecificationError(f"Output path {shown!r} is a file. Choose a folder name for "
                                 "--out, e.g. --out report/.")
    names = _entries(out)
    if not names:
        return None  # an empty folder may be used
    try:
        manifest = read_manifest(out)
    except ManifestMissing:
        raise SpecificationError(
            f"Output folder {shown!r} holds {_examples(names)} and no did_zones manifest "
            f"({MANIFEST}), so did-zones did not write it; --overwrite only replaces report "
            "folders. Choose a new folder for --out, or empty this one yourself.") from None
    except ManifestError as exc:
        raise SpecificationError(
            f"Output folder {shown!r} holds a did_zones manifest that does not validate "
            f"({exc}), so --overwrite cannot tell which files an earlier run wrote. Choose a "
            "new folder for --out, or empty this one yourself.") from None
    if not overwrite:
        raise SpecificationError(f"Output folder {shown!r} already exists. Choose another "
                                 "--out, or pass --overwrite to replace it.")
    changed = _changed_files(out, manifest)
    if changed:
        one = len(changed) == 1
        raise SpecificationError(
            f"Output folder {shown!r}: {_examples(changed)} written by did-zones "
            f"{'was' if one else 'were'} changed since, and --overwrite would delete "
            f"{'it' if one else 'them'}. Move {'it' if one else 'them'} out of the folder (or "
            "delete it yourself), then run again.")
    return manifest


def check_folder(out: str | Path, overwrite: bool = False, *,
                 protect: Iterable[str | Path] | Mapping[Any, str] = ()) -> None:
    """Raise unless a report may be written to ``out``; change nothing on disk.

    ``out`` may be absent, an empty folder, or, with ``overwrite``, a folder an earlier
    report wrote (it holds a valid manifest, see :func:`write_manifest`).

    Parameters
    ----------
    out : str or pathlib.Path
        The output folder.
    overwrite : bool
        Allow replacing an earlier report.
    protect : iterable of path, or mapping of path to a description
        Files the study reads (:func:`protected_paths`): ``out`` may not hold them.

    Raises
    ------
    SpecificationError
        If ``out`` is the filesystem root, the home folder, the current folder, holds a
        protected file or the current or home folder; if it lies below a file; if it is a
        file; if it is a non-empty folder without a valid manifest (never written by
        did-zones, or its manifest was edited); if it is an earlier report and ``overwrite``
        is False; or if files did-zones wrote there were changed since.
    """
    _inspect(Path(out), overwrite, protect)


def prepare_folder(out: str | Path, overwrite: bool = False, *,
                   protect: Iterable[str | Path] | Mapping[Any, str] = (),
                   planned: Iterable[str] = (),
                   folders: Iterable[str] = ("tables", "figures")) -> Path:
    """Make ``out`` ready for a report: check it, remove an earlier report, create folders.

    Parameters
    ----------
    out : str or pathlib.Path
        The output folder.
    overwrite : bool
        Replace an earlier report: remove exactly the files its manifest lists, the
        manifest, then the listed folders left empty. Other files stay.
    protect : iterable of path, or mapping of path to a description
        Files the study reads (see :func:`check_folder`).
    planned : iterable of str
        Relative paths the writer is about to write; none may be a file the user put in
        the folder.
    folders : iterable of str
        Subfolders to create.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    SpecificationError
        As :func:`check_folder`, and if a planned file or folder would replace something
        the user put in the folder.
    """
    out = Path(out)
    manifest = _inspect(out, overwrite, protect)
    ours = {e["path"] for e in manifest["files"]} if manifest else set()
    clash = sorted(rel for rel in planned
                   if rel not in ours and os.path.lexists(out / rel))
    clash += sorted(rel for rel in folders
                    if os.path.lexists(out / rel) and not _is_dir(out / rel))
    if clash:
        raise SpecificationError(
            f"Output folder {str(out)!r} holds {_examples(clash)} that did-zones did not "
            "write, where the report writes its own. Move them out of the folder, or choose "
            "a new folder for --out.")
    if manifest:
        _remove(out, manifest)
    out.mkdir(parents=True, exist_ok=True)
    for rel in folders:
        (out / rel).mkdir(parents=True, exist_ok=True)
    return out


def _remove(out: Path, manifest: dict[str, Any]) -> None:
    """Delete the listed files, the manifest, then the listed folders left empty."""
    for entry in manifest["files"]:
        path = out / entry["path"]
        if _below_real_folders(out, entry["path"]) and _is_file(path):
            path.unlink()
    (out / MANIFEST).unlink()
    for rel in sorted(manifest["folders"], key=lambda r: r.count("/"), reverse=True):
        path = out / rel
        if _below_real_folders(out, rel) and _is_dir(path) and not any(path.iterdir()):
            path.rmdir()
