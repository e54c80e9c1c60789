"""Preprocessing throughput against bare pyvi, with 2 workers, and from the token cache.

From one run, on the same texts, it prints:

1. the default :class:`topiclab.Preprocessor` on one core against bare
   ``pyvi.ViTokenizer.tokenize`` (goal: at least 0.75x of pyvi's throughput);
2. the speed-up of ``n_jobs=2`` over ``n_jobs=1`` (goal: at least 1.6x);
3. the speed-up of a cached re-run over the first, cache-filling run (goal: at least 20x).

Usage: python benchmarks/preprocess.py [--data ../shared/data/vntc_20k.jsonl.gz] [--n 2000]

--n takes N articles spread evenly over the file (0 = all 19,767). When the data file is
absent the benchmark says so and runs on the five shipped articles instead, whose timings are
too short to be more than a smoke test. Timings on a shared machine vary from run to run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vntc_20k.jsonl.gz"


def load_texts(path: Path, n: int) -> list[str]:
    """N article texts spread evenly over the JSON-lines file (all when ``n`` is 0)."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()]
    if n and n < len(texts):
        step = len(texts) / n
        texts = [texts[int(i * step)] for i in range(n)]
    return texts


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args(argv)

    if args.data.exists():
        texts = load_texts(args.data, args.n)
        source = f"{args.data} ({len(texts)} articles)"
    else:
        print(f"DATA FILE ABSENT: {args.data} not found; using the five shipped articles.")
        texts = [p.read_text(encoding="utf-8") for p in sorted((REPO / "corpus/raw").iterdir())]
        source = f"{REPO / 'corpus/raw'} ({len(texts)} articles)"
    chars = sum(len(text) for text in texts)
    print(f"texts: {source}, {chars / 1e6:.1f} million characters")
    print(f"machine: {os.cpu_count()} cores (shared; timings vary between runs)")

    from pyvi import ViTokenizer

    from topiclab import Preprocessor

    # Load both models before timing: pyvi's CRF, the gazetteer and the word lists.
    ViTokenizer.tokenize("khởi động")
    Preprocessor().transform_one("khởi động Ban Thường vụ")

    t_pyvi, _ = timed(lambda: [ViTokenizer.tokenize(text) for text in texts])
    t_one, tokens_one = timed(lambda: Preprocessor(n_jobs=1, progress=False).transform(texts))
    t_two, tokens_two = timed(lambda: Preprocessor(n_jobs=2, progress=False).transform(texts))
    with tempfile.TemporaryDirectory() as cache:
        cold = Preprocessor(cache_dir=cache, progress=False)
        t_cold, _ = timed(lambda: cold.transform(texts))
        warm = Preprocessor(cache_dir=cache, progress=False)
        t_warm, tokens_warm = timed(lambda: warm.transform(texts))
    if tokens_two != tokens_one or tokens_warm != tokens_one:
        print("ERROR: results differ between 1 job, 2 jobs and the cache")
        return 1

    def rate(seconds: float) -> str:
        return f"{chars / seconds / 1e3:8.0f} k chars/s ({len(texts) / seconds:7.1f} texts/s)"

    ratio_pyvi = t_pyvi / t_one
    speedup_two = t_one / t_two
    speedup_cache = t_cold / t_warm
    print()
    print(f"bare pyvi.ViTokenizer.tokenize, 1 core : {t_pyvi:7.2f} s  {rate(t_pyvi)}")
    print(f"topiclab Preprocessor, n_jobs=1        : {t_one:7.2f} s  {rate(t_one)}")
    print(f"topiclab Preprocessor, n_jobs=2        : {t_two:7.2f} s  {rate(t_two)}")
    print(f"first run with cache_dir (fills cache) : {t_cold:7.2f} s")
    print(f"re-run from the cache                  : {t_warm:7.2f} s  (0 texts segmented)")
    print()
    verdict = {True: "ok", False: "BELOW GOAL"}
    print(
        f"pipeline / bare pyvi throughput : {ratio_pyvi:5.2f}x  (goal >= 0.75x) "
        f"{verdict[ratio_pyvi >= 0.75]}"
    )
    print(
        f"speed-up with 2 jobs            : {speedup_two:5.2f}x  (goal >= 1.6x)  "
        f"{verdict[speedup_two >= 1.6]}"
    )
    print(
        f"cached re-run speed-up          : {speedup_cache:5.1f}x  (goal >= 20x)   "
        f"{verdict[speedup_cache >= 20]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
