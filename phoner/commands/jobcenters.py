"""``phoner jobcenters list``: the jobcenters and the other units that hold visits."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from phoner.commands.common import echo_json, state
from phoner.core import geography
from phoner.core import jobcenters as jc_mod
from phoner.core.models import JobcenterKind

app = typer.Typer(help="Jobcentre og andre enheder, der holder besøg.", no_args_is_help=True)


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Skriv JSON i stedet for en tabel.")
    ] = False,
) -> None:
    """Vis alle jobcentre og enheder med art, kommune og område i hver områdeinddeling."""
    db = state(ctx).db()
    with db.session() as session:
        rows = jc_mod.list_jobcenters(session=session)
    if as_json:
        echo_json(
            {
                "jobcenters": [
                    {
                        "id": r.jobcenter.id,
                        "name": r.jobcenter.name,
                        "kind": str(r.jobcenter.kind),
                        "municipality": r.jobcenter.municipality,
                        "municipality_code": r.jobcenter.municipality_code,
                        "areas": r.areas,
                        "consultants": r.consultants,
                        "companies": r.companies,
                    }
                    for r in rows
                ]
            }
        )
        return
    if not rows:
        typer.echo(
            "Ingen jobcentre endnu. De oprettes, når en liste eller konsulenter importeres "
            "(phoner list import, phoner consultants import)."
        )
        return
    table = Table(
        "Navn",
        "Art",
        "Kommune",
        *(f"{s.column} ({s.key})" for s in geography.SCHEMES.values()),
        "Konsulenter",
        "Virksomheder",
        title="Jobcentre og enheder",
    )
    for r in rows:
        jc = r.jobcenter
        table.add_row(
            jc.name,
            jc_mod.KIND_LABELS[JobcenterKind(jc.kind)],
            jc.municipality or "–",
            *r.areas.values(),
            str(r.consultants),
            str(r.companies),
        )
    Console().print(table)
    if any(r.jobcenter.kind == JobcenterKind.UNIT for r in rows):
        typer.echo(
            f"En enhed, der ikke er en kommune, har intet område: dens besøg står under "
            f"'{geography.NO_AREA}' i rapporter pr. område."
        )
