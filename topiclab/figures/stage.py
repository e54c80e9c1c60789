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
from topiclab.figures.ldavis import LDAVIS_FILE, write_ldavis
from topiclab.figures.notes import environment_text, outputs_digest, write_notes
from topiclab.figures.registry import FIGURES, table_files, topic_terms_table
from topiclab.figures.render import build_figures
from topiclab.io import sha256_bytes

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

    key = _stage_key(config, tables_dir, lda_result, bow, lexicon, base)
    # Without a cache (cache: null) every run draws afresh and leaves no stamp behind.
    # One stamp per output folder, so outputs sharing a cache do not overwrite each other's;
    # named by the output's place relative to the cache, so a moved project keeps its stamp.
    stamp_path = None
    if config.get("cache"):
        cache = Path(config["cache"])
        where = os.path.relpath(output.resolve(), cache.resolve())
        stamp_path = cache / "figures" / f"{sha256_bytes(where.encode('utf-8'))[:16]}.json"
    reused = _reuse(stamp_path, key, output) if stamp_path is not None else None
    if reused is not None:
        logger.info("figures: inputs unchanged, %d outputs reused", len(reused))
        if skipped_out is not None:
            skipped_out.update(_stamped_skips(stamp_path))
        if target == output:
            return reused
        return [_link_or_copy(path, target / path.name) for path in reused]

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
    stamp = {"key": key, "outputs": outputs_digest(written), "skipped": skipped}
    if stamp_path is not None:
        _write_stamp(stamp_path, stamp)
    return written


def _stage_key(
    config: Mapping[str, Any],
    tables_dir: Path,
    lda_result: Any,
    bow: Any,
    lexicon: Any,
    base: Path,
) -> str:
    import dataclasses

    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        digest.update(label.encode("utf-8") + b"\0" + sha256_bytes(data).encode() + b"\n")

    for name in sorted({*table_files(), "manifest.csv"}):
        path = tables_dir / name
        feed(name, path.read_bytes() if path.exists() else b"<absent>")
    feed("environment", environment_text(config, base=base).encode("utf-8"))
    if lexicon is not None:
        # The whole lexicon in its own order, not only its labels sorted: the figures take
        # their theme order (and colours) from it, so a reordered lexicon must redraw them.
        themes = getattr(lexicon, "themes", None)
        if themes is not None and all(dataclasses.is_dataclass(t) for t in themes):
            described: Any = [dataclasses.asdict(theme) for theme in themes]
        else:
            described = [[lang, list(lexicon.labels(lang).items())] for lang in plotting.LANGUAGES]
        feed("lexicon", json.dumps(described, ensure_ascii=False, default=str).encode("utf-8"))
        # the theme order and colours of the lexicon are drawn too (a dict keeps its order)
        feed("lexicon colours", json.dumps(plotting.theme_colors(lexicon)).encode("utf-8"))
    if lda_result is not None and bow is not None:
        feed("topic_word", np.ascontiguousarray(lda_result.topic_word).tobytes())
        feed("doc_topic", np.ascontiguousarray(lda_result.doc_topic).tobytes())
        feed("vocab", "\n".join(lda_result.vocab).encode("utf-8"))
        counts = bow.tocsr()
        feed("bow", counts.data.tobytes() + counts.indices.tobytes() + counts.indptr.tobytes())
    # The drawing code itself: a changed plot function must redraw the figures.
    # Every module of this package is hashed (not only this one): the registry, the
    # rendering and the notes all shape the outputs.
    for module in sorted(Path(__file__).parent.glob("*.py")):
        feed(f"figures/{module.name}", module.read_bytes())
    for private in sorted(Path(plotting.__file__).parent.glob("*")):
        if private.suffix in {".py", ".mplstyle"}:
            feed(private.name, private.read_bytes())
    return digest.hexdigest()


def _write_stamp(stamp_path: Path, stamp: dict[str, Any]) -> None:
    from topiclab import cachefiles

    # The stamp carries its own checksum, so a damaged stamp is noticed, not half-trusted.
    cachefiles.write_sealed_json(stamp_path, stamp)


def _reuse(stamp_path: Path, key: str, output: Path) -> list[Path] | None:
    from topiclab import cachefiles

    # A stamp without its checksum, or not matching it, is logged and deleted: a redraw.
    stamp = cachefiles.read_sealed_json(stamp_path, "figure stamp")
    if stamp is None or stamp.get("key") != key:
        return None
    if not isinstance(stamp.get("outputs"), dict):
        return None
    paths = [output / name for name in sorted(stamp["outputs"])]
    if not paths or any(not p.exists() for p in paths):
        return None
    if outputs_digest(paths) != stamp["outputs"]:
        return None
    return paths


def _stamped_skips(stamp_path: Path | None) -> dict[str, str]:
    """The figures not drawn by the build a stamp records (for a reused stage)."""
    if stamp_path is None:
        return {}
    try:
        return dict(json.loads(stamp_path.read_text(encoding="utf-8")).get("skipped", {}))
    except (OSError, ValueError, AttributeError):
        return {}


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
