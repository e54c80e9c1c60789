"""The figure stage of ``topiclab run``: every figure, the pyLDAvis page and the notes,
reused while their inputs (tables, settings, lexicon, model, drawing code) are unchanged."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from topiclab import plotting
from topiclab.cache import StageCache, feed_counts
from topiclab.figures.ldavis import LDAVIS_FILE, write_ldavis
from topiclab.figures.notes import environment_text, outputs_digest, write_notes
from topiclab.figures.registry import FIGURES, table_files, topic_terms_table
from topiclab.figures.render import build_figures
from topiclab.io import atomic_write_text, sha256_bytes, sha256_file

logger = logging.getLogger(__name__)


def write_figures(
    config: Mapping[str, Any],
    *,
    lda_result: Any = None,
    bow: Any = None,
    lexicon: Any = None,
    folder: str | Path | None = None,
    skipped_out: dict[str, str] | None = None,
) -> list[Path]:
    """The figure stage: every figure, the pyLDAvis page, README.md and ENVIRONMENT.txt.

    Reads the tables the earlier stages wrote to ``<output>/tables/`` and writes into
    ``<output>/``. The stage is skipped when its inputs (tables, figure settings, lexicon,
    LDA model, versions) are those of the last build and its outputs are untouched; a
    figure file of a registered name that this build no longer produces (say, NMF after
    ``--models lda``) is removed, so ``figures/`` never shows a stale result.

    Parameters
    ----------
    config : dict
        The run configuration (``output``, ``cache``, ``seed``, ``figures.*``).
    lda_result : TopicResult, optional
        The chosen LDA model, for the interactive page.
    bow : sparse matrix, optional
        The bag-of-words counts ``lda_result`` was fitted on.
    lexicon : Lexicon, optional
        Where the theme labels come from (default: the shipped lexicon).
    folder : str or Path, optional
        Where the tables are read from and the outputs written (default: ``output``).
        :func:`topiclab.pipeline.run` passes its staging folder: the outputs of a reused
        stage are then linked there from ``output``, and the files record ``output``.
    skipped_out : dict, optional
        Filled with figure name -> why it was not drawn.

    Returns
    -------
    list of Path
        Every output of the stage, sorted (also when it was skipped).
    """
    output = Path(config["output"])
    target = Path(folder) if folder is not None else output
    tables_dir = target / "tables"
    settings = dict(config.get("figures", {}))
    language = settings.get("language", "en")
    formats = tuple(settings.get("formats", ("pdf", "png")))
    dpi = int(settings.get("dpi", 300))
    base = output.resolve().parent

    # One entry per output folder and inputs: named by the output's place relative to the
    # cache (a moved project keeps its entry), the tables, lexicon and model drawn, the
    # environment noted and the drawing code. Without a cache (cache: null) every run draws
    # afresh and leaves no entry behind.
    cache = StageCache(config.get("cache"), "figures", code=_DRAWING_CODE)
    where = (
        os.path.relpath(output.resolve(), Path(config["cache"]).resolve())
        if cache.enabled
        else str(output)
    )
    key = cache.key(
        _inputs_digest(tables_dir, lda_result, bow, lexicon),
        {"environment": environment_text(config, base=base), "output": where},
    )
    reused = _reuse(cache, key, output)
    if reused is not None:
        outputs, skipped_before = reused
        logger.info("figures: inputs unchanged, %d outputs reused", len(outputs))
        if skipped_out is not None:
            skipped_out.update(skipped_before)
        if target == output:
            return outputs
        return [_link_or_copy(path, target / path.name) for path in outputs]

    written, skipped = build_figures(
        tables_dir, target, language=language, formats=formats, dpi=dpi, lexicon=lexicon
    )
    extra: dict[str, tuple[str, str, str]] = {}
    if lda_result is not None and bow is not None:
        written.append(write_ldavis(lda_result, bow, target / LDAVIS_FILE))
        extra[LDAVIS_FILE] = (
            "topiclab.figures.write_ldavis",
            "the chosen LDA model and its bag of words",
            "Interactive pyLDAvis page of the chosen LDA model (self-contained, works offline;"
            " its topics count from 1, so its topic k is topic k-1 of the tables).",
        )
    else:
        (target / LDAVIS_FILE).unlink(missing_ok=True)
        skipped["ldavis_lda"] = "no LDA model in this run (or figures.ldavis is false)"
        logger.warning("figures: no LDA model in this run, so no pyLDAvis page")
    written += write_notes(config, target, written, skipped, extra=extra)
    _remove_stale(target, {Path(p).name for p in written})
    written = sorted(written)
    if skipped_out is not None:
        skipped_out.update(skipped)
    stamp = {"outputs": outputs_digest(written), "skipped": skipped}
    # replace=True: an entry whose outputs were since edited in the output folder records
    # the bytes of this build instead
    cache.save(
        key,
        lambda folder: atomic_write_text(folder / _STAMP, json.dumps(stamp, indent=1) + "\n"),
        replace=True,
    )
    return written


#: the topiclab code that draws: a changed plot function, registry, renderer or style sheet
#: redraws the figures
_DRAWING_CODE = ("figures", "plotting")
#: the record of a build in its cache entry: the digest of every output, the figures skipped
_STAMP = "stamp.json"


def _inputs_digest(tables_dir: Path, lda_result: Any, bow: Any, lexicon: Any) -> str:
    """Digest of what the figures draw: the tables, the lexicon, the LDA model and counts.

    Nothing is read whole: the tables are hashed a block at a time and the counts a chunk
    at a time. units.csv and documents.csv hold the corpus's texts (540 MB at 80,000 VNTC
    articles) and the whole count matrix is another 250 MB: read whole, they made this
    digest the largest step of the figure stage.
    """
    import dataclasses

    digest = hashlib.sha256()

    def feed(label: str, hexdigest: str) -> None:
        digest.update(label.encode("utf-8") + b"\0" + hexdigest.encode() + b"\n")

    for name in sorted({*table_files(), "manifest.csv"}):
        path = tables_dir / name
        feed(name, sha256_file(path) if path.exists() else sha256_bytes(b"<absent>"))
    if lexicon is not None:
        # The whole lexicon in its own order, not only its labels sorted: the figures take
        # their theme order (and colours) from it, so a reordered lexicon must redraw them.
        themes = getattr(lexicon, "themes", None)
        if themes is not None and all(dataclasses.is_dataclass(t) for t in themes):
            described: Any = [dataclasses.asdict(theme) for theme in themes]
        else:
            described = [[lang, list(lexicon.labels(lang).items())] for lang in plotting.LANGUAGES]
        text = json.dumps(described, ensure_ascii=False, default=str)
        feed("lexicon", sha256_bytes(text.encode("utf-8")))
        # the theme order and colours of the lexicon are drawn too (a dict keeps its order)
        colours = json.dumps(plotting.theme_colors(lexicon))
        feed("lexicon colours", sha256_bytes(colours.encode("utf-8")))
    if lda_result is not None and bow is not None:
        feed("topic_word", sha256_bytes(memoryview(np.ascontiguousarray(lda_result.topic_word))))
        feed("doc_topic", sha256_bytes(memoryview(np.ascontiguousarray(lda_result.doc_topic))))
        feed("vocab", sha256_bytes("\n".join(lda_result.vocab).encode("utf-8")))
        feed("bow", _counts_digest(bow))
    return digest.hexdigest()


def _counts_digest(bow: Any) -> str:
    """Digest of a count matrix, or of a :class:`~topiclab.stream.BowStore` read one chunk
    at a time (:func:`topiclab.cache.feed_counts`)."""
    digest = hashlib.sha256()
    feed_counts(digest, bow)
    return digest.hexdigest()


def _reuse(cache: StageCache, key: str, output: Path) -> tuple[list[Path], dict[str, str]] | None:
    """The outputs of the build recorded under ``key`` and the figures it skipped, when
    every output is still in ``output`` with the bytes recorded; None otherwise (a redraw).
    A damaged entry is logged and deleted (:meth:`StageCache.load`)."""
    stamp = cache.load(
        key,
        lambda folder: json.loads((folder / _STAMP).read_text(encoding="utf-8")),
        "figure stamp",
    )
    if not isinstance(stamp, dict) or not isinstance(stamp.get("outputs"), dict):
        return None
    paths = [output / name for name in sorted(stamp["outputs"])]
    if not paths or any(not p.exists() for p in paths):
        return None
    if outputs_digest(paths) != stamp["outputs"]:
        return None
    return paths, dict(stamp.get("skipped") or {})


def _link_or_copy(source: Path, target: Path) -> Path:
    """Put a reused output into the staging folder: a hard link (same bytes, same mtime),
    or a copy with its times where the file system has no hard links."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        import shutil

        shutil.copy2(source, target)
    return target


def _remove_stale(output: Path, keep: set[str]) -> None:
    # Only files this stage could have written: registered figure names in figure formats.
    for name in FIGURES:
        for path in sorted(output.glob(f"{name}.*")):
            if path.suffix in {".pdf", ".png", ".svg"} and path.name not in keep:
                logger.info("figures: removing stale %s", path.name)
                path.unlink()


def figure_stage(
    fitted: Any,
    config: Mapping[str, Any],
    *,
    folder: str | Path | None = None,
    skipped_out: dict[str, str] | None = None,
) -> list[Path]:
    """The figure stage of :func:`topiclab.pipeline.run`, after the table stages.

    Writes ``tables/topic_terms.csv`` (the term weights behind the top-terms figures) from
    the fitted models, then every figure, the pyLDAvis page of the LDA model, README.md and
    ENVIRONMENT.txt (see :func:`write_figures`). ``figures.enabled: false`` draws no figure
    but still writes README.md (saying so) and ENVIRONMENT.txt (the seed and config of the
    tables).

    Parameters
    ----------
    fitted : topiclab.pipeline.Fitted
        The fitted models (``results``) and the vectorized corpus (``vectorized.bow``).
    config : dict
        The run configuration.
    folder : str or Path, optional
        Where the tables are and the outputs go (default: ``config["output"]``); the run
        passes its staging folder.
    skipped_out : dict, optional
        Filled with figure name -> why it was not drawn.

    Returns
    -------
    list of Path
        Every file the stage wrote or reused.
    """
    from topiclab.io import write_table
    from topiclab.themes import load_lexicon

    settings = config.get("figures", {})
    target = Path(folder) if folder is not None else Path(config["output"])
    tables = target / "tables"
    results = fitted.results
    # A table like the others (notebooks read it too), so written even without figures.
    terms = write_table(
        topic_terms_table(results[name] for name in sorted(results)),
        tables / "topic_terms.csv",
    )
    if not settings.get("enabled", True):
        logger.info("figures: skipped (figures.enabled is false)")
        skipped = {name: "figures.enabled is false" for name in FIGURES}
        if skipped_out is not None:
            skipped_out.update(skipped)
        notes = write_notes(
            config, target, [], {}, note="No figure was drawn: `figures.enabled` is false."
        )
        return [terms, *notes]
    lda = results.get("lda") if settings.get("ldavis", True) else None
    lexicon = load_lexicon(config.get("themes", {}).get("lexicon"))
    return [
        terms,
        *write_figures(
            config,
            lda_result=lda,
            bow=fitted.vectorized.bow,
            lexicon=lexicon,
            folder=target,
            skipped_out=skipped_out,
        ),
    ]
