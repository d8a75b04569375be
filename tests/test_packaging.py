"""The two install routes (pip/uv via requirements-lock.txt, conda via environment.yml) and
pyproject.toml must agree, and the README's quick start must stay two commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_requirements() -> list[Requirement]:
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(doc["project"]["dependencies"])
    for extra in doc["project"].get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return [Requirement(r) for r in reqs]


def _lock_pins() -> dict[str, str]:
    env = default_environment()
    pins = {}
    for line in (ROOT / "requirements-lock.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        (spec,) = req.specifier
        assert spec.operator == "==", f"lock line is not an exact pin: {line}"
        pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_every_pyproject_dependency_is_pinned_in_the_lock_within_its_range():
    pins = _lock_pins()
    for req in _pyproject_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements-lock.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"lock pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}"
        )


def test_environment_yml_installs_the_lock_and_the_package():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    deps = env["dependencies"]
    python = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert python == ["python>=3.11"]
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert doc["project"]["requires-python"] == ">=3.11"
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert "-r requirements-lock.txt" in pip_section
    assert any(re.fullmatch(r"-e \.(\[test\])?", x) for x in pip_section)


def test_readme_quick_start_is_two_commands_and_ci_runs_the_second():
    text = (ROOT / "README.md").read_text()
    m = re.search(r"^#+\s*quick\s*start.*?$(.*?)^```[a-z]*\n(.*?)^```", text, re.I | re.M | re.S)
    assert m, "README needs a Quick start section with a code block"
    commands = [ln.strip() for ln in m.group(2).splitlines()
                if ln.strip() and not ln.strip().startswith("#")]
    assert len(commands) == 2, commands
    assert "demo" in commands[0] and "test" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].split()[:3] == ["python3", "run.py", "test"]
    assert "python3 run.py test" in ci


def test_readme_documents_every_manifest_field_and_cli_verb():
    from click import Group

    from asn_research.cli import main
    from asn_research.waves.store import MANIFEST_FIELDS

    text = (ROOT / "README.md").read_text()
    for name in MANIFEST_FIELDS:
        assert f"`{name}`" in text, f"manifest field {name} is not documented in README.md"
    assert isinstance(main, Group)
    for verb in main.commands:
        assert f"asn-research {verb}" in text, f"CLI verb {verb} is not documented in README.md"
