"""JupyterLab for researchers: the report notebooks, with the store and edition set.

``asn-research lab`` starts JupyterLab on the notebooks folder with ``ASN_RESEARCH_STORE``
and ``ASN_RESEARCH_EDITION`` in its environment. A notebook's parameters cell leaves
``store`` and ``edition`` empty, and :func:`~asn_research.reporting.open_report` resolves
empty values from exactly these variables — so a notebook run by hand gives what
``asn-research report`` renders (same parameters cell, same package calls).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["lab_command", "notebook_workdir"]


def notebook_workdir(target: str | Path | None = None) -> Path:
    """The folder JupyterLab opens: the repository's ``notebooks/`` in a source checkout;
    with an installed wheel, a copy of the packaged notebooks in ``target`` (default
    ``./notebooks``), made once and then left to the user."""
    from .params import notebooks_dir

    src = notebooks_dir()
    if (src.parent / "pyproject.toml").is_file() and target is None:
        return src  # a checkout: edit the notebooks where they live
    dest = Path(target) if target is not None else Path.cwd() / "notebooks"
    if not dest.exists():
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return dest


def lab_command(*, store: Path, edition: str = "", port: int = 8888, browser: bool = True,
                notebook_dir: Path, token: str | None = None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start JupyterLab for the reports."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={notebook_dir}",
           f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1"]
    if not browser:
        cmd.append("--no-browser")
    if token is not None:
        cmd.append(f"--IdentityProvider.token={token}")
    if getattr(os, "geteuid", lambda: 1)() == 0:
        cmd.append("--allow-root")  # JupyterLab refuses root without it
    env = {**os.environ, "ASN_RESEARCH_STORE": str(Path(store).resolve())}
    if edition:
        env["ASN_RESEARCH_EDITION"] = edition
    else:
        env.pop("ASN_RESEARCH_EDITION", None)
    return cmd, env


def run_lab(**kwargs) -> int:  # pragma: no cover - interactive
    cmd, env = lab_command(**kwargs)
    return subprocess.call(cmd, env=env)
