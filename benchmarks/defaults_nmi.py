"""Do topiclab's shipped defaults recover VNTC's categories as well as bare scikit-learn?

One run takes a seeded sample of ``--n`` labelled VNTC articles and compares, by the NMI and
purity of each article's dominant topic against its ``category``:

* the bare baseline: pyvi tokens, lower-cased, alphabetic, stopwords-iso "vi" removed
  (``benchmarks/models.py``'s ``pyvi_tokenizer``), scikit-learn ``CountVectorizer`` /
  ``TfidfVectorizer`` with ``min_df=3, max_df=0.5``, scikit-learn ``NMF`` on TF-IDF and
  ``LatentDirichletAllocation`` on counts, K topics, every other setting scikit-learn's default;
* topiclab as a user runs it, with no config file: the equivalent of
  ``topiclab run --corpus SAMPLE --unit document --k K --jobs J``, read back from the
  ``document_topics.csv`` it writes. ``figures.enabled=false`` is the one extra setting: the
  figures do not change the tables, and an undated corpus has no year figure to draw.

It prints one table (method, NMI, purity, time), topiclab's top-10 terms per topic, and
whether any Vietnamese number word or quantifier (``NUMBER_WORDS``) is among them.

One fit's dominant-topic NMI moves by up to +-0.06 with the seed (LDA more than NMF), so every
method is also fitted with ``--seeds`` seeds (topiclab: one run per ``--seed``) and the table
gives the first seed's NMI (what one run shows) beside the mean and range over the seeds.

Usage: python benchmarks/defaults_nmi.py [--data ../shared/data/vntc_20k.jsonl.gz] [--n 2000]
       [--k 10] [--jobs 1] [--seeds 5] [--work /tmp/topiclab_defaults_nmi] [--skip-baseline]

``--work`` holds the sample, topiclab's output and its cache; it is emptied first so every
run fits from scratch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from models import (  # noqa: E402  (benchmarks/models.py: same sample, tokenizer, purity)
    DEFAULT_DATA,
    SEED,
    load_sample,
    purity,
    pyvi_tokenizer,
    tokenize_cached,
)
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402

# Written forms of numbers and quantifiers: they occur in articles of every category, so a
# topic led by them says nothing about its subject. Independent of topiclab's stoplists on
# purpose: this is the check, not the implementation.
NUMBER_WORDS = frozenset(
    """
    không một hai ba bốn năm sáu bảy tám chín mười mươi mốt tư lăm linh lẻ trăm nghìn ngàn
    vạn triệu tỷ tỉ chục nửa rưỡi đôi
    một_số một_vài vài mấy mọi mỗi các những nhiều ít hầu_hết tất_cả toàn_bộ phần_lớn đa_số
    số_đông hàng_loạt hàng_trăm hàng_nghìn hàng_ngàn hàng_triệu hàng_chục vô_số
    khoảng thứ thứ_nhất thứ_hai thứ_ba
    """.split()
)


def nmi_purity(labels: np.ndarray, dominant: np.ndarray) -> tuple[float, float]:
    return normalized_mutual_info_score(labels, dominant), purity(labels, dominant)


def baseline(frame: pd.DataFrame, k: int, seeds: list[int]) -> list[dict]:
    """Bare scikit-learn on pyvi tokens (stopwords-iso removed), min_df=3, max_df=0.5."""
    from sklearn.decomposition import NMF, LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    start = time.perf_counter()
    label = "pyvi directly (lower-case, alphabetic, stopwords-iso vi)"
    tokens = tokenize_cached(frame, label, pyvi_tokenizer())
    tokenize_s = time.perf_counter() - start
    labels = frame["category"].to_numpy()
    settings = {"analyzer": lambda doc: doc, "min_df": 3, "max_df": 0.5}
    tfidf = TfidfVectorizer(**settings).fit_transform(tokens)
    counts = CountVectorizer(**settings).fit_transform(tokens)
    print(f"baseline: {tfidf.shape[1]} terms; tokenisation {tokenize_s:.1f} s (in both times)")

    def nmf(seed: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return NMF(k, random_state=seed).fit_transform(tfidf)

    def lda(seed: int) -> np.ndarray:
        return LatentDirichletAllocation(k, random_state=seed).fit_transform(counts)

    rows = []
    for method, fit in (("bare sklearn NMF (TF-IDF)", nmf), ("bare sklearn LDA (counts)", lda)):
        scores, seconds = [], []
        for seed in seeds:
            start = time.perf_counter()
            scores.append(nmi_purity(labels, fit(seed).argmax(axis=1)))
            seconds.append(time.perf_counter() - start + tokenize_s)
        rows.append(summary_row(method, scores, len(labels), seconds[0]))
    return rows


def summary_row(method: str, scores: list[tuple[float, float]], docs: int, seconds: float):
    """One table row: the first seed's NMI (one run), and mean and range over the seeds."""
    nmi = np.array([score[0] for score in scores])
    return {
        "method": method,
        "nmi": nmi[0],
        "nmi_mean": nmi.mean(),
        "nmi_min": nmi.min(),
        "nmi_max": nmi.max(),
        "purity": scores[0][1],
        "purity_mean": float(np.mean([score[1] for score in scores])),
        "docs": docs,
        "time_s": seconds,
    }


def topiclab_defaults(frame: pd.DataFrame, k: int, jobs: int, work: Path, seeds: list[int]):
    """topiclab's shipped defaults, as `topiclab run --corpus ... --unit document --k K`.

    One run per seed (``--seed``), all sharing one cache: run ``s`` refits seeds ``s`` to
    ``s + models.refits - 1``, so later runs reuse most fits of earlier ones. The time is
    that of the first run, from an empty cache.
    """
    import topiclab
    from topiclab import pipeline

    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    corpus = work / "vntc_sample.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for record in frame[["id", "text", "category"]].to_dict("records"):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    category = frame.set_index("id")["category"]
    scores: dict[str, list[tuple[float, float]]] = {}
    docs: dict[str, int] = {}
    terms: dict[str, list[list[str]]] = {}
    first_seconds, config = 0.0, {}
    for seed in seeds:
        output = work / f"output-{seed}"
        config = topiclab.load_config(
            None,
            [
                f"corpus.path={corpus}",
                "units.unit=document",
                f"models.k={k}",
                f"seed={seed}",
                f"parallel.n_jobs={jobs}",
                f"output={output}",
                f"cache={work / 'cache'}",
                "figures.enabled=false",
            ],
        )
        start = time.perf_counter()
        pipeline.run(config)
        if not first_seconds:
            first_seconds = time.perf_counter() - start
        tables = output / "tables"
        shares = pd.read_csv(tables / "document_topics.csv")
        for model, group in shares.groupby("model", sort=True):
            columns = [c for c in group.columns if c not in ("doc_id", "model")]
            theta = group[columns].to_numpy(dtype=float)
            labels = category.reindex(group["doc_id"].astype(str)).to_numpy()
            scores.setdefault(model, []).append(nmi_purity(labels, theta.argmax(axis=1)))
            docs[model] = len(labels)
        if not terms:
            topics = pd.read_csv(tables / "topics.csv")
            for model in scores:
                picked = topics[topics["model"] == model].sort_values("topic")
                terms[model] = [str(t).split()[:10] for t in picked["top_terms"]]
    rows = [
        summary_row(f"topiclab defaults {model}", scores[model], docs[model], first_seconds)
        for model in sorted(scores)
    ]
    return rows, terms, config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=2000, help="seeded sample size (0 = all)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1, help="topiclab's --jobs")
    parser.add_argument("--work", type=Path, default=Path("/tmp/topiclab_defaults_nmi"))
    parser.add_argument(
        "--seeds", type=int, default=5, help="fits per method: seeds SEED, SEED + 1, ..."
    )
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"data not found: {args.data} (pass --data PATH to the VNTC sample); nothing run")
        return 2
    frame = load_sample(args.data, args.n, SEED)
    print(f"data: {args.data}; {len(frame)} articles (seeded sample, seed {SEED}), K = {args.k}")
    seeds = [SEED + i for i in range(max(args.seeds, 1))]
    rows = [] if args.skip_baseline else baseline(frame, args.k, seeds)
    ours, terms, config = topiclab_defaults(frame, args.k, args.jobs, args.work, seeds)
    rows += ours
    vec, lda, nmf = config["vectorize"], config["models"]["lda"], config["models"]["nmf"]
    print(
        f"topiclab settings: vectorize {dict(vec)}; lda backend={lda['backend']} "
        f"passes={lda['passes']} "
        f"iterations={lda['iterations']} alpha={lda['alpha']} eta={lda['eta']}; "
        f"nmf {dict(nmf)}; refits {config['models']['refits']}; "
        f"preprocess number_stopwords={config['preprocess'].get('number_stopwords')}"
    )
    print(
        f"nmi, purity: first seed ({SEED}, what one run shows); nmi_mean/min/max, purity_mean: "
        f"over seeds {seeds[0]}..{seeds[-1]}; time_s: one run (first seed, empty cache)"
    )
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    found = []
    for model, topics in terms.items():
        print(f"\ntopiclab {model} top-10 terms:")
        for topic, words in enumerate(topics):
            print(f"  {topic}: {' '.join(words)}")
            found += [
                (model, topic, w)
                for w in words
                if w in NUMBER_WORDS or any(ch.isdigit() for ch in w)
            ]
    print(
        "\nnumber words / quantifiers among the top-10 terms: "
        + (", ".join(f"{m} topic {t}: {w}" for m, t, w in found) if found else "none")
    )
    for column in ("nmi", "nmi_mean"):
        ours_nmi = {r["method"].split()[-1]: r[column] for r in ours}
        base = {
            r["method"].split()[2].lower(): r[column]
            for r in rows
            if r["method"].startswith("bare")
        }
        if base:
            verdict = all(ours_nmi.get(m, -1) >= base[m] for m in base)
            print(f"topiclab {column} >= baseline for {', '.join(sorted(base))}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
