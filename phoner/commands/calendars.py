"""``phoner calendars build|urls|status|rotate``, ``phoner serve`` and ``phoner reminders``:
the consultants' calendar feeds, who has seen them, and reminders by e-mail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session, col, select

from phoner.commands import outbox as outbox_cmd
from phoner.commands.common import echo_json, print_table, state
from phoner.core import feeds, visit_pages
from phoner.core.consultants import get_consultant, rotate_token
from phoner.core.display import format_local, format_stamp
from phoner.core.errors import InvalidInput
from phoner.core.models import Consultant, Setting

app = typer.Typer(help="Konsulenternes kalenderabonnementer.", no_args_is_help=True)

BASE_URL_KEY = visit_pages.BASE_URL_KEY
DEFAULT_BASE_URL = visit_pages.DEFAULT_BASE_URL
ByOpt = Annotated[str, typer.Option("--by", help="Hvem (navn), til revisionssporet.")]


def base_url(session: Session, override: str | None = None) -> str:
    if override:
        url = override.strip().rstrip("/")
    else:
        setting = session.get(Setting, BASE_URL_KEY)
        url = setting.value if setting else DEFAULT_BASE_URL
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(
            f"Adressen {url!r} skal begynde med https:// eller http://.",
            hint="Fx --base-url https://kalender.jobcenter.dk",
        )
    return visit_pages.check_base_url(url)


def save_base_url(session: Session, url: str) -> None:
    """Save ``url`` as the workspace's public address (feeds, pages, invitations)."""
    setting = session.get(Setting, BASE_URL_KEY) or Setting(key=BASE_URL_KEY, value=url)
    setting.value = url
    session.add(setting)


def feed_urls(base: str, token: str) -> tuple[str, str]:
    """(http(s) URL, webcal URL) of a consultant's feed."""
    http = f"{base}/kalender/{token}.ics"
    return http, "webcal://" + http.split("://", 1)[1]


@app.command("build")
def build(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Mappe til .ics-filerne (standard: calendars/).")
    ] = None,
) -> None:
    """Skriv én .ics-fil pr. konsulent (til deling som fil; phoner serve udgiver dem live)."""
    st = state(ctx)
    folder = out or st.settings.calendars_dir
    with st.db().session() as session:
        written = feeds.write_feeds(session=session, out_dir=folder)
    changed = sum(1 for *_x, c in written if c)
    typer.echo(
        f"{len(written)} kalendere i {folder} ({changed} ændret, {len(written) - changed} uændret)."
    )


@app.command("urls")
def urls(
    ctx: typer.Context,
    base: Annotated[
        str | None,
        typer.Option("--base-url", help="Serverens offentlige adresse, fx https://kalender.dk."),
    ] = None,
    save: Annotated[
        bool, typer.Option("--save", help="Gem --base-url som standard for arbejdsområdet.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Vis hver konsulents abonnementsadresse (https/http og webcal)."""
    db = state(ctx).db()
    with db.session(write=save) as session:
        url = base_url(session, base)
        if save:
            if not base:
                raise InvalidInput("--save kræver --base-url.")
            save_base_url(session, url)
        consultants = session.exec(
            select(Consultant)
            .where(col(Consultant.active).is_(True))
            .order_by(col(Consultant.name))
        ).all()
        rows = [(c, *feed_urls(url, c.feed_token)) for c in consultants]
        pages = {c.id: visit_pages.consultant_url(url, c) for c in consultants}
    if as_json:
        echo_json(
            {
                "base_url": url,
                "consultants": [
                    {
                        "name": c.name,
                        "email": c.email,
                        "url": http,
                        "webcal": webcal,
                        "page": pages[c.id],
                    }
                    for c, http, webcal in rows
                ],
            }
        )
        return
    if not rows:
        typer.echo("Ingen konsulenter endnu. Importér dem med: phoner consultants import FIL")
        return
    for c, http, webcal in rows:
        typer.echo(f"{c.name} <{c.email}>")
        typer.echo(f"  {http}")
        typer.echo(f"  {webcal}")
        typer.echo(f"  Side med besøg og opfølgninger: {pages[c.id]}")
    if url.startswith("http://") and not url.startswith(("http://127.", "http://localhost")):
        typer.echo("Bemærk: adressen bruger http uden kryptering; brug https udadtil.", err=True)


@app.command("status")
def status(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Vis alle konsulenter.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Hvem har ikke set deres kalender? (aldrig hentet, eller besøg booket siden)."""
    db = state(ctx).db()
    with db.session() as session:
        rows = feeds.feed_status(session=session)
    shown = [r for r in rows if all_ or r.needs_chasing]
    if as_json:
        echo_json(
            {
                "consultants": [
                    {
                        "name": r.consultant.name,
                        "email": r.consultant.email,
                        "jobcenter": r.jobcenter,
                        "last_fetch": r.last_fetch.isoformat() if r.last_fetch else None,
                        "upcoming": r.upcoming,
                        "unseen": r.unseen,
                        "next_unseen": r.next_unseen.isoformat() if r.next_unseen else None,
                        "needs_chasing": r.needs_chasing,
                    }
                    for r in shown
                ]
            }
        )
        return
    if not shown:
        typer.echo("Alle konsulenter har hentet deres kalender efter de seneste bookinger.")
        return
    table = Table(
        "Konsulent",
        "Jobcenter",
        "Sidst hentet",
        "Kommende",
        "Ikke set",
        "Første ikke sete",
        title="Kalenderstatus",
    )
    for r in shown:
        table.add_row(
            f"{r.consultant.name} <{r.consultant.email}>",
            r.jobcenter,
            format_stamp(r.last_fetch) if r.last_fetch else "aldrig",
            str(r.upcoming),
            str(r.unseen),
            format_local(r.next_unseen) if r.next_unseen else "–",
        )
    print_table(table)
    chase = sum(1 for r in shown if r.needs_chasing)
    if chase:
        typer.echo(
            f"{chase} konsulent(er) skal kontaktes, før besøgene finder sted "
            "(abonnér på adressen fra: phoner calendars urls)."
        )


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    consultant: Annotated[str, typer.Argument(help="Konsulentens navn eller e-mail.")],
    base: Annotated[str | None, typer.Option("--base-url", help="Serverens adresse.")] = None,
    by: ByOpt = "cli",
) -> None:
    """Giv en konsulent en ny, hemmelig kalenderadresse og nye links til besøgssiderne; de
    gamle holder op med at virke."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        c = get_consultant(session=session, key=consultant)
        token = rotate_token(session=session, consultant=c, actor=by)
        url = base_url(session, base)
        page = visit_pages.consultant_url(url, c)
    http, webcal = feed_urls(url, token)
    typer.echo(f"Ny kalenderadresse for {c.name} (den gamle virker ikke længere):")
    typer.echo(f"  {http}\n  {webcal}")
    typer.echo(f"Ny side med besøg og opfølgninger: {page}")
    typer.echo(
        "Alle gamle links til besøgssiderne (i kalenderen og i sendte invitationer) virker "
        "ikke længere; kalenderen får de nye ved næste opdatering."
    )


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option("--host", help="Adresse at lytte på (standard kun lokalt).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8080,
    send_every: Annotated[
        float,
        typer.Option(
            "--send-every",
            envvar="PHONER_OUTBOX_POLL_SECONDS",
            min=0.05,
            max=60,
            help="Sekunder mellem hver tømning af udbakken (standard 5).",
        ),
    ] = 5.0,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Send ikke e-mails (en anden proces gør det).")
    ] = False,
    out: outbox_cmd.OutOpt = None,
    sender: outbox_cmd.FromOpt = None,
    public: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Den offentlige adresse, fx https://kalender.jobcenter.dk (gemmes til "
            "links i kalendere og invitationer).",
        ),
    ] = None,
) -> None:
    """Udgiv kalenderne live på /kalender/<hemmelig-nøgle>.ics og send e-mails fra udbakken.

    Den ene tjeneste, der skal køre hele tiden: den sender invitationer, påmindelser og
    beskeder (SMTP via PHONER_SMTP_HOST, ellers .eml-filer i udbakke/) og svarer på
    GET /health (JSON; 503, når afsendelsen halter). Stop med Ctrl+C eller SIGTERM.

    Konsulenternes sider (/besoeg/... og /konsulent/...) ligger på samme server; links i
    kalenderne begynder med --base-url (gemmes til invitationerne), ellers den gemte
    adresse fra phoner calendars urls --save, ellers serverens egen adresse.
    """
    from phoner.core.sender import SenderService
    from phoner.feed.server import bind
    from phoner.feed.server import serve as run_server  # lazy: keeps the CLI fast

    db = state(ctx).db()
    with db.session(write=public is not None) as session:
        if public is not None:
            links = base_url(session, public)
            save_base_url(session, links)  # invitations are written by other processes
        else:
            links = visit_pages.saved_base_url(session=session) or _own_address(host, port)
    sock = bind(host, port)  # a taken port is said, in Danish, before anything runs
    service = None
    if not no_send:
        transport = outbox_cmd.make_transport(ctx, out=out)
        outbox_cmd.check_sender(transport, sender, warn=True)
        service = SenderService(db, transport, poll_seconds=send_every, sender=sender)
    typer.echo(
        f"Kalenderserveren kører på http://{host}:{port}/kalender/ "
        "(adresserne: phoner calendars urls). Stop med Ctrl+C.",
    )
    typer.echo(f"Konsulenternes sider og links i kalenderne: {links}/besoeg/...")
    if service is not None:
        typer.echo(
            f"E-mails i udbakken sendes {service.description} hvert {send_every:g}. sekund; "
            f"status: http://{host}:{port}/health"
        )
    run_server(db, host=host, port=port, sender=service, sock=sock, base_url=links)


def _own_address(host: str, port: int) -> str:
    """The server's own address for links when no public one is given or saved."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def reminders(
    ctx: typer.Context,
    due: Annotated[
        bool, typer.Option("--due", help="Send de påmindelser og beskeder, der er forfaldne nu.")
    ] = False,
    out: outbox_cmd.OutOpt = None,
    smtp_host: outbox_cmd.SmtpHostOpt = None,
    smtp_port: outbox_cmd.SmtpPortOpt = None,
    sender: outbox_cmd.FromOpt = None,
) -> None:
    """Påmindelser til virksomheder før besøget og besked til konsulenter om ændringer.

    Uden --due vises kun, hvad der er forfaldent. Med --due lægges de i udbakken og
    sendes med det samme sammen med alt andet, der venter dér: med SMTP (--smtp-host
    eller PHONER_SMTP_HOST, evt. PHONER_SMTP_USER/_PASSWORD/_STARTTLS/_FROM) som e-mails,
    ellers som .eml-filer i udbakke/. Hver besked lægges i udbakken én gang. phoner serve
    gør det samme hele tiden.
    """
    from phoner.core import reminders as rem

    db = state(ctx).db()
    if not due:
        with db.session() as session:
            messages, skipped = rem.due_messages(session=session)
        if not messages and not skipped:
            typer.echo("Intet er forfaldent lige nu.")
            return
        for m in messages:
            kind = "Påmindelse" if m.kind == "reminder" else "Besked til konsulent"
            typer.echo(f"{kind} til {m.to}: {m.subject}")
        for _bid, reason in skipped:
            typer.secho(f"Springes over: {reason}", fg="yellow")
        typer.echo("Send dem med: phoner reminders --due")
        return
    transport = outbox_cmd.make_transport(ctx, out=out, smtp_host=smtp_host, smtp_port=smtp_port)
    outbox_cmd.check_sender(transport, sender)
    result = rem.send_due(db=db, transport=transport, sender=sender)
    reminders_n = sum(1 for m in result.queued if m.kind == "reminder")
    notices_n = len(result.queued) - reminders_n
    typer.echo(
        f"{reminders_n} påmindelser til virksomheder og {notices_n} beskeder til konsulenter "
        "lagt i udbakken."
    )
    for _bid, reason in result.skipped:
        typer.secho(f"Ikke sendt: {reason}", fg="yellow", err=True)
    code = outbox_cmd.echo_report(result.outbox)
    if code:
        raise typer.Exit(code)
