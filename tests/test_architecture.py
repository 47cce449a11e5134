"""The package's layers, read from the source with ``ast`` (see docs/ARCHITECTURE.md).

* no import circle among the package's modules (imports inside functions count; imports under
  ``if TYPE_CHECKING:`` do not, as they never run);
* ``analysis/``, ``query.py``, ``edits.py``, ``journal.py``, ``io/`` and ``state.py`` never import
  ``corpus.py`` (not even for type checking): only ``corpus.py`` builds ``Corpus`` objects;
* no module imports another package's ``_private`` names or modules;
* no module uses a ``_private`` function, class, method or attribute that only another module of
  the package defines (``obj._name``, ``getattr(obj, "_name")``, ``from .mod import _name``);
  ``self._x``/``cls._x``, dunder names and names the module defines itself are not flagged;
* no benchmark (``benchmarks/*.py``) uses a ``_private`` name that only package modules define
  (the benchmarks' own helpers, e.g. ``_comm_bridge.py``, and third-party internals they reach,
  such as tornado's ``_sockets``, are theirs: a name is judged by where it is defined).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "bio_explorer"
BENCHMARKS = PKG.parent / "benchmarks"
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


# ------------------------------------------------------------- private names across modules
#: (using module, private name) → why it is still used from outside the module that defines it
#: (empty: keep it so, and give a shared helper a public name instead)
PRIVATE_USES_ALLOWED: dict[tuple[str, str], str] = {}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_definitions(tree: ast.AST) -> set[str]:
    """Private names a module defines: functions, classes, assigned names and stored attributes."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            name = node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            name = node.attr
        elif isinstance(node, ast.alias):  # ``import x as _x`` defines ``_x`` here
            name = node.asname or ""
        else:
            continue
        if _is_private(name):
            out.add(name)
    return out


def _private_uses(tree: ast.AST) -> list[tuple[str, int]]:
    """``(name, line)`` of every private name a module reaches on something else: ``obj._name``
    (not ``self._name``/``cls._name``), ``getattr``/``hasattr``/``setattr(obj, "_name")`` and
    ``from module import _name``."""
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                out.append((node.attr, node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "hasattr", "setattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)
              and _is_private(node.args[1].value)):
            out.append((node.args[1].value, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            out += [(a.name, node.lineno) for a in node.names if _is_private(a.name)]
    return out


def _foreign_private_uses(trees: dict[str, ast.AST]) -> list[tuple[str, str, int, list[str]]]:
    """``(module, name, line, defining modules)`` for each private name a module uses that only
    other modules of ``trees`` define (names defined nowhere, e.g. polars' own, are not ours)."""
    defined: dict[str, set[str]] = {}
    for mod, tree in trees.items():
        for name in _private_definitions(tree):
            defined.setdefault(name, set()).add(mod)
    out = []
    for mod, tree in trees.items():
        for name, line in _private_uses(tree):
            owners = defined.get(name, set())
            if owners and mod not in owners:
                out.append((mod, name, line, sorted(owners)))
    return out


def test_the_private_name_checker_flags_only_foreign_private_names():
    trees = {
        "a": ast.parse(
            "class View:\n"
            "    def __init__(self): self._state = 1\n"
            "    def _rows(self): return self._state\n"
            "def _helper(): pass\n"
        ),
        "b": ast.parse(
            "from a import _helper\n"  # 1: a private function of another module
            "def f(v, w):\n"
            "    v._rows()\n"  # 3: a private method of another module's class
            "    getattr(w, '_state', None)\n"  # 4: the same through getattr
            "    self._rows()\n"  # own object: fine
            "    v.__len__()\n"  # dunder: fine
            "    v._own()\n"  # a name this module defines: fine
            "    v._df\n"  # a private name defined nowhere here (polars'): not ours
            "def _own(): pass\n"
        ),
    }
    found = sorted((mod, name, line) for mod, name, line, _ in _foreign_private_uses(trees))
    assert found == [("b", "_helper", 1), ("b", "_rows", 3), ("b", "_state", 4)]


def _package_trees() -> dict[str, ast.AST]:
    return {mod: ast.parse(path.read_text(encoding="utf-8")) for mod, (path, _) in MODULES.items()}


def test_no_private_name_of_another_module():
    bad = [
        f"{MODULES[mod][0].relative_to(PKG.parent)}:{line} uses {name} (defined in "
        f"{', '.join(owners)})"
        for mod, name, line, owners in _foreign_private_uses(_package_trees())
        if (mod, name) not in PRIVATE_USES_ALLOWED
    ]
    assert bad == [], ("private names used outside the module that defines them (give them a "
                       "public, documented name):\n" + "\n".join(bad))


def test_the_private_use_allow_list_is_still_needed():
    used = {(mod, name) for mod, name, _, _ in _foreign_private_uses(_package_trees())}
    stale = sorted(set(PRIVATE_USES_ALLOWED) - used)
    assert stale == [], f"allowed private uses that no longer happen (drop them): {stale}"


# ------------------------------------------------------------- private names in the benchmarks
def _benchmark_trees() -> dict[str, ast.AST]:
    return {f"benchmarks.{path.stem}": ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted(BENCHMARKS.glob("*.py"))}


def _package_private_uses(
    package: dict[str, ast.AST], outside: dict[str, ast.AST]
) -> list[tuple[str, str, int, list[str]]]:
    """``(module, name, line, package modules defining it)`` for each private name a module of
    ``outside`` uses that only modules of ``package`` define (one defined by any module of
    ``outside`` — its own helper, or an attribute it sets on a third-party object — is not
    flagged)."""
    out = [
        (mod, name, line, owners)
        for mod, name, line, owners in _foreign_private_uses({**package, **outside})
        if mod in outside and all(o in package for o in owners)
    ]
    return sorted(out, key=lambda r: (r[0], r[2], r[1]))


def test_the_benchmark_checker_flags_only_the_package_private_names():
    package = {
        "bio_explorer.widget": ast.parse(
            "class SpanView:\n"
            "    _labels = []\n"
            "    def _handle_message(self, w, m): pass\n"
            "    def _send(self): pass\n"
        ),
        "bio_explorer.edits": ast.parse("def _step_record(): pass\n"),
    }
    outside = {
        "benchmarks._bridge": ast.parse(
            "class Kernel:\n"
            "    def _send(self): pass\n"  # the helper's own private method
            "def serve(server, kernel):\n"
            "    kernel._socket = None\n"  # set here: this module's (a third-party object)
            "    server._sockets\n"  # defined nowhere here: tornado's
        ),
        "benchmarks.bench_x": ast.parse(
            "from bio_explorer.edits import _step_record\n"  # 1: the package's private function
            "def run(view, bridge):\n"
            "    view._handle_message(view, {})\n"  # 3: the package's private method
            "    [d for d in view._labels]\n"  # 4: the package's private trait
            "    bridge._send()\n"  # also defined by a benchmark helper: not flagged
            "    bridge.kernel._socket\n"  # the helper's: not flagged
        ),
    }
    found = [(mod, name, line) for mod, name, line, _ in _package_private_uses(package, outside)]
    assert found == [("benchmarks.bench_x", "_step_record", 1),
                     ("benchmarks.bench_x", "_handle_message", 3),
                     ("benchmarks.bench_x", "_labels", 4)]


def test_the_checker_sees_the_benchmarks():
    trees = _benchmark_trees()
    assert "benchmarks.bench_widget" in trees and "benchmarks._comm_bridge" in trees


def test_benchmarks_use_no_private_name_of_the_package():
    bad = [
        f"benchmarks/{mod.partition('.')[2]}.py:{line} uses {name} (defined in "
        f"{', '.join(owners)})"
        for mod, name, line, owners in _package_private_uses(_package_trees(),
                                                             _benchmark_trees())
    ]
    assert bad == [], ("benchmarks use private names of bio_explorer (give them a public, "
                       "documented name, or measure through the public API):\n" + "\n".join(bad))
