"""``phoner consultants import|list``: the virksomhedskonsulenter who hold the visits."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from phoner.commands.common import echo_json, print_table, state
from phoner.core import consultants as cons_mod
from phoner.core.display import WEEKDAYS_SHORT_DA, format_stamp, format_time
from phoner.core.errors import InvalidInput
from phoner.core.models import Delivery

app = typer.Typer(help="Importér og vis virksomhedskonsulenter.", no_args_is_help=True)

DELIVERY_HELP = {
    Delivery.INVITATION: "får en e-mailinvitation til hvert besøg (og en aflysning, når det "
    "aflyses)",
    Delivery.FEED: "ser besøgene i sit kalenderabonnement (phoner calendars urls)",
    Delivery.BOTH: "får invitationer og har kalenderabonnementet",
}


def _days(days: list[int]) -> str:
    ordered = sorted(days)
    if ordered and ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{WEEKDAYS_SHORT_DA[ordered[0]]}-{WEEKDAYS_SHORT_DA[ordered[-1]]}"
    return ", ".join(WEEKDAYS_SHORT_DA[d] for d in ordered)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV- eller Excel-fil med Navn, E-mail, Jobcenter.")],
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Kolonne=felt, fx --map 'Kommune'=jobcenter."),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Fil til afviste rækker (standard: NAVN.afviste.csv)."),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Hvem importerer (revisionsspor).")] = "cli",
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Opret eller opdatér konsulenter (e-mail er nøglen; en ny import opdaterer)."""
    overrides: dict[str, str] = {}
    for item in mapping or []:
        if "=" not in item:
            raise InvalidInput(f"--map {item!r}: skriv Kolonne=felt.")
        column, field_name = item.split("=", 1)
        overrides[column.strip()] = field_name.strip()
    db = state(ctx).db()
    with db.session(write=True) as session:
        result = cons_mod.import_consultants(
            session=session, path=file, actor=by, overrides=overrides, rejects_path=rejects
        )
    rejects_file = result.rejects_file
    for notice in result.notices:
        typer.secho(notice, fg="yellow", err=True)
    if as_json:
        echo_json(
            {
                **result.common_json(),
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "jobcenters_created": result.jobcenters_created,
                "units_created": result.units_created,
            }
        )
        return
    typer.echo(
        f"{file}: {result.created} konsulenter oprettet, {result.updated} opdateret, "
        f"{result.unchanged} uændrede, {len(result.rejects)} afvist."
    )
    if result.jobcenters_created:
        typer.echo("Nye jobcentre: " + ", ".join(result.jobcenters_created) + ".")
    if result.unknown_columns:
        typer.echo(
            "Kolonner, der ikke blev brugt: " + ", ".join(result.unknown_columns) + ".", err=True
        )
    for line, reason, _cells in result.rejects[:10]:
        typer.secho(f"  linje {line}: {reason}", fg="yellow", err=True)
    if rejects_file is not None:
        typer.echo(
            f"De afviste rækker står i {rejects_file} med linjenummer og årsag. Ret dem og "
            f"importér filen igen.",
            err=True,
        )
    if result.created:
        typer.echo("Send konsulenterne deres kalenderadresse: phoner calendars urls")


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Skriv JSON i stedet for en tabel.")
    ] = False,
) -> None:
    """Vis konsulenterne med arbejdstid og bookingregler."""
    db = state(ctx).db()
    with db.session() as session:
        rows = cons_mod.list_consultants(session=session)
    if as_json:
        echo_json(
            {
                "consultants": [
                    {
                        "id": r.consultant.id,
                        "name": r.consultant.name,
                        "email": r.consultant.email,
                        "jobcenter": r.jobcenter,
                        "working_days": r.consultant.working_days,
                        "work_start": f"{r.consultant.work_start:%H:%M}",
                        "work_end": f"{r.consultant.work_end:%H:%M}",
                        "max_visits_per_day": r.consultant.max_visits_per_day,
                        "travel_buffer_minutes": r.consultant.travel_buffer_minutes,
                        "visit_minutes": r.consultant.visit_minutes,
                        "absence_source": r.consultant.absence_source,
                        "active": r.consultant.active,
                        "delivery": str(r.consultant.delivery),
                        "last_feed_fetch_at": (
                            r.consultant.last_feed_fetch_at.isoformat()
                            if r.consultant.last_feed_fetch_at
                            else None
                        ),
                    }
                    for r in rows
                ]
            }
        )
        return
    if not rows:
        typer.echo("Ingen konsulenter endnu. Importér dem med: phoner consultants import FIL")
        return
    table = Table(
        "Konsulent",
        "E-mail",
        "Jobcenter",
        "Dage",
        "Tid",
        "Besøg/dag",
        "Transport",
        "Varighed",
        "Kalender hentet",
        "Levering",
        title="Konsulenter",
    )
    for r in rows:
        c = r.consultant
        table.add_row(
            c.name + ("" if c.active else " (inaktiv)"),
            c.email,
            r.jobcenter,
            _days(c.working_days),
            f"{format_time(c.work_start)}–{format_time(c.work_end)}",
            str(c.max_visits_per_day),
            f"{c.travel_buffer_minutes} min.",
            f"{c.visit_minutes} min.",
            format_stamp(c.last_feed_fetch_at) if c.last_feed_fetch_at else "aldrig",
            cons_mod.DELIVERY_LABELS.get(Delivery(c.delivery), str(c.delivery)),
        )
    print_table(table)


@app.command("set")
def set_(
    ctx: typer.Context,
    consultant: Annotated[str, typer.Argument(help="Konsulentens e-mail eller navn.")],
    delivery: Annotated[
        str,
        typer.Option(
            "--delivery",
            help="invitation (e-mailinvitationer), feed (kun kalenderabonnement) eller begge.",
        ),
    ],
    by: Annotated[str, typer.Option("--by", help="Hvem (revisionsspor).")] = "cli",
) -> None:
    """Skift, hvordan en konsulents besøg når frem til kalenderen."""
    try:
        value = cons_mod.parse_delivery(delivery)
    except ValueError:
        raise InvalidInput(
            f"--delivery {delivery!r} forstås ikke.",
            hint="Skriv invitation, feed eller begge.",
        ) from None
    db = state(ctx).db()
    with db.session(write=True) as session:
        c = cons_mod.get_consultant(session=session, key=consultant)
        changed = cons_mod.set_delivery(session=session, consultant=c, delivery=value, actor=by)
    prefix = "" if changed else "Uændret: "
    typer.echo(f"{prefix}{c.name} <{c.email}> {DELIVERY_HELP[value]}.")
    if value in (Delivery.FEED, Delivery.BOTH):
        typer.echo("Kalenderadressen: phoner calendars urls")
