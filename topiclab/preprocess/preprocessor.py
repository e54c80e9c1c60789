"""The preprocessing pipeline: character filters, segmentation, phrases, token filters.

One text goes through these stages, in this order:

1. character filters on the raw text: :func:`~topiclab.normalize_text`, web and e-mail
   addresses and document numbers removed, plenums and abbreviations written out;
2. pyvi segmentation of the text *as written* (pyvi uses capitals to find names and terms);
3. phrases: protected terms and place names made exactly one token each, then person names
   found by surname and honorific rules;
4. token filters: punctuation, numbers, Roman numerals and single letters dropped, names and
   places dropped, stopwords dropped unless a keep-word, everything lower-cased.

Phrases are merged before stopwords are removed, so "tự phê bình" stays "tự_phê_bình" and
does not lose "tự" to the stoplist.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from topiclab.preprocess import charfilters
from topiclab.preprocess.cache import cached_tokens, store_tokens, text_key, token_entry
from topiclab.preprocess.names import find_names, surname_before
from topiclab.preprocess.phrases import NAME, PLACE, Span, SpanMatcher
from topiclab.preprocess.segment import known_syllables, segment_syllables, word_spans
from topiclab.text import lists
from topiclab.text.normalize import normalize_text

__all__ = ["Preprocessor", "tokenize"]

_RESOURCES = (
    "stopwords_vi.txt",
    "stopwords_domain.txt",
    "stopwords_numbers.txt",
    "keep_words.txt",
    "terms.txt",
    "abbreviations.tsv",
)
# Settings that change how the work is scheduled, not which tokens come out.
_SCHEDULING = ("n_jobs", "backend", "batch_size", "cache_dir", "progress")
_UNSEEN = object()
# Texts per cache pack file.
_PACK_SIZE = 2000
# Distinct written words remembered per pipeline; a few hundred thousand cover a large corpus.
_MEMO_SIZE = 500_000


def _as_tuple(value: Iterable[str] | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"{name} must be an iterable of strings, not a single string")
    items = tuple(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise TypeError(f"{name} must hold strings; got {bad[0]!r}")
    return tuple(sorted(set(items)))


@dataclass(frozen=True)
class _Settings:
    """The token-deciding settings of a :class:`Preprocessor`, hashable."""

    normalize: bool
    remove_urls: bool
    remove_document_numbers: bool
    expand_abbreviations: bool
    abbreviations: tuple[tuple[str, str], ...] | None
    protect_terms: bool
    terms: tuple[str, ...] | None
    extra_terms: tuple[str, ...]
    protect_places: bool
    places: tuple[str, ...] | None
    remove_places: bool
    remove_names: bool
    pos_names: bool
    remove_numbers: bool
    remove_acronyms: bool
    min_length: int
    generic_stopwords: bool
    domain_stopwords: bool
    number_stopwords: bool
    extra_stopwords: tuple[str, ...]
    keep_words: tuple[str, ...] | None


class _Pipeline:
    """The compiled form of one :class:`_Settings`: word sets, matchers, regexes."""

    def __init__(self, settings: _Settings) -> None:
        s = settings
        self.settings = s
        pairs = lists.abbreviations() if s.abbreviations is None else s.abbreviations
        self.expand = charfilters.compile_abbreviations(
            [(normalize_text(a), normalize_text(b)) for a, b in pairs]
            if s.expand_abbreviations
            else []
        )
        terms: list[str] = []
        if s.protect_terms:
            terms = list(lists.terms() if s.terms is None else s.terms) + list(s.extra_terms)
        places: Iterable[str] = ()
        if s.protect_places:
            places = _gazetteer_places() if s.places is None else s.places
        self.matcher = SpanMatcher(
            terms=[normalize_text(t) for t in terms],
            places=[normalize_text(p) for p in places],
            plenums=s.protect_terms,
            person_before=surname_before,
        )
        stop: set[str] = set()
        if s.generic_stopwords:
            stop |= lists.generic_stopwords()
        if s.domain_stopwords:
            stop |= lists.domain_stopwords()
        if s.number_stopwords:
            stop |= lists.number_stopwords()
        stop |= {lists.as_token(word) for word in s.extra_stopwords}
        keep = lists.keep_words() if s.keep_words is None else s.keep_words
        self.stopwords = frozenset(stop - {lists.as_token(word) for word in keep})
        self.known = known_syllables() if s.remove_acronyms else frozenset()
        self._memo: dict[str | tuple[str, ...], str | None] = {}

    def text_filters(self, text: str) -> str:
        s = self.settings
        if s.normalize:
            text = normalize_text(text)
        if s.remove_urls:
            text = charfilters.remove_urls(text)
        if s.remove_document_numbers:
            text = charfilters.remove_document_numbers(text)
        if s.protect_terms:
            text = charfilters.canonical_spellings(charfilters.canonical_plenums(text))
        text = self.expand(text)
        # "_" is the token joiner; a literal one in the text would forge a multi-word token.
        return text.replace("_", " ")

    def __call__(self, text: str) -> list[str]:
        s = self.settings
        seg = segment_syllables(self.text_filters(text))
        syllables, lower = seg.syllables, seg.lower
        if not syllables:
            return []
        spans = self.matcher.find(syllables, lower)
        if s.remove_names or s.protect_places:
            claimed = [False] * len(syllables)
            for span in spans:
                claimed[span.begin : span.end] = [True] * (span.end - span.begin)
            spans = sorted(spans + find_names(syllables, lower, claimed), key=_begin)
        starts = list(seg.starts)
        kinds: dict[int, Span] = {}
        for span in spans:
            starts[span.begin : span.end] = [True] + [False] * (span.end - span.begin - 1)
            if span.end < len(starts):
                starts[span.end] = True
            kinds[span.begin] = span
        if s.pos_names:
            _tag_proper_nouns(syllables, lower, starts, kinds)
        tokens: list[str] = []
        memo = self._memo
        min_length, stopwords = s.min_length, self.stopwords
        for begin, end in word_spans(starts):
            span = kinds.get(begin)
            if span is None:
                # A word's token depends only on its syllables as written: memoised, since
                # a corpus repeats a small vocabulary many times.
                key = syllables[begin] if end - begin == 1 else tuple(syllables[begin:end])
                token = memo.get(key, _UNSEEN)
                if token is _UNSEEN:
                    token = self._plain_token(syllables[begin:end], lower[begin:end])
                    if token is not None and (len(token) < min_length or token in stopwords):
                        token = None
                    if len(memo) < _MEMO_SIZE:
                        memo[key] = token
                if token is not None:
                    tokens.append(token)
                continue
            if (span.kind == NAME and s.remove_names) or (span.kind == PLACE and s.remove_places):
                continue
            token = span.token
            if len(token) >= min_length and token not in stopwords:
                tokens.append(token)
        return tokens

    def _plain_token(self, syllables: list[str], lower: list[str]) -> str | None:
        # pyvi keeps punctuation as its own syllable and a period on capitals ("XII.").
        kept = [
            (syl.rstrip("."), low.rstrip("."))
            for syl, low in zip(syllables, lower, strict=True)
            if any(ch.isalnum() for ch in syl)
        ]
        if not kept:
            return None
        if (
            self.settings.remove_acronyms
            and len(kept) == 1
            and kept[0][0].isupper()
            and kept[0][1] not in self.known
        ):
            return None
        if self.settings.remove_numbers:
            if any(ch.isdigit() for _, low in kept for ch in low):
                return None
            if all(syl in charfilters.ROMAN_NUMERALS for syl, _ in kept):
                return None
        return "_".join(low for _, low in kept)


def _tag_proper_nouns(
    syllables: list[str], lower: list[str], starts: list[bool], kinds: dict[int, Span]
) -> None:
    """Mark words that pyvi's POS tagger calls proper nouns (Np) as names.

    Only words with every syllable capitalised count, and a one-syllable word only when it is
    no Vietnamese word: the tagger also calls "Đảng" and sentence-initial words Np.
    """
    # A second CRF pass and the import of pyvi: off by default, used on request only.
    from pyvi import ViPosTagger

    spans = word_spans(starts)
    words = ["_".join(syllables[a:b]) for a, b in spans]
    _, tags = ViPosTagger.postagging_tokens(words)
    for (a, b), tag in zip(spans, tags, strict=True):
        if (
            tag == "Np"
            and a not in kinds
            and all(syllable.istitle() for syllable in syllables[a:b])
            and (b - a > 1 or lower[a] not in known_syllables())
        ):
            kinds[a] = Span(a, b, "_".join(lower[a:b]), NAME)


def _begin(span: Span) -> int:
    return span.begin


@lru_cache(maxsize=1)
def _gazetteer_places() -> tuple[str, ...]:
    # Imported here, not at module level: the gazetteer loads pandas, which workers given
    # the resolved place names never need.
    from topiclab.text.gazetteer import place_names

    return tuple(sorted(place_names()))


@lru_cache(maxsize=8)
def _pipeline(settings: _Settings) -> _Pipeline:
    return _Pipeline(settings)


def _run_batch(settings: _Settings, texts: list[str]) -> list[list[str]]:
    """Worker entry point: preprocess a batch of texts (runs in joblib workers)."""
    pipeline = _pipeline(settings)
    return [pipeline(text) for text in texts]


class Preprocessor:
    """Vietnamese preprocessing from raw text to lower-case, ``_``-joined tokens.

    All parameters are keyword-only and stored as given; they are checked when the
    preprocessor is first used.

    Parameters
    ----------
    normalize : bool, default=True
        Apply :func:`topiclab.normalize_text` (NFC, invisible characters, tone marks).
    remove_urls : bool, default=True
        Remove web and e-mail addresses.
    remove_document_numbers : bool, default=True
        Remove document numbers ("101-QĐ/TW", "80-KH/HU") before segmentation, so they leave
        no tokens such as "qđ" or "tw".
    expand_abbreviations : bool, default=True
        Write out abbreviations ("BTV" -> "Ban Thường vụ", "TW4" -> "Trung ương 4").
    abbreviations : mapping or iterable of (str, str), optional
        Replaces the shipped table ``abbreviations.tsv``.
    protect_terms : bool, default=True
        Keep multi-word terms and numbered plenums whole ("tự_phê_bình", "trung_ương_4").
    terms : iterable of str, optional
        Replaces the shipped list ``terms.txt`` (terms as written, e.g. "Ban Thường vụ").
    extra_terms : iterable of str, default=()
        Terms added to the list.
    protect_places : bool, default=True
        Keep place names whole (so pyvi cannot glue them to a neighbour).
    places : iterable of str, optional
        Place names; default the gazetteer's :func:`topiclab.text.gazetteer.place_names`.
    remove_places : bool, default=True
        Drop place-name tokens: localities belong in the metadata, not in topics.
    remove_names : bool, default=True
        Drop person names (surname and honorific rules); "Hồ Chí Minh" is a term and stays.
    pos_names : bool, default=False
        Also treat capitalised words that pyvi's POS tagger tags ``Np`` (proper noun) as
        names. It catches names the rules miss (foreign names, given names alone) but costs
        a second CRF pass and also tags some organisations, so it is off by default.
    remove_numbers : bool, default=True
        Drop tokens with digits (numbers, dates, percentages) and Roman numerals ("XII").
    remove_acronyms : bool, default=True
        Drop one-syllable capitals that are no Vietnamese word and no known abbreviation,
        such as the bylines "TTH", "LSO", "HNP" of provincial newspapers.
    min_length : int, default=2
        Shortest token kept, in characters (2 drops single letters).
    generic_stopwords : bool, default=True
        Drop the generic Vietnamese stopwords (``stopwords_vi.txt``, from stopwordsiso).
    domain_stopwords : bool, default=True
        Drop the genre's filler words (``stopwords_domain.txt``).
    number_stopwords : bool, default=True
        Drop number words and quantifiers written as words ("hai", "triệu", "một_số",
        "mọi"; ``stopwords_numbers.txt``), which occur whatever the subject.
    extra_stopwords : iterable of str, default=()
        More stopwords, in token form or as written.
    keep_words : iterable of str, optional
        Words never dropped as stopwords; default the shipped ``keep_words.txt``.
    n_jobs : int, default=1
        Worker processes for :meth:`transform` (joblib; -1 = all cores).
    backend : str, default="loky"
        joblib backend ("loky", "multiprocessing", "threading", or "dask" with a
        ``distributed.Client``).
    batch_size : int, default=128
        Texts sent to a worker at a time.
    cache_dir : str or Path, optional
        Folder of the on-disk token cache; ``None`` disables it.
    progress : bool, optional
        Show a progress bar; default only when standard error is a terminal.

    Attributes
    ----------
    n_segmented_ : int
        Texts segmented by the last :meth:`transform` (cache misses).
    n_cached_ : int
        Texts read from the cache by the last :meth:`transform`.

    Examples
    --------
    >>> from topiclab import Preprocessor
    >>> Preprocessor().transform_one("Ban Thường vụ Huyện ủy tổ chức tự phê bình")
    ['ban_thường_vụ', 'huyện_ủy', 'tổ_chức', 'tự_phê_bình']
    """

    def __init__(
        self,
        *,
        normalize: bool = True,
        remove_urls: bool = True,
        remove_document_numbers: bool = True,
        expand_abbreviations: bool = True,
        abbreviations: Iterable[tuple[str, str]] | dict[str, str] | None = None,
        protect_terms: bool = True,
        terms: Iterable[str] | None = None,
        extra_terms: Iterable[str] = (),
        protect_places: bool = True,
        places: Iterable[str] | None = None,
        remove_places: bool = True,
        remove_names: bool = True,
        pos_names: bool = False,
        remove_numbers: bool = True,
        remove_acronyms: bool = True,
        min_length: int = 2,
        generic_stopwords: bool = True,
        domain_stopwords: bool = True,
        number_stopwords: bool = True,
        extra_stopwords: Iterable[str] = (),
        keep_words: Iterable[str] | None = None,
        n_jobs: int = 1,
        backend: str = "loky",
        batch_size: int = 128,
        cache_dir: str | Path | None = None,
        progress: bool | None = None,
    ) -> None:
        self.normalize = normalize
        self.remove_urls = remove_urls
        self.remove_document_numbers = remove_document_numbers
        self.expand_abbreviations = expand_abbreviations
        self.abbreviations = abbreviations
        self.protect_terms = protect_terms
        self.terms = terms
        self.extra_terms = extra_terms
        self.protect_places = protect_places
        self.places = places
        self.remove_places = remove_places
        self.remove_names = remove_names
        self.pos_names = pos_names
        self.remove_numbers = remove_numbers
        self.remove_acronyms = remove_acronyms
        self.min_length = min_length
        self.generic_stopwords = generic_stopwords
        self.domain_stopwords = domain_stopwords
        self.number_stopwords = number_stopwords
        self.extra_stopwords = extra_stopwords
        self.keep_words = keep_words
        self.n_jobs = n_jobs
        self.backend = backend
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.progress = progress

    # -- scikit-learn conventions -------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (scikit-learn convention)."""
        return {name: getattr(self, name) for name in _PARAM_NAMES}

    def set_params(self, **params: Any) -> Preprocessor:
        """Set constructor parameters (scikit-learn convention)."""
        for name, value in params.items():
            if name not in _PARAM_NAMES:
                raise ValueError(f"Preprocessor has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = Preprocessor().get_params()
        changed = {k: v for k, v in self.get_params().items() if v != defaults[k]}
        return "Preprocessor(" + ", ".join(f"{k}={v!r}" for k, v in changed.items()) + ")"

    def fit(self, X: Iterable[str] | None = None, y: Any = None) -> Preprocessor:
        """Do nothing: preprocessing learns nothing from the corpus. Returns ``self``."""
        return self

    def fit_transform(self, X: Iterable[str], y: Any = None) -> list[list[str]]:
        """Same as :meth:`transform`."""
        return self.transform(X)

    # -- settings -----------------------------------------------------------------------
    def _settings(self) -> _Settings:
        for name in (
            "normalize",
            "remove_urls",
            "remove_document_numbers",
            "expand_abbreviations",
            "protect_terms",
            "protect_places",
            "remove_places",
            "remove_names",
            "pos_names",
            "remove_numbers",
            "remove_acronyms",
            "generic_stopwords",
            "domain_stopwords",
            "number_stopwords",
        ):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not isinstance(self.min_length, int) or self.min_length < 1:
            raise ValueError(f"min_length must be a positive integer, got {self.min_length!r}")
        abbreviations = self.abbreviations
        if isinstance(abbreviations, dict):
            abbreviations = abbreviations.items()
        if abbreviations is not None:
            abbreviations = tuple(sorted((str(a), str(b)) for a, b in abbreviations))
        return _Settings(
            normalize=self.normalize,
            remove_urls=self.remove_urls,
            remove_document_numbers=self.remove_document_numbers,
            expand_abbreviations=self.expand_abbreviations,
            abbreviations=abbreviations,
            protect_terms=self.protect_terms,
            terms=_as_tuple(self.terms, "terms"),
            extra_terms=_as_tuple(self.extra_terms, "extra_terms") or (),
            protect_places=self.protect_places,
            places=_as_tuple(self.places, "places"),
            remove_places=self.remove_places,
            remove_names=self.remove_names,
            pos_names=self.pos_names,
            remove_numbers=self.remove_numbers,
            remove_acronyms=self.remove_acronyms,
            min_length=self.min_length,
            generic_stopwords=self.generic_stopwords,
            domain_stopwords=self.domain_stopwords,
            number_stopwords=self.number_stopwords,
            extra_stopwords=_as_tuple(self.extra_stopwords, "extra_stopwords") or (),
            keep_words=_as_tuple(self.keep_words, "keep_words"),
        )

    def settings_key(self) -> str:
        """Digest of everything that decides the tokens: the key of the token cache.

        It covers the token-deciding parameters, the shipped word lists, the gazetteer's
        place names (when used), and the versions of topiclab and pyvi; scheduling
        parameters (``n_jobs``, ``backend``, ``cache_dir``, ...) do not change it.
        """
        from topiclab import __version__

        settings = self._settings()
        payload: dict[str, Any] = {
            name: value for name, value in vars(settings).items() if name not in _SCHEDULING
        }
        payload["resources"] = lists.resource_digest(*_RESOURCES)
        if settings.protect_places and settings.places is None:
            payload["places"] = _places_digest()
        payload["topiclab"] = __version__
        payload["pyvi"] = metadata.version("pyvi")
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=list)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    # -- transform ----------------------------------------------------------------------
    def transform_one(self, text: str) -> list[str]:
        """Tokens of one text (no cache, no workers)."""
        if not isinstance(text, str):
            raise TypeError(f"expected a str, got {type(text).__name__}")
        return _pipeline(self._settings())(text)

    def transform(self, texts: Iterable[str]) -> list[list[str]]:
        """Tokens of every text, in order.

        Texts already in the cache are read from it; the rest are segmented, in parallel
        when ``n_jobs != 1``, and written to it. The result does not depend on ``n_jobs``.

        Raises
        ------
        TypeError
            If ``texts`` is a single string or holds something other than strings (such as
            a missing value), naming the first offending position.
        """
        if isinstance(texts, str):
            raise TypeError("transform expects an iterable of texts; use transform_one(text)")
        texts = list(texts)
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(
                    f"text at position {position} is {type(text).__name__}, not str "
                    "(fill or drop missing texts before preprocessing)"
                )
        settings = self._settings()
        self._check_scheduling()
        cache, entry = (
            token_entry(self.cache_dir, self.settings_key()) if self.cache_dir else (None, "")
        )
        keys = [text_key(text) for text in texts]
        found = cached_tokens(cache, entry, keys) if cache is not None else {}
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found:
                todo.setdefault(key, text)
        self.n_cached_ = sum(1 for key in keys if key not in todo)
        self.n_segmented_ = len(todo)
        pending: dict[str, list[str]] = {}
        for key, tokens in zip(todo, self._run(settings, list(todo.values())), strict=True):
            found[key] = tokens
            if cache is not None:
                pending[key] = tokens
                # Written in packs as results arrive, so an interrupted run keeps its work.
                if len(pending) >= _PACK_SIZE:
                    store_tokens(cache, entry, pending)
                    pending = {}
        if cache is not None:
            store_tokens(cache, entry, pending)
        return [list(found[key]) for key in keys]

    def _check_scheduling(self) -> None:
        for name in ("n_jobs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value == 0:
                raise ValueError(f"{name} must be a non-zero integer, got {value!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {self.batch_size!r}")

    def _run(self, settings: _Settings, texts: list[str]) -> Iterator[list[str]]:
        """Tokens of ``texts`` in order, yielded as they are ready."""
        n_jobs = self.n_jobs
        if not texts:
            return
        show = sys.stderr.isatty() if self.progress is None else bool(self.progress)
        from tqdm.auto import tqdm

        with tqdm(total=len(texts), desc="preprocess", unit="text", disable=not show) as bar:
            if n_jobs == 1:
                pipeline = _pipeline(settings)
                for text in texts:
                    yield pipeline(text)
                    bar.update(1)
                return
            from joblib import Parallel, delayed

            if settings.protect_places and settings.places is None:
                # Resolved here so that workers need not import the gazetteer (and pandas).
                settings = dataclasses.replace(settings, places=_gazetteer_places())
            # at least four batches a worker, so that a slow batch cannot leave a worker idle
            size = max(1, min(int(self.batch_size), math.ceil(len(texts) / (4 * abs(n_jobs)))))
            batches = [texts[i : i + size] for i in range(0, len(texts), size)]
            parallel = Parallel(n_jobs=n_jobs, backend=self.backend, return_as="generator")
            for result in parallel(delayed(_run_batch)(settings, batch) for batch in batches):
                yield from result
                bar.update(len(result))


_PARAM_NAMES: tuple[str, ...] = tuple(
    name
    for name in Preprocessor.__init__.__code__.co_varnames[
        1 : Preprocessor.__init__.__code__.co_argcount
        + Preprocessor.__init__.__code__.co_kwonlyargcount
    ]
)


@lru_cache(maxsize=1)
def _places_digest() -> str:
    return hashlib.sha256("\n".join(_gazetteer_places()).encode("utf-8")).hexdigest()


_DEFAULT: list[Preprocessor] = []


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` with the default :class:`Preprocessor` settings.

    Examples
    --------
    >>> from topiclab import tokenize
    >>> tokenize("Đồng chí Nguyễn Văn Vinh, Bí thư Đảng ủy, quán triệt Quy định 101-QĐ/TW")
    ['bí_thư', 'đảng_ủy', 'quán_triệt', 'quy_định']
    """
    if not _DEFAULT:
        _DEFAULT.append(Preprocessor())
    return _DEFAULT[0].transform_one(text)


def preprocessor_from_config(config: dict[str, Any]) -> Preprocessor:
    """A :class:`Preprocessor` from the ``preprocess`` section of a run configuration."""
    section = dict(config.get("preprocess", {}))
    cache = config.get("cache")
    if cache and "cache_dir" not in section:
        section["cache_dir"] = cache
    return Preprocessor(**section)
