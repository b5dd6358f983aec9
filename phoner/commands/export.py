"""``phoner export``: hand-over files for consultants (Excel, one sheet per jobcenter)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import state
from phoner.commands.reports import Format, emit
from phoner.core import campaigns
from phoner.core.reports.leads import leads_report

app = typer.Typer(help="Eksport til konsulenterne.", no_args_is_help=True)


@app.command("leads", short_help="Alle 'vil kontaktes' til konsulenterne (Excel).")
def leads(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Excel-filen, der skrives, fx leads.xlsx.")
    ],
) -> None:
    """Alle 'vil kontaktes' med alt, telefonisten noterede: én fane pr. jobcenter."""
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        report = leads_report(
            session=session, campaign=camp, workspace=state(ctx).settings.workspace
        )
    emit(report, Format.XLSX, out)
    typer.echo(f"{report.data['total']} virksomheder, der vil kontaktes.")
