"""The run configuration: shipped defaults, a YAML file, and command-line overrides."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

DEFAULT_CONFIG_RESOURCE = "default_config.yaml"


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
    KeyError
        If ``override`` names a key the defaults do not know; a typo in a config
        would otherwise be ignored silently.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if key not in merged:
            known = ", ".join(sorted(merged))
            raise KeyError(f"unknown config key {key!r}; known keys here: {known}")
        if isinstance(merged[key], dict) and isinstance(value, Mapping):
            merged[key] = merge_config(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_override(assignment: str) -> dict[str, Any]:
    """Turn ``"models.lda.passes=5"`` into ``{"models": {"lda": {"passes": 5}}}``.

    The value is read as YAML, so ``5`` is an int, ``[lda]`` a list and ``null`` None.
    """
    if "=" not in assignment:
        raise ValueError(f"--set expects KEY=VALUE, got {assignment!r}")
    dotted, raw_value = assignment.split("=", 1)
    keys = [part for part in dotted.strip().split(".") if part]
    if not keys:
        raise ValueError(f"--set has an empty key in {assignment!r}")
    value: Any = yaml.safe_load(raw_value) if raw_value.strip() else None
    for key in reversed(keys):
        value = {key: value}
    return value


def load_config(
    path: str | Path | None = None,
    overrides: Iterable[str] | Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the configuration of a run.

    Parameters
    ----------
    path : str or Path, optional
        A YAML config file; relative paths inside it (corpus, output, cache) are
        resolved against the file's folder. ``None`` uses the shipped defaults.
    overrides : iterable of str or mapping, optional
        ``KEY=VALUE`` assignments with dotted keys (as given to ``--set``), or a
        nested mapping, applied last.

    Returns
    -------
    dict
        The merged configuration.
    """
    config = default_config()
    if path is not None:
        path = Path(path)
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, Mapping):
            raise ValueError(f"{path} must hold a YAML mapping, got {type(loaded).__name__}")
        config = merge_config(config, loaded)
        config = _resolve_paths(config, path.resolve().parent)
    if overrides:
        if isinstance(overrides, Mapping):
            config = merge_config(config, overrides)
        else:
            for assignment in overrides:
                config = merge_config(config, parse_override(assignment))
    return config


def _resolve_paths(config: dict[str, Any], base: Path) -> dict[str, Any]:
    def resolve(value: str | None) -> str | None:
        if value is None or Path(value).is_absolute():
            return value
        return str(base / value)

    config["corpus"]["path"] = resolve(config["corpus"]["path"])
    config["corpus"]["metadata"] = resolve(config["corpus"]["metadata"])
    config["output"] = resolve(config["output"])
    config["cache"] = resolve(config["cache"])
    if config["themes"]["lexicon"] is not None:
        config["themes"]["lexicon"] = resolve(config["themes"]["lexicon"])
    return config
