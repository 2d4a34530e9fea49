"""The `coordination` command: set up, operate and administer a deployment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from coordination.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(f"configuration error: {exc}") from None


@contextmanager
def _session() -> Iterator[Session]:
    from coordination.db import make_engine, make_session_factory
    from coordination.services import audit

    engine = make_engine(_settings().database_url)
    session = make_session_factory(engine)()
    audit.set_actor(session, audit.AuditActor.command_line())
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


def _require_schema() -> None:
    from coordination.migrate import current_revision

    if current_revision(_settings().database_url) is None:
        raise click.ClickException("the database is not initialised: run `coordination init-db`")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coordination")
def cli() -> None:
    """Coordination de parcours: a DAC and its partners (calls, situations, meetings,
    ruptures). Configuration comes from COORDINATION_* environment variables (README)."""


@cli.command("init-db")
def init_db() -> None:
    """Create the database or upgrade it to the latest schema (Alembic `upgrade head`)."""
    from coordination.migrate import upgrade_to_head

    settings = _settings()
    if settings.is_sqlite:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings.database_url)
    click.echo("database is at the latest schema")


@cli.command()
@click.option("--size", type=click.Choice(["dac", "region"]), default=None,
              help="Add generated history: `dac` (18 months of the demo DAC) or `region` "
                   "(15 DACs, five years; a few minutes).")
@click.option("--seed", default=2026, show_default=True, help="Seed of the generator.")
def demo(size: str | None, seed: int) -> None:
    """Load the demo territory (Aude partnership, one account per role). Idempotent."""
    from coordination.services.demo import DEMO_PASSWORD, load_demo

    _require_schema()
    with _session() as session:
        demo_accounts = load_demo(session, size=size, seed=seed, progress=_progress_bar)
        from coordination.db import refresh_statistics

        refresh_statistics(session)
    click.echo("Demo territory loaded. Demo accounts (password for all: "
               f"{DEMO_PASSWORD}):")
    for account in demo_accounts:
        roles = ", ".join(role.value for role in account.roles)
        click.echo(f"  {account.email:<34} {roles:<12} {account.organisation}")


@contextmanager
def _progress_bar(label: str, length: int) -> Iterator[object]:
    with click.progressbar(length=length, label=label, show_pos=True) as bar:
        yield bar.update


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the application with gunicorn (production WSGI server)."""
    _settings()  # fail here, once, on a bad variable; also creates the secret key file
    _require_schema()
    args = [sys.executable, "-m", "gunicorn", "coordination.wsgi:app",
            "--bind", f"{host}:{port}", "--workers", str(workers),
            "--access-logfile", "-", "--forwarded-allow-ips", "127.0.0.1"]
    click.echo(f"serving on http://{host}:{port} with {workers} worker(s)")
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with gunicorn


@cli.command("create-organisation")
@click.option("--name", required=True, help="Organisation name (unique).")
@click.option("--type", "type_", required=True, metavar="TYPE",
              help="dac, cmp_ussap, csapa, caarud, siao, chrs, hospital, oru, com360, cpts, "
                   "msp, social_services, other.")
@click.option("--health-team/--no-health-team", default=None,
              help="Health professional team (CSP L1110-4). Default: from the type.")
@click.option("--finess", default=None, help="FINESS number (9 characters).")
def create_organisation(name: str, type_: str, health_team: bool | None,
                        finess: str | None) -> None:
    """Create a partner organisation."""
    from coordination.domain.accounts import parse_organisation_type
    from coordination.domain.errors import ValidationError
    from coordination.services import accounts

    try:
        kind = parse_organisation_type(type_)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--type") from None
    _require_schema()
    with _session() as session:
        try:
            organisation = accounts.create_organisation(
                session, name=name, type=kind, is_health_professional_team=health_team,
                finess=finess)
        except ValidationError as exc:
            raise click.UsageError(_describe(exc)) from None
        click.echo(f"organisation {organisation.id} created: {organisation.name} "
                   f"({organisation.type.value}, health team: "
                   f"{'yes' if organisation.is_health_professional_team else 'no'})")


@cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True, help="First name and last name.")
@click.option("--organisation", required=True, help="Organisation name (or id).")
@click.option("--role", "roles", required=True, multiple=True,
              help="coordinator, partner, manager or admin; repeat for several roles.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (for scripts).")
def create_user(email: str, full_name: str, organisation: str, roles: tuple[str, ...],
                password_stdin: bool) -> None:
    """Create a user account."""
    from coordination.domain.accounts import parse_role
    from coordination.domain.errors import NotFound, ValidationError
    from coordination.services import accounts

    try:
        parsed_roles = [parse_role(role) for role in roles]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--role") from None
    _require_schema()
    with _session() as session:
        try:
            owner = accounts.find_organisation(session, organisation)
        except NotFound:
            raise click.BadParameter(f"unknown organisation {organisation!r}",
                                     param_hint="--organisation") from None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = accounts.create_user(session, email=email, full_name=full_name,
                                        organisation=owner, roles=parsed_roles,
                                        password=password)
        except ValidationError as exc:
            raise click.UsageError(_describe(exc)) from None
        click.echo(f"user {user.id} created: {user.email} "
                   f"({', '.join(sorted(r.value for r in user.roles))}, {owner.name})")


def _describe(error: object) -> str:
    fields = getattr(error, "fields", {})
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())


@cli.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option("--anchor", metavar="ID:HASH",
              help="An anchor printed by an earlier verification: also proves that no entry "
                   "up to it was removed from the end of the trail.")
def audit_verify(anchor: str | None) -> None:
    """Check the hash chain; report the first tampered entry (exit status 1).

    Keep the printed anchor outside the database (e.g. with the backups)."""
    from coordination.services import audit as audit_service

    _require_schema()
    with _session() as session:
        try:
            report = audit_service.verify_chain(session, anchor)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--anchor") from None
    if report.broken is not None:
        click.echo(f"TAMPERED: entry {report.broken.entry_id}: {report.broken.reason} "
                   f"({report.checked} entries read)", err=True)
        sys.exit(1)
    click.echo(f"audit trail intact: {report.checked} entries verified")
    click.echo(f"anchor: {report.anchor}")


@cli.command("import-directory")
@click.argument("kind", type=click.Choice(["finess", "hsds", "sectors"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--departement", "departements", multiple=True,
              help="Only these départements (repeatable), e.g. --departement 11.")
@click.option("--category", "categories", multiple=True,
              help="Only these FINESS category codes (repeatable), e.g. --category 197.")
@click.option("--hsds-category", default=None,
              help="hsds: the directory category of the imported services (e.g. csapa).")
@click.option("--skip-invalid", is_flag=True, help="Import the valid lines, report the rest.")
@click.option("--dry-run", is_flag=True, help="Report without writing anything.")
@click.option("--overwrite-edits", is_flag=True,
              help="finess, hsds: the file's values replace fields an admin corrected by "
                   "hand (kept by default, each disagreement reported).")
def import_directory(kind: str, file: str, departements: tuple[str, ...],
                     categories: tuple[str, ...], hsds_category: str | None,
                     skip_invalid: bool, dry_run: bool, overwrite_edits: bool) -> None:
    """Import services into the directory. All-or-nothing unless --skip-invalid: every
    rejected line is reported with its number and reason (exit status 1). A re-import
    keeps an admin's corrections unless --overwrite-edits; a sectors file is the whole
    truth for the sectors it lists (communes it no longer lists are detached)."""
    from directory.categories import BY_CODE, BY_FINESS
    from directory.finess import import_finess
    from directory.imports import import_hsds, import_sectors

    if kind == "hsds" and hsds_category not in BY_CODE:
        raise click.BadParameter(f"give the category of the imported services, one of: "
                                 f"{', '.join(BY_CODE)}", param_hint="--hsds-category")

    unknown = [c for c in categories if c not in BY_FINESS]
    if unknown:
        raise click.BadParameter(f"FINESS categories outside the directory: {unknown}; "
                                 f"known: {', '.join(sorted(BY_FINESS))}",
                                 param_hint="--category")
    try:
        with open(file, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {file}: {exc.strerror}", param_hint="FILE") \
            from None
    _require_schema()
    total = raw.count(b"\n") + 1
    with _session() as session, click.progressbar(length=total, label="lines",
                                                 file=sys.stderr) as bar:
        if kind == "finess":
            report = import_finess(session, raw, departements=departements,
                                   categories=categories, skip_invalid=skip_invalid,
                                   dry_run=dry_run, overwrite_edits=overwrite_edits,
                                   progress=bar.update)
        elif kind == "hsds":
            report = import_hsds(session, raw, category=hsds_category or "",
                                 skip_invalid=skip_invalid, dry_run=dry_run,
                                 overwrite_edits=overwrite_edits)
        else:
            report = import_sectors(session, raw, skip_invalid=skip_invalid, dry_run=dry_run)
        bar.update(total)
    for line, reason in report.rejected:
        click.echo(f"{file}:{line}: {reason}", err=True)
    for line, conflict in report.conflicts:
        click.echo(f"{file}:{line}: {'overwritten' if overwrite_edits else 'kept'}: "
                   f"{conflict}")
    for removal in report.removed:
        click.echo(f"removed: {removal}")
    click.echo(f"{report.lines} lines read ({report.encoding}): {report.created} created, "
               f"{report.updated} updated, {len(report.removed)} removed, "
               f"{report.out_of_scope} outside the directory's scope, "
               f"{len(report.rejected)} rejected, {len(report.conflicts)} hand "
               f"correction(s) {'overwritten' if overwrite_edits else 'kept'}")
    if dry_run:
        click.echo("dry run: nothing written")
    elif not report.written:
        click.echo("nothing written (all-or-nothing; use --skip-invalid to import the "
                   "valid lines)", err=True)
    if report.rejected and not (skip_invalid and report.written):
        sys.exit(1)


@cli.group()
def logigramme() -> None:
    """The triage decision tree: validate, publish, draw."""


def _read_logigramme(path: str) -> object:
    from coordination.domain.errors import ValidationError
    from coordination.services.logigrammes import load_yaml

    try:
        with open(path, encoding="utf-8") as handle:
            return load_yaml(handle.read())
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="FILE") from None
    except ValidationError as exc:
        raise click.ClickException(f"{path}: {exc.fields['document'][0]}") from None


@logigramme.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
def logigramme_validate(file: str) -> None:
    """Check FILE (YAML): every path ends in an outcome, no cycle, every field exists in
    the intake schema, every outcome maps to a workflow event. Exit 1 listing each problem."""
    from coordination.services.logigrammes import validate
    from coordination.workflows.logigramme import LogigrammeInvalid

    try:
        parsed = validate(_read_logigramme(file))
    except LogigrammeInvalid as invalid:
        for problem in invalid.problems:
            click.echo(f"{file}: {problem}", err=True)
        sys.exit(1)
    click.echo(f"{file}: valid logigramme {parsed.version} ({len(parsed.nodes)} nodes, "
               f"{len(parsed.outcomes)} outcomes)")


@logigramme.command("publish")
@click.argument("file", type=click.Path(dir_okay=False))
def logigramme_publish(file: str) -> None:
    """Validate FILE and make it the current logigramme (earlier versions stay for replay)."""
    from coordination.domain.errors import ValidationError
    from coordination.services import logigrammes

    document = _read_logigramme(file)
    _require_schema()
    with _session() as session:
        try:
            row = logigrammes.publish(session, None, document)
        except ValidationError as exc:
            for messages in exc.fields.values():
                for message in messages:
                    click.echo(f"{file}: {message}", err=True)
            click.echo("nothing was published", err=True)
            sys.exit(1)
        click.echo(f"logigramme {row.version} published and current")


@logigramme.command("diagram")
def logigramme_diagram() -> None:
    """Print the current logigramme and the complex-case workflow as Mermaid diagrams."""
    from coordination.services import logigrammes
    from coordination.services.situations import ENGINE

    _require_schema()
    with _session() as session:
        current = logigrammes.current(session)
        session.commit()
    click.echo(current.mermaid())
    click.echo()
    click.echo(ENGINE.mermaid())


@cli.command()
@click.option("--once", is_flag=True, help="Run every due job once, then exit (cron, tests).")
@click.option("--force", is_flag=True, help="With --once: run every job even if not due.")
def scheduler(once: bool, force: bool) -> None:
    """Run the scheduled jobs: meetings ahead, agendas built and frozen, reminders,
    e-mails. One process per deployment, never inside the web workers; a restart catches
    up once on what it missed."""
    import logging
    from datetime import UTC, datetime

    from coordination.services import jobs

    settings = _settings()
    _require_schema()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if once:
        with _session() as session:
            for name, result in jobs.run_due_jobs(session, settings, datetime.now(UTC),
                                                  force=force).items():
                click.echo(f"{name:<22} {result or 'pas dû (déjà lancé récemment)'}")
        return
    from apscheduler.schedulers.blocking import BlockingScheduler

    def run(job: jobs.Job) -> None:
        with _session() as session:
            jobs.run_job(session, settings, job, datetime.now(UTC))

    runner = BlockingScheduler(timezone=settings.timezone, job_defaults={
        # one run, not one per missed period, after a pause; never two at once
        "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
    for job in jobs.JOBS:
        runner.add_job(run, "interval", args=[job], seconds=job.every.total_seconds(),
                       next_run_time=datetime.now(UTC), id=job.name, name=job.description)
    click.echo(f"scheduler running {len(jobs.JOBS)} jobs (Ctrl+C to stop)")
    try:
        runner.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")

@cli.command("erase-person")
@click.argument("person_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--reason", required=True,
              help="The accepted request (reference, DPO decision): kept in the audit trail.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase_person(person_id: int, reason: str, yes: bool) -> None:
    """Anonymise one person now (an erasure request the DPO accepted): identity, calls
    about them, every situation (all must be closed), free texts. Observatory counts are
    kept; this cannot be undone."""
    from datetime import UTC, datetime

    from coordination.domain.errors import DomainError, ValidationError
    from coordination.services import retention

    _require_schema()
    if not yes:
        click.confirm(f"Anonymise person {person_id} and all their situations for good?",
                      abort=True)
    with _session() as session:
        try:
            report = retention.erase_person(session, person_id, reason, datetime.now(UTC))
        except ValidationError as exc:
            raise click.UsageError(_describe(exc)) from None
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"person {report.person_id} erased: {report.records} record(s), "
               f"{report.situations} situation(s), {report.calls} call(s) anonymised")


@cli.command("raise-rupture-candidates")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Sweep as of this day (default: today).")
@click.option("--stale-days", type=click.IntRange(1, 3650), default=45, show_default=True,
              help="An active situation with no event for this many days is a candidate.")
@click.option("--overdue-days", type=click.IntRange(1, 3650), default=14, show_default=True,
              help="An action overdue by this many days is a candidate.")
@click.option("--discharge-days", type=click.IntRange(0, 3650), default=0, show_default=True,
              help="Days after a discharge before a missing follow-up raises a candidate.")
def raise_rupture_candidates(today: object, stale_days: int, overdue_days: int,
                             discharge_days: int) -> None:
    """Raise rupture candidates (the scheduler's sweep). Idempotent: a candidate already
    raised, even dismissed, is never raised again."""
    from datetime import date

    from coordination.domain.rupture_candidates import CandidateThresholds
    from coordination.services import ruptures

    _require_schema()
    day = today.date() if today is not None else date.today()  # type: ignore[attr-defined]
    with _session() as session:
        result = ruptures.raise_candidates(session, day, CandidateThresholds(
            stale_after_days=stale_days, overdue_after_days=overdue_days,
            discharge_follow_up_days=discharge_days))
    click.echo(f"{result.created} new rupture candidate(s) ({result.found} detected, "
               f"{result.found - result.created} already known)")


@cli.command("export-observatory")
@click.option("--from", "date_from", default=None, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", default=None, help="Last day (YYYY-MM-DD).")
@click.option("--group-by", default="quarter", show_default=True,
              help="Comma-separated: type, cause, service_category, territory, month, quarter.")
@click.option("--territory-level", default="epci", show_default=True,
              type=click.Choice(["commune", "epci", "arrondissement", "departement"]))
@click.option("--format", "fmt", type=click.Choice(["pdf", "csv"]), default="pdf",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), required=True)
def export_observatory(date_from: str | None, date_to: str | None, group_by: str,
                       territory_level: str, fmt: str, output: str) -> None:
    """Write the observatory of ruptures (counts only, small counts masked with the
    configured COORDINATION_SUPPRESSION_THRESHOLD) as a PDF report or CSV."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from coordination.domain.errors import ValidationError
    from coordination.services import audit, observatory

    _require_schema()
    settings = _settings()
    try:
        query = observatory.parse_query({"from": date_from, "to": date_to,
                                         "group_by": group_by,
                                         "territory_level": territory_level}, date.today())
    except ValidationError as exc:
        raise click.ClickException("; ".join(f"{k}: {' '.join(v)}"
                                             for k, v in exc.fields.items())) from None
    with _session() as session:
        figures = observatory.compute_rupture_counts(
            session, query, threshold=settings.suppression_threshold)
        audit.record(session, "export", "observatory", None,
                     detail=f"{fmt.upper()} (CLI) {query.as_args()}")
        session.commit()
        if fmt == "pdf":
            data = observatory.report_pdf(figures, "Observatoire du territoire",
                                          ZoneInfo(settings.timezone))
        else:
            data = "".join(observatory.figures_csv(figures)).encode("utf-8")
    with open(output, "wb") as handle:
        handle.write(data)
    click.echo(f"observatory written to {output}")


def main() -> None:
    cli(prog_name="coordination")
