"""The package's layering, read from the source with ``ast`` (every import statement, at module
level and inside functions).

(a) Numerical modules never import the presentation layer (``tables``, ``plots``,
    ``report``): ``summary()`` / ``to_table()`` reach it through :mod:`did_zones._render`.
(b) No import cycle between modules.
(c) No module imports a private (``_x``) module or name of another subpackage; a subpackage's
    private parts are its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import did_zones

ROOT = Path(did_zones.__file__).parent
PRESENTATION = ("did_zones.tables", "did_zones.plots", "did_zones.report")
# the application layer sits above everything: it may import presentation and numerics
APPLICATION = ("did_zones.cli", "did_zones.__main__", "did_zones.demo")
# cycles being removed by another change; each entry names the pair (keep this list short)
KNOWN_CYCLES: set[frozenset[str]] = set()  # none; a pair here must name its fix


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (resolved, absolute)
    names: tuple[str, ...]  # names taken from it (``from target import names``)
    line: int
    typing_only: bool  # under ``if TYPE_CHECKING:``


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = [ROOT.name, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES.get(name, Path()).name == "__init__.py"


def _resolve(source: str, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = source.split(".")
    if not _is_package(source):
        base = base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _typing_blocks(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                out.update(id(n) for n in ast.walk(child))
    return out


def imports(source: str) -> Iterator[Import]:
    tree = ast.parse(MODULES[source].read_text(encoding="utf-8"))
    typing = _typing_blocks(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("did_zones"):
                    yield Import(source, alias.name, (), node.lineno, id(node) in typing)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(source, node.level, node.module)
            if not target.startswith("did_zones"):
                continue
            names = tuple(a.name for a in node.names)
            # ``from package import submodule`` imports the submodule
            subs = [n for n in names if f"{target}.{n}" in MODULES]
            for n in subs:
                yield Import(source, f"{target}.{n}", (), node.lineno, id(node) in typing)
            rest = tuple(n for n in names if n not in subs)
            if rest or not subs:
                yield Import(source, target, rest, node.lineno, id(node) in typing)


ALL = [imp for name in MODULES for imp in imports(name)]


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _subpackage(name: str) -> str | None:
    """``did_zones.<sub>`` for modules of a subpackage, None for top-level modules."""
    parts = name.split(".")
    if len(parts) >= 2 and _is_package(".".join(parts[:2])):
        return ".".join(parts[:2])
    return None


def test_modules_are_found():
    assert "did_zones.result" in MODULES and "did_zones.tables._results" in MODULES
    assert any(i.source == "did_zones.tables._results" and i.target == "did_zones._render"
               for i in ALL)


def test_numerics_do_not_import_presentation():
    bad = [f"{i.source} -> {i.target} (line {i.line})" for i in ALL
           if not _within(i.source, PRESENTATION + APPLICATION)
           and _within(i.target, PRESENTATION)]
    assert not bad, "numerical modules importing the presentation layer:\n" + "\n".join(bad)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for i in ALL:
        if i.typing_only or i.target not in MODULES or i.target == i.source:
            continue
        graph[i.source].add(i.target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _is_package_edge(source: str, target: str) -> bool:
    """A package's ``__init__`` importing its own submodules, and a submodule importing its
    package, are how packages are assembled; they are not a cycle between modules."""
    return (_is_package(source) and target.startswith(source + ".")) or (
        _is_package(target) and source.startswith(target + "."))


def test_known_cycles_still_exist():
    """An entry of KNOWN_CYCLES whose modules no longer import each other is deleted."""
    graph = _graph()
    stale = [sorted(p) for p in KNOWN_CYCLES
             if not any(b in graph[a] for a in p for b in p if a != b)]
    assert not stale, f"delete from KNOWN_CYCLES: {stale}"


def test_no_import_cycles():
    graph = _graph()
    graph = {s: {t for t in ts if not _is_package_edge(s, t)} for s, ts in graph.items()}
    for pair in KNOWN_CYCLES:  # being fixed elsewhere; see KNOWN_CYCLES
        a, b = sorted(pair)
        graph[a].discard(b)
        graph[b].discard(a)
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def _private_offences() -> list[tuple[str, str, str]]:
    """(importer, imported module, description) of each private import across subpackages."""
    bad = []
    for i in ALL:
        sub = _subpackage(i.target)
        if sub is None or _subpackage(i.source) == sub:
            continue
        private_module = any(p.startswith("_") and not p.startswith("__")
                             for p in i.target.split(".")[2:])
        private_names = [n for n in i.names if n.startswith("_") and not n.startswith("__")]
        if private_module or private_names:
            what = i.target + (f" ({', '.join(private_names)})" if private_names else "")
            bad.append((i.source, i.target, f"{i.source} -> {what} (line {i.line})"))
    return bad


def test_no_private_imports_across_subpackages():
    bad = [text for _, _, text in _private_offences()]
    assert not bad, ("private modules or names of another subpackage imported:\n"
                     + "\n".join(bad))


@pytest.mark.parametrize("module", ["did_zones.result", "did_zones.decomposition",
                                    "did_zones.mechanism.result", "did_zones.robustness.psm",
                                    "did_zones.robustness.honest", "did_zones.robustness.power",
                                    "did_zones.resample"])
def test_result_modules_reach_presentation_only_through_render(module):
    targets = {i.target for i in ALL if i.source == module}
    assert "did_zones._render" in targets
    assert not any(_within(t, PRESENTATION) for t in targets)
