"""The ``topiclab`` command. It parses arguments and hands them to library functions."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from topiclab import __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``topiclab`` command."""
    parser = argparse.ArgumentParser(
        prog="topiclab",
        description=(
            "Topic models of Vietnamese political news: ingest scraped articles, segment them "
            "with pyvi, fit LDA and NMF, and compare Party-building themes across localities "
            "and years."
        ),
    )
    parser.add_argument("--version", action="version", version=f"topiclab {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each stage as it runs (to stderr)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = commands.add_parser(
        "ingest",
        help="read a folder or table of articles, print what was kept and excluded",
        description=(
            "Read every article under PATH (a folder of .txt/.html/.htm/.md files, or a "
            ".csv/.jsonl/.jsonl.gz/.parquet table), print a summary of included and excluded "
            "inputs and of metadata coverage, and write manifest.csv and documents.csv."
        ),
    )
    ingest.add_argument("path", metavar="PATH", help="folder of articles or table file")
    ingest.add_argument(
        "--metadata",
        metavar="FILE",
        default=None,
        help="curated metadata table with a 'file' column (default: PATH/metadata.csv if present)",
    )
    ingest.add_argument(
        "--output",
        metavar="DIR",
        default=None,
        help="folder to write manifest.csv and documents.csv into (default: write nothing)",
    )

    run = commands.add_parser(
        "run",
        help="run the analysis pipeline from a config and write tables and figures",
        description=(
            "Run the paper pipeline: ingest, preprocess, fit models, compare themes, draw "
            "figures. Without CONFIG the shipped defaults are used, so "
            "'topiclab run --corpus DIR --output OUT' works on any corpus. Stages whose inputs "
            "did not change are read from the cache."
        ),
    )
    run.add_argument(
        "config", metavar="CONFIG", nargs="?", default=None, help="YAML config (e.g. analysis.yaml)"
    )
    run.add_argument(
        "--corpus", metavar="PATH", default=None, help="corpus folder or table (corpus.path)"
    )
    run.add_argument(
        "--output",
        metavar="DIR",
        default=None,
        help="output folder: tables go to DIR/tables, figures to DIR (output)",
    )
    run.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="override any config key with a dotted name, e.g. --set models.lda.passes=5 "
        "(repeatable; the value is read as YAML)",
    )
    run.add_argument(
        "--unit",
        choices=["document", "paragraph", "window"],
        default=None,
        help="analysis unit (units.unit)",
    )
    run.add_argument(
        "--models", metavar="LIST", default=None, help="comma-separated models, e.g. lda,nmf"
    )
    run.add_argument(
        "--k",
        metavar="N",
        type=int,
        default=None,
        help="fit exactly N topics and skip model selection (models.k)",
    )
    run.add_argument("--seed", metavar="N", type=int, default=None, help="the one seed (seed)")
    run.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=None,
        help="parallel jobs for tokenization and model fits (preprocess.n_jobs)",
    )
    return parser


def run_overrides(args: argparse.Namespace) -> list[str]:
    """Translate the ``run`` shortcuts into ``--set`` assignments, applied before ``--set``."""
    overrides: list[str] = []
    if args.corpus is not None:
        overrides.append(f"corpus.path={Path(args.corpus).resolve()}")
    if args.output is not None:
        overrides.append(f"output={Path(args.output).resolve()}")
    if args.unit is not None:
        overrides.append(f"units.unit={args.unit}")
    if args.models is not None:
        names = [name.strip() for name in args.models.split(",") if name.strip()]
        overrides.append(f"models.names=[{', '.join(names)}]")
    if args.k is not None:
        overrides.append(f"models.k={args.k}")
    if args.seed is not None:
        overrides.append(f"seed={args.seed}")
    if args.jobs is not None:
        overrides.append(f"preprocess.n_jobs={args.jobs}")
    return overrides + list(args.overrides)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``topiclab`` console script.

    Errors a researcher can act on (a bad corpus, config or parameter) are printed as one
    line and give exit status 2; ``--verbose`` adds the traceback.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return _dispatch(args)
    except (ValueError, KeyError, FileNotFoundError) as error:
        if args.verbose:
            raise
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"topiclab: error: {message}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "ingest":
        from topiclab.corpus import load_corpus

        # The manifest is written even when every input is excluded: it says why.
        corpus = load_corpus(args.path, metadata=args.metadata, allow_empty=True)
        print(corpus.summary())
        if args.output is not None:
            for path in corpus.write_tables(args.output):
                print(f"wrote {path}")
        corpus.require_documents()
        return 0
    if args.command == "run":
        from topiclab.config import load_config
        from topiclab.pipeline import run

        config = load_config(args.config, run_overrides(args))
        written = run(config)
        for path in written:
            print(f"wrote {path}")
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
