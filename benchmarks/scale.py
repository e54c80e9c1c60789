"""Scale: wall time and peak memory of every stage at growing corpus sizes.

For each size N the first N articles of the VNTC sample go through the streaming path of
:mod:`topiclab.stream` (documents, tokens and bag-of-words on disk in chunks), one stage at a
time, each stage in a fresh Python process so its memory is its own:

    ingest      DocumentStream -> documents/part-*.jsonl + manifest.csv
    preprocess  paragraph units -> pyvi tokens (joblib processes, --jobs) -> tokens/part-*.txt
    vectorize   vocabulary + BoW chunks (bow/part-*.npz) + TF-IDF (tfidf.npz)
    lda         LDA (gensim) reading the BoW chunks from disk
    nmf         topiclab NMF on the sparse TF-IDF matrix
    coherence   c_v, c_npmi, u_mass of both models from one set of corpus statistics
    figures     top-terms figures of both models and the corpus overview (PNG)

Per stage it reports the wall time of the stage's work (``compute_s``, without the Python
start-up and imports), the wall time of the whole process (``process_s``), the peak resident
memory of the stage process (``peak_rss_mb``, the kernel's ru_maxrss from wait4) and the peak of
the summed resident memory of the stage process and all its worker processes
(``peak_tree_rss_mb``, sampled every 0.1 s with psutil: the number that must fit the machine).
Growth exponents between consecutive sizes are log(time ratio) / log(size ratio): 1 is linear.

It then checks on a subset that a Dask ``LocalCluster`` (2 worker processes) gives the same
tokens as joblib's local processes.

``--mode run`` measures the command a researcher types instead: for each size N it writes the
first N articles to a subset file and runs the whole ``topiclab run --corpus SUBSET --jobs J
--k K`` (plus any ``--set``) as one subprocess with an empty cache, sampling the resident
memory of its whole process tree every 0.1 s (psutil). It reports the wall time, the CPU
seconds of the tree, the peak tree RSS and the growth exponents of time and memory between
consecutive sizes (benchmarks/results/scale_run.csv and scale_run.md).

Results go to benchmarks/results/scale.csv and scale.md (with the command that produced them).

Usage: python benchmarks/scale.py --mode run --data ../shared/data/vntc_full.jsonl.gz
       --sizes 5000,20000,80000 --jobs 2 --k 10 [--set models.lda.backend=tomotopy ...]
       python benchmarks/scale.py [--data ../shared/data/vntc_20k.jsonl.gz]
       [--sizes 1000,5000,20000] [--jobs 2] [--k 10] [--passes 5] [--iterations 100]
       [--dask-check 300] [--compare-up-to 5000] [--repeats 1]
       [--work /tmp/topiclab-scale] [--out benchmarks/results] [--note TEXT]
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vntc_20k.jsonl.gz"
SEED = 20181206
STAGES = ("ingest", "preprocess", "vectorize", "lda", "nmf", "coherence", "figures")
GOAL_MEMORY_MB = 2048
GOAL_TOTAL_S = 15 * 60
RESULT_TAG = "RESULT "
# What each stage imports before its clock starts: start-up is not the stage's work.
IMPORTS = {
    "ingest": ("topiclab.stream",),
    "preprocess": ("topiclab.stream", "topiclab.preprocess"),
    "vectorize": ("topiclab.stream",),
    "lda": ("topiclab.stream", "topiclab.models"),
    "nmf": ("topiclab.stream", "topiclab.models"),
    "coherence": ("topiclab.stream", "topiclab.evaluate"),
    "figures": ("topiclab.stream", "matplotlib.pyplot", "topiclab.plotting"),
    "dask_check": ("topiclab.stream", "topiclab.parallel", "distributed"),
    "inmemory": ("topiclab.stream", "topiclab.corpus", "topiclab.preprocess"),
}
SUBSET = "subset.jsonl"


# -- stages (each runs in its own process) -----------------------------------------------


def stage_ingest(args: argparse.Namespace, root: Path) -> dict:
    from topiclab.stream import DocumentStream, ingest

    stream = DocumentStream(args.data, limit=args.size)
    store = ingest(stream, root, chunk_size=args.chunk_size)
    excluded = int((stream.manifest["status"] != "included").sum())
    return {"n_inputs": len(stream.manifest), "n_documents": len(store), "n_excluded": excluded}


def stage_preprocess(args: argparse.Namespace, root: Path) -> dict:
    from topiclab.preprocess import Preprocessor
    from topiclab.stream import DocumentStore, preprocess_store

    # No token cache: the stage must segment every unit, not read a previous run's tokens.
    preprocessor = Preprocessor(n_jobs=args.jobs, backend="loky", batch_size=64)
    tokens = preprocess_store(DocumentStore(root), root, preprocessor, unit="paragraph")
    meta = json.loads((root / "store.json").read_text())["preprocess"]
    return {"n_units": len(tokens), "n_tokens": meta["n_tokens"]}


def stage_vectorize(args: argparse.Namespace, root: Path) -> dict:
    from topiclab.stream import TokenStore, vectorize_store
    from topiclab.vectorize import EmptyUnitsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        bow = vectorize_store(TokenStore(root), root, no_below=2, no_above=0.95, keep_n=20000)
    return {"n_terms": bow.n_terms, "nnz": int(bow.tfidf().nnz)}


def stage_lda(args: argparse.Namespace, root: Path) -> dict:
    from topiclab.models import LDA
    from topiclab.stream import BowStore

    store = BowStore(root)
    lda = LDA(args.k, random_state=SEED, passes=args.passes, iterations=args.iterations).fit(store)
    lda.result_.save(root / "results" / "lda")
    return {"k": args.k, "passes": args.passes, "iterations": args.iterations}


def stage_nmf(args: argparse.Namespace, root: Path) -> dict:
    from topiclab.models import NMF
    from topiclab.stream import BowStore

    store = BowStore(root)
    nmf = NMF(args.k, random_state=SEED).fit(store.tfidf(), vocab=store.vocab)
    nmf.result_.save(root / "results" / "nmf")
    return {"k": args.k, "n_iter": int(nmf.n_iter_)}


def stage_coherence(args: argparse.Namespace, root: Path) -> dict:
    from topiclab.evaluate import CoherenceScorer, coherence
    from topiclab.io import write_table
    from topiclab.models import TopicResult
    from topiclab.stream import BowStore, TokenStore

    results = [TopicResult.load(root / "results" / name) for name in ("lda", "nmf")]
    scorer = CoherenceScorer(TokenStore(root), BowStore(root).dictionary())
    table = coherence(results, scorer=scorer)
    write_table(table, root / "results" / "coherence.csv")
    means = table.groupby("model")["c_npmi"].mean()
    return {f"c_npmi_{model}": round(float(value), 4) for model, value in means.items()}


def stage_figures(args: argparse.Namespace, root: Path) -> dict:
    import matplotlib.pyplot as plt
    import pandas as pd

    from topiclab import plotting
    from topiclab.io import atomic_write_bytes
    from topiclab.models import TopicResult
    from topiclab.stream import DocumentStore, TokenStore

    def png(fig) -> bytes:
        import io

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
        plt.close(fig)
        return buffer.getvalue()

    written = 0
    with plotting.paper_style():
        for name in ("lda", "nmf"):
            terms = TopicResult.load(root / "results" / name).to_frame(10)
            fig = plt.figure(figsize=(10, 6))
            plotting.plot_top_terms(terms, fig, n_terms=8)
            atomic_write_bytes(root / "figures" / f"top_terms_{name}.png", png(fig))
            written += 1
        columns = ["doc_id", "locality", "year"]
        documents = pd.concat(
            [frame[columns] for frame in DocumentStore(root).frames()], ignore_index=True
        )
        units = TokenStore(root).units()[["unit_id", "doc_id", "n_tokens"]]
        units["n_tokens"] = units["n_tokens"].astype(int)
        fig = plt.figure(figsize=(10, 4))
        plotting.plot_corpus_overview(documents, units, fig, length="n_tokens")
        atomic_write_bytes(root / "figures" / "corpus_overview.png", png(fig))
        written += 1
    return {"figures": written}


def stage_dask_check(args: argparse.Namespace, root: Path) -> dict:
    from topiclab.parallel import preprocess_parallel
    from topiclab.preprocess import Preprocessor
    from topiclab.stream import DocumentStream

    texts = [doc["text"] for doc in DocumentStream(args.data, limit=args.size)]
    base = Preprocessor(batch_size=16)
    start = time.perf_counter()
    local = preprocess_parallel(texts, base, n_jobs=args.jobs)
    local_s = time.perf_counter() - start
    start = time.perf_counter()
    dask = preprocess_parallel(texts, base, scheduler="local", n_workers=2, processes=True)
    dask_s = time.perf_counter() - start
    same = sum(a == b for a, b in zip(local, dask, strict=True))
    return {
        "n_texts": len(texts),
        "n_identical": same,
        "identical": same == len(texts) and len(local) == len(dask),
        "n_tokens": sum(map(len, local)),
        "local_s": round(local_s, 2),
        "dask_s": round(dask_s, 2),
    }


def stage_inmemory(args: argparse.Namespace, root: Path) -> dict:
    """The in-memory path on the same articles, then a check against the streamed store."""
    from topiclab.corpus import load_corpus, make_units
    from topiclab.preprocess import Preprocessor
    from topiclab.stream import BowStore, TokenStore
    from topiclab.vectorize import EmptyUnitsWarning, vectorize

    cpu_start, start = _work_cpu(), time.perf_counter()
    corpus = load_corpus(root / SUBSET)
    units = make_units(corpus.documents, "paragraph")
    preprocessor = Preprocessor(n_jobs=args.jobs, backend="loky", batch_size=64)
    tokens = preprocessor.transform(units["text"].tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmptyUnitsWarning)
        vc = vectorize(tokens, no_below=2, no_above=0.95, keep_n=20000)
    compute_s, compute_cpu_s = time.perf_counter() - start, _work_cpu() - cpu_start
    store = BowStore(root)
    same_units = TokenStore(root).units()["unit_id"].tolist() == units["unit_id"].tolist()
    same_bow = (
        same_units
        and store.vocab == vc.vocab
        and store.shape == vc.bow.shape
        and (store.to_csr() != vc.bow).nnz == 0
        and (store.tfidf() != vc.tfidf).nnz == 0
    )
    return {
        "compute_s": compute_s,
        "compute_cpu_s": compute_cpu_s,
        "n_documents": len(corpus.documents),
        "n_units": len(units),
        "same_units": same_units,
        "same_bow": bool(same_bow),
    }


STAGE_FUNCTIONS = {
    "ingest": stage_ingest,
    "preprocess": stage_preprocess,
    "vectorize": stage_vectorize,
    "lda": stage_lda,
    "nmf": stage_nmf,
    "coherence": stage_coherence,
    "figures": stage_figures,
    "dask_check": stage_dask_check,
    "inmemory": stage_inmemory,
}


def run_stage_here(args: argparse.Namespace) -> int:
    """Child process: run one stage and print its timing and details as one JSON line."""
    root = Path(args.work) / f"n{args.size}"
    root.mkdir(parents=True, exist_ok=True)
    # Imports are start-up, not the stage's work: load them before the clock starts.
    for module in IMPORTS[args.stage]:
        importlib.import_module(module)
    cpu_start = _work_cpu()
    start = time.perf_counter()
    details = STAGE_FUNCTIONS[args.stage](args, root)
    compute_s = time.perf_counter() - start
    compute_cpu_s = _work_cpu() - cpu_start
    result = {"compute_s": compute_s, "compute_cpu_s": compute_cpu_s, **details}
    print(RESULT_TAG + json.dumps(result), flush=True)
    return 0


def _work_cpu() -> float:
    """CPU seconds of this process, its live workers and its finished children.

    On a machine shared with other jobs the wall time of a stage depends on what else runs;
    its CPU time does not, so the growth exponents are given for both.
    """
    import resource

    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            continue
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + reaped.ru_utime + reaped.ru_stime


# -- the parent: spawn, measure, tabulate -------------------------------------------------


def _tree_rss(process, *, proportional: bool = False) -> int:
    """Summed RSS of ``process`` and its descendants; with ``proportional``, summed PSS.

    RSS counts a page shared by several processes (a library's code, a memory-mapped
    file) once in each of them; PSS divides it among them, so the summed PSS is what the
    tree occupies in the machine's memory. The RSS sum is the larger, conservative number.
    """
    import psutil

    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_full_info().pss if proportional else member.memory_info().rss
        except (psutil.Error, AttributeError):
            continue
    return total


def measure(command: list[str], *, tagged: bool = True, trace: Path | None = None) -> dict:
    """Run ``command``; its wall time, peak RSS (wait4) and sampled peak tree RSS.

    ``tagged``: the command prints one ``RESULT {json}`` line (a stage of this script), whose
    values are added; otherwise only the exit status counts. ``trace``: a CSV of every sample
    (seconds, tree and top-process RSS in MB), to see which stage holds the peak.
    """
    import psutil

    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO)
    handle = psutil.Process(child.pid)
    peak = [0]
    peak_pss = [0]
    cpu: dict[int, float] = {}  # CPU seconds of every descendant, as last seen alive
    samples: list[tuple[float, float, float]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            tree = _tree_rss(handle)
            peak[0] = max(peak[0], tree)
            if trace is not None:  # the run mode only: reading smaps costs a little CPU
                peak_pss[0] = max(peak_pss[0], _tree_rss(handle, proportional=True))
            if trace is not None:
                try:
                    top = handle.memory_info().rss
                except psutil.Error:
                    top = 0
                samples.append((time.perf_counter() - start, tree / 2**20, top / 2**20))
            try:
                members = handle.children(recursive=True)
            except psutil.Error:
                members = []
            for member in [handle, *members]:
                try:
                    cpu[member.pid] = sum(member.cpu_times()[:2])
                except psutil.Error:
                    continue
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout_lines = []
    assert child.stdout is not None
    for line in child.stdout:
        stdout_lines.append(line)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if trace is not None:
        trace.parent.mkdir(parents=True, exist_ok=True)
        trace.write_text(
            "seconds,tree_rss_mb,top_rss_mb\n"
            + "".join(f"{t:.1f},{a:.0f},{b:.0f}\n" for t, a, b in samples),
            encoding="utf-8",
        )
    result = next(
        (
            json.loads(line[len(RESULT_TAG) :])
            for line in stdout_lines
            if line.startswith(RESULT_TAG)
        ),
        None,
    )
    if child.returncode != 0 or (tagged and result is None):
        raise RuntimeError(f"stage failed (exit {child.returncode}): {shlex.join(command)}")
    # wait4 counts the command and the children it reaped itself; workers reaped by another
    # process are only in the samples (each process's own CPU as last seen), so the larger
    # of the two totals is given
    return {
        "process_s": elapsed,
        "cpu_s": max(usage.ru_utime + usage.ru_stime, sum(cpu.values())),
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "peak_tree_rss_mb": max(peak[0], usage.ru_maxrss * 1024) / 2**20,
        **({"peak_tree_pss_mb": peak_pss[0] / 2**20} if trace is not None else {}),
        **(result or {}),
    }


def stage_command(args: argparse.Namespace, stage: str, size: int) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--stage",
        stage,
        "--size",
        str(size),
        "--data",
        str(args.data),
        "--work",
        str(args.work),
        "--jobs",
        str(args.jobs),
        "--k",
        str(args.k),
        "--passes",
        str(args.passes),
        "--iterations",
        str(args.iterations),
        "--chunk-size",
        str(args.chunk_size),
    ]


def fastest(runs: list[dict]) -> dict:
    """One row from repeated runs: the least wall and CPU time, the largest memory.

    Other jobs on a shared machine can only slow a stage down, so the minimum is the
    estimate least disturbed by them; memory takes the maximum, to stay on the safe side.
    """
    row = dict(runs[0])
    for column in ("compute_s", "compute_cpu_s", "process_s", "cpu_s"):
        row[column] = min(run[column] for run in runs)
    for column in ("peak_rss_mb", "peak_tree_rss_mb"):
        row[column] = max(run[column] for run in runs)
    return row


def write_subset(data: Path, path: Path, size: int) -> None:
    """The first ``size`` lines of the data, for the in-memory path (outside the repo)."""
    import gzip

    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if data.name.endswith(".gz") else open
    with opener(data, "rt", encoding="utf-8") as source, open(path, "w", encoding="utf-8") as out:
        for number, line in enumerate(source):
            if number >= size:
                break
            out.write(line)


def exponent(t1: float, t2: float, n1: float, n2: float) -> float:
    if min(t1, t2, n1, n2) <= 0 or n1 == n2:
        return float("nan")
    return math.log(t2 / t1) / math.log(n2 / n1)


def growth_table(rows, sizes_done: list[int]):
    import pandas as pd

    frame = pd.DataFrame(rows)
    docs = frame[frame["stage"] == "ingest"].set_index("size")["n_documents"]
    out = []
    for stage in STAGES:
        part = frame[frame["stage"] == stage].set_index("size")
        for a, b in itertools.pairwise(sizes_done):
            if a in part.index and b in part.index:
                out.append(
                    {
                        "stage": stage,
                        "from_docs": int(docs[a]),
                        "to_docs": int(docs[b]),
                        "time_exponent": exponent(
                            part.at[a, "compute_s"], part.at[b, "compute_s"], docs[a], docs[b]
                        ),
                        "cpu_exponent": exponent(
                            part.at[a, "compute_cpu_s"],
                            part.at[b, "compute_cpu_s"],
                            docs[a],
                            docs[b],
                        ),
                        "memory_exponent": exponent(
                            part.at[a, "peak_tree_rss_mb"],
                            part.at[b, "peak_tree_rss_mb"],
                            docs[a],
                            docs[b],
                        ),
                    }
                )
    return pd.DataFrame(out)


def markdown(
    frame, growth, dask: dict | None, args, command: str, note: str, inmemory: list[dict]
) -> str:
    sizes = sorted(frame["size"].unique())
    docs = {
        size: int(n)
        for size, n in frame[frame["stage"] == "ingest"].set_index("size")["n_documents"].items()
    }
    header = "| stage | " + " | ".join(f"{docs.get(s, s):,} docs: s / MB" for s in sizes) + " |"
    lines = [
        "# Scale benchmark",
        "",
        "Produced by:",
        "",
        "```",
        command,
        "```",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; machine: "
        f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        f"- data: `{args.data.name}`, the first N articles; paragraph units; "
        f"preprocess with {args.jobs} joblib processes; LDA K={args.k}, passes={args.passes}, "
        f"iterations={args.iterations} (gensim, read from disk); NMF K={args.k} on TF-IDF",
        "- time: the stage's own work in seconds (`compute_s`, without Python start-up); "
        "memory: peak resident memory of the stage process plus its worker processes, in MB "
        "(`peak_tree_rss_mb`, sampled every 0.1 s; ru_maxrss of the stage process alone is "
        "in the CSV)",
        "- the machine is shared with other jobs while this runs: timings are noisy; the "
        "CPU seconds (user + system of the stage and its workers) in the CSV show how much "
        "of the machine a stage actually got"
        + (
            f"; each stage ran {args.repeats} times and the least time (the run least slowed "
            "by other jobs) and the largest memory are reported"
            if args.repeats > 1
            else ""
        ),
        "",
        header,
        "|---|" + "---|" * len(sizes),
    ]
    for stage in STAGES:
        cells = []
        for size in sizes:
            row = frame[(frame["stage"] == stage) & (frame["size"] == size)]
            if row.empty:
                cells.append("not run")
            else:
                r = row.iloc[0]
                cells.append(f"{r['compute_s']:.1f} / {r['peak_tree_rss_mb']:.0f}")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    totals = []
    for size in sizes:
        part = frame[frame["size"] == size]
        complete = set(part["stage"]) == set(STAGES)
        cpu = f", CPU {part['cpu_s'].sum():.0f} s" if "cpu_s" in part else ""
        totals.append(
            f"{part['compute_s'].sum():.0f} s (with start-ups {part['process_s'].sum():.0f} s"
            f"{cpu}), max {part['peak_tree_rss_mb'].max():.0f} MB"
            + ("" if complete else " (incomplete)")
        )
    lines.append("| **whole run** | " + " | ".join(totals) + " |")
    lines += ["", "## Growth exponents (1 = linear in documents)", ""]
    if growth.empty:
        lines.append("Only one size finished: no exponent.")
    else:
        pairs = sorted({(r.from_docs, r.to_docs) for r in growth.itertuples()})
        kinds = (("time_exponent", "wall"), ("cpu_exponent", "CPU"), ("memory_exponent", "memory"))
        lines.append(
            "| stage | "
            + " | ".join(f"{label} {a:,}→{b:,}" for _, label in kinds for a, b in pairs)
            + " |"
        )
        lines.append("|---|" + "---|" * (len(kinds) * len(pairs)))
        for stage in STAGES:
            part = growth[growth["stage"] == stage]
            if part.empty:
                continue
            cells = []
            for column, _ in kinds:
                for a, b in pairs:
                    match = part[(part.from_docs == a) & (part.to_docs == b)]
                    cells.append(f"{match[column].iloc[0]:.2f}" if len(match) else "")
            lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines += ["", "## Goals", ""]
    largest = max(sizes)
    part = frame[frame["size"] == largest]
    complete = set(part["stage"]) == set(STAGES)
    peak = part["peak_tree_rss_mb"].max()
    total = part["process_s"].sum()

    def worst(column: str) -> str:
        if growth.empty:
            return "no exponent (one size only)"
        row = growth.loc[growth[column].idxmax()]
        return f"{row[column]:.2f} ({row['stage']}, {row['from_docs']:,}→{row['to_docs']:,})"

    worst_cpu = growth["cpu_exponent"].max() if not growth.empty else float("nan")
    lines += [
        f"- every stage at most linear: largest CPU-time exponent {worst('cpu_exponent')}, "
        f"largest wall-time exponent {worst('time_exponent')} — "
        + ("met" if worst_cpu <= 1.1 else "NOT met")
        + " on CPU time, with 0.1 allowed for noise (the wall time also depends on what else "
        "the shared machine runs)",
        f"- peak memory at {docs.get(largest, largest):,} documents under "
        f"{GOAL_MEMORY_MB} MB: {peak:.0f} MB — " + ("met" if peak < GOAL_MEMORY_MB else "NOT met"),
        f"- whole run at {docs.get(largest, largest):,} documents under 15 min on "
        f"{os.cpu_count()} cores: {total / 60:.1f} min — "
        + ("met" if total < GOAL_TOTAL_S and complete else "NOT met")
        + ("" if complete else " (the run did not finish every stage)"),
    ]
    lines += ["", "## Dask LocalCluster against local processes", ""]
    if dask is None:
        lines.append("Not run.")
    else:
        lines.append(
            f"On the first {args.dask_check} articles ({dask['n_texts']} documents, "
            f"{dask['n_tokens']:,} tokens): {dask['n_identical']} of {dask['n_texts']} token "
            f"lists identical between joblib ({args.jobs} local processes, "
            f"{dask['local_s']:.1f} s) and a Dask LocalCluster of 2 worker processes "
            f"({dask['dask_s']:.1f} s, including the cluster start) — "
            + ("**identical**." if dask["identical"] else "**DIFFERENT**.")
        )
    lines += ["", "## In-memory path on the same articles", ""]
    if not inmemory:
        lines.append("Not run.")
    else:
        lines += [
            "`load_corpus` → `make_units` → `Preprocessor.transform` → `vectorize` in one "
            "process, against the largest peak of the streamed ingest, preprocess and "
            "vectorize stages at the same size:",
            "",
            "| documents | in-memory s / MB | streamed s / MB (sum of times, largest peak) "
            "| same units and BoW |",
            "|---|---|---|---|",
        ]
        for row in inmemory:
            part = frame[
                (frame["size"] == row["size"])
                & frame["stage"].isin(["ingest", "preprocess", "vectorize"])
            ]
            lines.append(
                f"| {row['n_documents']:,} | {row['compute_s']:.1f} / "
                f"{row['peak_tree_rss_mb']:.0f} | {part['compute_s'].sum():.1f} / "
                f"{part['peak_tree_rss_mb'].max():.0f} | "
                + ("yes" if row["same_bow"] else "NO")
                + " |"
            )
    if note:
        lines += ["", "## Notes", "", note]
    return "\n".join(lines) + "\n"


# -- --mode run: the whole `topiclab run` as one process tree ---------------------------


def write_subset_gz(data: Path, path: Path, size: int) -> int:
    """The first ``size`` articles of ``data`` as a gzipped JSON-lines table; their number."""
    import gzip

    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if data.name.endswith(".gz") else open
    written = 0
    with (
        opener(data, "rt", encoding="utf-8") as source,
        gzip.open(path, "wt", encoding="utf-8") as out,
    ):
        for line in source:
            if written >= size:
                break
            out.write(line)
            written += 1
    return written


def run_command(args: argparse.Namespace, subset: Path, output: Path, cache: Path) -> list[str]:
    """``topiclab run`` on ``subset`` with the benchmark's settings, as a subprocess."""
    command = [
        sys.executable,
        "-c",
        "import sys; from topiclab.cli import main; sys.exit(main(sys.argv[1:]))",
        "run",
        "-v",  # each stage's start on stderr, to read the memory trace against
        "--corpus",
        str(subset),
        "--jobs",
        str(args.jobs),
        "--k",
        str(args.k),
        "--output",
        str(output),
        "--set",
        f"cache={cache}",
    ]
    for setting in args.set:
        command += ["--set", setting]
    return command


def run_markdown(rows: list[dict], args: argparse.Namespace, command: str, note: str) -> str:
    lines = [
        "# Scale of the whole `topiclab run`",
        "",
        "Produced by:",
        "",
        "```",
        command,
        "```",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; machine: "
        f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        f"- data: `{args.data.name}`, the first N articles (a gzipped subset file); each size "
        f"is one `topiclab run --corpus SUBSET --jobs {args.jobs} --k {args.k}"
        + "".join(f" --set {s}" for s in args.set)
        + "` in a fresh process with an empty cache",
        "- memory: peak of the summed resident memory of the run and all its worker "
        "processes, sampled every 0.1 s (psutil); CPU: user + system seconds of the run and "
        "its reaped children (wait4); PSS: the same sum of proportional set sizes (a page "
        "shared by n processes counted 1/n in each), what the tree occupies in memory; "
        "the goal is checked on the larger RSS sum",
        "",
        "| articles | wall s | CPU s | peak tree RSS MB | peak tree PSS MB |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        pss = row.get("peak_tree_pss_mb")
        lines.append(
            f"| {row['n_articles']:,} | {row['process_s']:.0f} | {row['cpu_s']:.0f} | "
            f"{row['peak_tree_rss_mb']:.0f} | {'' if pss is None else f'{pss:.0f}'} |"
        )
    if len(rows) > 1:
        lines += ["", "## Growth exponents (1 = linear in articles)", ""]
        lines += ["| from → to | wall | CPU | memory |", "|---|---|---|---|"]
        for a, b in itertools.pairwise(rows):
            n1, n2 = a["n_articles"], b["n_articles"]
            lines.append(
                f"| {n1:,} → {n2:,} | {exponent(a['process_s'], b['process_s'], n1, n2):.2f} | "
                f"{exponent(a['cpu_s'], b['cpu_s'], n1, n2):.2f} | "
                f"{exponent(a['peak_tree_rss_mb'], b['peak_tree_rss_mb'], n1, n2):.2f} |"
            )
        first, last = rows[0], rows[-1]
        overall = exponent(
            first["peak_tree_rss_mb"],
            last["peak_tree_rss_mb"],
            first["n_articles"],
            last["n_articles"],
        )
        lines += [
            "",
            f"Memory exponent {first['n_articles']:,} → {last['n_articles']:,}: "
            f"{overall:.2f} (goal below 0.3).",
        ]
    peak = max(row["peak_tree_rss_mb"] for row in rows)
    lines += [
        "",
        f"Largest peak: {peak:.0f} MB (goal under {GOAL_MEMORY_MB} MB) — "
        + ("met." if peak < GOAL_MEMORY_MB else "NOT met."),
    ]
    if note:
        lines += ["", "## Notes", "", note]
    return "\n".join(lines) + "\n"


def main_run(args: argparse.Namespace) -> int:
    """``--mode run``: the whole command at each size, one process tree each."""
    import shutil

    import pandas as pd

    from topiclab.io import atomic_write_text, write_table

    command = "python benchmarks/scale.py " + shlex.join(sys.argv[1:])
    rows: list[dict] = []
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        folder = Path(args.work) / f"run{size}"
        shutil.rmtree(folder, ignore_errors=True)
        subset = folder / "subset.jsonl.gz"
        n_articles = write_subset_gz(args.data, subset, size)
        print(f"[{n_articles}] topiclab run ...", end=" ", flush=True)
        row = measure(
            run_command(args, subset, folder / "output", folder / "cache"),
            tagged=False,
            trace=args.out / f"scale_run_trace_{size}.csv",
        )
        documents = pd.read_csv(folder / "output" / "tables" / "manifest.csv", dtype=str)
        units = sum(1 for _ in open(folder / "output" / "tables" / "units.csv", "rb"))
        row = {
            "size": size,
            "n_articles": n_articles,
            "n_documents": int((documents["status"] == "included").sum()),
            "units_csv_lines": units,
            **row,
        }
        rows.append(row)
        print(
            f"{row['process_s']:.0f} s wall, {row['cpu_s']:.0f} s CPU, "
            f"peak {row['peak_tree_rss_mb']:.0f} MB",
            flush=True,
        )
        write_table(pd.DataFrame(rows), args.out / "scale_run.csv")
        atomic_write_text(args.out / "scale_run.md", run_markdown(rows, args, command, args.note))
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(run_markdown(rows, args, command, args.note))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--dask-check", type=int, default=300, help="articles (0 = skip)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/topiclab-scale"))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--note", default="", help="text added to the results file")
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs of each stage; the fastest is reported"
    )
    parser.add_argument(
        "--compare-up-to",
        type=int,
        default=5000,
        help="also run the in-memory path at sizes up to this (0 = never)",
    )
    parser.add_argument(
        "--mode",
        choices=("stages", "run"),
        default="stages",
        help="stages: each streaming stage in its own process; run: the whole topiclab run",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        help="--mode run: a config override passed to topiclab run (repeatable)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="--mode run: keep each size's output and cache"
    )
    parser.add_argument("--stage", choices=sorted(STAGE_FUNCTIONS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data = args.data.resolve() if args.data.exists() else args.data
    if args.stage:
        return run_stage_here(args)
    if not args.data.exists():
        print(
            f"data not found: {args.data}\n"
            "This benchmark needs the VNTC sample (vntc_20k.jsonl.gz, see "
            "../shared/data/README.md); pass its path with --data.",
            file=sys.stderr,
        )
        return 2
    if args.mode == "run":
        args.out.mkdir(parents=True, exist_ok=True)
        return main_run(args)

    import pandas as pd

    from topiclab.io import atomic_write_text, write_table

    command = "python benchmarks/scale.py " + shlex.join(sys.argv[1:])
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    rows: list[dict] = []
    csv_path = args.out / "scale.csv"
    md_path = args.out / "scale.md"

    def save(dask: dict | None) -> None:
        frame = pd.DataFrame(rows)
        done = sorted(frame["size"].unique())
        growth = growth_table(rows, done)
        write_table(frame, csv_path)
        text = markdown(frame, growth, dask, args, command, args.note, inmemory)
        atomic_write_text(md_path, text)
        if inmemory:
            write_table(pd.DataFrame(inmemory), args.out / "scale_inmemory.csv")

    dask = None
    inmemory: list[dict] = []
    for size in sizes:
        for stage in STAGES:
            print(f"[{size}] {stage} ...", end=" ", flush=True)
            runs = [measure(stage_command(args, stage, size)) for _ in range(args.repeats)]
            row = fastest(runs)
            rows.append({"size": size, "stage": stage, "repeats": len(runs), **row})
            print(
                f"{row['compute_s']:.1f} s (process {row['process_s']:.1f} s), "
                f"peak {row['peak_tree_rss_mb']:.0f} MB "
                f"(stage process {row['peak_rss_mb']:.0f} MB)",
                flush=True,
            )
            save(dask)
        if size <= args.compare_up_to:
            write_subset(args.data, Path(args.work) / f"n{size}" / SUBSET, size)
            print(f"[{size}] in-memory path ...", end=" ", flush=True)
            row = measure(stage_command(args, "inmemory", size))
            inmemory.append({"size": size, **row})
            print(
                f"{row['compute_s']:.1f} s, peak {row['peak_tree_rss_mb']:.0f} MB, "
                f"same BoW as streamed: {row['same_bow']}",
                flush=True,
            )
            save(dask)
        if size == sizes[0] and args.dask_check:
            print(f"[dask check, {args.dask_check} articles] ...", end=" ", flush=True)
            command_dask = stage_command(args, "dask_check", args.dask_check)
            dask = measure(command_dask)
            print(
                "identical" if dask["identical"] else "DIFFERENT",
                f"({dask['n_identical']}/{dask['n_texts']})",
                flush=True,
            )
            save(dask)
    frame = pd.DataFrame(rows)
    print()
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {csv_path} and {md_path}")
    return 0 if not frame.empty else 1


if __name__ == "__main__":
    sys.exit(main())
