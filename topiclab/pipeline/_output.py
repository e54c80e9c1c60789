"""The output set of a run: its staging folder, the leftovers of killed runs, the swap
into place and ``run.json``.

A run writes into ``<output>.staging-<pid>`` and swaps it in only when every stage has
finished (:func:`topiclab.pipeline.run`); a folder holding files topiclab did not write is
refused before any work (:func:`check_output`).
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import platform
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from topiclab import __version__

logger = logging.getLogger("topiclab.pipeline")


# ------------------------------------------------------------------------------ the output set

#: the record of the run in the output folder (times: not compared between builds)
RUN_RECORD = "run.json"
#: what a folder written by topiclab holds; one with other files is not replaced
_OUTPUT_MARKERS = (RUN_RECORD, "tables/manifest.csv")


def check_output(output: Path, cache: str | Path | None = None) -> None:
    """Refuse an output folder the run cannot own, before any expensive step.

    Raises
    ------
    ValueError
        If ``output`` is a file, its parent folder cannot be written (the staging folder
        goes there), or it is a folder with files that no topiclab run wrote (a run replaces
        the whole folder, so ``--output ~/Documents`` must not empty it).
    """
    if output.exists() and not output.is_dir():
        raise ValueError(f"output {output} is a file; give a folder (--output DIR)")
    parent = output.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(
            f"cannot write output {output}: {parent} is not a writable folder; "
            "choose another --output"
        )
    # a cache kept inside the output (see _carry_cache) is not a stranger's file
    own = {_top_folder(output, cache)} if cache else set()
    if output.is_dir() and any(p.name not in own for p in output.iterdir()):
        if not any((output / marker).exists() for marker in _OUTPUT_MARKERS):
            raise ValueError(
                f"output folder {output} holds files topiclab did not write, and a run replaces "
                "the whole folder; choose a new or empty folder (--output DIR)"
            )
        if not os.access(output, os.W_OK | os.X_OK):
            raise ValueError(f"output folder {output} is not writable; choose another --output")


def _top_folder(output: Path, inner: str | Path) -> str | None:
    """The name of the entry of ``output`` that holds ``inner``, if ``inner`` is inside it."""
    try:
        parts = Path(inner).resolve().relative_to(output.resolve()).parts
    except ValueError:
        return None
    return parts[0] if parts else None


def _make_staging(output: Path) -> Path:
    """A fresh ``<output>.staging-<pid>`` next to the output; leftovers of dead runs go first."""
    output.parent.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(output)
    staging = output.with_name(f"{output.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()  # mode 0o777 & ~umask, like any folder of the user
    return staging


def _clean_leftovers(output: Path) -> None:
    """Remove the staging and store folders of killed runs; put back an output a killed swap
    set aside.

    A run killed between its two renames leaves the previous output as
    ``<output>.replaced-<pid>`` and no ``<output>``: that folder is the last complete output.
    """
    for leftover in sorted(output.parent.glob(f"{glob.escape(output.name)}.*-*")):
        kind, _, pid = leftover.name[len(output.name) + 1 :].rpartition("-")
        if kind not in ("staging", "replaced", "stores") or not pid.isdigit() or _alive(int(pid)):
            continue
        if kind == "replaced" and not output.exists():
            logger.warning("run: restoring %s, set aside by a run that was killed", output)
            leftover.rename(output)
        else:
            logger.info("run: removing %s, left by a run that was killed", leftover)
            shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _carry_cache(config: dict[str, Any], output: Path, staging: Path) -> None:
    """A cache kept inside the output folder moves into the new output, not away with the old.

    Such a cache is written during the run (it is not part of the output set), so a failed
    run may have added entries to it; every other file of the old output is left untouched.
    """
    if not config.get("cache") or not output.is_dir():
        return
    cache = Path(config["cache"]).resolve()
    try:
        inside = cache.relative_to(output.resolve())
    except ValueError:
        return
    if cache.exists() and inside.parts:
        (staging / inside).parent.mkdir(parents=True, exist_ok=True)
        cache.rename(staging / inside)


def _swap_in(staging: Path, output: Path) -> None:
    """Replace ``output`` by ``staging``: old aside, new in, old deleted (two renames)."""
    aside = output.with_name(f"{output.name}.replaced-{os.getpid()}")
    had_output = output.exists()
    if had_output:
        output.rename(aside)
    try:
        staging.rename(output)
    except BaseException:
        if had_output:
            aside.rename(output)  # the previous output back in place
        raise
    shutil.rmtree(aside, ignore_errors=True)


def run_record(
    config: dict[str, Any], folder: Path, *, started: str, skipped: dict[str, str]
) -> str:
    """``run.json``: status, times, config digest, corpus checksum and versions of a run.

    The corpus checksum is the SHA-256 of ``tables/manifest.csv`` (each input file's
    SHA-256, status and reason), so two runs on the same inputs share it; the config digest
    is the SHA-256 of the config as sorted JSON. Times are UTC, ISO 8601.
    """
    from importlib import metadata as importlib_metadata

    manifest = folder / "tables" / "manifest.csv"
    versions = {"topiclab": __version__, "python": platform.python_version()}
    for package in ("numpy", "gensim", "scikit-learn", "pandas", "pyvi"):
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = "not installed"
    record = {
        "status": "complete",
        "started": started,
        "finished": _now(),
        "config_sha256": hashlib.sha256(
            json.dumps(config, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        ).hexdigest(),
        "corpus_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest()
        if manifest.is_file()
        else None,
        "seed": config.get("seed"),
        "figures_not_drawn": dict(sorted(skipped.items())),
        "versions": versions,
    }
    return json.dumps(record, indent=1, ensure_ascii=False) + "\n"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
