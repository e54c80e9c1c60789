"""The run configuration: shipped defaults, a YAML file, and command-line overrides.

:func:`load_config` merges the layers into the plain mapping the pipeline reads and checks
every value with :func:`topiclab.settings.validate_config` before returning it, so a mistake
in a config is reported before any work, in one line naming the key, the value and where it
was set. An ``output`` left unset is derived from the corpus name (:func:`default_output`),
so a run on a new corpus never writes into the committed ``figures/``.
"""

from __future__ import annotations

import copy
import difflib
import logging
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from topiclab.settings import (
    ConfigError,
    UnknownConfigKeyError,
    describe_value,
    moved_key_message,
    validate_config,
    yaml_problem,
)

logger = logging.getLogger(__name__)

DEFAULT_CONFIG_RESOURCE = "default_config.yaml"
#: keys holding paths: relative ones in a config file are resolved against its folder
PATH_KEYS = (
    ("corpus", "path"),
    ("corpus", "metadata"),
    ("output",),
    ("cache",),
    ("themes", "lexicon"),
)
#: endings stripped from a corpus file name to name its default output folder
CORPUS_SUFFIXES = (".gz", ".bz2", ".xz", ".zip", ".jsonl", ".json", ".csv", ".tsv", ".parquet")
OUTPUT_SUFFIX = "_topiclab"


def default_config() -> dict[str, Any]:
    """Return a fresh copy of the shipped default configuration."""
    text = (
        resources.files("topiclab.resources")
        .joinpath(DEFAULT_CONFIG_RESOURCE)
        .read_text(encoding="utf-8")
    )
    return yaml.safe_load(text)


def merge_config(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base``.

    Raises
    ------
    UnknownConfigKeyError
        If ``override`` names a key the defaults do not know (a :class:`KeyError`); a typo
        in a config would otherwise be ignored silently.
    """
    return _merge(base, override, (), {}, None)


def _merge(
    base: Mapping[str, Any],
    override: Mapping[str, Any],
    prefix: tuple[str, ...],
    sources: dict[str, str],
    source: str | None,
) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        dotted = ".".join([*prefix, str(key)])
        if key not in merged:
            raise _unknown_key(str(key), prefix, list(merged), source)
        if isinstance(merged[key], dict) and isinstance(value, Mapping):
            merged[key] = _merge(merged[key], value, (*prefix, key), sources, source)
        else:
            merged[key] = copy.deepcopy(value)
            if source is not None:
                sources[dotted] = source
    return merged


def _unknown_key(
    key: str, prefix: tuple[str, ...], known: list[str], source: str | None
) -> UnknownConfigKeyError:
    section = ".".join(prefix)
    dotted = ".".join([*prefix, key])
    moved = moved_key_message(dotted, f" (from {source})" if source else "")
    if moved is not None:
        return UnknownConfigKeyError(moved, key=dotted)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    origin = f", from {source}" if source else ""
    listing = f"{section} takes" if section else "the top level takes"
    return UnknownConfigKeyError(
        f"unknown config key {key!r} ({dotted}{origin}): {hint}{listing} "
        f"{', '.join(sorted(known))}",
        key=dotted,
    )


def parse_override(assignment: str) -> dict[str, Any]:
    """Turn ``"models.lda.passes=5"`` into ``{"models": {"lda": {"passes": 5}}}``.

    The value is read as YAML, so ``5`` is an int, ``[lda]`` a list and ``null`` None.

    Raises
    ------
    ConfigError
        If there is no ``=``, the key is empty or the value is not plain YAML.
    """
    if "=" not in assignment:
        raise ConfigError(
            f"--set expects KEY=VALUE such as models.lda.passes=5, got {assignment!r}"
        )
    dotted, raw_value = assignment.split("=", 1)
    keys = [part for part in dotted.strip().split(".") if part]
    if not keys:
        raise ConfigError(f"--set has an empty key in {assignment!r}; write KEY=VALUE")
    try:
        value: Any = yaml.safe_load(raw_value) if raw_value.strip() else None
    except yaml.YAMLError as error:
        problem = yaml_problem(error)
        if isinstance(error, yaml.constructor.ConstructorError):
            raise ConfigError(f"--set {assignment}: {problem}", key=".".join(keys)) from None
        raise ConfigError(
            f"--set {assignment}: {problem}; quote a text value, e.g. --set {dotted.strip()}='...'",
            key=".".join(keys),
        ) from None
    for key in reversed(keys):
        value = {key: value}
    return value


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The mapping of settings in a YAML config file.

    Raises
    ------
    ConfigError
        If the file is missing, a folder, unreadable, not UTF-8, not plain YAML, or not a
        mapping; the message names the file.
    """
    path = Path(path)
    what = f"config file {path}"
    if path.is_dir():
        raise ConfigError(
            f"{what} is a folder; give a YAML file such as analysis.yaml "
            "(a folder of articles goes to --corpus)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} does not exist; check the path") from None
    except PermissionError:
        raise ConfigError(f"{what} cannot be read (permission denied)") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{what} is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{what} cannot be read ({error.strerror or error})") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{what}: {yaml_problem(error)}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, Mapping):
        raise ConfigError(
            f"{what} must hold a YAML mapping of settings (seed:, corpus:, ...), "
            f"got {describe_value(loaded)}"
        )
    return dict(loaded)


def load_config(
    path: str | Path | None = None,
    overrides: Iterable[str | Mapping[str, Any]] | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build and check the configuration of a run.

    Parameters
    ----------
    path : str or Path, optional
        A YAML config file; relative paths inside it (corpus, output, cache) are
        resolved against the file's folder. ``None`` uses the shipped defaults.
    overrides : iterable of str or mapping, or a mapping, optional
        ``KEY=VALUE`` assignments with dotted keys (as given to ``--set``) and/or nested
        mappings, applied last, in order.

    Returns
    -------
    dict
        The merged configuration, every value checked. ``output``, when no layer sets it,
        is ``<current folder>/<corpus name>_topiclab`` (see :func:`default_output`).

    Raises
    ------
    ConfigError
        For a bad file, assignment, key or value, in one line naming it (an unknown key
        raises :class:`~topiclab.settings.UnknownConfigKeyError`, also a ``KeyError``).
    """
    config = default_config()
    sources: dict[str, str] = {}
    if path is not None:
        path = Path(path)
        config = _merge(config, read_config_file(path), (), sources, str(path))
        config = _resolve_paths(config, path.resolve().parent)
    if isinstance(overrides, Mapping):
        overrides = [overrides]
    for item in overrides or ():
        if isinstance(item, Mapping):
            config = _merge(config, item, (), sources, "the overrides")
        else:
            config = _merge(config, parse_override(item), (), sources, f"--set {item}")
    _paths_as_text(config)
    validate_config(config, sources)
    if config["output"] is None and config["corpus"]["path"] is not None:
        config["output"] = str(default_output(config["corpus"]["path"]))
        logger.info("output: %s (from the corpus name; set output or --output)", config["output"])
    return config


def default_output(corpus: str | Path, cwd: str | Path | None = None) -> Path:
    """The output folder of a run that names none: ``<cwd>/<corpus name>_topiclab``.

    The corpus name is its folder or file name without table endings
    (``vntc_20k.jsonl.gz`` -> ``vntc_20k_topiclab``). When the current folder is inside the
    corpus folder, the output goes beside the corpus instead, so the next run does not read
    the output's README.md as an article.

    Parameters
    ----------
    corpus : str or Path
        The corpus folder or table file (``corpus.path``).
    cwd : str or Path, optional
        The folder to put it in; default the current folder.

    Returns
    -------
    Path
        An absolute path.
    """
    corpus = Path(corpus).resolve()
    name = corpus.name
    for _ in range(2):  # .jsonl.gz: two endings
        for suffix in CORPUS_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                break
    if corpus.suffix.lower() in (".txt", ".html", ".htm", ".md"):
        name = corpus.stem
    folder = Path(cwd).resolve() if cwd is not None else Path.cwd()
    if corpus.is_dir() and folder.is_relative_to(corpus):
        folder = corpus.parent
    return folder / f"{name or 'corpus'}{OUTPUT_SUFFIX}"


def _paths_as_text(config: dict[str, Any]) -> None:
    """A path written as a number (``output: 2024``) is that folder name, not an error."""
    for keys in PATH_KEYS:
        section = config
        for key in keys[:-1]:
            section = section.get(key) if isinstance(section, Mapping) else None
        if isinstance(section, dict):
            value = section.get(keys[-1])
            if isinstance(value, int | float) and not isinstance(value, bool):
                section[keys[-1]] = str(value)


def _resolve_paths(config: dict[str, Any], base: Path) -> dict[str, Any]:
    _paths_as_text(config)
    for keys in PATH_KEYS:
        section = config
        for key in keys[:-1]:
            section = section.get(key) if isinstance(section, Mapping) else None
        if not isinstance(section, dict):
            continue  # a bad section: validation names it
        value = section.get(keys[-1])
        if isinstance(value, str) and not Path(value).is_absolute():
            section[keys[-1]] = str(base / value)
    return config
