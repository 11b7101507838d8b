"""Command-line interface: wires the stages together, prints errors as one line.

Exit status: 0 success, 1 internal error, 2 bad configuration, 3 bad input data,
4 changes found (``diff --fail-on-change``). A traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from quartiere.errors import EXIT_INTERNAL, QuartiereError
from quartiere.lifetime import forget_locks_in_children
from quartiere.lifetime import output_lock as _lock
from quartiere.sensitivity.access import cluster_options

DEFAULT_CONFIG = Path("config/criteria.yaml")
DEFAULT_OUT = Path("data/processed/handlungsraeume.gpkg")

EXIT_HELP = """\b
Exit status:
  0  success
  1  internal error (a bug: please report it with the output of --debug)
  2  bad configuration (file, key and problem are named)
  3  bad input data (file, row or feature, and problem are named)
  4  diff --fail-on-change: the two builds differ"""


def _say(message: str) -> None:
    click.echo(message, err=True)


def _terminate(signum: int, _frame: Any) -> None:
    # Raise inside the running build so that atomic writers clean their temporary files.
    raise KeyboardInterrupt(f"signal {signum}")


def _unraisable(info: Any) -> None:
    # A SIGTERM that lands inside a callback Python cannot raise from (a weakref or import
    # callback) would print "Exception ignored" with a traceback and be lost: deliver it again,
    # so that it interrupts the build at the next step, and print nothing. Delivered a moment
    # later (SIGALRM, whose handler is _terminate), never from here: a handler that ran inside
    # this hook would raise inside it and print the very traceback this hook exists to avoid.
    if isinstance(info.exc_value, KeyboardInterrupt) and str(info.exc_value).startswith("signal"):
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        return
    sys.__unraisablehook__(info)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print user errors as one line with their exit code; tracebacks only with --debug."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGALRM, _terminate)  # a SIGTERM delivered again (_unraisable)
        sys.unraisablehook = _unraisable  # the command line's process only
        try:
            return func(*args, **kwargs)
        except QuartiereError as exc:
            if debug:
                raise
            _say(f"error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:  # an update's Interrupted says which state is current
            # leaving: a signal sent again (or one redelivered by _unraisable) changes nothing,
            # and must not escape as a traceback or a death by signal during the exit
            signal.setitimer(signal.ITIMER_REAL, 0)
            for leaving in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
                signal.signal(leaving, signal.SIG_IGN)
            _say(getattr(exc, "outcome", "interrupted: the previous output is untouched"))
            sys.exit(130)
        except OSError as exc:
            if debug:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            _say(f"error: {where}{exc.strerror or exc}")
            sys.exit(EXIT_INTERNAL)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if debug:
                raise
            _say(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)")
            sys.exit(EXIT_INTERNAL)

    return wrapper


def output_lock(out: Path, wait: bool = True) -> Any:
    """Serialise builds into one directory (:func:`quartiere.lifetime.output_lock`)."""
    return _lock(out, wait=wait, say=_say)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_CONFIG,
    show_default=True,
    help="Edition configuration (YAML).",
)


previous_option = click.option(
    "--previous",
    type=click.Path(path_type=Path),
    default=None,
    help="An earlier build: keep the numbers of areas that persist.",
)


def path_option(*decls: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A click option whose value is a :class:`~pathlib.Path`."""
    return click.option(*decls, type=click.Path(path_type=Path), **kwargs)


@click.group(epilog=EXIT_HELP)
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.version_option(package_name="quartiere")
def main(debug: bool) -> None:
    """Delineate Berlin's Handlungsräume from planning-area social data."""
    forget_locks_in_children()  # helpers never inherit an output lock


def edition_out(config_path: Path, out: Path | None) -> Path:
    """Where a build goes: ``--out`` as given, checked; else the edition's own place.

    The default configuration builds into ``data/processed/handlungsraeume.gpkg``; any other one,
    without ``--out``, into ``data/processed/<config stem>/handlungsraeume.gpkg``, so that a build
    of another edition never replaces the default result.
    """
    from quartiere.errors import ConfigError

    if out is None:
        if Path(config_path).resolve() == DEFAULT_CONFIG.resolve():
            return DEFAULT_OUT
        return DEFAULT_OUT.parent / Path(config_path).stem / DEFAULT_OUT.name
    if out.is_dir():
        raise ConfigError(f"--out {out}: is a directory; name a .gpkg file in it")
    if out.suffix.lower() != ".gpkg":
        raise ConfigError(f"--out {out}: must name a GeoPackage file ending in .gpkg")
    ancestor = out.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: directory {out.parent} cannot be created or written")
    return out


def _out_dir(out: Path) -> Path:
    """An output directory ``--out``, checked: not an existing file (was "File exists", exit 1)."""
    from quartiere.errors import ConfigError

    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file; name a directory")
    return out


@main.command(epilog=EXIT_HELP)
@config_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help=f"GeoPackage X.gpkg to write (atomically); X.png, X_lmb.png and X.md go beside it "
    f"(summary.md for {DEFAULT_OUT.name}). Default: "
    f"{DEFAULT_OUT} for {DEFAULT_CONFIG}, else "
    f"{DEFAULT_OUT.parent}/<config name>/{DEFAULT_OUT.name}.",
)
@click.option(
    "--previous",
    type=click.Path(path_type=Path),
    default=None,
    help="An earlier build: keep the numbers of areas that persist. Default: the newest earlier "
    "edition's build (history, or its own output), else computed in memory.",
)
@click.option(
    "--fresh", is_flag=True, help="Number afresh (01 by population): continue no earlier edition."
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@handle_errors
def build(
    config_path: Path, out: Path | None, previous: Path | None, fresh: bool, quiet: bool
) -> None:
    """Build one edition: criteria, delineation and the GeoPackage, numbered as the history
    numbers it (against the newest earlier edition) unless --previous or --fresh say otherwise."""
    from quartiere.config import load_config
    from quartiere.errors import ConfigError
    from quartiere.lineage import baseline_for
    from quartiere.pipeline import build as run_build
    from quartiere.record import Baseline

    out = edition_out(config_path, out)
    progress = (lambda _: None) if quiet else _say
    if previous is not None and fresh:
        raise ConfigError("--previous and --fresh: give one of them")
    start = time.perf_counter()
    # The map is drawn in this process, as from Python: a map process forked beside the build
    # gained nothing measurable (docs/performance.md, "Concurrency").
    with output_lock(out):
        against: Path | Baseline | None = previous
        if previous is None and not fresh:
            config = load_config(config_path)
            against = baseline_for(config, DEFAULT_OUT.parent, progress=progress)
        result = run_build(config_path, out, previous=against, progress=progress)
    if not quiet:
        counts = result.build_info.counts or ""
        _say(f"wrote {out} ({counts}) in {time.perf_counter() - start:.1f} s")


@main.command(epilog=EXIT_HELP)
@config_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="The build to update (default as for build); previous.gpkg and changes/ go beside it.",
)
@click.option(
    "--seed",
    type=click.Path(path_type=Path),
    default=None,
    help="Number the very first build against this earlier build. Default: this edition's "
    "build in data/processed/history/, else as build numbers it (the newest earlier edition).",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final line.")
@handle_errors
def update(config_path: Path, out: Path | None, seed: Path | None, quiet: bool) -> None:
    """Rebuild for a scheduled job: keep numbers, and keep previous.gpkg and the dated change
    memo unless the result changed."""
    from quartiere.scheduled import update as run_update

    out = edition_out(config_path, out)
    with output_lock(out):
        message = run_update(
            config_path,
            out,
            seed=seed,
            processed=DEFAULT_OUT.parent,
            progress=(lambda _: None) if quiet else _say,
        )
    click.echo(message)


@main.command(epilog=EXIT_HELP)
@config_option
@click.option(
    "--check-built",
    "built",
    type=click.Path(path_type=Path),
    default=None,
    help="Also print FORCE when this build is not current (missing, another configuration, "
    "an input or the code changed, an update to finish: quartiere.reuse.why_stale).",
)
@handle_errors
def inputs(config_path: Path, built: Path | None) -> None:
    """Print the files a build of CONFIG reads, one a line (for Make's dependencies)."""
    from quartiere.config import load_config
    from quartiere.reuse import why_stale

    config = load_config(config_path)
    cwd = Path.cwd().resolve()
    for path in [*config.files, *config.input_paths()]:
        path = Path(path).resolve()
        click.echo(path.relative_to(cwd) if path.is_relative_to(cwd) else path)
    if built is not None and why_stale(config, built) is not None:
        click.echo("FORCE")  # the one staleness rule: Make rebuilds


@main.command(epilog=EXIT_HELP)
@config_option
@handle_errors
def validate(config_path: Path) -> None:
    """Check the configuration and every input; write nothing."""
    from quartiere.config import load_config
    from quartiere.load import load_inputs

    config = load_config(config_path)
    inputs = load_inputs(config)
    for note in inputs.notes:
        _say(f"note: {note}")
    for coverage in inputs.coverage:
        _say(f"coverage: {coverage.text()}")
    click.echo(
        f"ok: {config.edition}: {len(inputs.planning_areas)} planning areas, "
        f"{len(inputs.mss)} MSS rows, {len(inputs.catchments)} catchments, "
        f"{int(inputs.atlas.notna().sum())} atlas values"
    )


@main.command(epilog=EXIT_HELP)
@click.argument("plr_id")
@config_option
@previous_option
@click.option(
    "--sensitivity",
    "atlas_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="A `quartiere sensitivity` output DIR: add inclusion frequency and what flips it.",
)
@click.option(
    "--build",
    "built",
    type=click.Path(path_type=Path),
    default=None,
    help="Explain this build of the configuration, read from the file (default: the edition's "
    "build, when it is current); refused when it is not current.",
)
@click.option(
    "--language",
    type=click.Choice(["de", "en"]),
    default=None,
    help="Language of the text (default: the build's, else the configuration's).",
)
@handle_errors
def explain(
    plr_id: str,
    config_path: Path,
    previous: Path | None,
    atlas_dir: Path | None,
    built: Path | None,
    language: str | None,
) -> None:
    """Why is planning area PLR_ID in or out? Values, rules, verdicts and sources.

    The values, decision and number are read from the edition's build (or --build) when it is
    current (made from this configuration, these inputs and this code); only the details behind
    them are recomputed from the inputs. Without a current build, or with --previous (numbered
    against that build), everything is computed.
    """
    from quartiere.config import load_config
    from quartiere.errors import ConfigError
    from quartiere.explanation import current_build, explain_build, explain_computed
    from quartiere.io.builds import read_build
    from quartiere.reuse import why_stale

    config = load_config(config_path)
    plr_id = plr_id.strip()
    if previous is not None and built is not None:
        raise ConfigError("--previous and --build: give one of them")
    text = None
    if previous is None:
        path = built if built is not None else edition_out(config_path, None)
        build = None
        if built is not None:
            if not built.is_file():
                raise ConfigError(f"--build {built}: no such file; run `quartiere build` first")
            build = current_build(config, built)  # not a build: exit 3; not current: exit 2
        elif path.is_file():
            reason = why_stale(config, path)
            if reason is None:
                build = current_build(config, path)  # the layers and the record checked: one read
            else:
                _say(f"note: {path} is not current ({reason}): everything is computed")
        if build is not None:
            _say(f"note: read from {path}")
            text = explain_build(config, build, plr_id, path=path, language=language)
    if text is None:
        before = read_build(previous) if previous is not None else None
        text = explain_computed(config, plr_id, previous=before, language=language)
    click.echo(text)
    if atlas_dir is not None:
        from quartiere.sensitivity.explain import sensitivity_lines

        click.echo("\n".join(["", *sensitivity_lines(atlas_dir, plr_id)]))


@main.command(epilog=EXIT_HELP)
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Write DIR/changes.gpkg (layer 'changes'), DIR/changes.md and DIR/changes.json.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the JSON here (instead of, or besides, --out).",
)
@click.option("--fail-on-change", is_flag=True, help="Exit with status 4 when the builds differ.")
@handle_errors
def diff(
    old: Path, new: Path, out_dir: Path | None, json_path: Path | None, fail_on_change: bool
) -> None:
    """What changed between two builds OLD.gpkg and NEW.gpkg (summary on stdout)."""
    from quartiere.compare.diff import diff_builds
    from quartiere.errors import EXIT_CHANGED
    from quartiere.history import write_diff
    from quartiere.io.builds import read_build
    from quartiere.present.diff_text import summary_lines

    if out_dir is not None:
        _out_dir(out_dir)
    result = diff_builds(read_build(old, label=str(old)), read_build(new, label=str(new)))
    for path in write_diff(result, out_dir, json_path) if out_dir or json_path else []:
        _say(f"wrote {path}")
    click.echo("\n".join(summary_lines(result)))
    if fail_on_change and result.changed:
        sys.exit(EXIT_CHANGED)


@main.command(epilog=EXIT_HELP)
@click.argument("configs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("data/processed/history"),
    show_default=True,
    help="Directory: one build per edition, the diffs between them and the timeline.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final lines.")
@handle_errors
def history(configs: tuple[Path, ...], out_dir: Path, quiet: bool) -> None:
    """Build each edition CONFIG... in MSS order, numbered against the one before; timeline."""
    from quartiere.compare.timeline import matrix_counts
    from quartiere.history import run_history

    start = time.perf_counter()
    _out_dir(out_dir)
    with output_lock(out_dir / "timeline.md"):
        result = run_history(list(configs), out_dir, progress=(lambda _: None) if quiet else _say)
    last = result.editions[-1]
    counts = matrix_counts(result.matrix)
    for edition in result.editions[:-1]:
        click.echo(
            f"{counts[edition.key][last.key]} of {len(edition.build.areas)} "
            f"areas of {edition.key} persist into {last.key}"
        )
    click.echo(
        f"wrote {out_dir}/timeline.md, timeline.csv, persistence.csv, history.png "
        f"({len(result.editions)} editions) in {time.perf_counter() - start:.1f} s"
    )


@main.command(epilog=EXIT_HELP)
@config_option
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(path_type=Path),
    default=Path("config/sensitivity.yaml"),
    show_default=True,
    help="Sensitivity plan: uncertain configuration keys with ranges or choices.",
)
@click.option("--samples", type=int, default=None, help="Saltelli base samples (power of two).")
@click.option("--seed", type=int, default=None, help="Sampling seed (default: the plan's).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="DIR.")
@click.option(
    "--scheduler",
    default=None,
    help="Existing dask scheduler: tls://HOST:8786 (with certificates), or tcp:// on loopback.",
)
@cluster_options
@click.option("--workers", type=int, default=None, help="Local worker processes (0: in-process).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def sensitivity(
    config_path: Path,
    plan_path: Path,
    samples: int | None,
    seed: int | None,
    out_dir: Path,
    scheduler: str | None,
    workers: int | None,
    quiet: bool,
    **cluster: Any,
) -> None:
    """Robustness atlas: every planning area and area across thousands of plausible rule sets."""
    from quartiere.sensitivity.access import check_scheduler, security_from
    from quartiere.sensitivity.run import run_sensitivity

    _out_dir(out_dir)
    if scheduler is not None and workers is not None:
        raise click.UsageError("give --scheduler or --workers, not both")
    security = security_from(**{k: v for k, v in cluster.items() if k != "insecure_scheduler"})
    if scheduler is not None:  # refused here, before anything is loaded
        security = check_scheduler(scheduler, security, cluster["insecure_scheduler"])
    start = time.perf_counter()
    atlas = run_sensitivity(
        config_path,
        plan_path,
        out_dir,
        samples=samples,
        seed=seed,
        scheduler=scheduler,
        workers=workers,
        say=None if quiet else _say,
        security=security,
    )
    counts = atlas.plr["class"].value_counts()
    click.echo(
        f"wrote {out_dir}/sensitivity.gpkg, sensitivity.md, sensitivity.png, scenarios.csv, "
        f"sensitivity.json ({len(atlas.rows):,} scenarios; {counts.get('robust_in', 0)} robust in, "
        f"{counts.get('contested', 0)} contested) in {time.perf_counter() - start:.1f} s"
    )


@main.command(epilog=EXIT_HELP)
@config_option
@path_option(
    "--build", "build_path", default=DEFAULT_OUT, show_default=True, help="The build's GeoPackage."
)
@path_option(
    "--history",
    "history_dir",
    help="A `quartiere history` run: adds each edition's Handlungsraum share to the trend.",
)
@path_option(
    "--sensitivity",
    "sensitivity_dir",
    help="A `quartiere sensitivity` run (DIR/sensitivity.gpkg): the Robustness section.",
)
@path_option(
    "--out", "out_dir", required=True, help="Directory: index.html, <hr_id>.html and <hr_id>.pdf."
)
@click.option("--no-pdf", is_flag=True, help="HTML only (no Chromium needed).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final line.")
@handle_errors
def profiles(
    config_path: Path,
    build_path: Path,
    history_dir: Path | None,
    sensitivity_dir: Path | None,
    out_dir: Path,
    no_pdf: bool,
    quiet: bool,
) -> None:
    """Profiles (Bestandsaufnahme) of every Handlungsraum: offline HTML and A4 PDF."""
    from quartiere.profiles.printing import PdfPrinter, find_chromium

    start = time.perf_counter()
    _out_dir(out_dir)
    chromium = None if no_pdf else find_chromium()
    # Chromium starts first, in a process of its own, while this one imports, reads and draws.
    with PdfPrinter.maybe(chromium, parallel=1) as printer:
        from quartiere.config import load_config
        from quartiere.profiles.data import editions_beside
        from quartiere.profiles.write import ProfileOptions, write_profiles

        config = load_config(config_path)
        options = ProfileOptions(
            build=build_path,
            out=out_dir,
            history=history_dir,
            sensitivity=sensitivity_dir,
            editions=tuple(editions_beside(config_path)),
            pdf=not no_pdf,
        )
        say = (lambda _: None) if quiet else _say
        with output_lock(out_dir):
            written = write_profiles(options, config, progress=say, printer=printer)
    click.echo(f"wrote {len(written)} files into {out_dir} in {time.perf_counter() - start:.1f} s")


@main.command(epilog=EXIT_HELP + "\n  5  fetch: a source did not answer or answered incompletely")
@click.argument("names", nargs=-1)
@path_option("--catalogue", default=Path("config/sources.yaml"), show_default=True)
@click.option(
    "--base-url", default=None, help="Replaces the catalogue's base_url (mirrors, tests)."
)
@path_option("--out", "out_dir", default=Path("data/raw"), show_default=True, help="DIR/<source>/.")
@path_option(
    "--editions",
    default=Path("config/editions"),
    show_default=True,
    help="Edition files: a fetched year without one gets DIR/<source>.yaml.",
)
@click.option("--retries", type=int, default=None, help="Retries of a failed request (catalogue).")
@path_option(
    "--build",
    "build_dir",
    help="Scheduled use: then build the newest edition into DIR/<edition>/ if anything changed.",
)
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final lines.")
@handle_errors
def fetch(
    names: tuple[str, ...],
    catalogue: Path,
    base_url: str | None,
    out_dir: Path,
    editions: Path,
    retries: int | None,
    build_dir: Path | None,
    quiet: bool,
) -> None:
    """Download NAMES (every source when none) from the live services (docs/sources.md).

    A download replaces the previous one only when complete and valid; a failure is one line
    and exit status 5, with the previous files and manifest untouched.
    """
    from quartiere.fetch.scheduled import run_command

    _out_dir(out_dir)
    with output_lock(out_dir / "manifest.json"):
        lines = run_command(
            catalogue,
            list(names),
            out_dir,
            base_url=base_url,
            editions=editions,
            retries=retries,
            builds=build_dir,
            progress=(lambda _: None) if quiet else _say,
        )
    click.echo("\n".join(lines[-1:] if quiet else lines))


@main.command(epilog=EXIT_HELP)
@config_option
@path_option("--build", "build_path", default=DEFAULT_OUT, show_default=True, help="The build.")
@path_option("--history", "history_dir", help="A `quartiere history` run: the editions switcher.")
@path_option("--sensitivity", "sensitivity_dir", help="A `quartiere sensitivity` run: robustness.")
@path_option("--profiles", "profiles_dir", help="A `quartiere profiles` run to copy in.")
@click.option(
    "--make-profiles",
    type=click.Choice(["pdf", "html"]),
    help="Write the profiles of --config's edition into the site (html: without PDFs).",
)
@path_option("--out", "out_dir", required=True, help="Directory of the site (index.html).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final line.")
@handle_errors
def site(
    config_path: Path,
    build_path: Path,
    history_dir: Path | None,
    sensitivity_dir: Path | None,
    profiles_dir: Path | None,
    make_profiles: str | None,
    out_dir: Path,
    quiet: bool,
) -> None:
    """A static web map of the build (with history, atlas, profiles): opens offline from file://
    or any web server (docs/site.md)."""
    import dataclasses
    import tempfile

    from quartiere.errors import ConfigError
    from quartiere.site.writer import SiteOptions, check_options, leaflet_dir, write_site

    start = time.perf_counter()
    if make_profiles and profiles_dir is not None:
        raise ConfigError("--profiles and --make-profiles: give one of them")
    options = SiteOptions(build_path, out_dir, history_dir, sensitivity_dir, profiles_dir)
    check_options(options)  # bad input is one line, before any browser starts
    leaflet_dir()
    with output_lock(out_dir / "index.html"), tempfile.TemporaryDirectory() as scratch:
        if make_profiles:  # the `profiles` command, into a scratch folder copied into the site
            options = dataclasses.replace(options, profiles=Path(scratch) / "profiles")
            click.get_current_context().invoke(
                profiles,
                config_path=config_path,
                build_path=build_path,
                history_dir=history_dir,
                sensitivity_dir=sensitivity_dir,
                out_dir=options.profiles,
                no_pdf=make_profiles == "html",
                quiet=True,
            )
        result = write_site(options, progress=(lambda _: None) if quiet else _say)
    click.echo(
        f"wrote {result.out}/index.html ({result.files} files, {result.size / 1e6:.1f} MB; "
        f"editions: {', '.join(result.editions)}) in {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
