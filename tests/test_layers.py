"""The package's layers only point down, and no modules import each other in a circle.

Read from the source with `ast` (nothing is imported), so a new arrow that breaks the layering
fails here before anyone has to find it by reading.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rag"
CONTRACTS = {"rag.types", "rag.errors", "rag.config", "rag.text", "rag.mentions", "rag.jsonl"}
# What each layer may import besides itself; the contracts are below everything.
ALLOWED = {
    "contracts": {"contracts"},
    "models": {"contracts"},
    "index": {"contracts"},
    "ingest": {"contracts", "models", "index"},
    "retrieve": {"contracts", "models", "index"},
    "answer": {"contracts", "models", "index", "retrieve", "generators"},
    "generators": {"contracts", "models", "answer"},
    "evaluate": {"contracts", "models", "index", "ingest", "retrieve", "answer", "generators"},
    "serve": {"contracts", "models", "index", "ingest", "retrieve", "answer", "generators", "evaluate"},
    "public": {"contracts", "models", "index", "ingest", "retrieve", "answer", "generators", "evaluate", "serve"},
}

# Contracts stand on the exception family and on what a sentence is (rag.text imports nothing).
_CONTRACT_BASE = {"rag.errors", "rag.text"}
# Generators read the answer stage's helpers (prompts, evidence, grounding) but never the code
# that retrieves and calls them.
_ANSWER_DRIVERS = {"rag.answer.pipeline", "rag.answer.batch"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _layer(module: str) -> str:
    if module == "rag":
        return "public"
    if module in CONTRACTS:
        return "contracts"
    if module.startswith("rag.answer.generators"):
        return "generators"
    return module.split(".")[1]


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Our modules that `path` imports, at any depth of the file (lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module in modules and node.level == 0:
            for alias in node.names:
                found.add(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _violations(graph: dict[str, set[str]]) -> list[str]:
    broken = []
    for module, targets in sorted(graph.items()):
        layer = _layer(module)
        for target in sorted(targets):
            to = _layer(target)
            if layer == "contracts" and target not in _CONTRACT_BASE:
                broken.append(f"{module} is a contract and may import only {sorted(_CONTRACT_BASE)}, not {target}")
            elif layer == "generators" and target in _ANSWER_DRIVERS:
                broken.append(f"{module} is a generator: it is handed passages and never drives {target}")
            elif to != layer and to not in ALLOWED[layer]:
                broken.append(f"{module} ({layer}) imports {target} ({to})")
    return broken


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    cycles = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_layers_only_point_down():
    broken = _violations(_graph())
    assert not broken, "imports that point up the layers:\n" + "\n".join(broken)


def test_no_import_cycles():
    # The public face (rag/__init__) loads its names lazily and is imported by nothing of ours.
    graph = {m: targets - {"rag"} for m, targets in _graph().items()}
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_only_app_imports_gradio():
    offenders = [
        name for name, targets in _external_imports().items() if any(t.split(".")[0] == "gradio" for t in targets)
    ]
    assert not offenders, f"gradio imported outside app.py: {offenders}"


def _external_imports() -> dict[str, set[str]]:
    out = {}
    for name, path in _modules().items():
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        out[name] = names
    return out


def test_no_module_is_a_giant():
    too_long = {
        name: n for name, path in _modules().items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert not too_long, f"modules over 420 lines (split them by job): {too_long}"


def test_the_checks_can_fail():
    """An upward arrow, a contract importing a stage, a generator that searches, and a circle are
    all seen."""
    graph = {
        "rag.retrieve.retriever": {"rag.answer.pipeline"},
        "rag.types": {"rag.jsonl"},
        "rag.answer.generators.local": {"rag.retrieve.retriever"},
        "rag.answer.pipeline": {"rag.retrieve.retriever", "rag.models.embedders"},
    }
    assert len(_violations(graph)) == 3
    assert _cycles({"rag.a": {"rag.b"}, "rag.b": {"rag.c"}, "rag.c": {"rag.a"}}) == ["rag.a -> rag.b -> rag.c -> rag.a"]
    assert not _cycles({"rag.a": {"rag.b"}, "rag.b": set()})
