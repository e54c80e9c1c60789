"""Run cost: wall and CPU time of the default ``topiclab run`` as a function of corpus size.

For each size N the first N articles of the VNTC sample are written to a JSON-lines subset and
``topiclab run --corpus <subset> --jobs J`` runs on it with the shipped defaults (model selection
over ``models.k_grid``, ``models.refits`` refits, LDA: tomotopy, 50 sweeps), in a fresh process
with an empty cache. ``--no-figures`` sets ``figures.enabled=false`` to time the fitting alone. With
``--before PATH`` (a checkout of another commit, e.g. ``git worktree add /tmp/before <commit>``)
the same runs are timed with that checkout's ``topiclab`` package as well (model code run in
joblib worker processes is imported from this environment's install).

Per run it reports the wall time, the CPU time of the process and its children (user + system),
and per stage the wall time between the run's log lines: ``prepare`` (ingest, units, tokens,
vectorize), ``selection`` (the fits of the grid and their coherence), ``refits`` and ``themes``
(refits at the chosen K, theme tables). The chosen K and the number of refits fitted after
selection come from the log.

Results go to benchmarks/results/run_cost.md (with the command that produced them).

Usage: python benchmarks/run_cost.py [--data ../shared/data/vntc_20k.jsonl.gz]
       [--sizes 500,1000,2000] [--jobs 2] [--no-figures] [--before /tmp/before]
       [--work /tmp/topiclab-run-cost] [--out benchmarks/results] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vntc_20k.jsonl.gz"

# Runs topiclab's CLI from ``checkout`` (or the installed package when empty): the editable
# install's import hook would otherwise win over sys.path.
LAUNCHER = """
import sys
checkout = sys.argv.pop(1)
if checkout:
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
    sys.path.insert(0, checkout)
from topiclab.cli import main
sys.exit(main(sys.argv[1:]))
"""

STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) topiclab[\w.]*: (.*)$")


def subset(data: Path, n: int, work: Path) -> Path:
    """The first ``n`` lines of ``data`` as a gzipped JSON-lines file."""
    target = work / f"vntc_{n}.jsonl.gz"
    if not target.exists():
        with gzip.open(data, "rt", encoding="utf-8") as src:
            lines = [line for _, line in zip(range(n), src, strict=False)]
        with gzip.open(target, "wt", encoding="utf-8") as dst:
            dst.writelines(lines)
    return target


def stages(log: str) -> dict[str, float | int | str]:
    """Stage wall times (s), the chosen K and the refits fitted after selection, from the log."""
    events: list[tuple[float, str]] = []
    for line in log.splitlines():
        match = STAMP.match(line)
        if match:
            when = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            events.append((when, match[2]))
    if not events:
        return {}

    def first(prefix: str) -> float | None:
        return next((t for t, message in events if message.startswith(prefix)), None)

    start = events[0][0]
    selecting = first("model selection: ") or start
    chose = first("model selection: chose") or selecting
    wrote = first("wrote ") or chose
    fitted = [message for _, message in events if re.match(r"fit: \w+ K=\d+, \d+ refit", message)]
    chosen = next((m.split("chose ", 1)[1] for _, m in events if "chose " in m), "")
    return {
        "prepare_s": round(selecting - start, 1),
        "selection_s": round(chose - selecting, 1),
        "refits_themes_s": round(wrote - chose, 1),
        "refits_fitted": sum(int(re.search(r", (\d+) refit", m)[1]) for m in fitted),
        "chosen": chosen,
    }


def time_run(
    checkout: str, corpus: Path, work: Path, jobs: int, figures: bool, extra: list[str]
) -> dict:
    """One ``topiclab run`` in a fresh process and an empty cache."""
    tag = f"{corpus.stem}-{'before' if checkout else 'after'}"
    output, cache = work / tag / "out", work / tag / "cache"
    argv = [
        sys.executable,
        "-c",
        LAUNCHER,
        checkout,
        "-v",
        "run",
        "--corpus",
        str(corpus),
        "--jobs",
        str(jobs),
        "--output",
        str(output),
        "--set",
        f"cache={cache}",
    ]
    if not figures:
        argv += ["--set", "figures.enabled=false"]
    for assignment in extra:
        argv += ["--set", assignment]
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    (work / f"{tag}.log").write_text(done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise SystemExit(f"run failed ({tag}), see {work / f'{tag}.log'}:\n{done.stderr[-2000:]}")
    row = {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1), **stages(done.stderr)}
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="500,1000,2000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-figures", action="store_true")
    parser.add_argument("--before", default="", help="a checkout to time as 'before'")
    parser.add_argument("--work", type=Path, default=Path("/tmp/topiclab-run-cost"))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        corpus = subset(args.data, n, args.work)
        versions = [("before", args.before)] if args.before else []
        for version, checkout in [*versions, ("after", "")]:
            row = time_run(
                checkout, corpus, args.work, args.jobs, not args.no_figures, args.overrides
            )
            rows.append({"articles": n, "code": version, **row})
            print(rows[-1], flush=True)
    write_markdown(rows, args, argv if argv is not None else sys.argv[1:])
    return 0


def write_markdown(rows: list[dict], args, argv: list[str]) -> None:
    columns = [
        "articles",
        "code",
        "wall_s",
        "cpu_s",
        "prepare_s",
        "selection_s",
        "refits_themes_s",
        "refits_fitted",
        "chosen",
    ]
    lines = [
        "# Run cost of the default `topiclab run`",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on a shared 2-core machine "
        f"(other jobs running; {os.cpu_count()} CPUs visible).",
        "",
        "```",
        "python benchmarks/run_cost.py " + " ".join(shlex.quote(a) for a in argv),
        "```",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    lines += ["| " + " | ".join(str(row.get(c, "")) for c in columns) + " |" for row in rows]
    if args.note:
        lines += ["", args.note]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "run_cost.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
