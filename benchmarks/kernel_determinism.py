"""Do the figures come out byte-identical under two BLAS / SIMD kernels?

Builds each run twice, each in its own subprocess with its own output folder and its own
cache (a shared cache would hand the second build the first one's fits):

- ``haswell``: ``OPENBLAS_CORETYPE=Haswell``, numpy's AVX-512 dispatch disabled
  (``NPY_DISABLE_CPU_FEATURES``) and ``TOMOTOPY_ISA=avx2``, the AVX2 code paths any x86-64
  machine of the last decade runs;
- ``native``: ``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE`` and ``NPY_DISABLE_CPU_FEATURES``
  unset, so OpenBLAS and numpy pick the best kernel of this CPU (AVX-512 where there is one),
  and ``TOMOTOPY_ISA=avx512`` preset (topiclab pins tomotopy's SSE2 build whatever the
  environment says: this shows the pin holds).

The runs: ``analysis.yaml`` (gensim LDA, the paper's figures) and, with ``--config default``,
``topiclab run --corpus corpus`` on the shipped defaults (tomotopy LDA, model selection).
The script compares the SHA-256 of every file of the two output folders of each run, and,
with ``--against``, of a third folder (e.g. the committed ``figures/``, for analysis.yaml).
Each build sees the project mirrored under a temporary folder (inputs symlinked at their
relative places), so its ENVIRONMENT.txt matches the committed one. Differing text files
get their first differing lines printed.
Exit status 0 when every file agrees, 1 otherwise (2 if a build failed). On a machine
without AVX-512 both builds run the same kernels and the check proves nothing about AVX-512.

Usage (from the project folder; the two builds run at once: 30-90 s on 2 shared cores)::

    .venv/bin/python benchmarks/kernel_determinism.py --against figures
    .venv/bin/python benchmarks/kernel_determinism.py --config analysis.yaml --config default
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from topiclab.config import load_config

NO_AVX512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
KERNEL_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "NPY_DISABLE_CPU_FEATURES",
    "TOMOTOPY_ISA",
)
SETTINGS = {
    "haswell": {
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": NO_AVX512,
        "TOMOTOPY_ISA": "avx2",
    },
    "native": {"TOMOTOPY_ISA": "avx512"},
}
#: ``--config default``: ``topiclab run --corpus corpus`` with the shipped defaults
DEFAULT = "default"
DEFAULT_OUTPUT = "corpus_topiclab"


def kernel_env(setting: str) -> dict[str, str]:
    """This process's environment with the kernel variables of ``setting`` (others unset)."""
    env = {k: v for k, v in os.environ.items() if k not in KERNEL_VARIABLES}
    # the Makefile's settings: one BLAS thread, fixed hash seed
    env.update(
        OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0"
    )
    env.update(SETTINGS[setting])
    return env


def tomotopy_isa(setting: str) -> str:
    """The SIMD build of tomotopy a run under ``setting`` loads (topiclab imported first, as
    in a run)."""
    code = "import topiclab.models, tomotopy; print(tomotopy.isa)"
    return subprocess.run(
        [sys.executable, "-c", code], env=kernel_env(setting), capture_output=True, text=True
    ).stdout.strip()


def start_build(config: Path | None, project: Path, root: Path, setting: str) -> subprocess.Popen:
    """Start ``topiclab run`` with the project mirrored under ``root/<setting>``.

    The inputs inside the project (corpus, metadata, lexicon) are symlinked at the same
    relative places and the output goes to the same relative folder, with a fresh cache
    ``root/<setting>/.cache``: ENVIRONMENT.txt, which records paths relative to the output's
    parent, then reads as the committed one does. ``config`` None runs the shipped defaults
    on ``<project>/corpus`` (``topiclab run --corpus corpus``).
    """
    folder = root / setting
    folder.mkdir(parents=True)
    if config is None:
        command = [sys.executable, "-m", "topiclab.cli", "run"]
        overrides = {
            "corpus.path": _mirror(str(project / "corpus"), project, folder, link=True),
            "output": str(folder / DEFAULT_OUTPUT),
            "cache": str(folder / ".cache"),
        }
    else:
        resolved = load_config(config)
        command = [sys.executable, "-m", "topiclab.cli", "run", str(config)]
        overrides = {
            "output": _mirror(resolved["output"], project, folder, link=False),
            "cache": str(folder / ".cache"),
        }
        for key, value in (
            ("corpus.path", resolved["corpus"]["path"]),
            ("corpus.metadata", resolved["corpus"]["metadata"]),
            ("themes.lexicon", resolved["themes"]["lexicon"]),
        ):
            if value is not None:
                overrides[key] = _mirror(value, project, folder, link=True)
    for key, value in overrides.items():
        command += ["--set", f"{key}={value}"]
    with open(folder / "build.log", "wb") as log:  # the child keeps its own copy open
        return subprocess.Popen(command, env=kernel_env(setting), stdout=log, stderr=log)


def _mirror(path: str, project: Path, folder: Path, *, link: bool) -> str:
    """``path``'s place under ``folder`` (a symlink to it if ``link``), if it lies in the
    project; paths outside the project are used as they are."""
    relative = os.path.relpath(path, project)
    if relative.startswith(".."):
        return path
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if link:
        target.symlink_to(path)
    return str(target)


#: the run's record holds its start and end times, so it differs on every build by design
RUN_RECORD = "run.json"


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by relative path (hidden files and the
    time-stamped ``run.json`` skipped)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if relative.as_posix() == RUN_RECORD:
            continue
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            out[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def compare(a: Path, b: Path, label: str) -> list[str]:
    """Files that differ (or exist on one side only) between two output folders."""
    da, db = digests(a), digests(b)
    differing = sorted(f for f in da.keys() | db.keys() if da.get(f) != db.get(f))
    print(f"{label}: {len(da.keys() | db.keys())} files, {len(differing)} differ")
    for name in differing:
        print(f"  {name}" + ("" if name in da and name in db else " (only on one side)"))
        if name.endswith((".csv", ".txt", ".md")) and name in da and name in db:
            lines_a = (a / name).read_text(encoding="utf-8").splitlines()
            lines_b = (b / name).read_text(encoding="utf-8").splitlines()
            diff = list(difflib.unified_diff(lines_a, lines_b, lineterm="", n=0))[2:8]
            print("\n".join(f"      {line[:160]}" for line in diff))
    return differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--config",
        action="append",
        help=f"a config file, or {DEFAULT!r} for `topiclab run --corpus corpus` on the shipped "
        "defaults; repeat for several (default: analysis.yaml)",
    )
    parser.add_argument(
        "--against", type=Path, help="also compare the first config's output with this folder"
    )
    parser.add_argument("--keep", action="store_true", help="keep the build folders")
    args = parser.parse_args(argv)
    configs = args.config or ["analysis.yaml"]
    project = Path.cwd().resolve()
    top = Path(tempfile.mkdtemp(prefix="kernel_determinism_"))
    differing: list[str] = []
    for setting in SETTINGS:
        print(f"{setting}: {SETTINGS[setting]}; tomotopy build loaded: {tomotopy_isa(setting)}")
    for index, name in enumerate(configs):
        config = None if name == DEFAULT else Path(name).resolve()
        if config is not None:
            project = config.parent
        root = top / f"{index}_{Path(name).stem}"
        started = time.perf_counter()
        builds = {s: start_build(config, project, root, s) for s in SETTINGS}
        failed = [s for s, process in builds.items() if process.wait() != 0]
        print(f"{name}: two builds in {time.perf_counter() - started:.0f} s (in {root})")
        if failed:
            for setting in failed:
                print(f"build {setting} failed; its log: {root / setting / 'build.log'}")
            return 2
        if config is None:
            output = DEFAULT_OUTPUT
        else:
            output = os.path.relpath(load_config(config)["output"], config.parent)
        a, b = root / "haswell" / output, root / "native" / output
        differing += compare(a, b, f"{name}: haswell vs native")
        if args.against is not None and index == 0:
            differing += compare(a, args.against, f"{name}: haswell vs {args.against}")
    if not args.keep:
        import shutil

        shutil.rmtree(top)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
