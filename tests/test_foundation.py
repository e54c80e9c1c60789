"""The package, its command line and its configuration."""

from __future__ import annotations

import subprocess
import sys

import pytest

import topiclab
from topiclab.cli import build_parser, main, run_overrides
from topiclab.config import load_config, parse_override


def test_version_is_exposed_and_printed(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"topiclab {topiclab.__version__}"


def test_console_script_help_runs_in_a_fresh_process():
    completed = subprocess.run(
        [sys.executable, "-m", "topiclab.cli", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in (
        "--corpus",
        "--output",
        "--set",
        "--unit",
        "--models",
        "--k",
        "--seed",
        "--jobs",
        "CONFIG",
    ):
        assert option in completed.stdout


def test_every_option_has_help_text():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in subparsers.items():
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert action.help, f"{name} {action.dest} has no help text"


def test_run_shortcuts_become_overrides():
    args = build_parser().parse_args(
        [
            "run",
            "--unit",
            "document",
            "--models",
            "lda",
            "--k",
            "5",
            "--seed",
            "7",
            "--jobs",
            "2",
            "--set",
            "models.lda.passes=3",
        ]
    )
    config = load_config(None, run_overrides(args))
    assert config["units"]["unit"] == "document"
    assert config["models"]["names"] == ["lda"]
    assert config["models"]["k"] == 5
    assert config["seed"] == 7
    assert config["parallel"]["n_jobs"] == 2
    assert config["models"]["lda"]["passes"] == 3


def test_set_parses_yaml_values():
    assert parse_override("models.k_grid=[3, 5]") == {"models": {"k_grid": [3, 5]}}
    assert parse_override("themes.lexicon=null") == {"themes": {"lexicon": None}}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_override("seed")


def test_unknown_config_key_is_an_error_not_ignored():
    with pytest.raises(KeyError, match="unknown config key 'pases'"):
        load_config(None, ["models.lda.pases=3"])


def test_analysis_yaml_resolves_paths_against_its_folder(repo_root):
    config = load_config(repo_root / "analysis.yaml")
    assert config["corpus"]["path"] == str(repo_root / "corpus")
    assert config["output"] == str(repo_root / "figures")


def test_lazy_exports_resolve():
    assert topiclab.TopicResult.__name__ == "TopicResult"
    with pytest.raises(AttributeError):
        topiclab.does_not_exist  # noqa: B018


def test_a_bad_corpus_is_one_clear_line_and_exit_status_two(tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert main(["ingest", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("topiclab: error:")
    assert str(tmp_path) in err
    assert "Traceback" not in err


def test_an_unknown_config_key_on_the_command_line_is_one_clear_line(capsys):
    assert main(["run", "--set", "models.lda.pases=3"]) == 2
    assert "unknown config key 'pases'" in capsys.readouterr().err
