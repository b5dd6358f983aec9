"""``phoner outbox send|status|retry|mailbox``: the e-mails waiting to leave, and why.

Every e-mail phoner sends (invitations, cancellations, reminders, notices) goes through
the outbox; ``phoner serve`` sends continuously, ``phoner outbox send`` once (cron).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import echo_json, state
from phoner.commands.hints import cli_hint
from phoner.core import outbox as ob
from phoner.core import visit_pages
from phoner.core.campaigns import get_campaign
from phoner.core.consultants import email_is_valid
from phoner.core.display import format_stamp
from phoner.core.errors import InvalidInput
from phoner.core.mail import (
    EmlFolder,
    SmtpConfig,
    SmtpTransport,
    Transport,
    is_placeholder,
    placeholder_sender_error,
)

app = typer.Typer(help="Udbakken: e-mails, der venter, er sendt eller er afvist.")

KIND_DA = {
    "invitation": "invitation",
    "cancellation": "aflysning",
    "confirmation": "bekræftelse",
    "reminder": "påmindelse",
    "notice": "besked til konsulent",
}
STATUS_DA = {"queued": "venter", "sending": "sendes", "sent": "sendt", "failed": "afvist"}

OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Mappe til .eml-filer, når SMTP ikke er sat op (udbakke/)."),
]
SmtpHostOpt = Annotated[
    str | None, typer.Option("--smtp-host", envvar="PHONER_SMTP_HOST", help="SMTP-server.")
]
SmtpPortOpt = Annotated[
    int | None, typer.Option("--smtp-port", envvar="PHONER_SMTP_PORT", help="SMTP-port.")
]
FromOpt = Annotated[
    str | None,
    typer.Option(
        "--from",
        envvar="PHONER_SMTP_FROM",
        help="Afsenderadresse, når kampagnen ikke har sin egen postkasse.",
    ),
]


def make_transport(
    ctx: typer.Context,
    *,
    out: Path | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
) -> Transport:
    """SMTP from PHONER_SMTP_* (and --smtp-host/--smtp-port), else .eml files."""
    st = state(ctx)
    smtp = SmtpConfig.from_env()
    if smtp_host:
        smtp = dataclasses.replace(
            smtp or SmtpConfig(host=smtp_host), host=smtp_host, port=smtp_port or 25
        )
    if smtp is not None:
        return SmtpTransport(smtp)
    return EmlFolder(out or st.settings.workspace / "udbakke")


def check_sender(transport: Transport, sender: str | None, *, warn: bool = False) -> None:
    """Refuse a placeholder --from/PHONER_SMTP_FROM for SMTP; with ``warn``, also say so
    when SMTP has no sender at all (campaigns with a mailbox still send)."""
    if not transport.needs_real_sender:
        return
    if sender and is_placeholder(sender):
        raise placeholder_sender_error(sender)
    if warn and is_placeholder(sender or transport.default_sender):
        err = placeholder_sender_error(sender or transport.default_sender)
        typer.secho(f"Bemærk: {err.message}", fg="yellow", err=True)
        hint = cli_hint(err)
        if hint:
            typer.echo(hint, err=True)


def echo_report(report: ob.SendReport) -> int:
    """Print a send report in Danish; the exit code (1 when something needs a person)."""
    kinds: dict[str, int] = {}
    for d in report.sent:
        kinds[d.kind] = kinds.get(d.kind, 0) + 1
    what = ", ".join(f"{n} {KIND_DA.get(k, k)}" for k, n in sorted(kinds.items()))
    typer.echo(f"{len(report.sent)} e-mails sendt {report.via}" + (f" ({what})." if what else "."))
    if report.requeued_stale:
        typer.echo(
            f"{report.requeued_stale} afbrudte afsendelser er lagt i kø igen "
            "(modtageren kan få dem to gange)."
        )
    for r in report.deferred:
        typer.secho(
            f"Venter: nr. {r.id} til {r.recipient}: {r.reason} (prøves igen senere).",
            fg="yellow",
            err=True,
        )
    for r in report.failed:
        typer.secho(
            f"Afvist: nr. {r.id} til {r.recipient}: {r.reason}. Ret adressen, og send igen "
            f"med: phoner outbox retry {r.id}",
            fg="red",
            err=True,
        )
    if report.problem:
        typer.secho(f"Bemærk: {report.problem}", fg="yellow", err=True)
    if report.waiting:
        typer.echo(f"{report.waiting} e-mails venter stadig i udbakken (phoner outbox status).")
    return 1 if report.problem or report.failed else 0


@app.command("send")
def send(
    ctx: typer.Context,
    out: OutOpt = None,
    smtp_host: SmtpHostOpt = None,
    smtp_port: SmtpPortOpt = None,
    sender: FromOpt = None,
) -> None:
    """Send alle e-mails i udbakken, der er klar nu, og stop (til cron og test).

    Med SMTP (PHONER_SMTP_HOST, evt. _PORT, _USER, _PASSWORD, _STARTTLS, _SSL, _FROM)
    sendes de; ellers skrives .eml-filer i udbakke/. phoner serve gør det hele tiden.
    """
    db = state(ctx).db()
    transport = make_transport(ctx, out=out, smtp_host=smtp_host, smtp_port=smtp_port)
    check_sender(transport, sender)
    report = ob.send_due(db, transport, sender=sender)
    code = echo_report(report)
    if code:
        raise typer.Exit(code)


def _when(ts: dt.datetime | None) -> str:
    return format_stamp(ts) if ts is not None else "–"


def _item_json(i: ob.OutboxItem) -> dict[str, object]:
    return {
        "id": i.id,
        "kind": i.kind,
        "recipient": i.recipient,
        "subject": i.subject,
        "status": i.status,
        "booking_id": i.booking_id,
        "attempts": i.attempts,
        "created_at": i.created_at.isoformat(),
        "next_attempt_at": i.next_attempt_at.isoformat(),
        "sent_at": i.sent_at.isoformat() if i.sent_at else None,
        "last_error": i.last_error,
    }


@app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Hvad venter, hvad er sendt, og hvad afviste serveren (med serverens svar)?"""
    db = state(ctx).db()
    with db.session() as session:
        s = ob.summary(session)
        links = visit_pages.saved_base_url(session=session)
    if as_json:
        echo_json(
            {
                "visit_page_links": links is not None,
                "counts": {k: s.counts.get(k, 0) for k in STATUS_DA},
                "due": s.due,
                "oldest_due": s.oldest_due.isoformat() if s.oldest_due else None,
                "last_sent_at": s.last_sent_at.isoformat() if s.last_sent_at else None,
                "failed": [_item_json(i) for i in s.failed],
                "waiting": [_item_json(i) for i in s.waiting],
            }
        )
        return
    c = s.counts
    typer.echo(
        f"Udbakken: {c.get('queued', 0) + c.get('sending', 0)} venter, {c.get('sent', 0)} sendt, "
        f"{c.get('failed', 0)} afvist. Senest sendt: {_when(s.last_sent_at)}."
    )
    if s.failed:
        typer.echo("Afvist af serveren (ret og send igen med: phoner outbox retry NR):")
        for i in s.failed:
            typer.echo(
                f"  nr. {i.id}  {KIND_DA.get(i.kind, i.kind)} til {i.recipient}: "
                f"{i.subject!r} – {i.last_error or 'ukendt fejl'}"
            )
    if links is None:
        typer.echo(
            f"Bemærk: {visit_pages.NO_BASE_URL_NOTE} Gem den med: phoner calendars urls "
            "--base-url https://... --save (eller phoner serve --base-url https://...)."
        )
    if s.waiting:
        typer.echo("Venter:")
        for i in s.waiting:
            note = f" – sidste svar: {i.last_error}" if i.last_error else ""
            typer.echo(
                f"  nr. {i.id}  {KIND_DA.get(i.kind, i.kind)} til {i.recipient}: "
                f"{STATUS_DA.get(i.status, i.status)}, forsøg {i.attempts}, "
                f"tidligst {_when(i.next_attempt_at)}{note}"
            )


@app.command("retry")
def retry(
    ctx: typer.Context,
    message_id: Annotated[int, typer.Argument(help="Beskedens nr. (phoner outbox status).")],
) -> None:
    """Læg en afvist e-mail i kø igen (fx når adressen er rettet hos modtageren)."""
    recipient = ob.retry(state(ctx).db(), message_id)
    typer.echo(
        f"Besked nr. {message_id} til {recipient} er lagt i kø igen; den sendes ved næste "
        "afsendelse (phoner serve, eller phoner outbox send)."
    )


@app.command("mailbox")
def mailbox(
    ctx: typer.Context,
    campaign: Annotated[str, typer.Argument(help="Kampagnens navn.")],
    address: Annotated[
        str | None, typer.Argument(help="Afsender- og arrangøradresse; udelad for at se den.")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Fjern kampagnens adresse.")] = False,
) -> None:
    """Kampagnens postkasse: afsender på e-mails og arrangør på invitationer."""
    db = state(ctx).db()
    with db.session(write=address is not None or clear) as session:
        camp = get_campaign(session=session, name=campaign)
        if address is not None or clear:
            value = None if clear else (address or "").strip().lower()
            if value is not None and (not email_is_valid(value) or is_placeholder(value)):
                raise InvalidInput(
                    f"{address!r} er ikke en rigtig e-mailadresse.",
                    hint="Skriv kommunens afsenderadresse, fx kampagne@kommune.dk.",
                )
            camp.mailbox = value
            session.add(camp)
        current = camp.mailbox
    if current:
        typer.echo(f"Kampagnen {camp.name!r} sender fra {current}.")
    else:
        typer.echo(
            f"Kampagnen {camp.name!r} har ingen postkasse; e-mails sendes fra PHONER_SMTP_FROM."
        )
