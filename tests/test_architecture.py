"""The package's rooms and their layers: every import points down, no module grows unread.

``docs/architecture.md`` lists the layers, bottom to top; :data:`LAYERS` below is that list.
A module may import its own room, any room of its own layer and any room of a layer below;
an import of a room of a layer above is an error, whether it sits at the top of the file or
inside a function (a lazy import is still an arrow). The few arrows that point up today are
listed in :data:`EXCEPTIONS`, each with its reason; nothing else is allowed.

A module over :data:`MAX_LINES` lines must say why at its top: a line of its module
docstring starting with ``Size:``.
"""

from __future__ import annotations

import ast
import importlib
import re
import types
from pathlib import Path

import pytest

import topiclab

PACKAGE = Path(topiclab.__file__).parent

#: Bottom to top, as docs/architecture.md lists them. A room is a top-level module or
#: sub-package of topiclab.
LAYERS: tuple[tuple[str, ...], ...] = (
    # writes, progress bars, cache files, shipped data; text: normalisation, word lists and
    # gazetteer, beside resources (it reads them) and below both corpus and preprocess;
    # memory: freed memory given back to the system between stages
    ("io", "progress", "cache", "palette", "resources", "text", "memory"),
    ("corpus",),  # files -> documents, manifest, units
    ("preprocess", "parallel"),  # units -> tokens (parallel: the map's backends)
    ("vectorize",),  # tokens -> vocabulary, BoW, TF-IDF
    ("models",),  # LDA, NMF -> TopicResult
    ("stream",),  # the on-disk stores of a large corpus
    ("evaluate",),  # coherence, stability, the selection table and the K rule
    ("themes",),  # lexicon, labels, shares, comparison, passages, agreement
    ("tables",),  # the analysis tables of a run
    ("plotting",),  # Axes in, Axes out
    ("figures",),  # registry, rendering, pyLDAvis, notes, the figure stage
    ("settings", "config", "preflight", "pipeline"),  # topiclab run
    ("cli",),  # the command
)

#: (importing module, imported room) -> why the arrow points up for now.
EXCEPTIONS: dict[tuple[str, str], str] = {}

#: Modules over MAX_LINES lines whose reason is written here because their files are being
#: rewritten in parallel (a Size: line would collide with that work).
SIZE_EXCEPTIONS: dict[str, str] = {
    "topiclab/preprocess/preprocessor.py": "its options are being reworked (issue 12 item 2)",
}

MAX_LINES = 500


def _room_of_layer() -> dict[str, int]:
    return {room: level for level, rooms in enumerate(LAYERS) for room in rooms}


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def _exported_rooms() -> dict[str, str]:
    """Top-level names of ``topiclab`` -> the room that defines them (``from topiclab import
    LDA`` is an arrow to ``models``)."""
    return {name: module.split(".")[1] for name, module in topiclab._EXPORTS.items()}


def _imported_rooms(module: str, path: Path) -> set[str]:
    """Every room of topiclab that ``module`` imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exported = _exported_rooms()
    is_package = path.name == "__init__.py"
    rooms: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base == "topiclab":
                for alias in node.names:
                    if alias.name in exported:
                        targets.append(f"topiclab.{exported[alias.name]}")
                    elif not alias.name.startswith("__"):  # __version__ is metadata
                        targets.append(f"topiclab.{alias.name}")
            else:
                targets = [base]
        for target in targets:
            parts = target.split(".")
            if parts[0] == "topiclab" and len(parts) > 1:
                rooms.add(parts[1])
    return rooms


def _upward_imports() -> list[str]:
    layer = _room_of_layer()
    problems = []
    for module, path in _modules():
        parts = module.split(".")
        if len(parts) == 1:
            continue  # topiclab/__init__.py: the namespace, above every room (lazy imports)
        own = parts[1]
        if own not in layer:
            problems.append(f"{module}: room {own!r} is in no layer of LAYERS")
            continue
        for room in sorted(_imported_rooms(module, path)):
            if room == own:
                continue
            if room not in layer:
                problems.append(f"{module} imports {room!r}, which is in no layer")
            elif layer[room] > layer[own] and (module, room) not in EXCEPTIONS:
                problems.append(f"{module} (layer {layer[own]}) imports {room} ({layer[room]})")
    return problems


def test_every_room_is_in_a_layer_and_every_import_points_down():
    assert _upward_imports() == []


def test_every_exception_is_still_needed_and_gives_a_reason():
    layer = _room_of_layer()
    paths = dict(_modules())
    for (module, room), reason in EXCEPTIONS.items():
        assert len(reason) > 40, f"{module} -> {room}: write why"
        assert module in paths, f"{module} no longer exists: drop its exception"
        assert room in _imported_rooms(module, paths[module]), f"{module} -> {room} is gone"
        assert layer[room] > layer[module.split(".")[1]], f"{module} -> {room} points down"


def test_layers_match_the_architecture_document(repo_root):
    text = (repo_root / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    listed = [
        tuple(re.findall(r"`([a-z_]+)`", line.split("|")[2]))
        for line in block.splitlines()
        if re.match(r"\|\s*\d+\s*\|", line)
    ]
    assert tuple(listed) == LAYERS


def test_the_layer_check_sees_imports_inside_functions(tmp_path):
    # a lazy import of a room above is caught like a top-level one
    source = "def f():\n    from topiclab.figures import FIGURES\n"
    (tmp_path / "m.py").write_text(source, encoding="utf-8")
    assert _imported_rooms("topiclab.themes.m", tmp_path / "m.py") == {"figures"}
    (tmp_path / "n.py").write_text("from topiclab import LDA, plotting\n", encoding="utf-8")
    assert _imported_rooms("topiclab.themes.n", tmp_path / "n.py") == {"models", "plotting"}


def _size_reason(path: Path) -> bool:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return any(line.strip().startswith("Size:") for line in docstring.splitlines())


@pytest.mark.parametrize("module,path", _modules(), ids=[m for m, _ in _modules()])
def test_no_module_is_over_500_lines_without_a_written_reason(module, path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    relative = path.relative_to(PACKAGE.parent).as_posix()
    if lines <= MAX_LINES or relative in SIZE_EXCEPTIONS:
        return
    assert _size_reason(path), (
        f"{relative} has {lines} lines: split it, or say why at its top (a 'Size:' line)"
    )


def test_size_exceptions_are_still_needed():
    for relative, reason in SIZE_EXCEPTIONS.items():
        path = PACKAGE.parent / relative
        assert reason, relative
        assert path.exists(), f"{relative} is gone: drop its exception"
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines > MAX_LINES, f"{relative} has {lines} lines now: drop its exception"


def test_the_top_level_namespace_holds_the_workflow_names_only():
    names = set(topiclab._EXPORTS)
    assert 15 <= len(names) <= 20
    assert {"load_config", "run", "load_corpus", "Preprocessor", "LDA", "compare"} <= names
    for name in names:
        assert getattr(topiclab, name) is not None


def test_vectorize_is_a_plain_module_with_a_vectorize_function():
    module = importlib.import_module("topiclab.vectorize")
    assert type(module) is types.ModuleType
    assert callable(module.vectorize)
    from topiclab.vectorize import vectorize

    assert vectorize([["a", "b"], ["a"]], no_below=1, no_above=1.0).vocab == ["a", "b"]


def test_plotting_takes_labels_and_colours_as_mappings_and_imports_no_themes():
    for module, path in _modules():
        if module.startswith("topiclab.plotting"):
            assert "themes" not in _imported_rooms(module, path), module
