"""The command line: a user's mistake is one line and exit status 2, a traceback only with
--debug, -v and -vv choose whose log is shown. Nothing here fits a model: every run stops at
a check made before the corpus is read."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

import topiclab.preflight
from topiclab.cli import build_parser, main
from topiclab.settings import ConfigError


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("topiclab"), err
    assert ": error: " in lines[0]
    assert "Traceback" not in err
    return lines[0]


CASES = {
    "k_grid=abc": (["--set", "models.k_grid=abc"], "models.k_grid: expected"),
    "corpus=5": (["--set", "corpus=5"], "corpus: expected a mapping"),
    "min_words=abc": (["--set", "corpus.min_words=abc"], "corpus.min_words: expected"),
    "max_bytes=null": (["--set", "corpus.max_bytes=null"], "got null"),
    "seed=1.5": (["--set", "seed=1.5"], "seed: expected a whole number"),
    "seed=true": (["--set", "seed=true"], "got true"),
    "--seed -1": (["--seed", "-1"], "seed: expected"),
    "--k 1": (["--k", "1"], "models.k: expected a whole number of topics >= 2"),
    "--k 1 named": (["--k", "1"], "got 1 (from --k 1)"),
    "--jobs 0": (["--jobs", "0"], "parallel.n_jobs: expected"),
    "--jobs -2 named": (["--jobs", "-2"], "got -2 (from --jobs -2)"),
    "--k abc": (["--k", "abc"], "argument --k: invalid int value: 'abc'"),
    "--unit sentence": (["--unit", "sentence"], "argument --unit: invalid choice"),
    "--models lda,hdp": (["--models", "lda,hdp"], "got [lda, hdp] (from --models lda,hdp)"),
    "unknown key": (["--set", "models.lda.pases=3"], "did you mean 'passes'?"),
    "formats": (["--set", "figures.formats=[pdf, gif]"], "figures.formats: expected"),
    "language": (["--set", "figures.language=de"], "figures.language: expected en or vi"),
    "no KEY=VALUE": (["--set", "seed"], "--set expects KEY=VALUE"),
    "set malformed": (["--set", "models.k_grid=[4, 6"], "not valid YAML"),
    "set python tag": (["--set", "seed=!!python/name:os.system"], "is not allowed"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_setting_is_one_line_and_exit_status_two(case, capsys, tmp_path):
    extra, expected = CASES[case]
    argv = ["run", "--corpus", str(tmp_path), "--output", str(tmp_path / "out"), *extra]
    try:
        status = main(argv)
    except SystemExit as stop:  # argparse's own checks (--k abc) exit from parse_args
        status = stop.code
    assert status == 2
    assert expected in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_bad_config_files_are_one_line_naming_the_file(tmp_path, capsys):
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("seed: !!python/object/apply:os.system ['echo owned']\n", "utf-8")
    assert main(["run", str(tagged)]) == 2
    line = _one_error_line(capsys)
    assert str(tagged) in line and "not allowed" in line
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n", encoding="utf-8")
    assert main(["run", str(listing)]) == 2
    assert "must hold a YAML mapping" in _one_error_line(capsys)
    assert main(["run", str(tmp_path)]) == 2
    assert f"config file {tmp_path} is a folder" in _one_error_line(capsys)


def test_paths_are_checked_before_the_corpus_is_read(tmp_path, corpus_dir, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    run = ["run", "--corpus", str(corpus_dir), "--output", str(tmp_path / "out")]
    run += ["--set", "cache=null"]
    checks = [
        (["run", "--corpus", str(tmp_path / "missing")], "corpus.path"),
        ([*run, "--metadata", str(tmp_path / "meta.csv")], "corpus.metadata"),
        ([*run, "--set", f"themes.lexicon={tmp_path / 'lex.yaml'}"], "themes.lexicon"),
        (["run", "--corpus", str(corpus_dir), "--output", str(a_file)], "is a file"),
        (["run", "--corpus", str(corpus_dir), "--output", "/proc/out"], "cannot be written"),
        ([*run, "--set", f"cache={a_file / 'cache'}"], "cache"),
    ]
    for argv, expected in checks:
        assert main(argv) == 2, argv
        assert expected in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_ingest_checks_its_paths_too(tmp_path, corpus_dir, capsys):
    assert main(["ingest", str(corpus_dir), "--metadata", str(tmp_path / "m.csv")]) == 2
    assert "--metadata" in _one_error_line(capsys)
    a_file = tmp_path / "a_file"
    a_file.write_text("x", encoding="utf-8")
    assert main(["ingest", str(corpus_dir), "--output", str(a_file)]) == 2
    assert "--output" in _one_error_line(capsys)


def test_debug_shows_the_traceback_and_verbose_does_not(tmp_path, capsys):
    run = ["run", "--corpus", str(tmp_path), "--output", str(tmp_path / "out")]
    with pytest.raises(ConfigError, match="seed"):
        main(["--debug", *run, "--set", "seed=true"])
    with pytest.raises(ConfigError, match="seed"):
        main([*run, "--set", "seed=true", "--debug"])  # after the command too
    assert main(["-v", *run, "--set", "seed=true"]) == 2
    assert "got true" in capsys.readouterr().err


def test_an_unexpected_error_shows_its_traceback_and_asks_for_a_report(
    monkeypatch, capsys, tmp_path
):
    def broken(config):
        raise RuntimeError("an internal invariant failed")

    # a bug in topiclab's own code, not a user mistake
    monkeypatch.setattr(topiclab.preflight, "preflight", broken)
    argv = ["run", "--corpus", str(tmp_path), "--output", str(tmp_path / "out")]
    assert main([*argv, "--set", "cache=null"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: an internal invariant failed" in err
    assert "please report it" in err


def test_the_console_script_exits_two_with_one_line(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "topiclab.cli", "run", "--set", "corpus.max_bytes=null"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "topiclab: error: corpus.max_bytes: expected a whole number of bytes >= 1 such as "
        "50000000, got null (from --set corpus.max_bytes=null)"
    ]


def test_a_run_without_output_says_where_it_writes_and_spares_figures(tmp_path, capsys):
    (tmp_path / "my_articles").mkdir()  # no articles: the run stops at ingest
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        status = main(["run", "--corpus", "my_articles", "--set", "cache=null"])
    finally:
        os.chdir(cwd)
    assert status == 2
    err = capsys.readouterr().err
    assert f"writing to {tmp_path / 'my_articles_topiclab'}" in err
    assert not (tmp_path / "figures").exists()


def test_verbosity_is_counted():
    parser = build_parser()
    assert getattr(parser.parse_args(["run"]), "verbose", 0) == 0
    assert parser.parse_args(["-v", "run"]).verbose == 1
    assert parser.parse_args(["-vv", "run"]).verbose == 2
    assert parser.parse_args(["run", "-vv"]).verbose == 2


LOGGING = """
import logging, sys
from gensim.corpora import Dictionary
from topiclab.cli import configure_logging
configure_logging(int(sys.argv[1]))
logging.getLogger("topiclab.pipeline").info("topiclab stage line")
Dictionary([["a", "b"], ["b", "c"]])  # gensim logs its progress at INFO
logging.getLogger("gensim").warning("gensim warning line")
"""


@pytest.mark.parametrize(
    ("verbosity", "topiclab_info", "gensim_info"),
    [(0, False, False), (1, True, False), (2, True, True)],
)
def test_v_shows_topiclab_and_vv_also_gensim(verbosity, topiclab_info, gensim_info):
    out = subprocess.run(
        [sys.executable, "-c", LOGGING, str(verbosity)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert ("topiclab stage line" in out.stderr) is topiclab_info
    assert ("adding document" in out.stderr) is gensim_info
    assert "gensim warning line" in out.stderr  # warnings always


def test_logging_levels_in_process_and_restored():
    from topiclab.cli import configure_logging, restore_logging

    before = logging.getLogger("topiclab").level
    previous = configure_logging(1)
    assert logging.getLogger("topiclab.pipeline").isEnabledFor(logging.INFO)
    assert not logging.getLogger("gensim.models.ldamodel").isEnabledFor(logging.INFO)
    restore_logging(previous)
    assert logging.getLogger("topiclab").level == before
    main(["-vv", "run", "--set", "seed=true"])
    assert logging.getLogger("topiclab").level == before
