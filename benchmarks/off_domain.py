"""Off-domain text: how much of it do the Party-building themes take?

Issue 14: on 300 general VNTC articles (football, make-up, medicine, traffic) the lift-only
labels put 88% of NMF's text into Party-building themes, and the dictionary measure 77%
(its shares were renormalised over whichever themes a paragraph mentioned). With labels
that can say "other" (``themes.min_mass``), anchored topics that keep their theme and a
dictionary that counts unmatched text as other, the nine themes together should take under
0.10 of such text, and still appear on Party-press-like text.

Three corpora are cut from the VNTC sample (``--data``), each run through the default
``topiclab run`` (model selection over the default grid, refits, every measure) in a fresh
process, sharing one cache per corpus across invocations (fits do not depend on the labels):

- ``off_domain``: ``--per-category`` articles (default 200) of each of The thao, Suc khoe and
  Vi tinh (sport, health, computing), drawn at random with ``--seed``;
- ``politics``: ``--politics`` articles (default 300) of Chinh tri Xa hoi (politics and
  society: much of it is bird flu, exams, traffic and tourism, not the Party);
- ``party_like``: every article of any category that names Party organisation at least five
  times (đảng viên, đảng bộ, đảng ủy, chi bộ, cán bộ, kỷ luật, bí thư, tỉnh/huyện ủy): the
  closest VNTC comes to Party press (mostly Phap luat and Chinh tri Xa hoi).

For each run and measure it reports the mean over documents of the nine themes' shares
together (``themes``), the theme with the largest mean share, the K chosen, the topics
labelled with a theme, and the dictionary's coverage (``lexicon_coverage.csv``).

Usage::

    nice -n 10 python benchmarks/off_domain.py [--data ../shared/data/vntc_20k.jsonl.gz]
        [--work /tmp/off_domain] [--tag after] [--source DIR] [--set KEY=VALUE ...]
        [--corpora off_domain,politics,party_like] [--five]

``--source DIR`` runs another checkout's code (e.g. ``git worktree add /tmp/before <commit>``)
with this environment: a before/after comparison on the same cached fits. ``--five`` also runs
``analysis.yaml`` (the five shipped articles, anchored models; ``--set`` does not apply to it).
Results are printed as Markdown and appended to ``<work>/results.md``. ``--masses`` lists
instead, for every fit in the corpora's caches, the largest theme mass of its topics (what
``themes.min_mass`` is compared with).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vntc_20k.jsonl.gz"
OFF_DOMAIN = ("The thao", "Suc khoe", "Vi tinh")
POLITICS = "Chinh tri Xa hoi"
PARTY_WORDS = re.compile(
    r"đảng viên|đảng bộ|đảng ủy|đảng uỷ|chi bộ|cán bộ|kỷ luật|bí thư|tỉnh ủy|tỉnh uỷ|"
    r"huyện ủy|huyện uỷ"
)
LAUNCHER = "import sys; sys.path.insert(0, sys.argv.pop(1)); from topiclab.cli import main; "
LAUNCHER += "sys.exit(main(sys.argv[1:]))"


def build_corpora(data: Path, work: Path, args: argparse.Namespace) -> dict[str, Path]:
    """Write the three subsets as gzipped JSON lines (once: later invocations reuse them)."""
    targets = {name: work / f"{name}.jsonl.gz" for name in ("off_domain", "politics", "party_like")}
    by_category: dict[str, list[str]] = {}
    party_like: list[str] = []
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            by_category.setdefault(record["category"], []).append(line)
            if len(PARTY_WORDS.findall(record["text"].lower())) >= 5:
                party_like.append(line)
    rng = random.Random(args.seed)
    off = [
        line
        for category in OFF_DOMAIN
        for line in sorted(rng.sample(by_category[category], args.per_category))
    ]
    politics = sorted(rng.sample(by_category[POLITICS], args.politics))
    for name, lines in (("off_domain", off), ("politics", politics), ("party_like", party_like)):
        if targets[name].exists():  # written by an earlier invocation: the same articles
            continue
        with gzip.open(targets[name], "wt", encoding="utf-8") as handle:
            handle.writelines(lines)
    return targets


def run(corpus: str, out: Path, cache: Path, args: argparse.Namespace, config: str = "") -> float:
    """One ``topiclab run`` in a fresh process; returns its wall time."""
    command = [sys.executable]
    command += ["-c", LAUNCHER, args.source] if args.source else ["-m", "topiclab.cli"]
    command += ["-v", "run"]
    if config:
        command.append(config)
    else:
        command += ["--corpus", corpus]
    command += ["--output", str(out), "--jobs", str(args.jobs), "--set", f"cache={cache}"]
    command += ["--set", "figures.enabled=false"]
    # --set is for the VNTC runs: analysis.yaml keeps its own settings (anchored, K >= 10)
    for assignment in [] if config else args.overrides:
        command += ["--set", assignment]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env.setdefault("PYTHONHASHSEED", "0")
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    out.mkdir(parents=True, exist_ok=True)
    (out.parent / f"{out.name}.log").write_text(done.stderr, encoding="utf-8")
    if done.returncode != 0:
        raise SystemExit(f"run failed ({out}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def summarise(name: str, out: Path, seconds: float, tag: str) -> list[dict]:
    """Theme shares of every measure of one run."""
    tables = out / "tables"
    documents = pd.read_csv(tables / "document_themes.csv")
    topics = pd.read_csv(tables / "topics.csv")
    selection = pd.read_csv(tables / "model_selection.csv")
    chosen = selection[selection["selected"].astype(bool)].set_index("model")["k"].to_dict()
    coverage_path = tables / "lexicon_coverage.csv"
    coverage = pd.read_csv(coverage_path) if coverage_path.exists() else None
    start = documents.columns.get_loc("weight") + 1
    themes = [c for c in documents.columns[start:] if c != "other"]
    rows = []
    for model, frame in documents.groupby("model", sort=False):
        means = frame[themes].mean()
        labelled = topics[(topics["model"] == model) & (topics["theme"] != "other")]
        rows.append(
            {
                "corpus": name,
                "code": tag,
                "model": model,
                "documents": len(frame),
                "k": chosen.get(model, ""),
                "themes": round(float(means.sum()), 3),
                "largest theme": f"{means.idxmax()} {means.max():.3f}",
                "topics on a theme": f"{len(labelled)}/{(topics['model'] == model).sum()}"
                if model != "lexicon"
                else "",
                "lexicon coverage": ""
                if coverage is None
                else round(float(coverage.set_index("model").loc["lexicon", "themes_share"]), 4),
                "wall_s": round(seconds),
            }
        )
    return rows


def topic_masses(name: str, cache: Path) -> list[dict]:
    """The largest theme mass and spread mass of every topic of every cached fit (``--masses``)."""
    import numpy as np

    from topiclab.models import TopicResult
    from topiclab.themes import load_lexicon
    from topiclab.themes.labels import _topic_scores

    lexicon = load_lexicon()
    found: dict[tuple[str, int], list[float]] = {}
    spreads: dict[tuple[str, int], list[float]] = {}
    for folder in sorted((cache / "models").iterdir()):
        result = TopicResult.load(folder)
        _, _, masses, spread = _topic_scores(result, lexicon)
        backend = result.params.get("backend")
        model = f"{result.model} {backend}" if backend else result.model
        found.setdefault((model, result.n_topics), []).extend(masses.max(axis=1).tolist())
        # the spread mass (without the top term) is what themes.min_mass is compared with
        spreads.setdefault((model, result.n_topics), []).extend(spread.max(axis=1).tolist())
    rows = []
    for (model, k), values in sorted(found.items()):
        values = np.array(values)
        spread_values = np.array(spreads[model, k])
        rows.append(
            {
                "corpus": name,
                "model": model,
                "k": k,
                "topics": len(values),
                "largest mass": round(float(values.max()), 4),
                "topics with mass >= 0.03": int((values >= 0.03).sum()),
                "largest spread mass": round(float(spread_values.max()), 4),
                "topics with spread mass >= 0.012": int((spread_values >= 0.012).sum()),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/off_domain"))
    parser.add_argument("--tag", default="after", help="names this invocation's outputs")
    parser.add_argument("--source", default="", help="a checkout whose code to run instead")
    parser.add_argument("--per-category", type=int, default=200)
    parser.add_argument("--politics", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--corpora", default="off_domain,politics,party_like")
    parser.add_argument("--five", action="store_true", help="also run analysis.yaml")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument(
        "--masses", action="store_true", help="only list the topic masses of the cached fits"
    )
    args = parser.parse_args(argv)
    if args.masses:
        rows = [
            row
            for name in args.corpora.split(",")
            if (args.work / name / "cache" / "models").is_dir()
            for row in topic_masses(name, args.work / name / "cache")
        ]
        print(pd.DataFrame(rows).to_markdown(index=False))
        return 0
    if not args.data.exists():
        print(f"{args.data} does not exist: pass --data (see ../shared/data/README.md)")
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    corpora = build_corpora(args.data, args.work, args)
    rows: list[dict] = []
    for name in [c for c in args.corpora.split(",") if c]:
        out = args.work / name / args.tag
        seconds = run(str(corpora[name]), out, args.work / name / "cache", args)
        rows += summarise(name, out, seconds, args.tag)
    if args.five:
        out = args.work / "five" / args.tag
        seconds = run("", out, args.work / "five" / "cache", args, str(REPO / "analysis.yaml"))
        rows += summarise("five (analysis.yaml)", out, seconds, args.tag)
    table = pd.DataFrame(rows).to_markdown(index=False)
    command = " ".join(["python", "benchmarks/off_domain.py", *(argv or sys.argv[1:])])
    text = f"\n```\n{command}\n```\n\n{table}\n"
    print(text)
    with open(args.work / "results.md", "a", encoding="utf-8") as handle:
        handle.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
