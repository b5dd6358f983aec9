"""``phoner campaign``: create and list campaigns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from phoner.commands.common import echo_json, state
from phoner.core import campaigns

app = typer.Typer(help="Opret og vis kampagner.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Kampagnens navn, fx 'Fleksjob efterår 2026'.")],
    script: Annotated[
        Path, typer.Option("--script", help="Opkaldsmanuskript (TOML), fx scripts/fleksjob.toml.")
    ],
    horizon_days: Annotated[
        int, typer.Option(min=1, max=365, help="Seneste bookingdag = i dag + så mange dage.")
    ] = 42,
    min_notice_days: Annotated[
        int, typer.Option(min=0, max=60, help="Mindste varsel for et besøg i arbejdsdage.")
    ] = 2,
) -> None:
    """Opret en kampagne med et opkaldsmanuskript og bookingregler."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        c = campaigns.create_campaign(
            session=session,
            name=name,
            script=script,
            horizon_days=horizon_days,
            min_notice_days=min_notice_days,
        )
    typer.echo(
        f"Kampagnen {c.name!r} er oprettet (manuskript {script}, bookinghorisont "
        f"{horizon_days} dage, mindste varsel {min_notice_days} arbejdsdage)."
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Skriv JSON i stedet for en tabel.")
    ] = False,
) -> None:
    """Vis alle kampagner."""
    db = state(ctx).db()
    with db.session() as session:
        rows = campaigns.list_campaigns(session=session)
    if as_json:
        echo_json(
            {
                "campaigns": [
                    {
                        "name": c.name,
                        "script": c.script_path,
                        "companies": n,
                        "horizon_days": c.horizon_days,
                        "min_notice_days": c.min_notice_days,
                        "created_at": c.created_at.isoformat(),
                    }
                    for c, n in rows
                ]
            }
        )
        return
    if not rows:
        typer.echo("Ingen kampagner endnu. Opret en med: phoner campaign create NAVN --script FIL")
        return
    table = Table("Kampagne", "Manuskript", "Virksomheder", "Horisont", "Varsel", title="Kampagner")
    for c, n in rows:
        table.add_row(
            c.name, c.script_path, str(n), f"{c.horizon_days} dage", f"{c.min_notice_days} arb.dage"
        )
    Console().print(table)
