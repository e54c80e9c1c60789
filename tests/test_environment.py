"""environment.yml, pyproject.toml and requirements.lock name the same packages and versions."""

from __future__ import annotations

import re

import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# conda-forge spells a few packages differently, or splits an extra into its own package.
CONDA_NAMES = {"dask[distributed]": ["dask", "distributed"]}
NOT_A_PACKAGE = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~; ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _pyproject_packages(repo_root) -> set[str]:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    names: set[str] = set()
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        if "python_version" in requirement:
            continue  # back-ports for old Pythons; conda pins one Python
        name = _name(requirement)
        names.update(CONDA_NAMES.get(name, [re.sub(r"\[.*\]", "", name)]))
    return names


def _environment_packages(repo_root) -> dict[str, str]:
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    pins: dict[str, str] = {}
    for item in env["dependencies"]:
        entries = item["pip"] if isinstance(item, dict) else [item]
        for entry in entries:
            if entry.startswith("-e"):
                continue
            name = _name(entry)
            version = re.split(r"==?", entry, maxsplit=1)[1] if "=" in entry else ""
            pins[name] = version
    return {k: v for k, v in pins.items() if k not in NOT_A_PACKAGE}


def test_environment_and_pyproject_name_the_same_packages(repo_root):
    assert set(_environment_packages(repo_root)) == _pyproject_packages(repo_root)


def test_pyvi_comes_from_pip_and_the_project_is_installed_editable(repo_root):
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    assert any(entry.startswith("pyvi") for entry in pip_section)
    assert "-e ." in pip_section


def test_environment_versions_match_the_lock_file(repo_root):
    locked = {}
    for line in (repo_root / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            locked[_name(name)] = version.strip()
    for name, version in _environment_packages(repo_root).items():
        assert locked.get(name) == version, (
            f"{name}: environment.yml {version}, lock {locked.get(name)}"
        )
