"""The layers hold: no import cycle, and no import against the arrows.

Checked over the ``ast`` of every module in ``src/quartiere`` (lazy imports included), so the rules
hold as the code grows. There are no line or parameter counts: a module is small because its job is
one, not to pass a gate.

Values at the bottom, pure stages in the middle, edges (io, present, engines, pipeline, cli) on top;
arrows point down (docs/architecture.md):

- a stage imports no ``io``, ``present``, ``load``, ``pipeline``, command line or other edge;
- ``present`` imports no ``pipeline``, command line, ``io`` or ``load``, and calls no reader: it
  reads no file;
- ``io`` imports no comparison;
- the configuration imports no stage and no edge.

There are no allowances.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "quartiere"

#: the pure stages of load -> harmonize -> criteria -> delineate -> name (and the schools' part)
STAGES = (
    "quartiere.criteria",
    "quartiere.criteria_parts",
    "quartiere.harmonize",
    "quartiere.contiguity",
    "quartiere.delineate",
    "quartiere.schools",
)
#: the configuration: typed values and the rule language
CONFIGURATION = (
    "quartiere.config",
    "quartiere.config_inputs",
    "quartiere.config_indicators",
    "quartiere.config_tables",
    "quartiere.config_schools",
    "quartiere.rules",
)
#: modules at the edges: files, texts, engines, orchestration, the command line
EDGES = (
    "quartiere.io",
    "quartiere.present",
    "quartiere.load",
    "quartiere.load_schools",
    "quartiere.pipeline",
    "quartiere.cli",
    "quartiere.history",
    "quartiere.sensitivity",
    "quartiere.profiles",
    "quartiere.fetch",
    "quartiere.site",
    "quartiere.lifetime",
    "quartiere.report",
    "quartiere.scheduled",
    "quartiere.reuse",
    "quartiere.explanation",
    "quartiere.derived",
    "quartiere.lineage",
    "quartiere.build_info",
)
#: (importer, imported, why): no module under the first may import one under the second
FORBIDDEN = (
    *((s, e, "a stage imports no edge") for s in STAGES for e in EDGES),
    *(
        ("quartiere.present", e, "present reads no file and imports no orchestration")
        for e in (
            "quartiere.pipeline",
            "quartiere.cli",
            "quartiere.io",
            "quartiere.load",
            "quartiere.load_schools",
            "quartiere.profiles",
        )
    ),
    ("quartiere.io", "quartiere.compare", "io imports no comparison"),
    *((c, s, "the configuration imports no stage") for c in CONFIGURATION for s in STAGES + EDGES),
)
#: calls that read a file; ``present`` makes none of them
READERS = frozenset(
    {
        "read_file",
        "read_dataframe",
        "read_csv",
        "read_excel",
        "read_text",
        "read_bytes",
        "open",
        "read_info",
        "load_config",
        "read_build",
        "read_table",
        "read_layer",
        "connect",
    }
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Project modules ``name`` imports (at any depth of the file, lazy imports included)."""
    return _imports_of_source(name, path, path.read_text())


def _imports_of_source(name: str, path: Path, source: str) -> set[str]:
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle() -> None:
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    # A package importing its own submodules is not a cycle of design; drop parent -> child edges.
    graph = {n: {t for t in ts if not t.startswith(n + ".")} for n, ts in graph.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_cycle_detection_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _violations(graph: dict[str, set[str]]) -> list[str]:
    """``importer -> imported (why)`` for every import against the arrows."""
    out = []
    for name, targets in sorted(graph.items()):
        for target in sorted(targets):
            for importer, imported, why in FORBIDDEN:
                if _under(name, importer) and _under(target, imported):
                    out.append(f"{name} -> {target} ({why})")
                    break
    return out


def test_no_import_against_the_layers() -> None:
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    assert _violations(graph) == []


def test_the_layer_check_finds_a_forbidden_import() -> None:
    # The test of the test: an import of quartiere.io from criteria.py is caught.
    graph = {name: _imports(name, path) for name, path in MODULES.items()}
    graph["quartiere.criteria"] = graph["quartiere.criteria"] | {"quartiere.io.tables"}
    assert _violations(graph) == [
        "quartiere.criteria -> quartiere.io.tables (a stage imports no edge)"
    ]
    source = "from quartiere.io.tables import read_table\n"
    path = PACKAGE / "criteria.py"
    found = _imports_of_source("quartiere.criteria", path, source)
    assert "quartiere.io.tables" in found


def _calls(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            names.add(name)
    return names


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _under(n, "quartiere.present")))
def test_present_reads_no_file(name: str) -> None:
    assert _calls(MODULES[name]) & READERS == set()


def test_every_module_has_a_layer() -> None:
    # A new top-level module is placed on purpose: a value (below the stages), or named here.
    values = {
        "quartiere.model",
        "quartiere.errors",
        "quartiere.units",
        "quartiere.i18n",
        "quartiere.coverage",
        "quartiere.columns",
        "quartiere.inputs",
        "quartiere.result",
        "quartiere.record",
        "quartiere.yaml_io",
        "quartiere.editions",
        "quartiere.provenance",
        "quartiere.sources",
        "quartiere.compare",
        "quartiere.api",
    }
    placed = (*STAGES, *CONFIGURATION, *EDGES, *values)
    unplaced = [n for n in MODULES if n != "quartiere" and not any(_under(n, p) for p in placed)]
    assert unplaced == []


#: the standard library's ways of starting a process or a thread
CONCURRENCY = ("threading", "_thread", "multiprocessing", "concurrent", "subprocess")
#: the only modules that start processes or threads, and why (docs/architecture.md). A helper
#: the command line may need again goes into one module of its own, named here with its gain.
CONCURRENT = {
    "quartiere.sensitivity.engine": "the dask engine of the robustness atlas owns its cluster",
    "quartiere.profiles.printing": "the Chromium client: headless Chromium is a process",
}


def _concurrency_imports(source: str) -> set[str]:
    """The concurrency modules ``source`` imports (lazy imports included), and ``os.fork``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ("fork", "forkpty", "posix_spawn")
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            names = [f"os.{node.attr}"]
        else:
            continue
        found |= {n for n in names if n.split(".")[0] in CONCURRENCY or n.startswith("os.")}
    return found


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n not in CONCURRENT))
def test_library_code_starts_no_process_and_no_thread(name: str) -> None:
    # Concurrency lives with the engines (dask, the Chromium client), each in one place.
    assert _concurrency_imports(MODULES[name].read_text()) == set()


def test_the_concurrency_check_finds_a_thread_pool() -> None:
    # The test of the test: what harmonize.py once did, and a fork, are caught.
    source = (
        "import os\nfrom concurrent.futures import ThreadPoolExecutor\n"
        "def f():\n    import multiprocessing.pool\n    return os.fork()\n"
    )
    assert _concurrency_imports(source) == {"concurrent.futures", "multiprocessing.pool", "os.fork"}
    assert set(CONCURRENT) <= set(MODULES)
