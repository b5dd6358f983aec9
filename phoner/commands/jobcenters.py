"""``phoner jobcenters list``: the jobcenters and the other units that hold visits."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from phoner.commands.common import echo_json, print_table, state
from phoner.core import geography
from phoner.core import jobcenters as jc_mod
from phoner.core.models import JobcenterKind

#: The Kommune cell of a unit that is not a municipality (explained under the table).
UNIT_CELL = "Enhed"

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
    # Readable at 80 columns (a pipe, a narrow terminal): short headings, no frame; the
    # schemes' keys (for --areas) are named under the table.
    table = Table(
        title="Jobcentre og enheder",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    table.add_column("Navn")
    table.add_column("Kommune")
    for scheme in geography.SCHEMES.values():
        table.add_column(scheme.column)
    table.add_column("Konsulenter", justify="right")
    table.add_column("Virksomheder", justify="right")
    for r in rows:
        jc = r.jobcenter
        table.add_row(
            jc.name,
            jc.municipality or UNIT_CELL,
            # a unit has no area: "–" here, "Ikke fordelt" in the reports (said below)
            *(area if jc.municipality else "–" for area in r.areas.values()),
            str(r.consultants),
            str(r.companies),
        )
    print_table(table)
    for scheme in geography.SCHEMES.values():
        typer.echo(f"{scheme.column}: {scheme.title} (rapporter: --areas {scheme.key}).")
    if any(r.jobcenter.kind == JobcenterKind.UNIT for r in rows):
        typer.echo(
            f"{UNIT_CELL}: ikke en kommune. En enhed har intet område; dens besøg står under "
            f"'{geography.NO_AREA}' i rapporter pr. område."
        )
