"""``phoner gdpr``: purge personal data after the retention period, export what is held."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from phoner.commands.common import state
from phoner.core import campaigns, gdpr
from phoner.core.companies import valid_cvr
from phoner.core.errors import InvalidInput

app = typer.Typer(
    help="Persondata (GDPR): slet efter udløb, vis hvad der er gemt.", no_args_is_help=True
)


@app.command("purge")
def purge(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Option("--campaign", help="Kampagnens navn.")],
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=0,
            help="Anonymisér virksomheder uden aktivitet i så mange dage "
            "(standard: kampagnens opbevaringsperiode).",
        ),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Hvem sletter (til revisionssporet).")] = "gdpr",
) -> None:
    """Anonymisér kontaktpersoner, telefonnumre, e-mails og noter; tallene i rapporterne bevares."""
    st = state(ctx)
    db = st.db()
    with db.session() as session:
        c = campaigns.get_campaign(session=session, name=campaign)
        days = older_than if older_than is not None else c.retention_days
    if days is None:
        raise typer.BadParameter(
            "angiv --older-than DAGE (kampagnen har ingen opbevaringsperiode sat)",
            param_hint="--older-than",
        )
    result = gdpr.purge_campaign(
        db=db,
        campaign=campaign,
        older_than_days=days,
        actor=by,
        calendars_dir=st.settings.calendars_dir,
    )
    typer.echo(
        f"Persondata er anonymiseret for {result.companies} virksomheder uden aktivitet i "
        f"{days} dage ({result.attempts} opkald, {result.bookings} bookinger, "
        f"{result.visit_results} besøgsresultater). Rapporternes tal er uændrede."
    )
    if result.feeds_rebuilt:
        typer.echo(
            f"Kalenderfilerne i {st.settings.calendars_dir} er bygget igen "
            f"({result.feeds_written} opdateret, {result.feeds_removed} fjernet)."
        )
    if result.wal_truncated is False:
        typer.echo(
            "Bemærk: en anden phoner læste databasen, så de gamle værdier ligger stadig i "
            "databasens logfil (-wal), til den næste gang skrives ind. Kør purge igen, når "
            "ingen arbejder, for at fjerne dem med det samme."
        )
    if result.companies and result.backups_before is not None:
        typer.echo(
            "Backups taget før nu indeholder stadig de anonymiserede persondata og kan ikke "
            "ændres: slet dem, eller lad phoner backup --keep N rotere dem ud."
        )


@app.command("export")
def export(
    ctx: typer.Context,
    cvr: Annotated[str, typer.Option("--cvr", help="Virksomhedens CVR-nummer.")],
) -> None:
    """Vis alt, phoner har gemt om en virksomheds personer (som JSON)."""
    try:
        number = valid_cvr(cvr)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message, param_hint="--cvr") from None
    db = state(ctx).db()
    with db.session() as session:
        record = gdpr.export(session=session, cvr=number)
    typer.echo(json.dumps(asdict(record), ensure_ascii=False, indent=2, default=str))
