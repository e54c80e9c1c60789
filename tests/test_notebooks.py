"""Every notebook runs top to bottom on the shipped corpus, with small parameters.

Each jupytext ``py:percent`` file is converted in memory (no ``.ipynb`` is written), its
``parameters`` cell gets the test's small settings appended (as papermill injects them), and
nbclient executes it in a kernel started from this interpreter, so the test works on a fresh
machine whatever kernels Jupyter has registered.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL = "topiclab-tests"
FAST = [
    "models.lda.passes=2",
    "models.lda.iterations=50",
    "themes.n_boot=50",
    "models.refits=1",
]


def test_every_numbered_notebook_is_tested():
    found = sorted(path.stem for path in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    assert found == sorted(PARAMETERS)


@pytest.fixture(scope="module")
def work(tmp_path_factory, shared_run, shared_cache):
    """The notebooks' scratch folder: ``analysis`` is the session's shared run of analysis.yaml
    (fixed K, small settings) that notebooks 04 and 05 read, ``cache`` the session's writable
    cache, warm with that run's tokens and models."""
    root = tmp_path_factory.mktemp("notebooks")
    (root / "analysis").symlink_to(shared_run.output, target_is_directory=True)
    (root / "cache").symlink_to(shared_cache, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def kernel_manager_factory(tmp_path_factory):
    """Kernels from this interpreter, through a kernel spec of our own."""
    kernels = tmp_path_factory.mktemp("kernels")
    spec_dir = kernels / KERNEL
    spec_dir.mkdir()
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "topiclab tests",
        "language": "python",
        "env": {"MPLBACKEND": "Agg"},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")

    def make() -> KernelManager:
        specs = KernelSpecManager(kernel_dirs=[str(kernels)], ensure_native_kernel=False)
        return KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)

    return make


def _parameters(name: str, work: Path) -> dict:
    values = dict(PARAMETERS[name])
    for key, value in values.items():
        if isinstance(value, str) and "{work}" in value:
            values[key] = value.replace("{work}", str(work))
    return values


PARAMETERS: dict[str, dict] = {
    "01_corpus_overview": {"corpus": "../corpus", "unit": "paragraph"},
    "02_preprocessing": {"paragraph_index": 1, "doc_index": 2},
    "03_model_selection": {
        "k_grid": [10, 11],  # analysis.yaml anchors nine themes
        "overrides": FAST,
        "cache": "{work}/cache",
    },
    "04_themes_by_locality_and_year": {"output": "{work}/analysis", "rerun": False},
    "05_lda_vs_nmf": {"output": "{work}/analysis", "rerun": False},
    "06_your_own_corpus": {
        "corpus": "../corpus",
        "output": "{work}/own",
        "cache": "{work}/cache",
        "k": 4,
        "overrides": [*FAST, "figures.formats=[png]", "figures.dpi=40"],
    },
}


def _inject(notebook: nbformat.NotebookNode, values: dict) -> None:
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "a notebook needs exactly one cell tagged 'parameters'"
    injected = "\n".join(f"{key} = {value!r}" for key, value in values.items())
    cells[0].source += f"\n# injected by tests/test_notebooks.py\n{injected}\n"


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_notebook_runs_top_to_bottom(name, work, kernel_manager_factory):
    notebook = jupytext.read(NOTEBOOKS / f"{name}.py")
    assert any(cell.cell_type == "markdown" for cell in notebook.cells), "explain in prose"
    _inject(notebook, _parameters(name, work))
    client = NotebookClient(
        notebook,
        km=kernel_manager_factory(),
        timeout=300,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    shown = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    assert shown, "a notebook that shows nothing"
