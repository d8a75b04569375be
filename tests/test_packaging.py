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


def test_every_subpackage_is_listed_for_the_wheel():
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(doc["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "asn_research").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"


def test_import_needs_no_posix_only_module(tmp_path):
    """`import asn_research` works on Windows: nothing imports fcntl, pwd or termios."""
    import subprocess
    import sys

    code = ("import sys\n"
            "for m in ('fcntl', 'pwd', 'grp', 'termios'):\n"
            "    sys.modules[m] = None\n"
            "import asn_research, asn_research.cli, asn_research.waves.store\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_the_wheel_is_pure_and_works_outside_the_repository(tmp_path):
    """Build the wheel, install it (no dependencies: they come from this environment)
    into a fresh venv outside the repository, list the instruments and ingest a simulated
    wave from there."""
    import importlib.util
    import json
    import os
    import shutil
    import subprocess
    import sys
    import sysconfig
    import zipfile

    # build from a copy: setuptools writes build/ and *.egg-info into the source tree
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "data", "build", "dist", "reports", "*.egg-info", "__pycache__"))
    dist = tmp_path / "dist"
    if importlib.util.find_spec("uv") is not None:
        build = [sys.executable, "-m", "uv", "build", "--wheel", "-q", "-o", str(dist), str(src)]
    else:
        build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist),
                 str(src)]
    subprocess.run(build, check=True, capture_output=True, timeout=600)
    (wheel,) = dist.glob("*.whl")
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    names = zipfile.ZipFile(wheel).namelist()
    for inst in ("training", "merit", "skm"):
        assert f"asn_research/surveys/instruments/{inst}.yaml" in names
    assert "asn_research/surveys/lookups/tangsel_opd.yaml" in names
    assert "asn_research/notebooks/wave_overview.ipynb" in names
    assert "asn_research/reporting/templates/asn_report/index.html.j2" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".c"))]

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / ("python.exe" if os.name == "nt" else "python")
    target = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()"
                             "['purelib'])"], check=True, capture_output=True, text=True
                            ).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--disable-pip-version-check", "--target", target, str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("ASN_RESEARCH_INSTRUMENTS", "PYTHONPATH")}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]  # the dependencies, not the package
    code = (
        "import json, asn_research\n"
        "from asn_research.instruments import list_instruments\n"
        "from asn_research.simulate import simulate\n"
        "from asn_research.waves import ingest_file\n"
        "res = simulate('sim', seed=5)\n"
        "f = next(f for f in res.files if f.instrument == 'merit')\n"
        "r = ingest_file('sim/' + f.file, instrument='merit', wave=f.wave, store='store')\n"
        "print(json.dumps({'file': asn_research.__file__,\n"
        "                  'instruments': [i.id for i in list_instruments()],\n"
        "                  'read': r.rows_read, 'stored': r.rows_stored,\n"
        "                  'quarantined': r.rows_quarantined,\n"
        "                  'expected': f.expected_quarantined}))\n")
    out = subprocess.run([str(py), "-c", code], cwd=work, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["file"].startswith(target), got["file"]  # the installed copy, not the repo
    assert got["instruments"] == ["merit", "skm", "training"]
    assert got["read"] == got["stored"] + got["quarantined"] > 0
    assert got["quarantined"] == got["expected"]
    cli = bindir / ("asn-research.exe" if os.name == "nt" else "asn-research")
    if not cli.exists():  # pip --target writes no scripts: call the entry point directly
        cmd = [str(py), "-c", "from asn_research.cli import main; main()", "instruments"]
    else:
        cmd = [str(cli), "instruments"]
    listed = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                            timeout=300)
    assert listed.returncode == 0 and "merit" in listed.stdout, listed.stderr


def test_docs_and_docstrings_cite_only_sources_inside_the_repository():
    """The repository stands on its own: no citation of files outside it."""
    pattern = re.compile(r"REFERENCE\.md|\.\./shared|shared/domain|STACK\.md|STYLE\.md")
    offenders = []
    for p in ROOT.rglob("*"):
        rel = p.relative_to(ROOT)
        if not p.is_file() or rel.parts[0] in {".venv", ".git", "data", "build", "reports"} \
                or p.suffix not in {".py", ".md", ".yaml", ".yml", ".R", ".ipynb", ".toml"}:
            continue
        if rel.as_posix() == "tests/test_packaging.py":
            continue
        text = p.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{rel}:{i}" for i, line in enumerate(text.splitlines(), 1)
                      if pattern.search(line)]
    assert not offenders, offenders


PUBLIC_MODULES = ("waves", "simulate", "scales", "training", "dialogue", "service",
                  "overview", "evidence", "estimands", "reporting", "privacy", "identifiers",
                  "instruments", "xlsform", "results")
_NOT_FUNCTIONS = {"DEFAULT_KEY_FILE", "IdentifierKind", "IDENTIFIER_TYPES", "FieldType",
                  "NIK_LENGTH", "NIP_LENGTH", "CHECK_COLUMNS", "LANGUAGES", "METADATA_FIELDS",
                  "Size", "NanPolicy", "ScoreMethod", "AdjustMethod", "GainPlotKind",
                  "ProportionMethod", "PANEL_COLUMNS", "TRAINING_SCALES", "Choice",
                  "ChoiceList", "Field", "Scale", "Instrument", "SimulatedFile",
                  "SimulationResult", "store", "RawTable", "ValidationResult", "IngestResult",
                  "WaveData", "WavePeriod", "ReliabilityResult", "DemoStore", "SimulatedFrames",
                  "BasePeriod", "BootstrapWeights", "ControlGroup", "WeightingMethod", "CiMethod",
                  "EvidenceRecord", "EventStudyResult", "Holiday", "NotebookSpec",
                  "NotebookParameter", "RenderResult", "ReportOutcome", "ReportContext",
                  "EstimandFamily"}


def test_every_public_function_is_listed_in_the_readme_python_api():
    import importlib

    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API"):]
    section = section[:section.index("\n## ", 5)]
    missing = []
    for mod in PUBLIC_MODULES:
        m = importlib.import_module(f"asn_research.{mod}")
        for name in m.__all__:
            if name not in _NOT_FUNCTIONS and f"`{name}" not in section \
                    and f"{mod}.{name}" not in section:
                missing.append(f"{mod}.{name}")
    assert not missing, f"not in the README's Python API section: {missing}"
