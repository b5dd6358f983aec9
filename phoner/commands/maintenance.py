"""``phoner backup`` and ``phoner restore``: consistent copies of a live SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import state
from phoner.commands.danish import confirm
from phoner.core import maintenance


def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Backupfilen, fx backup/phoner-2026-11-23.db.")],
    overwrite: Annotated[
        bool, typer.Option("--overskriv", help="Overskriv filen, hvis den findes.")
    ] = False,
    keep: Annotated[
        int | None,
        typer.Option(
            "--keep",
            min=1,
            help="Gem kun de N nyeste backups af samme slags i mappen (slet de ældre). "
            "Sådan forsvinder persondata, der er slettet med phoner gdpr purge, også fra "
            "backupperne.",
        ),
    ] = None,
) -> None:
    """Tag en konsistent backup af databasen, også mens der ringes."""
    db = state(ctx).db()
    result = maintenance.backup(db=db, target=file, overwrite=overwrite, keep=keep)
    typer.echo(
        f"Backup gemt i {result.path} ({result.size_bytes / 1_000_000:.1f} MB, "
        f"databaseversion {result.revision})."
    )
    if result.removed:
        names = ", ".join(p.name for p in result.removed)
        typer.echo(f"{len(result.removed)} ældre backups er slettet ({names}).")


def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="En fil lavet med phoner backup.")],
    yes: Annotated[
        bool, typer.Option("--ja", help="Bekræft, at den nuværende database skal erstattes.")
    ] = False,
) -> None:
    """Erstat databasen med en backup. Alt gemt efter backuppen går tabt."""
    db = state(ctx).db(check=False)
    if not yes and not confirm(
        f"Erstat {db.url} med {file}? Alt, der er gemt efter backuppen, går tabt"
    ):
        typer.echo("Intet er ændret: databasen er ikke erstattet.")
        raise typer.Exit(1)
    result = maintenance.restore(db=db, source=file)
    typer.echo(f"Databasen er gendannet fra {file} (version {result.revision}).")
    if maintenance.needs_upgrade(db):
        typer.echo("Backuppen er fra en ældre version: kør phoner init for at opgradere den.")
