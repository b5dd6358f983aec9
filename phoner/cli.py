"""The composition root: the ``phoner`` command line.

Command groups live in :mod:`phoner.commands`; the TUI and the feed server are imported
lazily inside the commands that need them, so ``phoner --help`` stays fast and headless.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phoner import __version__
from phoner.commands import block as block_cmd
from phoner.commands import booking as booking_cmd
from phoner.commands import calendars as calendars_cmd
from phoner.commands import campaign, gdpr, lists, maintenance, outcomes, rounds, script
from phoner.commands import consultants as consultants_cmd
from phoner.commands import export as export_cmd
from phoner.commands import followups as followups_cmd
from phoner.commands import jobcenters as jobcenters_cmd
from phoner.commands import outbox as outbox_cmd
from phoner.commands import reports as reports_cmd
from phoner.commands import visits as visits_cmd
from phoner.commands.common import AppState, PhonerGroup, state
from phoner.config import load_settings
from phoner.core import call_scripts
from phoner.core.errors import InvalidInput, os_reason

app = typer.Typer(
    name="phoner",
    cls=PhonerGroup,
    help="phoner: udgående telefonkampagner for jobcentre. Uden kommando åbnes telefonskærmen.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(campaign.app, name="campaign")
app.add_typer(lists.app, name="list")
app.add_typer(block_cmd.app, name="block")
app.add_typer(rounds.app, name="rounds")
app.add_typer(script.app, name="script")
app.add_typer(outcomes.app, name="outcomes")
app.command()(maintenance.backup)
app.command()(maintenance.restore)
app.add_typer(gdpr.app, name="gdpr")
app.command("book")(booking_cmd.book)
app.add_typer(booking_cmd.app, name="booking")
app.add_typer(consultants_cmd.app, name="consultants")
app.add_typer(jobcenters_cmd.app, name="jobcenters")
app.add_typer(calendars_cmd.app, name="calendars")
app.command("serve")(calendars_cmd.serve)
app.command("reminders")(calendars_cmd.reminders)
app.add_typer(outbox_cmd.app, name="outbox")
app.add_typer(reports_cmd.app, name="report")
app.add_typer(followups_cmd.app, name="followups")
app.add_typer(visits_cmd.app, name="visits")
app.add_typer(export_cmd.app, name="export")
# (command groups of later features are added here)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"phoner {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="PHONER_DB",
            help="Database: en SQLAlchemy-adresse (fx postgresql+psycopg://bruger@vært/phoner) "
            "eller en sti til en SQLite-fil. Standard: phoner.db i den aktuelle mappe.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Vis versionen."),
    ] = False,
) -> None:
    ctx.obj = AppState(settings=load_settings(db=db))
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        _open_tui(ctx)


def _open_tui(ctx: typer.Context, campaign_name: str | None = None) -> None:
    st = state(ctx)
    db = st.db()
    from phoner.tui.app import run_app  # lazy: keeps the CLI headless and fast

    run_app(db=db, settings=st.settings, campaign=campaign_name)


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"Kan ikke oprette mappen {folder}: {os_reason(exc)}.",
            hint="phoner bruger mapperne lists/, scripts/ og calendars/ i arbejdsmappen: "
            "flyt det, der ligger dér i vejen, eller brug en anden mappe.",
        ) from None


@app.command()
def init(ctx: typer.Context) -> None:
    """Opret databasen, eller opgradér den til denne version. Kan køres igen uden skade."""
    st = state(ctx)
    # The workspace folders are the same whatever the database (on PostgreSQL too: the
    # call scripts, lists and calendars live beside the people who use them).
    for folder in (st.settings.lists_dir, st.settings.scripts_dir, st.settings.calendars_dir):
        _make_folder(folder)  # first: nothing is created if a folder cannot be
    db = st.db(check=False)
    before, after = db.upgrade()
    placed = None
    if st.settings.scripts_dir.is_dir():
        placed = call_scripts.install_standard_script(st.settings.scripts_dir)
    if before is None:
        typer.echo(f"Databasen er oprettet: {db.url}")
    elif before == after:
        typer.echo(f"Databasen er allerede opdateret ({db.url}).")
    else:
        typer.echo(f"Databasen er opgraderet fra version {before} til {after}: {db.url}")
    if placed is not None:
        typer.echo(
            f"Standardmanuskriptet er lagt i {placed}: ret det til jeres kampagne, og tjek det "
            "med phoner script check."
        )


@app.command()
def demo(
    ctx: typer.Context,
    no_tui: Annotated[
        bool, typer.Option("--no-tui", help="Byg kun demo-arbejdsområdet; åbn ikke skærmen.")
    ] = False,
    workspace: Annotated[
        Path | None, typer.Option(help="Mappe til demo-arbejdsområdet (standard: aktuel mappe).")
    ] = None,
) -> None:
    """Byg (eller genopfrisk) en demokampagne med syntetiske virksomheder og åbn skærmen."""
    from phoner.core import demo as demo_mod

    st = state(ctx)
    if workspace is not None:
        st.close()
        st.settings = load_settings(db=None, workspace=workspace)
    db = st.db(check=False)
    db.upgrade()
    summary = demo_mod.build_demo(db=db, workspace=st.settings.workspace)
    typer.echo(
        f"Demokampagnen {summary.campaign!r} er klar: {summary.companies} virksomheder, "
        f"{summary.consultants} konsulenter, {summary.jobcenters} jobcentre ({db.url})."
    )
    if not no_tui:
        _open_tui(ctx, campaign_name=summary.campaign)


def main() -> None:
    """Console-script entry point."""
    app()
