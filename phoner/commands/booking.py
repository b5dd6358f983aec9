"""``phoner book`` and ``phoner booking move|cancel|list``: visits from the command line,
under the same rules as in the phoner's screen."""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from phoner.commands.common import echo_json, print_table, state
from phoner.core import campaigns, vocabulary
from phoner.core.booking import importing as booking_import
from phoner.core.booking import service as bk
from phoner.core.booking.import_rows import DEFAULT_BOOKED_BY
from phoner.core.booking.listing import BookingView, list_bookings
from phoner.core.booking.rules import Slot, not_bookable
from phoner.core.clock import parse_local, to_local
from phoner.core.companies import company_by_cvr
from phoner.core.consultants import get_consultant
from phoner.core.display import count, format_local, format_slot
from phoner.core.errors import ActorMissing, InvalidInput
from phoner.core.models import BookingStatus, CancelReason, Company
from phoner.core.phones import format_phone

app = typer.Typer(
    help="Flyt, aflys og vis bookede besøg, og importér besøg booket andre steder.",
    no_args_is_help=True,
)

ByOpt = Annotated[str, typer.Option("--by", help="Hvem (navn), til revisionssporet.")]


def _parse_at(text: str) -> dt.datetime:
    try:
        return parse_local(text)
    except ValueError:
        raise InvalidInput(
            f"--at {text!r} er ikke et tidspunkt.",
            hint='Skriv dansk tid som "ÅÅÅÅ-MM-DD TT:MM", fx --at "2027-03-30 09:00".',
        ) from None


def _company(session: Session, campaign_name: str, cvr: str) -> Company:
    camp = campaigns.get_campaign(session=session, name=campaign_name)
    return company_by_cvr(session=session, campaign=camp, cvr=cvr)


def _slot_lines(slots: list[Slot]) -> list[str]:
    return [f"  {i}. {s.label()}" for i, s in enumerate(slots, 1)]


def book(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Option("--campaign", help="Kampagnens navn.")],
    cvr: Annotated[str, typer.Option("--cvr", help="Virksomhedens CVR-nummer.")],
    consultant: Annotated[
        str | None, typer.Option("--consultant", help="Konsulentens navn eller e-mail.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help='Dansk tid "ÅÅÅÅ-MM-DD TT:MM". Uden --at vises de første ledige.'
        ),
    ] = None,
    contact: Annotated[str | None, typer.Option("--contact", help="Kontaktperson.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Kontaktens e-mail.")] = None,
    mobile: Annotated[str | None, typer.Option("--mobile", help="Kontaktens mobil.")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Hvem (navn), til revisionssporet.")
    ] = None,
    anyway: Annotated[
        bool,
        typer.Option(
            "--anyway",
            help="Book alligevel en virksomhed, som jobcentret har fjernet i clearingen, "
            "eller som er uden for målgruppen (kræver --by; skrives i revisionssporet).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Book et virksomhedsbesøg efter kampagnens regler (uden --at: vis ledige tider)."""
    if anyway and not (by and by.strip()):
        raise ActorMissing("En undtagelse med --anyway skal have et navn.")
    db = state(ctx).db()
    with db.session() as session:
        company = _company(session, campaign, cvr)
        assert company.id is not None
        refusal = not_bookable(company)
        if refusal is not None and not anyway:
            raise refusal
        cons = get_consultant(session=session, key=consultant) if consultant else None
        if at is None:
            slots = bk.find_slots(
                session=session,
                company_id=company.id,
                consultant_id=cons.id if cons else None,
                limit=10,
            )
            if as_json:
                echo_json(
                    {
                        "company": company.name,
                        "slots": [
                            {
                                "consultant": s.consultant_name,
                                "consultant_id": s.consultant_id,
                                "start": to_local(s.start).isoformat(),
                                "end": to_local(s.end).isoformat(),
                            }
                            for s in slots
                        ],
                    }
                )
                return
            if not slots:
                typer.echo(f"Ingen ledige tider for {company.name} inden for bookinghorisonten.")
                raise typer.Exit(1)
            typer.echo(f"Første ledige tider for {company.name}:")
            typer.echo("\n".join(_slot_lines(slots)))
            return
    if cons is None or cons.id is None:
        raise InvalidInput("Angiv konsulenten med --consultant NAVN, når du booker med --at.")
    assert company.id is not None
    b = bk.book_visit(
        db=db,
        company_id=company.id,
        consultant_id=cons.id,
        start=_parse_at(at),
        booked_by=by or "cli",
        contact_person=contact,
        contact_email=email,
        contact_mobile=mobile,
        workspace=state(ctx).settings.workspace,
        anyway=anyway,
    )
    if as_json:
        echo_json(_booking_json(b, company.name, cons.name))
        return
    typer.echo(
        f"Besøg nr. {b.id} er booket: {company.name} {format_slot(b.start, b.end)} hos {cons.name}."
    )


def _booking_json(b: BookingView, company: str, consultant: str) -> dict[str, object]:
    return {
        "id": b.id,
        "uid": b.uid,
        "company": company,
        "consultant": consultant,
        "start": to_local(b.start).isoformat(),
        "end": to_local(b.end).isoformat(),
        "status": b.status.value,
        "cancel_reason": b.cancel_reason.value if b.cancel_reason else None,
        "sequence": b.sequence,
        "booked_by": b.booked_by,
        "contact_person": b.contact_person,
        "contact_email": b.contact_email,
        "contact_mobile": b.contact_mobile,
    }


@app.command("move")
def move(
    ctx: typer.Context,
    booking_id: Annotated[int, typer.Argument(help="Besøgets nummer (se phoner booking list).")],
    at: Annotated[str, typer.Option("--at", help='Ny dansk tid "ÅÅÅÅ-MM-DD TT:MM".')],
    consultant: Annotated[
        str | None, typer.Option("--consultant", help="Flyt til en anden konsulent.")
    ] = None,
    by: ByOpt = "cli",
) -> None:
    """Flyt et besøg til en ny tid (og evt. en anden konsulent) efter reglerne."""
    db = state(ctx).db()
    cid = None
    if consultant:
        with db.session() as session:
            cid = get_consultant(session=session, key=consultant).id
    b = bk.move_booking(
        db=db, booking_id=booking_id, start=_parse_at(at), actor=by, consultant_id=cid
    )
    extra = f" (nyt nummer {b.id})" if b.id != booking_id else ""
    typer.echo(f"Besøg nr. {booking_id} er flyttet til {format_local(b.start)}{extra}.")


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    booking_id: Annotated[int, typer.Argument(help="Besøgets nummer.")],
    reason: Annotated[
        str,
        typer.Option("--reason", help="virksomhed, konsulent eller flyttet."),
    ],
    note: Annotated[str | None, typer.Option("--note", help="Fri tekst.")] = None,
    by: ByOpt = "cli",
) -> None:
    """Aflys et besøg. Det forsvinder fra konsulentens kalender, og konsulenten får besked."""
    db = state(ctx).db()
    b = bk.cancel_booking(
        db=db,
        booking_id=booking_id,
        reason=vocabulary.parse(CancelReason, reason),
        actor=by,
        note=note,
    )
    assert b.cancel_reason is not None
    typer.echo(
        f"Besøg nr. {booking_id} ({format_local(b.start)}) er aflyst: "
        f"{vocabulary.label(b.cancel_reason)}."
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign", help="Kun denne kampagne.")] = None,
    consultant: Annotated[
        str | None, typer.Option("--consultant", help="Kun denne konsulent.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Også aflyste og afholdte besøg.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Vis bookede besøg (kommende, medmindre --all)."""
    db = state(ctx).db()
    with db.session() as session:
        camp_id = campaigns.get_campaign(session=session, name=campaign).id if campaign else None
        cons_id = get_consultant(session=session, key=consultant).id if consultant else None
        rows = list_bookings(
            session=session,
            campaign_id=camp_id,
            consultant_id=cons_id,
            include_cancelled=all_,
            since=None if all_ else dt.datetime.now(dt.UTC),
        )
    if as_json:
        echo_json(
            {
                "bookings": [
                    _booking_json(r.booking, r.company.name, r.consultant.name) for r in rows
                ]
            }
        )
        return
    if not rows:
        typer.echo("Ingen bookede besøg.")
        return
    table = Table("Nr.", "Tid", "Virksomhed", "Konsulent", "Kontakt", "Status", title="Besøg")
    for r in rows:
        b = r.booking
        status = (
            "booket"
            if b.status == BookingStatus.BOOKED
            else f"aflyst ({vocabulary.label(b.cancel_reason) if b.cancel_reason else ''})"
        )
        contact = ", ".join(
            p
            for p in (
                b.contact_person,
                format_phone(b.contact_mobile) if b.contact_mobile else None,
            )
            if p
        )
        table.add_row(
            str(b.id), format_local(b.start), r.company.name, r.consultant.name, contact, status
        )
    print_table(table)


@app.command("import", short_help="Importér besøg, der er booket uden for phoner (CSV/Excel).")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV eller Excel med de bookede besøg.")],
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")],
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Fil til afviste rækker (standard: NAVN.afviste.csv)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Hvem importerer (revisionsspor; også Booket af, hvor den er tom)."
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Arket i Excel-filen (standard: det første).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Skriv ét JSON-objekt på stdout.")
    ] = False,
) -> None:
    """Importér besøg booket andre steder (fx af et bookingbureau direkte i Outlook).

    Kolonner: CVR (eller P-nr.), Konsulent (e-mail eller navn), Start (ÅÅÅÅ-MM-DD TT:MM,
    dansk tid; eller Dato og Tid), og gerne Varighed (minutter) eller Slut, Kontaktperson,
    E-mail, Mobil, Note, Booket af, Booket den og Status (booket/aflyst).
    Bookingreglerne håndhæves ikke (besøget er allerede aftalt), men rækker uden for
    reglerne tælles op. Der sendes ingen invitationer. Samme fil igen ændrer intet.
    """
    db = state(ctx).db()
    s = booking_import.import_bookings(
        db=db,
        path=file,
        campaign_name=campaign,
        actor=by or "cli",
        booked_by=by or DEFAULT_BOOKED_BY,
        rejects_path=rejects,
        progress=_ImportProgress(file.name, quiet=as_json),
        sheet=sheet,
    )
    if s.imported:
        db.refresh_statistics()
    if as_json:
        echo_json(s.to_json())
        return
    typer.echo(
        f"{file.name}: {count(s.read, 'række', 'rækker')} læst, "
        f"{count(s.imported, 'besøg', 'besøg')} importeret, {s.unchanged} uændret"
        + (f", {s.cancelled} aflyst" if s.cancelled else "")
        + f", {s.rejected} afvist."
    )
    if s.outside_rules_rows:
        typer.echo(
            f"{count(s.outside_rules_rows, 'besøg', 'besøg')} ligger uden for kampagnens "
            "bookingregler (importeret alligevel):"
        )
        for rule, label in booking_import.RULE_LABELS.items():
            if s.outside_rules.get(rule):
                typer.echo(f"  {s.outside_rules[rule]:>5}  {label}")
    for r in s.rejects[:20]:
        typer.echo(f"  linje {r.line}: {r.reason}")
    if len(s.rejects) > 20:
        typer.echo(f"  ... og {len(s.rejects) - 20} mere.")
    if s.rejects_file is not None:
        typer.secho(
            f"De afviste rækker står i {s.rejects_file} med linjenummer og årsag. Ret dem og "
            "importér filen igen (de indlæste rækker springes over).",
            fg="yellow",
        )


class _ImportProgress:
    """The import's progress on stderr: only on a terminal (not under CI, not with
    --json), at most a few times a second, and only for a long file."""

    def __init__(self, name: str, *, quiet: bool) -> None:
        self._name = name
        self._live = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
        self._last = 0.0

    def __call__(self, p: booking_import.BookingImportProgress) -> None:
        if not self._live or p.rows_total < 2 * booking_import.BATCH_ROWS:
            return
        now = time.monotonic()
        final = p.rows_done >= p.rows_total
        if not final and now - self._last < 0.25:
            return
        self._last = now
        pct = 100 * p.rows_done // p.rows_total
        typer.echo(
            f"\r{self._name}: {p.rows_done:,} af {p.rows_total:,} rækker ({pct} %)".replace(
                ",", "."
            ),
            err=True,
            nl=final,
        )
