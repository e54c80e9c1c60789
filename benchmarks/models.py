"""LDA and NMF on the labelled VNTC sample: topic quality, wrapper overhead, shared coherence.

For LDA and NMF at K=10 it prints coherence (c_v, c_npmi, u_mass), diversity, and the NMI
and purity of each document's dominant topic against the category label; then the fit time
of topiclab.LDA against a bare gensim LdaModel with the same parameters on the same bag of
words (goal: at most 1.10x), and the time of the coherence part of a select_k grid with the
co-occurrence statistics gathered once against a fresh CoherenceModel per model.

Usage: python benchmarks/models.py [--data ../shared/data/vntc_20k.jsonl.gz] [--n 3000]
       [--tokenizer auto|topiclab|pyvi] [--passes 5] [--iterations 100] [--repeats 2]
       [--sweeps 100] [--refits 3] [--nmf-k 10 20] [--coherence-grid 10 20 30]
       [--sections quality overhead coherence anchored coherence_grid backends nmf schemes]

The "coherence_grid" section (alone: --sections coherence_grid) fits NMF (init="random",
so refits differ) at every K of --coherence-grid with --refits seeds and times topiclab's
coherence of all those topic sets (one counting pass, then scoring) against one gensim
CoherenceModel per topic set and measure (c_v, c_npmi, u_mass), with the largest
difference between the two.

The "backends" section (not run by default) fits LDA with gensim (--passes passes) and
tomotopy (--passes sweeps, "equal passes"; each of --sweeps on one worker, the largest
also on two) for --refits seeds each and reports the time per fit, NMI and purity of the
dominant topic against the category, c_npmi, stability across the seeds, and whether a
second process fitting the same seed gives identical bytes. The "nmf" section (not run by default)
compares NMF solvers (cd, mu), initialisations (nndsvd, nndsvda, random), tolerances and
iteration caps on the TF-IDF matrix at each --nmf-k, on the same measures. The "schemes"
section fits tomotopy directly with each ParallelScheme (NONE, COPY_MERGE, PARTITION) on
one and two workers in three processes and says which give identical topics.

The "anchored" section measures whether anchored LDA holds its themes: for a few VNTC
categories it anchors one topic each with words of the category and reports, for a naive
gensim eta (+1 on the anchor words), topiclab's gensim prior, tomotopy with word priors and an
unanchored fit, the share of anchor words in the anchored topic's top 10 terms, the share of
the anchor words' tokens the data assigns to it, and the precision and recall of "dominant
topic = anchored topic" against the category.

--n takes a seeded sample of N articles (0 = all 19,767). Tokens are cached in
.cache/benchmarks/ (git-ignored) so a second run skips the tokenisation.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from gensim.models import CoherenceModel, LdaModel  # noqa: E402
from sklearn.metrics import normalized_mutual_info_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from topiclab.evaluate import MEASURES, CoherenceScorer, diversity, stability  # noqa: E402
from topiclab.models import LDA, NMF  # noqa: E402
from topiclab.vectorize import BowCorpus, vectorize  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vntc_20k.jsonl.gz"
SEED = 20181206


def load_sample(path: Path, n: int, seed: int) -> pd.DataFrame:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    frame = pd.DataFrame(records)[["id", "text", "category"]]
    if 0 < n < len(frame):
        rows = np.sort(np.random.RandomState(seed).choice(len(frame), size=n, replace=False))
        frame = frame.iloc[rows].reset_index(drop=True)
    return frame


def pyvi_tokenizer():
    import stopwordsiso
    from pyvi import ViTokenizer

    stop = {w.replace(" ", "_") for w in stopwordsiso.stopwords("vi")}

    def tokenize(text: str) -> list[str]:
        tokens = (t.lower() for t in ViTokenizer.tokenize(text).split())
        return [t for t in tokens if t.replace("_", "").isalpha() and t not in stop]

    return tokenize


def choose_tokenizer(name: str):
    if name in {"auto", "topiclab"}:
        try:
            from topiclab.preprocess import Preprocessor

            preprocessor = Preprocessor()
            return "topiclab.preprocess.Preprocessor()", preprocessor.transform_one
        except (ImportError, AttributeError, TypeError) as error:
            if name == "topiclab":
                raise
            print(f"topiclab preprocessing unavailable ({error}); using pyvi directly")
    return "pyvi directly (lower-case, alphabetic, stopwords-iso vi)", pyvi_tokenizer()


def tokenize_cached(frame: pd.DataFrame, label: str, tokenize) -> list[list[str]]:
    key = hashlib.sha256(("\n".join(frame["id"]) + label).encode()).hexdigest()[:16]
    cache = REPO / ".cache" / "benchmarks" / f"vntc_tokens_{key}.json.gz"
    if cache.exists():
        with gzip.open(cache, "rt", encoding="utf-8") as handle:
            return json.load(handle)
    start = time.perf_counter()
    tokens = [tokenize(text) for text in frame["text"]]
    print(f"tokenised {len(tokens)} articles in {time.perf_counter() - start:.1f} s")
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        json.dump(tokens, handle, ensure_ascii=False)
    tmp.replace(cache)
    return tokens


def purity(labels: np.ndarray, clusters: np.ndarray) -> float:
    table = pd.crosstab(clusters, labels)
    return float(table.max(axis=1).sum() / len(labels))


def timed(fn, repeats: int, clock=time.perf_counter) -> tuple[float, object]:
    best, value = np.inf, None
    for _ in range(repeats):
        start = clock()
        value = fn()
        best = min(best, clock() - start)
    return best, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=3000, help="sample size (0 = all)")
    parser.add_argument("--tokenizer", choices=["auto", "topiclab", "pyvi"], default="auto")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--grid", type=int, nargs="+", default=[5, 10, 15])
    parser.add_argument(
        "--sweeps", type=int, nargs="+", default=[50, 100], help="tomotopy Gibbs sweeps"
    )
    parser.add_argument("--refits", type=int, default=3, help="seeds per setting")
    parser.add_argument("--nmf-k", type=int, nargs="+", default=[10, 20])
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=[
            "quality",
            "overhead",
            "coherence",
            "anchored",
            "coherence_grid",
            "backends",
            "nmf",
            "schemes",
        ],
        default=["quality", "overhead", "coherence", "anchored", "coherence_grid"],
    )
    parser.add_argument("--coherence-grid", type=int, nargs="+", default=[10, 20, 30])
    args = parser.parse_args(argv)

    if not args.data.exists():
        print(f"data not found: {args.data} (pass --data PATH to the VNTC sample); nothing run")
        return 2
    print(f"data: {args.data}")
    frame = load_sample(args.data, args.n, SEED)
    print(f"articles: {len(frame)} ({'all' if args.n <= 0 else f'seeded sample --n {args.n}'})")
    label, tokenize = choose_tokenizer(args.tokenizer)
    print(f"tokenizer: {label}")
    tokens = tokenize_cached(frame, label, tokenize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vc = vectorize(tokens, no_below=5, no_above=0.5, keep_n=20000)
    print(vc.summary())
    labels = frame["category"].to_numpy()
    K = args.k
    params = {"passes": args.passes, "iterations": args.iterations}

    if "quality" in args.sections:
        quality(vc, tokens, labels, K, params, args.repeats)
    if "overhead" in args.sections:
        overhead(vc, K, args)
    if "coherence" in args.sections:
        shared_coherence(vc, tokens, params, args.grid)
    if "anchored" in args.sections:
        anchored(vc, labels, K, params, max(args.sweeps))
    if "coherence_grid" in args.sections:
        coherence_grid(vc, tokens, args.coherence_grid, args.refits)
    if "backends" in args.sections:
        backends(vc, tokens, labels, K, args)
    if "nmf" in args.sections:
        nmf_settings(vc, tokens, labels, args)
    if "schemes" in args.sections:
        schemes(vc, K, args)
    return 0


def quality(vc, tokens, labels, K, params, repeats) -> None:
    """Coherence, diversity, NMI and purity of LDA and NMF at K."""
    lda_time, lda = timed(
        lambda: LDA(K, random_state=SEED, **params).fit(vc.bow, vocab=vc.vocab), repeats
    )
    nmf_time, nmf = timed(lambda: NMF(K, random_state=SEED).fit(vc.tfidf, vocab=vc.vocab), repeats)
    start = time.perf_counter()
    scorer = CoherenceScorer(tokens, vc.dictionary).prepare([lda.result_, nmf.result_])
    print(f"coherence statistics gathered in {time.perf_counter() - start:.1f} s")
    rows = []
    for name, est, seconds in (("lda", lda, lda_time), ("nmf", nmf, nmf_time)):
        result = est.result_
        scores = scorer.score(result)
        dominant = result.doc_topic.argmax(axis=1)
        keep = np.ones(len(dominant), dtype=bool)
        keep[vc.empty_units] = False
        rows.append(
            {
                "model": name,
                "k": K,
                **{m: round(float(scores[m].mean()), 4) for m in MEASURES},
                "diversity": round(diversity(result, 25), 4),
                "nmi": round(normalized_mutual_info_score(labels[keep], dominant[keep]), 4),
                "purity": round(purity(labels[keep], dominant[keep]), 4),
                "fit_s": round(seconds, 2),
            }
        )
    print("\nTopic quality at K =", K)
    print(pd.DataFrame(rows).to_string(index=False))
    for name, est in (("lda", lda), ("nmf", nmf)):
        print(f"\n{name} top terms:")
        for topic, terms in enumerate(est.result_.top_terms(8)):
            print(f"  {topic}: {' '.join(terms)}")


def overhead(vc, K, args) -> None:
    """Fit time of topiclab.LDA against a bare LdaModel with the same parameters."""
    params = {"passes": args.passes, "iterations": args.iterations}
    corpus = BowCorpus(vc.bow)
    id2word = dict(enumerate(vc.vocab))

    def bare_fit():
        with threadpool_limits(limits=1):
            return LdaModel(
                corpus,
                num_topics=K,
                id2word=id2word,
                passes=args.passes,
                iterations=args.iterations,
                random_state=SEED,
                eval_every=None,
                dtype=np.float64,  # as topiclab.LDA fits
            )

    def bare_fit_and_doc_topic():
        model = bare_fit()
        with threadpool_limits(limits=1):
            gamma, _ = model.inference(list(corpus))
        return model, gamma / gamma.sum(axis=1, keepdims=True)

    def ours():
        return LDA(K, random_state=SEED, **params).fit(vc.bow, vocab=vc.vocab)

    # Interleaved, best of --repeats. Everything runs on one thread, so the CPU time of
    # this process is the fair measure on a shared machine; wall time is shown beside it.
    fns = {"bare": bare_fit, "bare_dt": bare_fit_and_doc_topic, "ours": ours}
    cpu = dict.fromkeys(fns, np.inf)
    wall = dict.fromkeys(fns, np.inf)
    for _ in range(args.repeats):
        for name, fn in fns.items():
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            fn()
            cpu[name] = min(cpu[name], time.process_time() - cpu_start)
            wall[name] = min(wall[name], time.perf_counter() - wall_start)
    same = np.array_equal(ours().model_.get_topics(), bare_fit().get_topics())
    print(f"\nLDA fit, K={K}, passes={args.passes}, iterations={args.iterations}")
    print("                                        CPU s     wall s")
    for name, label in (
        ("bare", "bare LdaModel (train only)         "),
        ("bare_dt", "bare LdaModel + doc-topic inference"),
        ("ours", "topiclab.LDA.fit (result_ included)"),
    ):
        print(f"  {label} {cpu[name]:8.2f}  {wall[name]:8.2f}")
    for clock, t in (("CPU", cpu), ("wall", wall)):
        print(
            f"  {clock:4s} ratio vs train + doc-topic: {t['ours'] / t['bare_dt']:.3f}x "
            f"(goal <= 1.10x); vs train only: {t['ours'] / t['bare']:.3f}x"
        )
    print(f"  identical topic-word matrices: {same}")


def shared_coherence(vc, tokens, params, grid) -> None:
    """Coherence of a select_k grid: statistics gathered once vs a CoherenceModel each."""
    results = []
    for k in grid:
        results.append(LDA(k, random_state=SEED, **params).fit(vc.bow, vocab=vc.vocab).result_)
        results.append(NMF(k, random_state=SEED).fit(vc.tfidf, vocab=vc.vocab).result_)
    start = time.perf_counter()
    shared = CoherenceScorer(tokens, vc.dictionary).prepare(results)
    shared_scores = [shared.score(r) for r in results]
    t_shared = time.perf_counter() - start
    start = time.perf_counter()
    naive_scores = []
    for result in results:
        per = {}
        for measure in MEASURES:
            cm = CoherenceModel(
                topics=result.top_terms(10),
                texts=tokens,
                dictionary=vc.dictionary,
                coherence=measure,
                processes=1,
            )
            per[measure] = cm.get_coherence_per_topic()
        naive_scores.append(per)
    t_naive = time.perf_counter() - start
    agree = all(
        np.allclose(s[m].to_numpy(), np.asarray(n[m]), equal_nan=True)
        for s, n in zip(shared_scores, naive_scores, strict=True)
        for m in MEASURES
    )
    print(f"\nselect_k coherence over {len(results)} models (K in {grid}, lda + nmf):")
    print(f"  shared statistics ({shared.n_estimations} accumulations) {t_shared:8.2f} s")
    print(f"  CoherenceModel per model ({3 * len(results)} accumulations) {t_naive:8.2f} s")
    print(f"  speed-up: {t_naive / t_shared:.2f}x; identical scores: {agree}")


def coherence_grid(vc, tokens, grid, refits) -> None:
    """One counting pass for a K grid x refits against one CoherenceModel per model."""
    from topiclab.evaluate import _seeds

    results = [
        NMF(k, random_state=seed, init="random").fit(vc.tfidf, vocab=vc.vocab).result_
        for k in grid
        for seed in _seeds(SEED, refits)
    ]
    topic_sets = [r.top_terms(10) for r in results]
    # Everything runs on one thread: CPU time of this process is the fair measure on a
    # shared machine; wall time is shown beside it.
    clocks = (time.process_time, time.perf_counter)
    start = [clock() for clock in clocks]
    scorer = CoherenceScorer(tokens, vc.dictionary).prepare(topic_sets)
    t_count = [clock() - s for clock, s in zip(clocks, start, strict=True)]
    ours = [scorer.score(topics) for topics in topic_sets]
    t_ours = [clock() - s for clock, s in zip(clocks, start, strict=True)]
    t_gensim = {m: [0.0, 0.0] for m in MEASURES}
    diff = dict.fromkeys(MEASURES, 0.0)
    same_nonfinite = True
    for topics, mine in zip(topic_sets, ours, strict=True):
        for measure in MEASURES:
            start = [clock() for clock in clocks]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reference = CoherenceModel(
                    topics=topics,
                    texts=tokens,
                    dictionary=vc.dictionary,
                    coherence=measure,
                    processes=1,
                ).get_coherence_per_topic()
            for i, (clock, s) in enumerate(zip(clocks, start, strict=True)):
                t_gensim[measure][i] += clock() - s
            a, b = mine[measure].to_numpy(), np.asarray(reference, dtype=float)
            finite = np.isfinite(a) & np.isfinite(b)
            same_nonfinite &= bool(np.array_equal(a[~finite], b[~finite], equal_nan=True))
            diff[measure] = max(diff[measure], float(np.abs(a[finite] - b[finite]).max()))
    total = [sum(t[i] for t in t_gensim.values()) for i in range(2)]
    n_words = len(scorer.counts[None].terms)
    print(
        f"\nCoherence of a K grid {grid} x {refits} refits ({len(results)} NMF topic sets, "
        f"init='random', top 10 terms; union of {n_words} words), {sum(map(len, tokens)):,} tokens"
    )
    print("                                                CPU s     wall s")
    rows = [
        ("topiclab: one counting pass", t_count),
        ("topiclab: pass + scoring all sets", t_ours),
        *((f"gensim CoherenceModel per model, {m}", t_gensim[m]) for m in MEASURES),
        ("gensim CoherenceModel per model, all", total),
    ]
    for label, (cpu, wall) in rows:
        print(f"  {label:42s} {cpu:8.2f}  {wall:8.2f}")
    print(
        f"  speed-up: {total[0] / t_ours[0]:.1f}x CPU, {total[1] / t_ours[1]:.1f}x wall "
        "(goal >= 20x)"
    )
    print(
        "  max abs difference: "
        + ", ".join(f"{m} {diff[m]:.2e}" for m in MEASURES)
        + f" (goal <= 1e-6); same nan/inf topics: {same_nonfinite}"
    )


ANCHORS_VNTC = {
    "The thao": ["bóng_đá", "cầu_thủ", "hlv", "trận", "đội_tuyển", "giải"],
    "Phap luat": ["công_an", "điều_tra", "bị_cáo", "tòa", "án", "vụ"],
    "Suc khoe": ["bệnh", "bệnh_nhân", "bác_sĩ", "thuốc", "điều_trị", "bệnh_viện"],
    "Chinh tri Xa hoi": ["đảng", "cán_bộ", "đảng_viên", "quốc_hội", "đại_biểu", "chính_quyền"],
}


def anchored(vc, labels, K, params, sweeps) -> None:
    """Does each anchored topic hold its anchor words and its category's documents?"""
    anchors = {c: [w for w in ws if w in set(vc.vocab)] for c, ws in ANCHORS_VNTC.items()}
    ids = [[vc.vocab.index(w) for w in ws] for ws in anchors.values()]
    print("\nAnchored LDA, K =", K, "anchor words:", anchors)
    corpus, id2word = BowCorpus(vc.bow), dict(enumerate(vc.vocab))

    def naive():
        eta = np.full((K, vc.n_terms), 1.0 / K)
        for topic, cols in enumerate(ids):
            eta[topic, cols] += 1.0
        with threadpool_limits(limits=1):
            model = LdaModel(
                corpus,
                num_topics=K,
                id2word=id2word,
                eta=eta,
                random_state=SEED,
                eval_every=None,
                **params,
            )
            gamma, _ = model.inference(list(corpus))
        return model.state.get_lambda(), model.state.sstats, gamma

    def ours(backend):
        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # tomotopy's passes are Gibbs sweeps: it gets --sweeps of them
                fit_params = {**params, "passes": sweeps} if backend == "tomotopy" else params
                lda = LDA(K, random_state=SEED, anchor_words=anchors, backend=backend, **fit_params)
                lda.fit(vc.bow, vocab=vc.vocab)
            return lda.components_, lda.topic_term_counts_, lda.result_.doc_topic

        return fit

    def unanchored():
        lda = LDA(K, random_state=SEED, **params).fit(vc.bow, vocab=vc.vocab)
        return lda.components_, lda.topic_term_counts_, lda.result_.doc_topic

    def nmf(anchor_words, solver="cd"):
        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = NMF(K, random_state=SEED, anchor_words=anchor_words, solver=solver)
                est.fit(vc.tfidf, vocab=vc.vocab)
            # NMF has no token counts: the H weights stand in for both columns
            return est.components_, est.components_, est.result_.doc_topic

        return fit

    variants = {
        "naive gensim eta (+1)": naive,
        "topiclab gensim": ours("gensim"),
        "topiclab tomotopy": ours("tomotopy"),
        "unanchored gensim": unanchored,
        "topiclab NMF anchored init": nmf(anchors),
        "topiclab NMF anchored, mu (exclusive anchor words)": nmf(anchors, "mu"),
        "unanchored NMF": nmf(None),
    }
    rows = []
    for name, fit in variants.items():
        start = time.perf_counter()
        posterior, counts, doc_topic = fit()
        seconds = time.perf_counter() - start
        dominant = np.asarray(doc_topic).argmax(axis=1)
        for topic, (category, cols) in enumerate(zip(anchors, ids, strict=True)):
            top = set(np.argsort(-posterior[topic], kind="stable")[:10])
            in_cat = labels == category
            hits = dominant == topic
            rows.append(
                {
                    "variant": name,
                    "theme": category,
                    "anchors_in_top10": np.mean([j in top for j in cols]),
                    "anchor_tokens_in_topic": counts[topic, cols].sum() / counts[:, cols].sum(),
                    "precision": (hits & in_cat).sum() / max(hits.sum(), 1),
                    "recall": (hits & in_cat).sum() / max(in_cat.sum(), 1),
                    "fit_s": seconds,
                }
            )
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    print("\nmean over themes:")
    summary = table.groupby("variant", sort=False).mean(numeric_only=True)
    print(summary.round(3).to_string())


# tomotopy against gensim --------------------------------------------------------------

_CHILD = """
import hashlib, json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, scipy.sparse as sp
from topiclab.models import LDA
bow = sp.load_npz(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as handle:
    vocab = json.load(handle)
params = json.loads(sys.argv[3])
result = LDA(**params).fit(bow, vocab=vocab).result_
sha = hashlib.sha256()
sha.update(np.ascontiguousarray(result.topic_word).tobytes())
sha.update(np.ascontiguousarray(result.doc_topic).tobytes())
print(sha.hexdigest())
"""


def _digest(result) -> str:
    sha = hashlib.sha256()
    sha.update(np.ascontiguousarray(result.topic_word).tobytes())
    sha.update(np.ascontiguousarray(result.doc_topic).tobytes())
    return sha.hexdigest()


def _dominant_scores(result, labels, empty) -> tuple[float, float]:
    dominant = result.doc_topic.argmax(axis=1)
    keep = np.ones(len(dominant), dtype=bool)
    keep[empty] = False
    return (
        float(normalized_mutual_info_score(labels[keep], dominant[keep])),
        float(purity(labels[keep], dominant[keep])),
    )


def backends(vc, tokens, labels, K, args) -> None:
    """tomotopy's Gibbs sampler against gensim's online VB: time, recovery, determinism.

    "Equal passes": a gensim pass reads every unit once (up to ``iterations`` variational
    updates of the unit, then one topic update per chunk of 2,000 units); a tomotopy
    sweep resamples the topic of every token once. Both read the corpus once, so
    ``passes`` gensim passes are set against ``passes`` sweeps; Gibbs sampling needs more
    sweeps than VB needs passes, so tomotopy is also shown at ``--sweeps``.
    """
    P, S = args.passes, max(args.sweeps)
    common = {"n_topics": K, "iterations": args.iterations}
    configs = {
        f"gensim LdaModel, {P} passes": {"backend": "gensim", "passes": P},
        f"tomotopy, {P} sweeps (equal passes)": {"backend": "tomotopy", "passes": P},
    }
    for sweeps in sorted(set(args.sweeps) - {P}):
        configs[f"tomotopy, {sweeps} sweeps"] = {"backend": "tomotopy", "passes": sweeps}
    configs[f"tomotopy, {S} sweeps, 2 workers"] = {"backend": "tomotopy", "passes": S, "workers": 2}
    seeds = [SEED + r for r in range(args.refits)]
    fits: dict[str, list] = {}
    timing: dict[str, tuple[float, float]] = {}
    for name, params in configs.items():
        cpu = wall = 0.0
        fits[name] = []
        for seed in seeds:
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            lda = LDA(random_state=seed, **common, **params).fit(vc.bow, vocab=vc.vocab)
            cpu += time.process_time() - cpu_start
            wall += time.perf_counter() - wall_start
            fits[name].append(lda.result_)
        timing[name] = (cpu / len(seeds), wall / len(seeds))
        print(f"  fitted {name}: {timing[name][1]:.1f} s a fit (wall)", flush=True)

    # Determinism: the first seed's fit again in a fresh process (another hash seed),
    # from the same bag of words, against the fit above: identical bytes or not.
    same = {}
    with tempfile.TemporaryDirectory() as tmp:
        bow_path, vocab_path = Path(tmp) / "bow.npz", Path(tmp) / "vocab.json"
        sp.save_npz(bow_path, vc.bow)
        vocab_path.write_text(json.dumps(vc.vocab, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "PYTHONHASHSEED": "random"}
        for name, params in configs.items():
            spec = json.dumps({"random_state": seeds[0], **common, **params})
            child = subprocess.run(
                [sys.executable, "-c", _CHILD, str(bow_path), str(vocab_path), spec],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            same[name] = child.stdout.strip() == _digest(fits[name][0])

    start = time.perf_counter()
    scorer = CoherenceScorer(tokens, vc.dictionary, measures=("c_npmi",))
    scorer.prepare([r for results in fits.values() for r in results])
    print(f"  c_npmi statistics gathered in {time.perf_counter() - start:.1f} s")
    rows = []
    base_cpu, base_wall = timing[next(iter(configs))]
    for name, results in fits.items():
        scores = [_dominant_scores(r, labels, vc.empty_units) for r in results]
        cpu, wall = timing[name]
        rows.append(
            {
                "fit": name,
                "cpu_s": round(cpu, 1),
                "wall_s": round(wall, 1),
                "speedup_cpu": round(base_cpu / cpu, 2),
                "speedup_wall": round(base_wall / wall, 2),
                "nmi": round(float(np.mean([s[0] for s in scores])), 4),
                "nmi_sd": round(float(np.std([s[0] for s in scores])), 4),
                "purity": round(float(np.mean([s[1] for s in scores])), 4),
                "c_npmi": round(
                    float(np.mean([scorer.score(r)["c_npmi"].mean() for r in results])), 4
                ),
                "stability": round(stability(results), 3) if len(results) > 1 else np.nan,
                "same_bytes_2_processes": same[name],
            }
        )
    print(
        f"\nLDA backends, K={K}, gensim iterations={args.iterations}, mean over "
        f"{len(seeds)} seeds (time: per fit, result_ included; stability: matched top-10 "
        "Jaccard between the seeds' fits)"
    )
    print(pd.DataFrame(rows).to_string(index=False))


# NMF settings ---------------------------------------------------------------------------

NMF_SETTINGS = {
    "cd nndsvda tol=1e-4 (default)": {"solver": "cd", "init": "nndsvda", "tol": 1e-4},
    "cd nndsvd tol=1e-4": {"solver": "cd", "init": "nndsvd", "tol": 1e-4},
    "cd random tol=1e-4": {"solver": "cd", "init": "random", "tol": 1e-4},
    "cd nndsvda tol=1e-3": {"solver": "cd", "init": "nndsvda", "tol": 1e-3},
    "cd nndsvda tol=1e-4 max_iter=100": {
        "solver": "cd",
        "init": "nndsvda",
        "tol": 1e-4,
        "max_iter": 100,
    },
    "mu nndsvda tol=1e-4": {"solver": "mu", "init": "nndsvda", "tol": 1e-4},
    "mu random tol=1e-4": {"solver": "mu", "init": "random", "tol": 1e-4},
}


def nmf_settings(vc, tokens, labels, args) -> None:
    """NMF solver, initialisation, tolerance and iteration cap on the TF-IDF matrix."""
    seeds = [SEED + r for r in range(args.refits)]
    rows, results = [], []
    for k in args.nmf_k:
        for name, params in NMF_SETTINGS.items():
            fits, cpu = [], []
            # nndsvd/nndsvda have no randomness: one fit stands for every seed
            run_seeds = seeds if params["init"] == "random" else seeds[:1]
            for seed in run_seeds:
                start = time.process_time()
                est = NMF(k, random_state=seed, **params).fit(vc.tfidf, vocab=vc.vocab)
                cpu.append(time.process_time() - start)
                fits.append(est)
            again = NMF(k, random_state=seeds[0], **params).fit(vc.tfidf, vocab=vc.vocab)
            scores = [_dominant_scores(e.result_, labels, vc.empty_units) for e in fits]
            results.extend(e.result_ for e in fits)
            rows.append(
                {
                    "k": k,
                    "settings": name,
                    "cpu_s": round(float(np.mean(cpu)), 2),
                    "n_iter": int(np.mean([e.n_iter_ for e in fits])),
                    "rel_error": round(
                        float(np.mean([e.reconstruction_err_ for e in fits]))
                        / float(np.sqrt((vc.tfidf.data**2).sum())),
                        4,
                    ),
                    "nmi": round(float(np.mean([s[0] for s in scores])), 4),
                    "purity": round(float(np.mean([s[1] for s in scores])), 4),
                    "stability": round(stability([e.result_ for e in fits]), 3)
                    if len(fits) > 1
                    else np.nan,
                    "same_bytes_refit": _digest(again.result_) == _digest(fits[0].result_),
                    "_results": [e.result_ for e in fits],
                }
            )
            print(f"  nmf K={k} {name}: {rows[-1]['cpu_s']} s", flush=True)
    scorer = CoherenceScorer(tokens, vc.dictionary, measures=("c_npmi",)).prepare(results)
    for row in rows:
        row["c_npmi"] = round(
            float(np.mean([scorer.score(r)["c_npmi"].mean() for r in row.pop("_results")])), 4
        )
    print(
        "\nNMF settings on the TF-IDF matrix (cpu_s per fit; rel_error = ||X - WH|| / ||X||; "
        f"random init: mean over {len(seeds)} seeds, stability between them; nndsvd/nndsvda "
        "are deterministic, so one fit)"
    )
    print(pd.DataFrame(rows).to_string(index=False))


# tomotopy's parallel schemes ------------------------------------------------------------

_SCHEME_CHILD = """
import hashlib, json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, scipy.sparse as sp, tomotopy as tp
bow = sp.load_npz(sys.argv[1]).tocsr()
with open(sys.argv[2], encoding="utf-8") as handle:
    vocab = json.load(handle)
scheme, workers, k, sweeps, seed = sys.argv[3], int(sys.argv[4]), *map(int, sys.argv[5:8])
model = tp.LDAModel(k=k, seed=seed, min_cf=0, rm_top=0)
terms = np.asarray(vocab, dtype=object)
for row in range(bow.shape[0]):
    ids = bow.indices[bow.indptr[row]:bow.indptr[row + 1]]
    counts = bow.data[bow.indptr[row]:bow.indptr[row + 1]].astype(int)
    if len(ids):
        model.add_doc(terms[np.repeat(ids, counts)].tolist())
model.train(sweeps, workers=workers, parallel=getattr(tp.ParallelScheme, scheme))
topics = np.array([model.get_topic_word_dist(t, normalize=False) for t in range(k)])
print(hashlib.sha256(topics.tobytes()).hexdigest()[:16])
"""


def schemes(vc, K, args) -> None:
    """Which of tomotopy's parallel schemes give the same topics in two processes?"""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bow_path, vocab_path = Path(tmp) / "bow.npz", Path(tmp) / "vocab.json"
        sp.save_npz(bow_path, vc.bow)
        vocab_path.write_text(json.dumps(vc.vocab, ensure_ascii=False), encoding="utf-8")
        env = {**os.environ, "PYTHONHASHSEED": "random"}
        for scheme in ("NONE", "COPY_MERGE", "PARTITION"):
            for workers in (1, 2):
                cmd = [sys.executable, "-c", _SCHEME_CHILD, str(bow_path), str(vocab_path)]
                cmd += [scheme, str(workers), str(K), str(max(args.sweeps)), str(SEED)]
                digests = [
                    subprocess.run(
                        cmd, capture_output=True, text=True, env=env, check=True
                    ).stdout.strip()
                    for _ in range(3)
                ]
                rows.append(
                    {
                        "scheme": scheme,
                        "workers": workers,
                        "topics (sha256, 3 processes)": " ".join(digests),
                        "identical": len(set(digests)) == 1,
                    }
                )
    print(f"\ntomotopy parallel schemes, K={K}, {max(args.sweeps)} sweeps, seed {SEED}:")
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    sys.exit(main())
