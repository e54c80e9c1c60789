"""The run configuration: every value checked up front, one-line errors, the default output,
and the preflight checks of what a run points to (no model is fitted here)."""

from __future__ import annotations

import socket
from dataclasses import FrozenInstanceError

import pydantic
import pytest

from topiclab.config import default_config, default_output, load_config, parse_override
from topiclab.preflight import check_scheduler, check_writable_folder, preflight
from topiclab.settings import ConfigError, Settings, UnknownConfigKeyError, validate_config

# (--set assignment, dotted key at fault, how the bad value is shown)
BAD_VALUES = [
    ("models.k_grid=abc", "models.k_grid", "'abc'"),
    ("models.k_grid=[1, 4]", "models.k_grid", "[1, 4]"),
    ("models.k_grid=[]", "models.k_grid", "[]"),
    ("corpus=5", "corpus", "5"),
    ("corpus.min_words=abc", "corpus.min_words", "'abc'"),
    ("corpus.max_bytes=null", "corpus.max_bytes", "null"),
    ("seed=1.5", "seed", "1.5"),
    ("seed=true", "seed", "true"),
    ("seed=-1", "seed", "-1"),
    ("models.k=1", "models.k", "1"),
    ("models.k=ten", "models.k", "'ten'"),
    ("parallel.n_jobs=-2", "parallel.n_jobs", "-2"),
    ("parallel.n_jobs=0", "parallel.n_jobs", "0"),
    ("preprocess.remove_names=yes please", "preprocess.remove_names", "'yes please'"),
    ("vectorize.no_above=0", "vectorize.no_above", "0"),
    ("vectorize.no_above=1.5", "vectorize.no_above", "1.5"),
    ("figures.formats=[pdf, jpg]", "figures.formats", "[pdf, jpg]"),
    ("figures.formats=png", "figures.formats", "'png'"),
    ("figures.language=fr", "figures.language", "'fr'"),
    ("units.unit=sentence", "units.unit", "'sentence'"),
    ("corpus.language=en", "corpus.language", "'en'"),
    ("models.names=[lda, hdp]", "models.names", "[lda, hdp]"),
    ("models.names=[lda, lda]", "models.names", "[lda, lda]"),
    ("models.lda.alpha=foo", "models.lda.alpha", "'foo'"),
    ("models.nmf.solver=lbfgs", "models.nmf.solver", "'lbfgs'"),
    ("models.refits=0", "models.refits", "0"),
    ("models.anchor_min_weight.lda=-1", "models.anchor_min_weight", "{lda: -1, nmf: 2}"),
    ("figures.dpi=3.5", "figures.dpi", "3.5"),
    ("parallel.scheduler=8786", "parallel.scheduler", "8786"),
]


@pytest.mark.parametrize(("assignment", "key", "shown"), BAD_VALUES)
def test_a_bad_value_is_one_line_naming_key_value_expectation_and_source(assignment, key, shown):
    with pytest.raises(ConfigError) as caught:
        load_config(None, [assignment])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{key}: expected ")
    assert f"got {shown}" in message
    assert f"(from --set {assignment})" in message
    assert caught.value.key == key


def test_seed_true_is_not_silently_seed_one():
    # YAML reads `true` as a boolean and int(True) == 1: the run used to get seed 1
    with pytest.raises(ConfigError, match="seed: expected a whole number"):
        load_config(None, ["seed=true"])
    with pytest.raises(ConfigError, match="seed"):
        load_config(None, {"seed": True})


def test_values_of_the_right_kind_pass_unchanged():
    config = load_config(
        None,
        [
            "vectorize.no_above=1",  # an integer where a number is expected is fine
            "models.lda.alpha=[0.1, 0.2]",
            "models.lda.eta=auto",
            "parallel.n_jobs=-1",
            "models.anchor_min_weight=2",
            "figures.formats=[svg]",
            "corpus.language=null",
            "output=2024",  # a folder named 2024, not an error
        ],
    )
    assert config["vectorize"]["no_above"] == 1
    assert config["models"]["lda"]["alpha"] == [0.1, 0.2]
    assert config["output"] == "2024"
    assert config["corpus"]["language"] is None


def test_seed_plus_refits_must_stay_a_valid_seed():
    with pytest.raises(ConfigError, match=r"seed \+ models.refits - 1 must be at most"):
        load_config(None, ["seed=4294967295"])
    assert load_config(None, ["seed=4294967295", "models.refits=1"])["seed"] == 4294967295


def test_an_anchor_weight_per_model_must_cover_every_model_when_anchoring():
    config = default_config()
    config["models"].update(anchor_models=True, anchor_min_weight={"lda": 3})
    with pytest.raises(ConfigError, match=r"models.anchor_min_weight: has no entry for nmf"):
        validate_config(config)
    config["models"]["names"] = ["lda"]
    assert validate_config(config).models.anchor_min_weight == {"lda": 3}


def test_an_unknown_key_names_its_section_suggests_and_stays_a_key_error():
    with pytest.raises(UnknownConfigKeyError) as caught:
        load_config(None, ["models.lda.pases=3"])
    message = str(caught.value)
    assert isinstance(caught.value, KeyError)
    assert message.startswith("unknown config key 'pases' (models.lda.pases, from --set")
    assert "did you mean 'passes'?" in message
    assert "\n" not in message and not message.startswith('"')


def test_an_unknown_key_in_a_config_file_names_the_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("models:\n  k_gird: [4, 6]\n", encoding="utf-8")
    with pytest.raises(KeyError, match=f"models.k_gird, from {path}.*did you mean 'k_grid'"):
        load_config(path)


def test_a_bad_value_in_a_config_file_names_the_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("seed: 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"seed: expected .* got 1.5 \\(from {path}\\)"):
        load_config(path)


BAD_FILES = {
    "malformed": ("seed: 1\ncorpus: {path: x\n", "line 3, column 1: not valid YAML"),
    "python tag": (
        "seed: !!python/object/apply:os.system ['echo owned']\n",
        "the tag !!python/object/apply:os.system is not allowed",
    ),
    "not a mapping": ("- seed\n- corpus\n", "must hold a YAML mapping of settings"),
    "a string": ("just words\n", "must hold a YAML mapping of settings"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_config_file_is_one_line_naming_the_file(tmp_path, case):
    text, expected = BAD_FILES[case]
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"config file {path}")
    assert expected in message
    assert "\n" not in message


def test_a_config_path_that_is_a_folder_or_missing_is_named(tmp_path):
    with pytest.raises(ConfigError, match=f"config file {tmp_path} is a folder"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("seed=[1", "--set seed=[1: line 1, column 3: not valid YAML"),
        ("seed=!!python/name:os.system", "the tag !!python/name:os.system is not allowed"),
        ("seed", "--set expects KEY=VALUE"),
        ("=5", "--set has an empty key"),
    ],
)
def test_a_bad_set_assignment_is_one_line(assignment, expected):
    with pytest.raises(ConfigError) as caught:
        parse_override(assignment)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_mappings_and_assignments_mix_and_both_are_checked():
    config = load_config(None, [{"models": {"k": 5}}, "seed=3"])
    assert (config["models"]["k"], config["seed"]) == (5, 3)
    with pytest.raises(ConfigError, match=r"models.k: expected .* got 1 \(from the overrides\)"):
        load_config(None, ["seed=3", {"models": {"k": 1}}])


def test_settings_are_typed_and_frozen():
    settings = validate_config(load_config(None, ["models.k_grid=[3, 5]"]))
    assert isinstance(settings, Settings)
    assert settings.models.k_grid == (3, 5)
    with pytest.raises((pydantic.ValidationError, FrozenInstanceError, TypeError)):
        settings.models.k = 4


# ------------------------------------------------------------------------------ default output


def test_the_default_output_is_never_the_committed_figures_folder(repo_root, monkeypatch):
    monkeypatch.chdir(repo_root)
    assert default_config()["output"] is None
    config = load_config(None, [f"corpus.path={repo_root / 'corpus'}"])
    assert config["output"] == str(repo_root / "corpus_topiclab")
    # analysis.yaml names figures/ itself
    assert load_config(repo_root / "analysis.yaml")["output"] == str(repo_root / "figures")


def test_the_default_output_is_named_after_the_corpus(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    table = tmp_path / "data" / "vntc_20k.jsonl.gz"
    assert load_config(None, [f"corpus.path={table}"])["output"] == str(
        tmp_path / "vntc_20k_topiclab"
    )
    assert default_output(tmp_path / "data" / "articles.csv") == tmp_path / "articles_topiclab"
    folder = tmp_path / "my articles"
    folder.mkdir()
    assert default_output(folder) == tmp_path / "my articles_topiclab"
    # run from inside the corpus folder: the output goes beside it, not into it
    monkeypatch.chdir(folder)
    assert default_output(".") == tmp_path / "my articles_topiclab"
    # an explicit output wins
    assert load_config(None, ["corpus.path=x", f"output={tmp_path / 'o'}"])["output"] == str(
        tmp_path / "o"
    )


# ------------------------------------------------------------------------------ preflight


@pytest.fixture
def good(tmp_path, corpus_dir):
    """The overrides of a config whose every path is fine."""
    return [
        f"corpus.path={corpus_dir}",
        f"output={tmp_path / 'out'}",
        f"cache={tmp_path / 'cache'}",
    ]


def test_preflight_passes_a_good_config_and_leaves_nothing_behind(tmp_path, good, repo_root):
    settings = preflight(load_config(repo_root / "analysis.yaml", good))
    assert settings.models.k_grid == (10, 12, 14)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # out/ and cache/ not created


def test_preflight_names_a_missing_corpus_and_metadata(tmp_path, good):
    with pytest.raises(ConfigError, match=r"corpus.path .*nowhere does not exist"):
        preflight(load_config(None, [*good, f"corpus.path={tmp_path / 'nowhere'}"]))
    with pytest.raises(ConfigError, match=r"corpus.metadata .*meta.csv does not exist"):
        preflight(load_config(None, [*good, f"corpus.metadata={tmp_path / 'meta.csv'}"]))


def test_preflight_names_a_missing_or_broken_lexicon(tmp_path, good):
    with pytest.raises(ConfigError, match=r"themes.lexicon .*mine.yaml does not exist"):
        preflight(load_config(None, [*good, f"themes.lexicon={tmp_path / 'mine.yaml'}"]))
    broken = tmp_path / "broken.yaml"
    broken.write_text("themes: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"themes.lexicon {broken}: line 2, column 1"):
        preflight(load_config(None, [*good, f"themes.lexicon={broken}"]))
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("themes: !!python/object/apply:os.system ['echo owned']\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        preflight(load_config(None, [*good, f"themes.lexicon={tagged}"]))
    assert f"themes.lexicon {tagged}" in str(caught.value)
    assert "!!python/object/apply:os.system is not allowed" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_preflight_needs_a_topic_per_anchored_theme_before_ingest(good):
    with pytest.raises(ConfigError, match=r"models.k: .* K must be at least 9, got 5"):
        preflight(load_config(None, [*good, "models.anchor_models=true", "models.k=5"]))
    with pytest.raises(ConfigError, match=r"models.k_grid: .* at least 9, got \[4, 6\]"):
        preflight(load_config(None, [*good, "models.anchor_models=true", "models.k_grid=[4, 6]"]))


@pytest.mark.parametrize("key", ["output", "cache"])
def test_preflight_names_an_output_or_cache_that_cannot_be_a_folder(tmp_path, good, key):
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"^{key} .*a_file is a file, not a folder"):
        preflight(load_config(None, [*good, f"{key}={a_file}"]))
    with pytest.raises(ConfigError, match=f"^{key} .*cannot be created: .*a_file is a file"):
        preflight(load_config(None, [*good, f"{key}={a_file / 'sub'}"]))


def test_a_folder_nobody_can_write_is_reported_even_to_root():
    # /proc refuses new entries to every user; os.access would say yes to root
    with pytest.raises(ConfigError, match=r"^output /proc/topiclab cannot be written"):
        check_writable_folder("/proc/topiclab", "output")


def test_an_unreachable_dask_scheduler_is_reported_before_any_work(good):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = load_config(None, [*good, f"parallel.scheduler=tcp://127.0.0.1:{port}"])
    with pytest.raises(ConfigError, match=f"no Dask scheduler answers at 127.0.0.1:{port}"):
        preflight(config)
    with pytest.raises(ConfigError, match="is not an address"):
        check_scheduler("tcp://:8786")
    check_scheduler("local")  # started by the run itself: nothing to probe


def test_a_listening_scheduler_passes():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        check_scheduler(f"127.0.0.1:{server.getsockname()[1]}", timeout=2.0)


def test_the_schema_defaults_are_the_shipped_defaults():
    """The schema's own defaults and default_config.yaml say the same (they drifted once)."""
    import warnings

    from topiclab.settings import Settings, validate_config

    with warnings.catch_warnings():
        # pydantic warns when serialising a per-model mapping in a number-or-mapping field
        warnings.simplefilter("ignore", UserWarning)
        assert Settings().model_dump() == validate_config(default_config()).model_dump()
