"""The ``asn-research`` command line.

Exit codes (a contract, listed in ``asn-research --help``):

====  =====================================================================
0     success
1     bad input: a file cannot be read or lacks required columns (nothing written)
2     usage error: a wrong option or argument
3     instrument error: unknown instrument or a broken instrument definition
4     store error: the wave already holds another file (use --replace), store busy
5     privacy error: the pseudonymization key is missing, unsafe or unusable
6     ``--strict``: some rows were quarantined (validate/ingest)
7     report: a report notebook failed (the others were rendered)
70    internal error (a bug: please report it)
130   interrupted
====  =====================================================================
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import click

from . import __version__
from .errors import AsnResearchError, StoreError

log = logging.getLogger("asn_research")

EXIT_QUARANTINE = 6
EXIT_INTERNAL = 70

_EPILOG = """\b
Typical session:
  asn-research instruments                         # what questionnaires exist
  asn-research validate wave.xlsx --instrument merit    # check a file, write nothing
  asn-research ingest wave.xlsx --instrument merit --wave 2025-1
  asn-research waves                               # what the store holds
  asn-research report                              # render every report (newest wave)
  asn-research demo                                # simulate -> ingest -> report (synthetic)

\b
Exit codes: 0 ok; 1 bad input file (nothing written); 2 usage error;
3 instrument error; 4 store refused (e.g. use --replace); 5 privacy/key error;
6 rows quarantined under --strict; 7 a report failed (the others were
rendered); 70 internal error; 130 interrupted.

\b
Environment: ASN_RESEARCH_STORE (store folder, default data/store),
ASN_RESEARCH_KEY or ASN_RESEARCH_KEY_FILE (pseudonymization key),
ASN_RESEARCH_INSTRUMENTS (instrument folder, default surveys/instruments).
"""


class _Group(click.Group):
    """Runs commands with clean error reporting: a message and an exit code, no traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AsnResearchError as exc:
            click.secho(f"error: {exc}", err=True, fg="red")
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; the store is left as it was before this command", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # e.g. `asn-research instruments show merit | head -1`
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: say so plainly, traceback only on request
            if ctx.find_root().params.get("debug"):
                raise
            click.secho(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in asn-research; please report it with the command you ran "
                "(re-run with --debug for the traceback; it may show file paths).",
                err=True,
                fg="red",
            )
            ctx.exit(EXIT_INTERNAL)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = (
        logging.ERROR
        if quiet
        else (logging.INFO if verbose == 1 else logging.DEBUG if verbose > 1 else logging.WARNING)
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("asn_research")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@click.group(cls=_Group, epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="asn-research")
@click.option("-v", "--verbose", count=True, help="More messages (-vv for debug).")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Only errors (give it before the command: asn-research -q ingest ...).",
)
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks of internal errors.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """asn-research: civil-servant (ASN) survey waves -> validated, pseudonymized evidence.

    Instruments (questionnaires) live in surveys/instruments/. Wave files (CSV, XLSX,
    KoboToolbox exports) are validated against an instrument and stored, pseudonymized,
    in a versioned store; bad rows are quarantined with reasons, never dropped.
    """
    _setup_logging(verbose, quiet)
    ctx.obj = {"quiet": quiet}


def _say(message: str) -> None:
    """Print a progress or summary line unless -q/--quiet was given."""
    ctx = click.get_current_context(silent=True)
    if not (ctx and ctx.find_root().obj and ctx.find_root().obj.get("quiet")):
        click.echo(message)


# --------------------------------------------------------------------------- instruments


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of {id, version, ...}.")
@click.pass_context
def instruments(ctx: click.Context, as_json: bool) -> None:
    """List the survey instruments (or use a subcommand: show, export)."""
    if ctx.invoked_subcommand is not None:
        return
    from .instruments import list_instruments

    items = [
        {
            "id": i.id,
            "version": i.version,
            "title_id": i.title_id,
            "title_en": i.title_en,
            "respondent": i.respondent,
            "n_fields": len(i.fields),
            "scales": [s.name for s in i.scales],
            "source": str(i.source),
        }
        for i in list_instruments()
    ]
    if as_json:
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    for it in items:
        click.echo(
            f"{it['id']:<10} v{it['version']:<7} {it['n_fields']:>3} fields  {it['title_en']}"
        )
    click.echo(
        "\nDetails: asn-research instruments show ID;  XLSForm: asn-research instruments "
        "export ID --xlsform OUT.xlsx"
    )


@instruments.command("show")
@click.argument("instrument_id")
@click.option("--lang", type=click.Choice(["id", "en"]), default="en", show_default=True)
def instruments_show(instrument_id: str, lang: str) -> None:
    """Show an instrument's fields, answer codes and scales."""
    from .instruments import load_instrument

    inst = load_instrument(instrument_id)
    click.echo(f"{inst.id} v{inst.version} — {inst.title_id if lang == 'id' else inst.title_en}")
    click.echo(
        f"respondents: {inst.respondent}; one row per {'+'.join(inst.unique) or 'submission'}"
        " per wave\n"
    )
    for f in inst.fields:
        flags = []
        if f.required:
            flags.append("required")
        if f.required_when:
            flags.append(f"required when {f.required_when['field']} in {f.required_when['in']}")
        if f.is_identifier:
            flags.append("identifier: pseudonymized")
        if f.minimum is not None or f.maximum is not None:
            flags.append(f"range {f.minimum}..{f.maximum}")
        kind = f.type + (f" [{f.list_name}]" if f.list_name else "")
        click.echo(
            f"  {f.name:<16} {kind:<28} {f.label(lang)}"
            + (f"  ({'; '.join(flags)})" if flags else "")
        )
    for name, cl in sorted(inst.choice_lists.items()):
        if len(cl.choices) <= 7:
            click.echo(f"\n  answers [{name}]: {cl.describe(lang)}")
    if inst.scales:
        click.echo("\n  scales:")
        for s in inst.scales:
            rev = f"; reverse-keyed: {', '.join(s.reverse)}" if s.reverse else ""
            click.echo(f"    {s.name:<32} {len(s.items)} items, min {s.min_answered} answered{rev}")


@instruments.command("export")
@click.argument("instrument_id")
@click.option(
    "--xlsform",
    "xlsform_out",
    type=click.Path(path_type=Path),
    required=True,
    help="Write an XLSForm (.xlsx) for KoboToolbox / ODK here (a file name ending "
    "in .xlsx, or an existing folder: then <folder>/<ID>.xlsx).",
)
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default="id",
    show_default=True,
    help="Default form language.",
)
def instruments_export(instrument_id: str, xlsform_out: Path, lang: str) -> None:
    """Export an instrument as an XLSForm for KoboToolbox or ODK."""
    from . import xlsform
    from .instruments import load_instrument

    if not xlsform_out.is_dir() and xlsform_out.suffix.lower() != ".xlsx":
        raise click.BadParameter(
            "give a file name ending in .xlsx or an existing folder", param_hint="--xlsform"
        )
    out = xlsform.to_xlsform(load_instrument(instrument_id), xlsform_out, default_language=lang)
    _say(f"wrote {out}")


# --------------------------------------------------------------------------- validate / ingest


def _print_issues(issues, limit: int, *, report: Path | None) -> None:
    if issues is None or len(issues) == 0:
        return
    for r in issues.head(limit).itertuples():
        col = f", column {r.column!r}" if r.column else ""
        fix = f" Fix: {r.fix}" if r.fix else ""
        _say(f"  row {r.source_row}{col}: {r.reason}.{fix}")
    if len(issues) > limit:
        where = f"all are in {report}" if report else "use --report FILE.csv for all"
        _say(f"  … and {len(issues) - limit} more problems ({where})")


def _check_report(report: Path | None, file: Path, store: Path | None = None) -> None:
    """Refuse a --report path that would overwrite the input or the store, before any work."""
    if report is None:
        return
    if report.suffix.lower() != ".csv":
        raise click.BadParameter(
            "the problem list is a CSV file: give a name ending in .csv", param_hint="--report"
        )
    if not report.parent.is_dir():
        raise click.BadParameter(
            f"the folder {str(report.parent)!r} does not exist", param_hint="--report"
        )
    target = report.resolve()
    if file.exists() and target == file.resolve():
        raise click.BadParameter("this would overwrite the input file", param_hint="--report")
    if store is not None:
        sroot = store.resolve()
        if target == sroot or sroot in target.parents:
            raise click.BadParameter(
                "write the problem list outside the store folder", param_hint="--report"
            )


def _write_report(issues, report: Path | None, file_name: str) -> None:
    if report is None:
        return
    out = issues.copy()
    out.insert(0, "file", file_name)
    out.to_csv(report, index=False)
    _say(f"problem list written to {report}")


def _items(text: str | None) -> list[str]:
    """--allow-missing a,b,c -> ["a", "b", "c"]."""
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _sheet(sheet: str | None) -> str | None:
    # passed as text: the reader takes a sheet of that name first, else a 0-based position
    return sheet


def _finish(summary: str, res, *, file: Path, show: int, report: Path | None, strict: bool) -> None:
    """Print the summary, notes and problems of validate/ingest; apply --report/--strict."""
    _say(summary)
    for note in res.notes:
        _say(f"  note: {note}")
    _print_issues(res.issues, show, report=report)
    _write_report(res.issues, report, file.name)
    if strict and res.rows_quarantined:
        sys.exit(EXIT_QUARANTINE)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-i", "--instrument", "instrument_id", required=True, help="Instrument id, e.g. merit."
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every problem (row, column, reason, fix) to this CSV.",
)
@click.option("--show", default=20, show_default=True, help="How many problems to print.")
@click.option("--strict", is_flag=True, help="Exit with code 6 if any row would be quarantined.")
@click.option("--sheet", help="Excel only: the sheet to read (name, or 0-based position).")
@click.option("--columns", "columns_map", type=click.Path(dir_okay=False, path_type=Path),
              help="A column-map file (YAML) for headers the instrument does not know; see "
              "the README, 'Column maps'.")
@click.option("--allow-missing", "allow_missing", metavar="ITEMS",
              help="Scale items (or scale names), comma-separated, that the file may lack "
              "because they were not asked, e.g. reaction or rx_1,rx_2.")
def validate(
    file: Path, instrument_id: str, report: Path | None, show: int, strict: bool,
    sheet: str | None, columns_map: Path | None, allow_missing: str | None,
) -> None:
    """Check FILE against an instrument and list every problem. Writes nothing.

    Prints: read N, valid S, would be quarantined Q (S + Q = N), then the problems
    with their row, column and fix.
    """
    from .instruments import load_instrument
    from .waves import read_column_map, read_wave_file, validate_wave

    _check_report(report, file)
    inst = load_instrument(instrument_id)
    colmap = read_column_map(columns_map, inst) if columns_map else None
    raw = read_wave_file(file, instrument=inst, sheet=_sheet(sheet), column_map=colmap)
    res = validate_wave(raw, inst, allow_missing=_items(allow_missing))
    skipped = f", skipped {res.rows_skipped} empty template rows" if res.rows_skipped else ""
    _finish(
        f"{file.name}: read {res.rows_read}, valid {res.rows_valid}, would be "
        f"quarantined {res.rows_quarantined}{skipped}  (nothing written)",
        res,
        file=file,
        show=show,
        report=report,
        strict=strict,
    )


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-i", "--instrument", "instrument_id", required=True, help="Instrument id, e.g. merit."
)
@click.option(
    "-w", "--wave", required=True, help="Wave id, e.g. 2025-1 (ASN) or 2024-03 (SKM month)."
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    help="Store folder [default: $ASN_RESEARCH_STORE or data/store].",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Store a different file for a wave that has one (the old version is kept).",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every problem (row, column, reason, fix) to this CSV.",
)
@click.option("--show", default=20, show_default=True, help="How many problems to print.")
@click.option(
    "--strict",
    is_flag=True,
    help="Exit with code 6 if any row was quarantined (the valid rows are still stored).",
)
@click.option("--sheet", help="Excel only: the sheet to read (name, or 0-based position).")
@click.option(
    "--allow-new-key",
    is_flag=True,
    help="Accept a pseudonymization key that differs from the one the store was "
    "built with (new respondent keys will NOT link to earlier waves).",
)
@click.option("--columns", "columns_map", type=click.Path(dir_okay=False, path_type=Path),
              help="A column-map file (YAML) for headers the instrument does not know; see "
              "the README, 'Column maps'. Recorded in the manifest.")
@click.option("--allow-missing", "allow_missing", metavar="ITEMS",
              help="Scale items (or scale names), comma-separated, that the file may lack "
              "because they were not asked, e.g. reaction or rx_1,rx_2.")
@click.option("--correction", is_flag=True,
              help="FILE holds corrected rows of the wave's quarantine, as exported by "
              "`asn-research quarantine --originals` (keep its _source_row column).")
def ingest(
    file: Path,
    instrument_id: str,
    wave: str,
    store: Path | None,
    replace: bool,
    report: Path | None,
    show: int,
    strict: bool,
    sheet: str | None,
    allow_new_key: bool,
    columns_map: Path | None,
    allow_missing: str | None,
    correction: bool,
) -> None:
    """Validate FILE and add it to the store as WAVE of an instrument.

    Valid rows are stored (identifiers replaced by keyed pseudonyms); rows with problems go
    to the wave's quarantine table with row number, column, reason and fix. The raw file is
    copied unchanged into the store's raw/ folder (owner-readable only). Re-ingesting the
    same file does nothing.
    """
    from .waves import ingest as ingest_mod
    from .waves import store as store_mod

    store_mod.check_wave_id(wave, store if store is not None else store_mod.default_store())
    _check_report(report, file, store if store is not None else store_mod.default_store())
    res = ingest_mod.ingest_file(
        file,
        instrument=instrument_id,
        wave=wave,
        store=store,
        replace=replace,
        progress=sys.stderr.isatty(),
        sheet=_sheet(sheet),
        allow_new_key=allow_new_key,
        columns=columns_map,
        allow_missing=_items(allow_missing),
        correction=correction,
    )
    _finish(res.summary(), res, file=file, show=show, report=report, strict=strict)


_STORE_OPTION = click.option(
    "--store", type=click.Path(file_okay=False, path_type=Path),
    help="Store folder [default: $ASN_RESEARCH_STORE or data/store].")


@main.group(invoke_without_command=True)
@_STORE_OPTION
@click.option("--all", "all_versions", is_flag=True,
              help="Include replaced and removed versions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records.")
@click.pass_context
def waves(ctx: click.Context, store: Path | None, all_versions: bool, as_json: bool) -> None:
    """List the waves the store holds, with row counts (or: remove, rename).

    Waves are listed in calendar order. `asn-research waves remove` and `waves rename`
    fix a wave stored by mistake; both are recorded in the store's manifest.
    """
    if ctx.invoked_subcommand is not None:
        ctx.obj = {**(ctx.obj or {}), "store": store}
        return
    from .waves import store as store_mod

    df = store_mod.list_waves(store, all_versions=all_versions)
    if as_json:
        click.echo(df.to_json(orient="records", indent=2))
        return
    if df.empty:
        click.echo("the store is empty; add a wave with `asn-research ingest`")
        return
    cols = [
        "instrument",
        "wave",
        "version",
        "rows_read",
        "rows_stored",
        "rows_quarantined",
        "synthetic",
        "source_name",
    ]
    if all_versions:
        cols += ["current", "removed_at"]
    click.echo(df[cols].to_string(index=False))


def _subcommand_store(store: Path | None) -> Path | None:
    ctx = click.get_current_context()
    parent = (ctx.parent.obj or {}) if ctx.parent is not None else {}
    return store if store is not None else parent.get("store")


@waves.command("remove")
@click.option("-i", "--instrument", "instrument_id", required=True,
              help="Instrument id, e.g. merit.")
@click.option("-w", "--wave", required=True, help="The wave to remove, e.g. 2025-1.")
@_STORE_OPTION
@click.option("--purge", is_flag=True,
              help="Also delete its raw copies and tables from disk (cannot be undone).")
def waves_remove(instrument_id: str, wave: str, store: Path | None, purge: bool) -> None:
    """Remove a wave stored by mistake (kept on disk unless --purge)."""
    from .waves import store as store_mod

    n = store_mod.remove_wave(instrument_id, wave, store=_subcommand_store(store), purge=purge)
    _say(f"removed {instrument_id} wave {wave} ({n} version{'s' * (n != 1)}"
         + ("; its files were deleted" if purge else "; its files are kept in the store") + ")")


@waves.command("rename")
@click.option("-i", "--instrument", "instrument_id", required=True,
              help="Instrument id, e.g. merit.")
@click.option("-w", "--wave", required=True, help="The wave's current id, e.g. 2025-01.")
@click.option("--to", "new", required=True, help="The new id, e.g. 2025-1.")
@_STORE_OPTION
def waves_rename(instrument_id: str, wave: str, new: str, store: Path | None) -> None:
    """Give a stored wave another id (every version moves; recorded in the manifest)."""
    from .waves import store as store_mod

    n = store_mod.rename_wave(instrument_id, wave, new, store=_subcommand_store(store))
    _say(f"renamed {instrument_id} wave {wave} to {new} ({n} version{'s' * (n != 1)})")


@main.command()
@click.option("-i", "--instrument", "instrument_id", required=True,
              help="Instrument id, e.g. merit.")
@click.option("-w", "--wave", required=True, help="Wave id, e.g. 2025-1.")
@_STORE_OPTION
@click.option("--version", "version", type=int, help="A replaced version (default: current).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the quarantined rows, as stored (pseudonymized), to this CSV for "
              "review.")
@click.option("--originals", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the quarantined rows with their ORIGINAL values (NIPs and names in "
              "clear; owner-only file) to this new CSV, to correct them and ingest it again "
              "with `ingest --correction`.")
def quarantine(instrument_id: str, wave: str, store: Path | None, version: int | None,
               out: Path | None, originals: Path | None) -> None:
    """Show the rows of a wave that were quarantined, with row numbers and reasons.

    Identifiers appear only as pseudonyms; the row number points into the raw file kept in
    the store (and into your original file). To correct rejected rows: export them with
    --originals, fix the answers (keep _source_row), then
    `asn-research ingest FIXED.csv -i ID -w WAVE --correction`, and delete the file.
    """
    from .waves import export_for_correction
    from .waves import store as store_mod

    if originals is not None:
        if version is not None:
            raise click.BadParameter("--originals exports the current version only",
                                     param_hint="--version")
        n = export_for_correction(instrument_id, wave, originals, store=store)
        _say(f"{n} quarantined rows with their original values written to {originals} "
             "(owner-only; it holds NIPs and names in clear). Correct the answers, keep the "
             "_source_row column, then run:\n"
             f"  {_program()} ingest {originals} -i {instrument_id} -w {wave} --correction"
             + (f" --store {store}" if store is not None else "")
             + "\nand delete the file afterwards.")
        return
    q = store_mod.read_quarantine(instrument_id, wave, store=store, version=version)
    if out is not None:
        if not out.parent.is_dir():
            raise click.BadParameter(f"the folder {str(out.parent)!r} does not exist",
                                     param_hint="--out")
        store_dir = (store if store is not None else store_mod.default_store()).resolve()
        if store_dir == out.resolve().parent or store_dir in out.resolve().parents:
            raise click.BadParameter("write outside the store folder", param_hint="--out")
        q.to_csv(out, index=False)
        _say(f"{len(q)} quarantined rows (pseudonymized, for review) written to {out}; to "
             "correct and re-ingest them, use --originals")
        return
    if q.empty:
        _say(f"{instrument_id} wave {wave}: no quarantined rows")
        return
    _say(f"{instrument_id} wave {wave}: {len(q)} quarantined rows")
    for r in q.itertuples():
        _say(f"  row {r.source_row} [{r.columns}]: {r.reasons}")


# --------------------------------------------------------------------------- simulate / demo


def _program() -> str:
    """How the user can call this CLI again (e.g. .venv/bin/asn-research after run.py)."""
    prog = Path(sys.argv[0])
    if prog.name != "asn-research":
        return "asn-research"
    try:
        return str(prog.resolve().relative_to(Path.cwd()))
    except ValueError:
        return "asn-research" if prog.parent == Path() else str(prog)


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the synthetic wave files, manifest.json and truth.json.",
)
@click.option(
    "--seed", default=2026, show_default=True, help="Random seed (same seed, same bytes)."
)
@click.option(
    "--size",
    type=click.Choice(["small", "city", "national"]),
    default="small",
    show_default=True,
    help="small: tests; city: ≈ Tangerang Selatan; national: ≥ 1M ASN.",
)
@click.option(
    "--messy-fraction",
    default=None,
    type=float,
    help="Share of rows with deliberate errors [default: the simulator's].",
)
def simulate(out: Path, seed: int, size: str, messy_fraction: float | None) -> None:
    """Write SYNTHETIC Tangerang Selatan survey waves with known ground truth."""
    from . import simulate as sim

    kwargs = {} if messy_fraction is None else {"messy_fraction": messy_fraction}
    res = sim.simulate(out, seed=seed, size=size, **kwargs)
    _say(f"wrote synthetic waves to {out} (seed {seed}, size {size}): {res}")


def _progress(desc: str, unit: str):
    """A tqdm bar on a terminal (nothing in logs and pipes); returns (update, close)."""
    from tqdm.auto import tqdm

    bar = None

    def update(done: int, total: int, *_):
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=desc, unit=unit, disable=not sys.stderr.isatty(),
                       leave=False)
        bar.update(done - bar.n)

    def close():
        if bar is not None:
            bar.close()

    return update, close


class _ReportCommand(click.Command):
    """`report --help` also lists every notebook's parameters with their defaults."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        try:
            from .reporting import COMMON_PARAMETERS, discover_notebooks

            specs = discover_notebooks()
        except Exception as exc:  # a broken notebook must not break --help
            formatter.write_paragraph()
            formatter.write_text(f"(cannot list the notebooks: {exc})")
            return
        with formatter.section("Notebooks and their parameters (set with -p NAME=VALUE)"):
            for spec in specs:
                formatter.write_text(f"{spec.name} — {spec.title_en or spec.title_id}"
                                     + (" [also --by opd]" if spec.per_opd else ""))
                with formatter.indentation():
                    rows = [(f"{p.name}: {p.type} = {p.default!r}",
                             p.help + (" (set by the renderer)" if p.name in COMMON_PARAMETERS
                                       or p.name in ("previous_evidence", "output_dir")
                                       else ""))
                            for p in spec.parameters]
                    formatter.write_dl(rows)


def _report_params(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r}: write NAME=VALUE", param_hint="-p/--param")
        out[name.strip()] = value
    return out


EXIT_REPORTS_FAILED = 7


def _print_render(res) -> None:
    _say(res.summary())
    for o in res.failed:
        _say(f"  FAILED {o.name}{' (' + o.opd + ')' if o.opd else ''}: {o.error} — the "
             f"executed notebook is kept: {res.out_dir / o.notebook}")
    _say(f"open {res.index}")


@main.command(cls=_ReportCommand)
@click.option("--wave", "edition", default="", help="The edition: the newest wave to include "
              "[default: the newest wave in the store].")
@_STORE_OPTION
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, help="Reports go to OUT/<edition>/.")
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True,
              help="Report language.")
@click.option("--jobs", type=click.IntRange(1, 16), default=None,
              help="Notebooks rendered in parallel (warm kernels) [default: 2].")
@click.option("--by", type=click.Choice(["opd"]), default=None,
              help="Also render one report per OPD (for the notebooks that support it).")
@click.option("--opd", "opds", multiple=True, metavar="CODE",
              help="With --by opd: only this OPD (repeatable) [default: every OPD].")
@click.option("--only", multiple=True, metavar="NAME",
              help="Render only this notebook (repeatable).")
@click.option("--force", is_flag=True, help="Render even reports whose inputs are unchanged.")
@click.option("--min-cell", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Suppress cells, figures and findings from fewer respondents.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A notebook parameter (repeatable; see the list below).")
@click.option("--notebooks", type=click.Path(file_okay=False, exists=True, path_type=Path),
              default=None, help="Render the notebooks of this folder instead of the "
              "package's (a pemda's own report set).")
def report(edition: str, store: Path | None, out: Path, lang: str, jobs: int | None,
           by: str | None, opds: tuple[str, ...], only: tuple[str, ...], force: bool,
           min_cell: int, params: tuple[str, ...], notebooks: Path | None) -> None:
    """Render every report notebook for an edition: HTML, evidence register, provenance.

    Writes OUT/<edition>/: <report>.<lang>.html (self-contained), the executed notebooks,
    evidence.json/.csv/.xlsx, provenance.json, the policy brief as DOCX and index.html.
    Reports whose notebook, parameters, data and code are unchanged are kept (use --force).
    Exit code 7 when a report failed (the others are rendered).
    """
    from .reporting import render_reports

    update, close = _progress("rendering", "report")
    try:
        res = render_reports(store=store, edition=edition, out=out, lang=lang, jobs=jobs,
                             by=by, opds=opds or None, only=only, force=force,
                             params=_report_params(params), min_cell=min_cell,
                             notebooks=notebooks, progress=update)
    finally:
        close()
    _print_render(res)
    if not res.ok:
        sys.exit(EXIT_REPORTS_FAILED)


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/demo"),
    show_default=True,
    help="Demo folder: waves/, store/ and reports/ are made inside.",
)
@click.option("--seed", default=2026, show_default=True)
@click.option("--size", type=click.Choice(["small", "city"]), default="small", show_default=True)
@click.option("--lang", type=click.Choice(["id", "en"]), default="id", show_default=True)
@click.option("--jobs", type=click.IntRange(1, 16), default=None,
              help="Reports rendered in parallel [default: 2].")
def demo(out: Path, seed: int, size: str, lang: str, jobs: int | None) -> None:
    """Run the end-to-end demo on SYNTHETIC data: simulate -> ingest -> render every report.

    Its pseudonymization key is derived from the seed and kept in the demo folder (never
    your key file); the same seed gives the same store and the same evidence register.
    """
    from .reporting import render_reports
    from .simulate import demo_store

    _say(f"1/2 simulating and ingesting synthetic waves into {out} …")
    update, close = _progress("ingesting", "file")
    try:
        d = demo_store(out, seed=seed, size=size, progress=update)
    finally:
        close()
    _say(f"    read {d.rows_read}, stored {d.rows_stored}, quarantined {d.rows_quarantined} rows "
         "— ALL DATA ARE SYNTHETIC (simulated), not real ASN data"
         + ("" if d.rebuilt else " (the store of an earlier demo with this seed was reused)"))
    if d.rows_quarantined == d.expected_quarantined:
        _say(f"    the quarantine caught exactly the {d.expected_quarantined} rows the simulator "
             "made messy; truth.json (the true values) is in " + str(d.waves_dir))
    else:
        log.warning("the simulator made %d rows messy but %d were quarantined; please report",
                    d.expected_quarantined, d.rows_quarantined)
    _say(f"2/2 rendering the reports into {out / 'reports'} …")
    update, close = _progress("rendering", "report")
    try:
        res = render_reports(store=d.store, out=out / "reports", lang=lang, jobs=jobs,
                             progress=update)
    finally:
        close()
    _print_render(res)
    if not res.ok:
        sys.exit(EXIT_REPORTS_FAILED)


@main.command()
@_STORE_OPTION
@click.option("--wave", "edition", default="", help="The edition the notebooks use "
              "[default: the newest wave in the store].")
@click.option("--port", type=click.IntRange(1024, 65535), default=8888, show_default=True)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
def lab(store: Path | None, edition: str, port: int, no_browser: bool) -> None:
    """Open JupyterLab on the report notebooks, with the store and edition set.

    Each notebook then runs interactively exactly as `asn-research report` runs it: the
    same parameters cell (empty store and edition mean these settings) and package calls.
    """
    from .reporting import lab_command, notebook_workdir
    from .waves import store as store_mod

    store_dir = store if store is not None else store_mod.default_store()
    if not (store_dir / "manifest.json").is_file():
        raise StoreError(f"there is no store at {store_dir}; give --store, or run "
                         "`asn-research demo` and use --store data/demo/store")
    cmd, env = lab_command(store=store_dir, edition=edition, port=port,
                           browser=not no_browser, notebook_dir=notebook_workdir())
    _say(f"starting JupyterLab on {cmd[3].split('=', 1)[1]} (store {store_dir}); stop it with "
         "Ctrl+C")
    sys.exit(subprocess.call(cmd, env=env))


if __name__ == "__main__":  # pragma: no cover
    main()
