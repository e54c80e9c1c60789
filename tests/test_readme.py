"""The README's Python snippets run as written, in order, on the shipped corpus.

Every ```python block of README.md is executed in one namespace (a reader pastes them into
one notebook), in a scratch folder that holds a copy of ``corpus/``, so the snippets' own
outputs (``.cache/``, ``out/``) never land in the checkout. A comment line that follows an
expression and holds a Python literal (``# ['ban_thường_vụ', ...]``) is the README's claim
of what the expression gives, and is checked too.
"""

from __future__ import annotations

import ast
import re
import shutil
import time
import warnings
from pathlib import Path
from traceback import format_exc

import pytest

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
# The README blocks fit small models on the five shipped articles: well under a minute.
_BUDGET_SECONDS = 120


def python_blocks(readme: Path) -> list[str]:
    """The source of every ```python block of a Markdown file, in order."""
    return _BLOCK.findall(readme.read_text(encoding="utf-8"))


def _claimed_outputs(source: str) -> list[tuple[str, object]]:
    """``(expression, value)`` for each expression followed by a ``# <literal>`` line."""
    lines = source.splitlines()
    claims = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Expr) or node.end_lineno is None:
            continue
        following = lines[node.end_lineno] if node.end_lineno < len(lines) else ""
        if not following.startswith("# "):
            continue
        try:
            value = ast.literal_eval(following[2:])
        except (ValueError, SyntaxError):
            continue  # a comment in words, not a claimed output
        claims.append((ast.get_source_segment(source, node), value))
    return claims


def test_readme_has_the_python_blocks_this_test_runs(repo_root):
    blocks = python_blocks(repo_root / "README.md")
    assert len(blocks) >= 4
    assert all(block.strip() for block in blocks)
    for block in blocks:
        compile(block, "README.md", "exec")


def test_every_readme_python_block_runs_in_order(repo_root, tmp_path, monkeypatch):
    blocks = python_blocks(repo_root / "README.md")
    shutil.copytree(repo_root / "corpus", tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    start = time.perf_counter()
    with warnings.catch_warnings():
        # the snippets fit tiny models: convergence and anchor-word notices are expected
        warnings.simplefilter("ignore")
        for number, block in enumerate(blocks, start=1):
            try:
                exec(compile(block, f"README.md python block {number}", "exec"), namespace)
            except Exception:  # the block's number and source, then the traceback
                pytest.fail(f"README python block {number} fails:\n{block}\n{format_exc()}")
            for expression, value in _claimed_outputs(block):
                got = eval(expression, namespace)
                assert got == value, f"README block {number}: {expression} gives {got!r}"
    elapsed = time.perf_counter() - start
    assert elapsed < _BUDGET_SECONDS, f"the README blocks took {elapsed:.0f} s"
    # what the snippets promise: units from the corpus, shares per unit, a saved model
    assert len(namespace["units"]) == len(namespace["tokens"])
    assert set(namespace["shares"]["unit_id"]) <= set(namespace["units"]["unit_id"])
    assert (tmp_path / "out" / "lda").is_dir()
