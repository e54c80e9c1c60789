"""The run configuration as typed, frozen settings, checked before any work.

:func:`topiclab.load_config` merges the shipped defaults, a YAML file and ``--set``
assignments into one plain mapping (what the pipeline reads); :func:`validate_config` checks
every key and value of that mapping against the schema below and returns the same settings
as frozen objects, one per section. A bad value raises :class:`ConfigError` with one line
that names the dotted key, the value, what is expected and where the value came from, e.g.::

    models.k_grid: expected a list of whole numbers >= 2 such as [4, 6, 8], got 'abc'
    (from --set models.k_grid=abc)

Size: one schema for every section of the config, kept together so a key has one place
to be looked up; splitting it per section would scatter the shared validators.

Types are strict on purpose: ``seed: true`` or ``seed: 1.5`` are mistakes, not the seed 1
(YAML reads ``true`` as a boolean and Python's ``int(True)`` is 1), and ``min_words: "30"``
is a string a user meant as a number only if they quoted it by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

__all__ = [
    "MOVED_KEYS",
    "PREPROCESS_NOT_IN_CONFIG",
    "ConfigError",
    "Settings",
    "UnknownConfigKeyError",
    "describe_value",
    "moved_key_message",
    "validate_config",
    "yaml_problem",
]

#: numpy's RandomState (gensim, the bootstrap) takes seeds in [0, 2**32)
MAX_SEED = 2**32 - 1
MODEL_NAMES = ("lda", "nmf")


class ConfigError(ValueError):
    """A configuration or input a user must change; ``str()`` is one line saying what to do.

    Parameters
    ----------
    message : str
        The whole message, one line.
    key : str, optional
        The dotted config key at fault (``"models.k_grid"``), when there is one.
    """

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class UnknownConfigKeyError(ConfigError, KeyError):
    """A config key the defaults do not know (a typo would otherwise be ignored silently).

    It is a :class:`KeyError` as well, as unknown keys always were.
    """

    # KeyError's str() would wrap the message in quotes
    __str__ = BaseException.__str__


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    repeated = sorted({v for v in values if values.count(v) > 1}, key=str)
    if repeated:
        raise ValueError(f"repeats {', '.join(map(str, repeated))}")
    return values


def _jobs(value: int | None) -> int | None:
    if value is not None and value != -1 and value < 1:
        raise ValueError("0 runs nothing" if value == 0 else "only -1 may be negative")
    return value


#: Keys that moved or were renamed, old dotted key -> new one: a config that still uses an
#: old key gets a one-line error naming the new key (settings live where they act, and
#: "seed" means the random seed only: guided topics are anchored, issue 12).
MOVED_KEYS: dict[str, str] = {
    "themes.refits": "models.refits",
    "themes.seed_models": "models.anchor_models",
    "themes.seed_min_weight": "models.anchor_min_weight",
    "models.seed_models": "models.anchor_models",
    "models.seed_min_weight": "models.anchor_min_weight",
    "models.lda.seed_words": "models.lda.anchor_words",
    "models.lda.seed_weight": "models.lda.anchor_weight",
    "models.nmf.seed_weight": "models.nmf.anchor_weight",
    "preprocess.n_jobs": "parallel.n_jobs",
    "models.n_jobs": "parallel.n_jobs",
}


def moved_key_message(dotted: str, source: str = "") -> str | None:
    """The one-line error for an old key (``source``: `` (from ...)``), or None.

    A key that kept its section "has been renamed", one in another section "has moved".
    """
    new = MOVED_KEYS.get(dotted)
    if new is None:
        return None
    if new == "parallel.n_jobs":
        why = " (one number of processes for tokenization and model fits; --jobs sets it)"
    elif "anchor" in new:
        why = " (guided topics are anchored; seed means the random seed only)"
    else:
        why = ""
    renamed = dotted.rsplit(".", 1)[0] == new.rsplit(".", 1)[0]
    verb = "has been renamed" if renamed else "has moved"
    return f"config key {dotted}{source} {verb} to {new}{why}; write {new} instead"


PositiveFloat = Annotated[StrictFloat, Field(gt=0)]
Fraction = Annotated[StrictFloat, Field(gt=0, le=1)]
Count = Annotated[StrictInt, Field(ge=0)]
PositiveInt = Annotated[StrictInt, Field(ge=1)]
TopicCount = Annotated[StrictInt, Field(ge=2)]
Jobs = Annotated[StrictInt, AfterValidator(_jobs)]
PathValue = StrictStr | None
JOBS = "-1 (every core) or a whole number >= 1"


def _setting(default: Any, expected: str) -> Any:
    """A field whose description is the "expected ..." part of its error message."""
    return Field(default, description=expected)


class _Section(BaseModel):
    # frozen: a stage cannot change what the next one sees; forbid: a typo is an error
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorpusSettings(_Section):
    """``corpus``: what is read and which articles are excluded."""

    path: PathValue = _setting(
        "corpus", "a folder of articles or a table file (.csv, .jsonl, .jsonl.gz, .parquet)"
    )
    metadata: PathValue = _setting(None, "a metadata table file, or null")
    text_column: Annotated[StrictStr, Field(min_length=1)] = _setting("text", "a column name")
    near_duplicate_threshold: Fraction = _setting(0.9, "a number in (0, 1] such as 0.9")
    min_words: Count = _setting(30, "a whole number >= 0")
    language: Literal["vi"] | None = _setting("vi", "vi (exclude non-Vietnamese text) or null")
    max_bytes: PositiveInt = _setting(50_000_000, "a whole number of bytes >= 1 such as 50000000")


class UnitSettings(_Section):
    """``units``: how documents are split into analysis units."""

    unit: Literal["document", "paragraph", "window"] = _setting(
        "paragraph", "one of document, paragraph, window"
    )
    min_tokens: Count = _setting(40, "a whole number >= 0")
    window_sentences: PositiveInt = _setting(5, "a whole number >= 1")


Words = tuple[StrictStr, ...]
BOOL = "true or false"

#: Parameters of :class:`topiclab.Preprocessor` that are no key of ``preprocess``, and why.
#: Every other parameter is one, so the section is passed to the preprocessor unchanged.
PREPROCESS_NOT_IN_CONFIG: dict[str, str] = {
    "cache_dir": "set by the top-level `cache` key: tokens are cached under <cache>/tokens",
    "n_jobs": "set by `parallel.n_jobs` (what --jobs sets), which the model fits read too",
    "progress": "a run shows a progress bar on a terminal only; logging reports the counts",
}


class PreprocessSettings(_Section):
    """``preprocess``: every option of :class:`topiclab.Preprocessor`, and where it runs.

    The keys are the preprocessor's keyword parameters with its defaults (except those in
    :data:`PREPROCESS_NOT_IN_CONFIG`), so ``topiclab run`` can reach every option.
    """

    normalize: StrictBool = _setting(True, BOOL)
    remove_urls: StrictBool = _setting(True, BOOL)
    remove_document_numbers: StrictBool = _setting(True, BOOL)
    expand_abbreviations: StrictBool = _setting(True, BOOL)
    abbreviations: dict[StrictStr, StrictStr] | None = _setting(
        None,
        "null (the shipped table) or a mapping such as {BTV: Ban Thường vụ}",
    )
    protect_terms: StrictBool = _setting(True, BOOL)
    terms: Words | None = _setting(None, "null (the shipped list) or a list of terms as written")
    extra_terms: Words = _setting((), "a list of terms as written, such as [Ban Thường vụ]")
    protect_places: StrictBool = _setting(True, BOOL)
    places: Words | None = _setting(None, "null (the gazetteer) or a list of place names")
    remove_places: StrictBool = _setting(True, BOOL)
    remove_names: StrictBool = _setting(True, BOOL)
    pos_names: StrictBool = _setting(False, BOOL)
    remove_numbers: StrictBool = _setting(True, BOOL)
    remove_acronyms: StrictBool = _setting(True, BOOL)
    min_length: PositiveInt = _setting(2, "a whole number of characters >= 1")
    generic_stopwords: StrictBool = _setting(True, BOOL)
    domain_stopwords: StrictBool = _setting(True, BOOL)
    number_stopwords: StrictBool = _setting(True, BOOL)
    extra_stopwords: Words = _setting((), "a list of words such as [cán_bộ, đồng_chí]")
    keep_words: Words | None = _setting(
        None, "null (the shipped keep_words.txt) or a list of words never dropped"
    )
    backend: Literal["loky", "multiprocessing", "threading", "sequential", "dask"] = _setting(
        "loky", "a joblib backend: loky, multiprocessing, threading, sequential or dask"
    )
    batch_size: PositiveInt = _setting(128, "a whole number of texts >= 1")


class VectorizeSettings(_Section):
    """``vectorize``: the vocabulary filter."""

    no_below: Count = _setting(5, "a whole number >= 0 (units a term must appear in)")
    no_above: Fraction = _setting(0.95, "a fraction in (0, 1] such as 0.95")
    keep_n: PositiveInt | None = _setting(20000, "a whole number >= 1, or null to keep every term")


AnchorWords = dict[StrictStr, tuple[StrictStr, ...]]


class LDASettings(_Section):
    """``models.lda``: options of :class:`topiclab.LDA`."""

    passes: PositiveInt = _setting(50, "a whole number >= 1")
    iterations: PositiveInt = _setting(400, "a whole number >= 1")
    alpha: (
        Literal["symmetric", "asymmetric", "auto"] | PositiveFloat | tuple[PositiveFloat, ...]
    ) = _setting("symmetric", "symmetric, asymmetric, auto, a number > 0 or a list of them")
    eta: Literal["symmetric", "auto"] | PositiveFloat | tuple[PositiveFloat, ...] | None = _setting(
        None, "null, symmetric, auto, a number > 0 or a list of them"
    )
    backend: Literal["gensim", "tomotopy"] = _setting("tomotopy", "tomotopy or gensim")
    anchor_words: AnchorWords | None = _setting(
        None, "null or a mapping {theme: [anchor words]} such as {discipline: [kỷ_luật]}"
    )
    anchor_weight: PositiveFloat = _setting(1.0, "a number > 0")


class NMFSettings(_Section):
    """``models.nmf``: options of :class:`topiclab.NMF`."""

    max_iter: PositiveInt = _setting(400, "a whole number >= 1")
    solver: Literal["cd", "mu"] | None = _setting(None, "cd, mu or null")
    anchor_weight: PositiveFloat = _setting(1.0, "a number > 0")


class ModelSettings(_Section):
    """``models``: which models, how many topics, how they are fitted."""

    names: Annotated[
        tuple[Literal["lda", "nmf"], ...], Field(min_length=1), AfterValidator(_unique)
    ] = _setting(MODEL_NAMES, "a non-empty list of distinct models from lda, nmf such as [lda]")
    k: TopicCount | None = _setting(None, "a whole number of topics >= 2, or null to select K")
    k_grid: Annotated[tuple[TopicCount, ...], Field(min_length=1), AfterValidator(_unique)] = (
        _setting((4, 6, 8, 10), "a list of distinct whole numbers >= 2 such as [4, 6, 8]")
    )
    refits: PositiveInt = _setting(5, "a whole number of fits per model >= 1")
    selection_fits: PositiveInt = _setting(1, "a whole number of fits per K >= 1")
    anchor_models: StrictBool = _setting(False, "true or false")
    anchor_min_weight: PositiveFloat | dict[Literal["lda", "nmf"], PositiveFloat] = _setting(
        {"lda": 3, "nmf": 2}, "a number > 0 or one per model such as {lda: 3, nmf: 2}"
    )
    lda: LDASettings = LDASettings()
    nmf: NMFSettings = NMFSettings()


class EffectSettings(_Section):
    """``themes.effects``: the regression of theme shares on metadata (theme_effects.csv)."""

    formula: Annotated[StrictStr, Field(min_length=1)] | None = _setting(
        None, "null (locality and year) or a formula of metadata columns such as C(locality) + year"
    )
    draws: PositiveInt = _setting(100, "a whole number of draws >= 1")
    reference: StrictStr | dict[StrictStr, StrictStr] | None = _setting(
        None, "null (first level), mean, a level, or one per covariate such as {locality: mean}"
    )
    cluster: Annotated[StrictStr, Field(min_length=1)] | None = _setting(
        None, "null (resample documents) or a metadata column such as source"
    )
    family: Literal["fractional_logit", "beta"] = _setting(
        "fractional_logit", "fractional_logit or beta"
    )


class ThemeSettings(_Section):
    """``themes``: the lexicon and the comparisons."""

    lexicon: PathValue = _setting(None, "a lexicon YAML file, or null for the shipped one")
    n_boot: PositiveInt = _setting(1000, "a whole number of resamples >= 1")
    min_group_size: PositiveInt = _setting(7, "a whole number >= 1")
    min_lift: PositiveFloat = _setting(1.5, "a number > 0")
    min_mass: Annotated[StrictFloat, Field(ge=0, lt=1)] = _setting(0.012, "a number in [0, 1)")
    effects: EffectSettings = EffectSettings()


class FigureSettings(_Section):
    """``figures``: what the figure stage draws and in which formats."""

    enabled: StrictBool = _setting(True, "true or false")
    language: Literal["en", "vi"] = _setting("en", "en or vi")
    formats: Annotated[
        tuple[Literal["pdf", "png", "svg"], ...], Field(min_length=1), AfterValidator(_unique)
    ] = _setting(("pdf", "png"), "a non-empty list from pdf, png, svg such as [pdf, png]")
    dpi: Annotated[StrictInt, Field(ge=10, le=2400)] = _setting(300, "a whole number 10-2400")
    ldavis: StrictBool = _setting(True, "true or false")


class ParallelSettings(_Section):
    """``parallel``: how many processes tokenize and fit, and where tokenization runs."""

    n_jobs: Jobs = _setting(1, JOBS)
    scheduler: Annotated[StrictStr, Field(min_length=1)] | None = _setting(
        None, "null, local, or a Dask scheduler address such as tcp://10.0.0.5:8786"
    )


class Settings(_Section):
    """Every setting of a run, validated; built by :func:`validate_config`."""

    seed: Annotated[StrictInt, Field(ge=0, le=MAX_SEED)] = _setting(
        20181206, f"a whole number from 0 to {MAX_SEED}"
    )
    corpus: CorpusSettings = CorpusSettings()
    units: UnitSettings = UnitSettings()
    preprocess: PreprocessSettings = PreprocessSettings()
    vectorize: VectorizeSettings = VectorizeSettings()
    models: ModelSettings = ModelSettings()
    themes: ThemeSettings = ThemeSettings()
    figures: FigureSettings = FigureSettings()
    parallel: ParallelSettings = ParallelSettings()
    output: PathValue = _setting(None, "an output folder, or null for ./<corpus name>_topiclab")
    cache: PathValue = _setting(".cache", "a cache folder, or null for no cache")

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        # refit r uses seed + r, which must still be a valid seed
        if self.seed + self.models.refits - 1 > MAX_SEED:
            raise ValueError(
                f"seed: seed + models.refits - 1 must be at most {MAX_SEED}, "
                f"got {self.seed} + {self.models.refits} - 1; choose a smaller seed"
            )
        floor = self.models.anchor_min_weight
        if self.models.anchor_models and isinstance(floor, dict):
            missing = [name for name in self.models.names if name not in floor]
            if missing:
                raise ValueError(
                    f"models.anchor_min_weight: has no entry for {', '.join(missing)} "
                    f"(models.names); give one per model, e.g. {{lda: 3, nmf: 2}}, or one number"
                )
        return self


def validate_config(
    config: Mapping[str, Any], sources: Mapping[str, str] | None = None
) -> Settings:
    """Check every key and value of a merged config; return it as frozen :class:`Settings`.

    Parameters
    ----------
    config : mapping
        A configuration as :func:`topiclab.load_config` builds it.
    sources : mapping of str to str, optional
        Where each dotted key was set (a file name, ``--set KEY=VALUE``), named in the error.

    Returns
    -------
    Settings

    Raises
    ------
    ConfigError
        For the first bad value: the dotted key, the value, what is expected and, when
        known, where it was set, in one line. An unknown key raises
        :class:`UnknownConfigKeyError`.
    """
    if not isinstance(config, Mapping):
        raise ConfigError(
            "the config must be a mapping of settings (seed:, corpus:, ...), "
            f"got {describe_value(config)}"
        )
    try:
        return Settings.model_validate(dict(config))
    except ValidationError as error:
        raise _config_error(error, config, sources or {}) from None


def describe_value(value: Any) -> str:
    """A value as a user wrote it in YAML: ``null``, ``true``, ``'abc'``, ``[1, 2]``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping | list | tuple | int | float):
        text = yaml.safe_dump(
            _plain(value), default_flow_style=True, allow_unicode=True, width=10**6
        )
        return text.strip().removesuffix("...").strip()
    return f"a {type(value).__name__}"


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def yaml_problem(error: yaml.YAMLError) -> str:
    """One line saying what is wrong in a YAML text and where (line and column)."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error)
    if isinstance(error, yaml.constructor.ConstructorError) and "tag" in problem:
        tag = problem.split("tag", 1)[1].strip(" '\"")
        tag = tag.replace("tag:yaml.org,2002:", "!!")
        return (
            f"{where}the tag {tag} is not allowed (topiclab reads plain YAML: numbers, "
            "strings, lists and mappings); remove it"
        )
    context = getattr(error, "context", None)
    problem = f"{context}, {problem}" if context else problem
    return f"{where}not valid YAML ({' '.join(problem.split())})"


def _config_error(
    error: ValidationError, config: Mapping[str, Any], sources: Mapping[str, str]
) -> ConfigError:
    """Turn pydantic's report into one line about the first bad value."""
    details = error.errors(include_url=False)
    first = details[0]
    location = first["loc"]
    keys, model, field = _field_path(location)
    if first["type"] == "extra_forbidden":
        unknown = str(location[len(keys)])
        section = ".".join(keys)
        known = sorted((model or Settings).model_fields)
        where = f" in {section}" if section else ""
        dotted = ".".join([*keys, unknown])
        moved = moved_key_message(dotted, _source(dotted, sources))
        if moved is not None:
            return UnknownConfigKeyError(moved, key=dotted)
        return UnknownConfigKeyError(
            f"unknown config key {unknown!r}{where}{_source(dotted, sources)}; "
            f"known keys{where}: {', '.join(known)}",
            key=dotted,
        )
    if not keys:  # a check across sections (model validator): its message says it all
        message = first["msg"].removeprefix("Value error, ")
        key = message.split(":", 1)[0]
        return ConfigError(f"{message}{_source(key, sources)}", key=key)
    dotted = ".".join(keys)
    value = _lookup(config, keys)
    if model is not None:
        expected = f"a mapping with keys {', '.join(model.model_fields)}"
    else:
        expected = field.description if field is not None and field.description else first["msg"]
    if first["type"] == "value_error":
        # a check of our own (distinct values, n_jobs): say which
        expected += f" ({first['msg'].removeprefix('Value error, ')})"
    # a union reports one error per alternative: count the keys at fault, not the errors
    others = {tuple(_field_path(d["loc"])[0]) for d in details} - {tuple(keys)}
    more = f" (and {len(others)} more bad value(s))" if others else ""
    return ConfigError(
        f"{dotted}: expected {expected}, got {describe_value(value)}"
        f"{_source(dotted, sources)}{more}",
        key=dotted,
    )


def _field_path(location: tuple[Any, ...]) -> tuple[list[str], type[BaseModel] | None, Any]:
    """The config keys of an error location (without pydantic's union and item parts), the
    section model the last key names (None for a value) and the last key's field."""
    keys: list[str] = []
    model: type[BaseModel] | None = Settings
    field = None
    for part in location:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            break
        keys.append(part)
        field = model.model_fields[part]
        annotation = field.annotation
        is_section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation if is_section else None
    return keys, model, field


def _lookup(config: Any, keys: list[str]) -> Any:
    value = config
    for key in keys:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _source(dotted: str, sources: Mapping[str, str]) -> str:
    """`` (from --set x=1)`` for the assignment or file that set ``dotted``, or ``""``."""
    if dotted in sources:
        return f" (from {sources[dotted]})"
    parts = dotted.split(".")
    for n in range(len(parts) - 1, 0, -1):  # a section set as a whole
        prefix = ".".join(parts[:n])
        if prefix in sources:
            return f" (from {sources[prefix]})"
    for key, source in sources.items():  # a value inside the section at fault
        if key.startswith(dotted + "."):
            return f" (from {source})"
    return ""
