"""The package's layers, read from the source with ``ast`` (see docs/ARCHITECTURE.md).

* no import circle among the package's modules (imports inside functions count; imports under
  ``if TYPE_CHECKING:`` do not, as they never run);
* ``analysis/``, ``query.py``, ``edits.py``, ``journal.py``, ``io/`` and ``state.py`` never import
  ``corpus.py`` (not even for type checking): only ``corpus.py`` builds ``Corpus`` objects;
* no module imports another package's ``_private`` names or modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "bio_explorer"
ROOT = "bio_explorer"

#: modules that must never import bio_explorer.corpus (prefix match on the dotted name)
BELOW_CORPUS = (
    "bio_explorer.analysis",
    "bio_explorer.query",
    "bio_explorer.edits",
    "bio_explorer.journal",
    "bio_explorer.io",
    "bio_explorer.state",
)


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name → (file, is a package ``__init__``)."""
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


MODULES = _modules()


def _package(mod: str) -> str:
    return mod if MODULES[mod][1] else mod.rpartition(".")[0]


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return ids


def _imports(mod: str) -> list[tuple[str, str | None, bool, int]]:
    """``(target module, imported name or None, runtime?, line)`` for every package import."""
    path, is_pkg = MODULES[mod]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_nodes(tree)
    found = []
    for node in ast.walk(tree):
        runtime = id(node) not in typing_only
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target != ROOT and not target.startswith(ROOT + "."):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:  # ``from . import schemes``: a module
                    found.append((sub, None, runtime, node.lineno))
                else:
                    found.append((target, alias.name, runtime, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == ROOT or alias.name.startswith(ROOT + "."):
                    found.append((alias.name, None, runtime, node.lineno))
    return found


def _graph() -> dict[str, set[str]]:
    return {
        mod: {t for t, _, runtime, _ in _imports(mod) if runtime and t in MODULES and t != mod}
        for mod in MODULES
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_the_checker_sees_the_package():
    assert "bio_explorer.corpus" in MODULES and "bio_explorer.state" in MODULES
    assert "bio_explorer.analysis.anomalies" in MODULES
    graph = _graph()
    assert "bio_explorer.state" in graph["bio_explorer.corpus"]
    # a function-level import is an edge: Corpus.anomalies imports the analysis lazily
    assert "bio_explorer.analysis.anomalies" in graph["bio_explorer.corpus"]


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    cycles = _cycles(_graph())
    assert cycles == [], "import circles (runtime imports, also inside functions): " + "; ".join(
        " ↔ ".join(c) for c in cycles
    )


@pytest.mark.parametrize("mod", sorted(m for m in MODULES if m.startswith(BELOW_CORPUS)))
def test_lower_layers_never_import_corpus(mod):
    bad = [line for target, _, _, line in _imports(mod) if target == "bio_explorer.corpus"]
    assert bad == [], f"{mod} imports bio_explorer.corpus (line {bad[0] if bad else ''})"


def test_no_private_names_of_another_package():
    bad = []
    for mod in MODULES:
        here = _package(mod)
        for target, name, _, line in _imports(mod):
            if target not in MODULES:
                continue
            private_module = any(
                p.startswith("_") and not p.startswith("__") for p in target.split(".")
            )
            private_name = name is not None and name.startswith("_") and not name.startswith("__")
            if (private_module or private_name) and _package(target) != here:
                bad.append(f"{MODULES[mod][0].relative_to(PKG.parent)}:{line} imports "
                           f"{target}{'.' + name if name else ''}")
    assert bad == [], "private names used outside their package:\n" + "\n".join(bad)
