"""``phoner visits``: booked visits, their results and agreements (also from a file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import echo_json, state
from phoner.core import campaigns, consultants, vocabulary
from phoner.core import visits as visits_mod
from phoner.core.display import count, format_local
from phoner.core.errors import InvalidInput
from phoner.core.models import AgreementCategory, CompanyCancelReason, MeetingStatus

app = typer.Typer(
    help="Besøg: vis dem, og registrér hvad der skete og blev aftalt.", no_args_is_help=True
)

CampaignOpt = Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Skriv ét JSON-objekt på stdout.")]


def parse_agreements(items: list[str]) -> dict[AgreementCategory, int]:
    """``["fleksjob=2", "Løntilskud=1"]`` -> {FLEKSJOB: 2, LOENTILSKUD: 1}."""
    out: dict[AgreementCategory, int] = {}
    for item in items:
        name, sep, count = item.rpartition("=")
        category = vocabulary.lookup(AgreementCategory, name) if sep else None
        count = count.strip()
        if category is None or not (count.isascii() and count.isdigit()) or len(count) > 4:
            raise InvalidInput(
                f"--agreement {item!r}: skriv KATEGORI=ANTAL, fx --agreement fleksjob=2.",
                hint="Kategorier: " + ", ".join(c.value for c in AgreementCategory) + ".",
            )
        out[category] = out.get(category, 0) + int(count)
    return out


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: CampaignOpt,
    consultant: Annotated[
        str | None,
        typer.Option("--consultant", "-k", help="Kun denne konsulents (e-mail eller navn)."),
    ] = None,
    missing: Annotated[
        bool, typer.Option("--missing", help="Kun afholdte tidspunkter uden registreret resultat.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Vis kampagnens bookede besøg med resultat og aftaler."""
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        assert camp.id is not None
        k_id = (
            consultants.get_consultant(session=session, key=consultant).id if consultant else None
        )
        rows = visits_mod.list_visits(
            session=session, campaign_id=camp.id, consultant_id=k_id, missing_result=missing
        )
    if as_json:
        echo_json(
            {
                "campaign": campaign,
                "visits": [
                    {
                        "booking_id": r.booking_id,
                        "start": r.start.isoformat(),
                        "company": r.company_name,
                        "cvr": r.cvr,
                        "consultant": r.consultant_name,
                        "jobcenter": r.jobcenter_name,
                        "status": r.result.status.value if r.result else None,
                        "company_cancel_reason": (
                            r.result.company_cancel_reason.value
                            if r.result and r.result.company_cancel_reason
                            else None
                        ),
                        "agreements": {c.value: n for c, n in r.agreements.items()},
                        "note": r.result.note if r.result else None,
                    }
                    for r in rows
                ],
            }
        )
        return
    if not rows:
        typer.echo("Ingen besøg at vise.")
        return
    for r in rows:
        status = visits_mod.MEETING_STATUS_LABELS[r.result.status] if r.result else "uden resultat"
        agreed = ", ".join(f"{c.label} {n}" for c, n in r.agreements.items())
        typer.echo(
            f"#{r.booking_id} {format_local(r.start)}  {r.company_name} "
            f"(CVR {r.cvr or '–'})  {r.consultant_name}: {status}"
            + (f"  [{agreed}]" if agreed else "")
        )
    typer.echo(f"{len(rows)} besøg.")


@app.command("result")
def result(
    ctx: typer.Context,
    booking_id: Annotated[int, typer.Argument(help="Besøgets nummer (fra visits list).")],
    status: Annotated[
        str,
        typer.Option(
            "--status",
            "-s",
            help="afholdt, aflyst af virksomheden, aflyst af konsulenten, konsulent udeblev, "
            "afkortet/telefonisk eller flyttet.",
        ),
    ],
    reason: Annotated[
        str | None,
        typer.Option(
            "--reason",
            help="Når virksomheden aflyste: travlhed, ændret holdning, glemt eller andet.",
        ),
    ] = None,
    agreement: Annotated[
        list[str] | None,
        typer.Option(
            "--agreement",
            "-a",
            help="Aftale: KATEGORI=ANTAL pladser, fx -a fleksjob=2 -a løntilskud=1.",
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Fri note om besøget.")] = None,
    by: Annotated[str, typer.Option("--by", help="Hvem registrerer (revisionsspor).")] = "cli",
) -> None:
    """Registrér (eller ret) resultatet af et besøg."""
    meeting = vocabulary.parse(MeetingStatus, status)
    cancel = vocabulary.parse(CompanyCancelReason, reason) if reason else None
    agreements = parse_agreements(agreement or [])
    db = state(ctx).db()
    with db.session(write=True) as session:
        visits_mod.record_visit_result(
            session=session,
            booking_id=booking_id,
            status=meeting,
            actor=by,
            company_cancel_reason=cancel,
            agreements=agreements,
            note=note,
        )
    total = sum(agreements.values())
    typer.echo(
        f"Besøg #{booking_id}: {visits_mod.MEETING_STATUS_LABELS[meeting]} registreret"
        + (f", {total} aftalte pladser." if total else ".")
    )


@app.command("import", short_help="Importér besøgsresultater fra CSV/Excel.")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV eller Excel fra jobcentret.")],
    campaign: CampaignOpt,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Fil til afviste rækker (standard: NAVN.afviste.csv)."),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Hvem importerer (revisionsspor).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Importér besøgsresultater: CVR eller Booking-id, Status, én kolonne pr. aftalekategori."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        res = visits_mod.import_visit_results(
            session=session, campaign=camp, path=file, actor=by, rejects_path=rejects
        )
    if as_json:
        echo_json(
            {
                **res.common_json(),
                "file": str(file),
                "registered": res.registered,
                "updated": res.updated,
                "rejects": [{"line": r.line, "reason": r.reason} for r in res.rejects],
            }
        )
        return
    typer.echo(
        f"{file.name}: {res.registered} besøg registreret, {res.updated} rettet, "
        f"{count(len(res.rejects), 'række', 'rækker')} afvist."
    )
    for r in res.rejects[:20]:
        typer.echo(f"  linje {r.line}: {r.reason}")
    if len(res.rejects) > 20:
        typer.echo(f"  ... og {len(res.rejects) - 20} mere.")
    if res.rejects_path:
        typer.echo(f"De afviste rækker står i {res.rejects_path}: ret dem og importér filen igen.")
