"""The ``topiclab`` command. It parses arguments and hands them to library functions.

A mistake a user can fix (a bad path, key or value) ends the command with exit status 2 and
one line on stderr, ``topiclab: error: ...``, naming the file, key or value and what to do;
``--debug`` shows the traceback instead. Anything else is a bug: its traceback is printed
with a request to report it, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import yaml

from topiclab import __version__

#: loggers of libraries whose INFO lines (gensim: one per pass and chunk) only -vv shows
LIBRARY_LOGGERS = (
    "gensim",
    "distributed",
    "smart_open",
    "numexpr",
    "matplotlib",
    "PIL",
    "fontTools",
    "urllib3",
    "asyncio",
    "tornado",
    "bokeh",
    "pyLDAvis",
)
#: exceptions that mean "the user must change something": one line, exit status 2
USER_ERRORS = (
    ValueError,
    KeyError,
    FileNotFoundError,
    NotADirectoryError,
    IsADirectoryError,
    PermissionError,
    yaml.YAMLError,
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line too (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"topiclab: error: {message} (see {self.prog} --help)\n")


def _common_options() -> argparse.ArgumentParser:
    # given to the top level and to each command, so `topiclab run ... -v --debug` works
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="-v: log each stage as it runs (to stderr); -vv: also the libraries' log "
        "(gensim's per-pass lines)",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the full traceback of an error instead of one line",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``topiclab`` command."""
    common = _common_options()
    parser = _Parser(
        prog="topiclab",
        parents=[common],
        description=(
            "Topic models of Vietnamese political news: ingest scraped articles, segment them "
            "with pyvi, fit LDA and NMF, and compare Party-building themes across localities "
            "and years."
        ),
    )
    parser.add_argument("--version", action="version", version=f"topiclab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ingest = commands.add_parser(
        "ingest",
        parents=[common],
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
        parents=[common],
        help="run the analysis pipeline from a config and write tables and figures",
        description=(
            "Run the paper pipeline: ingest, preprocess, fit models, compare themes, draw "
            "figures. Without CONFIG the shipped defaults are used, so "
            "'topiclab run --corpus DIR --output OUT' works on any corpus; without --output "
            "(and no output in CONFIG) the output is ./<corpus name>_topiclab. Every setting and "
            "path is checked before the corpus is read. Stages whose inputs did not change are "
            "read from the cache."
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
        help="output folder: tables go to DIR/tables, figures to DIR (output; default "
        "./<corpus name>_topiclab)",
    )
    run.add_argument(
        "--metadata",
        metavar="FILE",
        default=None,
        help="curated metadata table with a 'file' column (corpus.metadata)",
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
        help="parallel jobs for tokenization and model fits (parallel.n_jobs)",
    )
    return parser


def run_overrides(args: argparse.Namespace) -> list[str]:
    """Translate the ``run`` shortcuts into ``--set`` assignments, applied before ``--set``."""
    return [assignment for assignment, _ in _shortcuts(args)] + list(args.overrides)


def _shortcuts(args: argparse.Namespace) -> list[tuple[str, str]]:
    """``(assignment, what the user typed)`` for each shortcut option given."""
    given: list[tuple[str, str, str]] = []  # (key, YAML value, what was typed)
    # paths and names are written as quoted YAML strings: a folder named "2024", "null" or
    # "a: b" stays a path
    for option, key in (
        ("corpus", "corpus.path"),
        ("metadata", "corpus.metadata"),
        ("output", "output"),
    ):
        path = getattr(args, option, None)
        if path is not None:
            given.append((key, _quoted(Path(path).resolve()), f"--{option} {path}"))
    if args.unit is not None:
        given.append(("units.unit", args.unit, f"--unit {args.unit}"))
    if args.models is not None:
        names = [_quoted(name.strip()) for name in args.models.split(",") if name.strip()]
        given.append(("models.names", f"[{', '.join(names)}]", f"--models {args.models}"))
    for option, key in (("k", "models.k"), ("seed", "seed"), ("jobs", "parallel.n_jobs")):
        value = getattr(args, option)
        if value is not None:
            given.append((key, str(value), f"--{option} {value}"))
    return [(f"{key}={value}", typed) for key, value, typed in given]


def _quoted(text: Path | str) -> str:
    # JSON strings are YAML strings
    return json.dumps(str(text), ensure_ascii=False)


def configure_logging(verbosity: int) -> dict[str, int]:
    """Send log records to stderr: warnings always, topiclab's INFO with ``verbosity >= 1``,
    the libraries' INFO (gensim's per-pass lines) only with ``verbosity >= 2``.

    Returns
    -------
    dict of str to int
        The levels it replaced, by logger name (``""`` is the root), for
        :func:`restore_logging`.
    """
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    libraries = logging.INFO if verbosity >= 2 else logging.WARNING
    levels = {"": libraries, **dict.fromkeys(LIBRARY_LOGGERS, libraries)}
    # topiclab's own: INFO with -v, else whatever the root says (WARNING)
    levels["topiclab"] = logging.INFO if verbosity >= 1 else logging.NOTSET
    previous = {}
    for name, level in levels.items():
        logger = logging.getLogger(name)
        previous[name] = logger.level
        logger.setLevel(level)
    return previous


def restore_logging(previous: dict[str, int]) -> None:
    """Put back the levels :func:`configure_logging` replaced (``main`` called in-process,
    e.g. from a notebook or a test, leaves logging as it found it)."""
    for name, level in previous.items():
        logging.getLogger(name).setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``topiclab`` console script.

    Errors a researcher can act on (a bad corpus, config, path or parameter) are printed as
    one line and give exit status 2; ``--debug`` shows the traceback instead. An unexpected
    error prints its traceback and asks for a report (exit status 1).
    """
    args = build_parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    previous = configure_logging(getattr(args, "verbose", 0))
    try:
        return _dispatch(args)
    except USER_ERRORS as error:
        if debug:
            raise
        _fail(_message(error))
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        print("topiclab: interrupted", file=sys.stderr)
        return 130
    except Exception:
        if debug:
            raise
        traceback.print_exc()
        print(
            "topiclab: internal error: this is a bug in topiclab, not in your input; "
            "please report it with the traceback above and the command you ran",
            file=sys.stderr,
        )
        return 1
    finally:
        restore_logging(previous)


def _message(error: BaseException) -> str:
    """One line for a user error: OS errors name their file, multi-line texts are joined."""
    if isinstance(error, OSError) and error.filename is not None:
        reason = error.strerror or str(error)
        text = f"{error.filename}: {reason}; check the path and its permissions"
    elif isinstance(error, KeyError) and error.args and not isinstance(error, ValueError):
        text = str(error.args[0])
    else:
        text = str(error)
    return "; ".join(line.strip() for line in text.splitlines() if line.strip()) or repr(error)


def _fail(message: str) -> None:
    print(f"topiclab: error: {message}", file=sys.stderr)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "ingest":
        from topiclab.corpus import load_corpus
        from topiclab.preflight import check_corpus, check_writable_folder

        check_corpus(args.path, args.metadata, path_key="PATH", metadata_key="--metadata")
        if args.output is not None:
            check_writable_folder(args.output, "--output")
        # The manifest is written even when every input is excluded: it says why.
        corpus = load_corpus(args.path, metadata=args.metadata, allow_empty=True)
        print(corpus.summary())
        if args.output is not None:
            for path in corpus.write_tables(args.output):
                print(f"wrote {path}")
        corpus.require_documents()
        return 0
    if args.command == "run":
        from topiclab.config import default_output, load_config
        from topiclab.pipeline import run
        from topiclab.preflight import preflight
        from topiclab.settings import ConfigError

        try:
            config = load_config(args.config, run_overrides(args))
        except ConfigError as error:
            # name the option the user typed (--k 1), not the assignment it stands for
            message = str(error)
            for assignment, typed in _shortcuts(args):
                message = message.replace(f"(from --set {assignment})", f"(from {typed})")
            raise type(error)(message, key=error.key) from None
        preflight(config)
        corpus = config["corpus"]["path"]
        if args.output is None and config["output"] == str(default_output(corpus)):
            # nobody chose this folder: say where the results go
            print(
                f"topiclab: writing to {config['output']} (named after the corpus; "
                "--output DIR to choose)",
                file=sys.stderr,
            )
        written = run(config)
        for path in written:
            print(f"wrote {path}")
        return 0
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
