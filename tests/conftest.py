"""Shared fixtures. Every identifier here is synthetic."""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import merit_row, write_csv
from filelock import FileLock
from hypothesis import settings

TEST_KEY = "0123456789abcdef" * 4  # a synthetic test key (64 hex digits)
# matplotlib's font cache outside the per-test HOME: built once, not in every session
os.environ.setdefault("MPLCONFIGDIR", str(Path(sys.prefix) / ".cache" / "matplotlib"))

# Property tests: CI replays a fixed set of examples (a landing must not depend on luck);
# local runs explore new ones. Either way no example database is written into the tree.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", database=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def _once(tmp_path_factory, name, build):
    """Build a session resource once for every pytest-xdist worker.

    The suite runs on two workers (pyproject: ``-n 2``) and session fixtures are per worker,
    so the first worker builds ``build(folder)`` under the run's shared temporary folder and
    pickles the result; the others wait for it and unpickle it (pytest-xdist's recipe for
    session data). The resources are read-only for the tests.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(tmp_path_factory.mktemp(name))
    root = tmp_path_factory.getbasetemp().parent / name
    with FileLock(f"{root}.lock"):
        done = root / "result.pickle"
        if done.exists():
            return pickle.loads(done.read_bytes())
        root.mkdir(exist_ok=True)
        result = build(root / "data")
        done.write_bytes(pickle.dumps(result))
        return result


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """No test touches the real home folder or the user's key or store."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ASN_RESEARCH_KEY", TEST_KEY)
    monkeypatch.setenv("ASN_RESEARCH_KEY_FILE", str(home / "no-such.key"))
    monkeypatch.delenv("ASN_RESEARCH_STORE", raising=False)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(home / "jupyter-runtime"))
    yield


@pytest.fixture(autouse=True)
def _rng_guard():
    """Fail a test that reseeds or draws from numpy's global RNG (statsmodels' guard)."""
    state = np.random.get_state()
    yield
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:], (
        "test changed numpy's global random state; use np.random.default_rng(seed)"
    )


@pytest.fixture
def merit_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "merit_2025-1.csv", [merit_row(i) for i in range(12)])


# --------------------------------------------------------------------------- the demo store
# One ingested demo store per test session (seed 2026, size small): analysis tests run on
# exactly the stored schema (pseudonyms, typed columns, scale scores) and never see a clear
# identifier. Building it takes ~20 s once.


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """The session's ingested synthetic demo store (`asn_research.simulate.DemoStore`)."""
    from asn_research.simulate import demo_store as build

    return _once(tmp_path_factory, "demo", lambda folder: build(folder, seed=2026, size="small"))


def _load(demo, instrument):
    from asn_research import load_waves
    from asn_research.errors import SyntheticDataWarning

    with pytest.warns(SyntheticDataWarning):
        return load_waves(instrument, store=demo.store)


@pytest.fixture(scope="session")
def training_waves(demo_store):
    """Every training wave of the demo store (`asn_research.WaveData`, scored)."""
    return _load(demo_store, "training")


@pytest.fixture(scope="session")
def merit_waves(demo_store):
    """Every merit wave of the demo store (`asn_research.WaveData`, scored)."""
    return _load(demo_store, "merit")


@pytest.fixture(scope="session")
def skm_waves(demo_store):
    """Every SKM month of the demo store (`asn_research.WaveData`)."""
    return _load(demo_store, "skm")


@pytest.fixture(scope="session")
def demo_twin(demo_store, tmp_path_factory):
    """A second demo store built from the same simulated waves and seed (the expensive part
    of a demo is the ingest of its 50 files, so the simulated files are reused)."""
    import shutil

    from asn_research.simulate import demo_store as build

    def twin(root):
        shutil.copytree(demo_store.waves_dir, root / "waves")
        (root / "demo.json").write_text('{"generator": "asn-research demo"}')  # a stale marker
        return build(root, seed=2026, size="small")

    return _once(tmp_path_factory, "twin", twin)


@pytest.fixture(scope="session")
def rendered(demo_store, tmp_path_factory):
    """Every report of the demo store, rendered once for the session (Indonesian)."""
    from asn_research.reporting import render_reports

    return _once(
        tmp_path_factory,
        "reports",
        lambda folder: render_reports(store=demo_store.store, out=folder, lang="id"),
    )
