"""Check what every stage of a run needs before the first expensive step.

:func:`preflight` is what ``topiclab run`` calls between reading the config and ingesting
the corpus: a missing metadata file, a lexicon that does not load, an output folder that
cannot be written or a Dask scheduler that does not answer are then reported in seconds, as
one line, instead of after an hour of fitting. It only reads and probes; it writes nothing
that stays (a writability probe makes and removes one empty folder).

Examples
--------
>>> from topiclab import load_config
>>> from topiclab.preflight import preflight
>>> preflight(load_config("analysis.yaml"))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from topiclab.settings import ConfigError, Settings, validate_config, yaml_problem

__all__ = ["check_corpus", "check_scheduler", "check_writable_folder", "preflight"]

#: what a corpus path may be when it is a file: a table, or one article (topiclab.corpus)
CORPUS_FILE_SUFFIXES = (".csv", ".jsonl", ".jsonl.gz", ".parquet", ".txt", ".html", ".htm", ".md")
#: Dask's default scheduler port, when an address names none
DASK_PORT = 8786


def preflight(config: Mapping[str, Any], *, timeout: float = 2.0) -> Settings:
    """Check a run's config and everything it points to; raise the first problem.

    Parameters
    ----------
    config : mapping
        A configuration as :func:`topiclab.load_config` returns it.
    timeout : float, default=2.0
        Seconds to wait for a Dask scheduler (``parallel.scheduler``) to accept a connection.

    Returns
    -------
    Settings
        The validated settings.

    Raises
    ------
    ConfigError
        One line naming the key, the path or address, and what to do.
    """
    settings = validate_config(config)
    check_corpus(settings.corpus.path, settings.corpus.metadata)
    n_themes = _check_lexicon(settings.themes.lexicon)
    _check_anchored_k(settings, n_themes)
    _check_effects_formula(settings)
    if settings.output is None:
        raise ConfigError("output is not set; give --output DIR (or output: in the config)")
    check_writable_folder(settings.output, "output")
    if settings.cache is not None:
        check_writable_folder(settings.cache, "cache")
    if settings.parallel.scheduler is not None:
        check_scheduler(settings.parallel.scheduler, timeout=timeout)
    return settings


def check_corpus(
    path: str | Path | None,
    metadata: str | Path | None = None,
    *,
    path_key: str = "corpus.path",
    metadata_key: str = "corpus.metadata",
) -> None:
    """The corpus is an existing folder or table file; a named metadata table exists.

    Parameters
    ----------
    path, metadata : str or Path
        The corpus and its metadata table (None: the one beside the articles, if any).
    path_key, metadata_key : str
        How the message names them (config keys for ``run``, arguments for ``ingest``).

    Raises
    ------
    ConfigError
        Naming the key, the path and what to give instead.
    """
    if path is None:
        raise ConfigError(
            f"{path_key} is not set; give the folder of articles or a table file (--corpus)",
            key=path_key,
        )
    corpus = Path(path)
    if not corpus.exists():
        raise ConfigError(
            f"{path_key} {corpus} does not exist; give an existing folder of articles or a "
            "table file (.csv, .jsonl, .jsonl.gz, .parquet)",
            key=path_key,
        )
    if corpus.is_file() and not corpus.name.lower().endswith(CORPUS_FILE_SUFFIXES):
        raise ConfigError(
            f"{path_key} {corpus} is neither a table (.csv, .jsonl, .jsonl.gz, .parquet) nor "
            "an article (.txt, .html, .htm, .md); give its folder or convert it",
            key=path_key,
        )
    if not corpus.is_dir() and not corpus.is_file():
        raise ConfigError(f"{path_key} {corpus} is neither a folder nor a file", key=path_key)
    if corpus.is_dir() and not os.access(corpus, os.R_OK | os.X_OK):
        raise ConfigError(f"{path_key} {corpus} cannot be read (permission denied)", key=path_key)
    if metadata is not None:
        table = Path(metadata)
        if not table.exists():
            raise ConfigError(
                f"{metadata_key} {table} does not exist; check the --metadata path, or leave "
                "it out to use <corpus folder>/metadata.csv when there is one",
                key=metadata_key,
            )
        if not table.is_file():
            raise ConfigError(
                f"{metadata_key} {table} is not a file; give the metadata table (a .csv "
                "with a 'file' column)",
                key=metadata_key,
            )


def _check_lexicon(path: str | None) -> int:
    """Load the lexicon (a bad one fails here, not after fitting); return its theme count."""
    from topiclab.themes import LexiconError, load_lexicon

    if path is not None and Path(path).is_dir():
        raise ConfigError(
            f"themes.lexicon {path} is a folder; give a lexicon YAML file", key="themes.lexicon"
        )
    if path is not None and not Path(path).exists():
        raise ConfigError(
            f"themes.lexicon {path} does not exist; give a lexicon YAML file, or null for "
            "the shipped one",
            key="themes.lexicon",
        )
    try:
        return len(load_lexicon(path).ids)
    except LexiconError as error:
        cause = error.__cause__
        if isinstance(cause, yaml.YAMLError):
            raise ConfigError(
                f"themes.lexicon {path}: {yaml_problem(cause)}", key="themes.lexicon"
            ) from None
        raise ConfigError(
            f"themes.lexicon: {' '.join(str(error).split())}", key="themes.lexicon"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"themes.lexicon {path} is not UTF-8 text; save it as UTF-8", key="themes.lexicon"
        ) from None
    except OSError as error:
        raise ConfigError(
            f"themes.lexicon {path} cannot be read ({error.strerror or error})",
            key="themes.lexicon",
        ) from None


def _check_anchored_k(settings: Settings, n_themes: int) -> None:
    """Anchored models need a topic per anchored theme: check K now, not after tokenizing."""
    explicit = settings.models.lda.anchor_words
    n_anchored = len(explicit) if explicit else (n_themes if settings.models.anchor_models else 0)
    if not n_anchored:
        return
    what = (
        "models.lda.anchor_words names"
        if explicit
        else "models.anchor_models anchors one topic on each of"
    )
    if settings.models.k is not None:
        if settings.models.k < n_anchored:
            raise ConfigError(
                f"models.k: {what} {n_anchored} themes, so K must be at least {n_anchored}, "
                f"got {settings.models.k}",
                key="models.k",
            )
    elif max(settings.models.k_grid) < n_anchored:
        raise ConfigError(
            f"models.k_grid: {what} {n_anchored} themes, so K must be at least {n_anchored}, "
            f"got {list(settings.models.k_grid)}",
            key="models.k_grid",
        )


def _check_effects_formula(settings: Settings) -> None:
    """``themes.effects.formula`` parses, and it and ``cluster`` name columns documents have.

    The columns are the ones every document gets (``year``, ``locality``, ...), the
    document's size and the header of the metadata table (or of the corpus table, for a
    CSV or JSON-lines corpus); when that header cannot be read here, only the parse is checked.
    """
    effects = settings.themes.effects
    if effects.formula is None and effects.cluster is None:
        return
    from topiclab.corpus.reader import DOCUMENT_COLUMNS
    from topiclab.themes.effects_run import SHARE_COVARIATES, formula_columns

    key = "themes.effects.formula"
    names: list[str] = []
    if effects.formula is not None:
        try:
            names = formula_columns(effects.formula)
        except ValueError as error:
            raise ConfigError(f"{key}: {error}", key=key) from None
    header = _metadata_header(settings.corpus.path, settings.corpus.metadata)
    if header is None:
        return
    known = {*DOCUMENT_COLUMNS, *SHARE_COVARIATES, *header}
    columns = f"columns: {', '.join(sorted(known - {'text'}))}"
    missing = [name for name in names if name not in known]
    if missing:
        raise ConfigError(
            f"{key}: {effects.formula!r} names {', '.join(map(repr, missing))}, which is not a "
            f"column of the metadata; {columns}",
            key=key,
        )
    if effects.cluster is not None and effects.cluster not in known:
        raise ConfigError(
            f"themes.effects.cluster: {effects.cluster!r} is not a column of the metadata; "
            + columns,
            key="themes.effects.cluster",
        )


def _metadata_header(path: str | None, metadata: str | None) -> list[str] | None:
    """The columns of the metadata table and of a corpus table (None: one is unreadable)."""
    corpus = Path(path) if path is not None else None
    tables = [Path(metadata)] if metadata is not None else []
    if corpus is not None and corpus.is_dir() and metadata is None:
        tables.append(corpus / "metadata.csv")
    elif corpus is not None and corpus.is_file():
        tables.append(corpus)
    columns: list[str] = []
    for table in tables:
        if not table.is_file():
            continue  # a folder without metadata.csv: the reader's columns only
        header = _table_header(table)
        if header is None:
            return None
        columns += header
    return columns


def _table_header(table: Path) -> list[str] | None:
    """The column names of a CSV or JSON-lines table (its first row); None for other kinds."""
    import gzip
    import json

    import pandas as pd

    name = table.name.lower()
    try:
        if name.endswith(".csv"):
            return [str(c) for c in pd.read_csv(table, nrows=0).columns]
        if name.endswith((".jsonl", ".jsonl.gz")):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(table, "rt", encoding="utf-8") as lines:
                first = json.loads(lines.readline() or "{}")
            return [str(c) for c in first] if isinstance(first, dict) else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return None


def check_writable_folder(path: str | Path, key: str) -> None:
    """``path`` is a folder that can be created and written (it need not exist yet).

    A probe folder is made and removed in the nearest existing ancestor, so the check holds
    for root too (``os.access`` says yes to root even where nothing can be created).

    Raises
    ------
    ConfigError
        If ``path`` is a file, lies under a file, or its folder cannot be written.
    """
    folder = Path(path).absolute()
    if folder.exists() and not folder.is_dir():
        raise ConfigError(
            f"{key} {folder} is a file, not a folder; give a folder (created if missing)",
            key=key,
        )
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(
            f"{key} {folder} cannot be created: {existing} is a file; give a folder elsewhere",
            key=key,
        )
    # the folder itself, and its parent when it exists (outputs are swapped in beside it)
    probes = [existing] if existing != folder else [folder, folder.parent]
    for probe in probes:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".topiclab-probe-", dir=probe))
        except OSError as error:
            reason = error.strerror or str(error)
            raise ConfigError(
                f"{key} {folder} cannot be written ({probe}: {reason}); give a folder you "
                "can write to",
                key=key,
            ) from None


def check_scheduler(address: str, *, timeout: float = 2.0) -> None:
    """A Dask scheduler answers at ``address`` (a TCP connection within ``timeout``).

    ``"local"`` (a cluster started by the run) and transports other than TCP/TLS are not
    probed.

    Raises
    ------
    ConfigError
        Naming ``parallel.scheduler`` and the address when nothing answers.
    """
    address = address.strip()
    if address == "local":
        return
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls"):
        return
    try:
        host, port = parts.hostname, parts.port or DASK_PORT
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise ConfigError(
            f"parallel.scheduler {address!r} is not an address; write tcp://HOST:PORT "
            "such as tcp://10.0.0.5:8786, local, or null",
            key="parallel.scheduler",
        )
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else error.strerror or error
        raise ConfigError(
            f"parallel.scheduler {address}: no Dask scheduler answers at {host}:{port} "
            f"({reason}); start it, or set parallel.scheduler=null to run here",
            key="parallel.scheduler",
        ) from None
