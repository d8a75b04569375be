"""The parameter contract between the renderer and the report notebooks.

Every notebook has exactly one cell tagged ``parameters`` (papermill's convention) with
one typed assignment per line and a help comment::

    store: str = ""          # store folder ("" = $ASN_RESEARCH_STORE or data/store)
    edition: str = ""        # newest wave to include ("" = the newest in the store)
    lang: str = "id"         # report language: "id" or "en"
    min_cell: int = 10       # suppress cells from fewer respondents

:func:`notebook_parameters` reads that cell with :mod:`ast` (no kernel, no papermill
import), and :func:`check_parameters` refuses what papermill would only warn about: a
name the notebook does not declare, or a value of the wrong type.

Examples
--------
>>> from asn_research.reporting.params import parse_parameters_source
>>> [p.name for p in parse_parameters_source('lang: str = "id"  # language\\nn: int = 3')]
['lang', 'n']
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = [
    "COMMON_PARAMETERS",
    "NotebookParameter",
    "check_parameters",
    "notebook_parameters",
    "notebooks_dir",
    "parse_parameters_source",
]

_TYPES = {"str": str, "int": int, "float": float, "bool": bool}
#: Parameters every report notebook declares (the renderer sets them).
COMMON_PARAMETERS = ("store", "edition", "lang", "min_cell", "opd", "evidence_dir",
                     "report_version")


@dataclass(frozen=True, slots=True)
class NotebookParameter:
    """One parameter of a notebook's parameters cell.

    Attributes
    ----------
    name : str
    type : str
        ``"str"``, ``"int"``, ``"float"`` or ``"bool"``.
    default : object
        The default value (a JSON primitive).
    help : str
        The comment after the assignment.
    """

    name: str
    type: str
    default: Any
    help: str


def parse_parameters_source(source: str, *, where: str = "the parameters cell"
                            ) -> list[NotebookParameter]:
    """Parse the source of a parameters cell into its typed parameters.

    Raises
    ------
    ConfigError
        For a line that is not ``name: type = literal`` with type str, int, float or bool.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ConfigError(f"{where}: not valid Python ({exc.msg}, line {exc.lineno})") from None
    lines = source.splitlines()
    out: list[NotebookParameter] = []
    for node in tree.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and isinstance(node.annotation, ast.Name) and node.value is not None):
            raise ConfigError(
                f"{where}, line {node.lineno}: every parameter is written `name: type = value` "
                "with type str, int, float or bool")
        typ = node.annotation.id
        if typ not in _TYPES:
            raise ConfigError(f"{where}, line {node.lineno}: type must be one of str, int, "
                              f"float, bool; got {typ}")
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise ConfigError(f"{where}, line {node.lineno}: the default of {node.target.id} "
                              "must be a literal") from None
        _check_type(node.target.id, default, typ, where=where)
        line = lines[node.lineno - 1]
        help_text = line.split("#", 1)[1].strip() if "#" in line[node.end_col_offset:] else ""
        out.append(NotebookParameter(node.target.id, typ, default, help_text))
    return out


def _check_type(name: str, value: Any, typ: str, *, where: str) -> Any:
    want = _TYPES[typ]
    ok = (isinstance(value, bool) if want is bool else
          isinstance(value, (int, float)) and not isinstance(value, bool) if want is float else
          isinstance(value, int) and not isinstance(value, bool) if want is int else
          isinstance(value, str))
    if not ok:
        raise ConfigError(f"{where}: parameter {name} must be {typ}; got {value!r}")
    return float(value) if want is float else value


def notebook_parameters(path: str | os.PathLike[str]) -> list[NotebookParameter]:
    """The parameters a report notebook declares (its one ``parameters``-tagged cell).

    Raises
    ------
    ConfigError
        If the notebook has not exactly one parameters cell, or the cell is malformed.
    """
    p = Path(path)
    try:
        nb = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{p}: cannot read the notebook ({type(exc).__name__})") from None
    cells = [c for c in nb.get("cells", [])
             if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ConfigError(f"{p.name}: a report notebook needs exactly one cell tagged "
                          f"'parameters'; found {len(cells)}")
    source = cells[0]["source"]
    source = "".join(source) if isinstance(source, list) else source
    return parse_parameters_source(source, where=f"{p.name}, parameters cell")


def check_parameters(declared: Sequence[NotebookParameter], given: Mapping[str, Any], *,
                     notebook: str) -> dict[str, Any]:
    """The values for a notebook, checked: every name declared, every value typed right.

    Text values given on the command line (``-p min_cell=5``) are converted to the
    declared type.

    Raises
    ------
    ConfigError
        For an unknown name (listing the notebook's parameters) or a value of the wrong type.
    """
    by_name = {p.name: p for p in declared}
    out: dict[str, Any] = {}
    for name, value in given.items():
        if name not in by_name:
            raise ConfigError(f"{notebook} has no parameter {name!r}; its parameters: "
                              f"{', '.join(by_name)}")
        typ = by_name[name].type
        if isinstance(value, str) and typ != "str":
            value = _from_text(name, value, typ, notebook)
        out[name] = _check_type(name, value, typ, where=notebook)
    return out


def _from_text(name: str, text: str, typ: str, notebook: str) -> Any:
    try:
        if typ == "bool":
            low = text.strip().lower()
            if low in ("true", "1", "yes", "ya"):
                return True
            if low in ("false", "0", "no", "tidak"):
                return False
            raise ValueError
        return int(text) if typ == "int" else float(text)
    except ValueError:
        raise ConfigError(f"{notebook}: parameter {name} must be {typ}; got {text!r}") from None


def notebooks_dir() -> Path:
    """The folder of the report notebooks: ``notebooks/`` of a source checkout, or the copy
    inside the installed package (``asn_research/notebooks``)."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here / "notebooks", here.parent / "notebooks"):
        if cand.is_dir() and any(cand.glob("*.ipynb")):
            return cand
    raise ConfigError("cannot find the report notebooks (notebooks/ beside the package)")
