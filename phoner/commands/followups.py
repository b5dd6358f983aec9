"""``phoner followups``: the promises made to companies — list them and mark them done."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from phoner.commands.common import echo_json, state
from phoner.core import campaigns, consultants, vocabulary
from phoner.core import followups as fu
from phoner.core.display import count, format_date
from phoner.core.errors import InvalidInput
from phoner.core.jobcenters import find_jobcenter
from phoner.core.models import AgreementCategory
from phoner.core.phones import format_phone

app = typer.Typer(help="Opfølgninger: hvem ringer til hvem, og hvornår.", no_args_is_help=True)

CampaignOpt = Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Skriv ét JSON-objekt på stdout.")]


@app.command("list")
def list_(
    ctx: typer.Context,
    campaign: CampaignOpt,
    consultant: Annotated[
        str | None,
        typer.Option("--consultant", "-k", help="Kun denne konsulents (e-mail eller navn)."),
    ] = None,
    jobcenter: Annotated[
        str | None, typer.Option("--jobcenter", "-j", help="Kun dette jobcenters.")
    ] = None,
    include_done: Annotated[bool, typer.Option("--all", help="Vis også de udførte.")] = False,
    only_overdue: Annotated[
        bool, typer.Option("--overdue", help="Kun dem, hvis frist er overskredet.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Vis opfølgninger; dem med overskredet frist står øverst."""
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        assert camp.id is not None
        k_id = None
        if consultant:
            k_id = consultants.get_consultant(session=session, key=consultant).id
        jc_id = None
        if jobcenter:
            jc_id = find_jobcenter(session=session, text=jobcenter, create=False).id
        rows = fu.list_followups(
            session=session,
            campaign_id=camp.id,
            consultant_id=k_id,
            jobcenter_id=jc_id,
            include_done=include_done,
            only_overdue=only_overdue,
        )
    if as_json:
        echo_json(
            {
                "campaign": campaign,
                "followups": [
                    {
                        "id": r.id,
                        "kind": r.kind.value,
                        "company": r.company_name,
                        "cvr": r.company_cvr,
                        "phone": r.company_phone,
                        "jobcenter": r.jobcenter_name,
                        "consultant": r.consultant_name,
                        "due_date": r.due_date.isoformat(),
                        "overdue": r.overdue,
                        "done_at": r.done_at.isoformat() if r.done_at else None,
                        "description": r.description,
                    }
                    for r in rows
                ],
            }
        )
        return
    if not rows:
        typer.echo("Ingen opfølgninger at vise.")
        return
    overdue = sum(1 for r in rows if r.overdue)
    for r in rows:
        mark = "OVERSKREDET " if r.overdue else ("udført " if r.done else "")
        phone = format_phone(r.company_phone) if r.company_phone else "–"
        typer.echo(
            f"#{r.id} {mark}frist {format_date(r.due_date)}  {vocabulary.label(r.kind)}: "
            f"{r.company_name} ({phone})  ansvarlig: {r.consultant_name or 'ingen'}  – "
            f"{r.description}"
        )
    typer.echo(
        f"{count(len(rows), 'opfølgning', 'opfølgninger')}, heraf {overdue} med overskredet frist."
    )


@app.command("done")
def done(
    ctx: typer.Context,
    followup_id: Annotated[int, typer.Argument(help="Opfølgningens nummer (fra followups list).")],
    by: Annotated[str, typer.Option("--by", help="Hvem har udført den (revisionsspor).")] = "cli",
    note: Annotated[str | None, typer.Option("--note", help="Hvad kom der ud af det.")] = None,
) -> None:
    """Markér en opfølgning som udført."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        fu.mark_done(session=session, followup_id=followup_id, actor=by, note=note)
    typer.echo(f"Opfølgning #{followup_id} er markeret som udført.")


def _due(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise typer.BadParameter(f"{text!r} er ikke en dato; skriv fx 2026-10-20", param_hint="--due")


def _category(word: str) -> AgreementCategory:
    """The agreement category of ``--category`` (it named ``--agreement`` when wrong)."""
    found = vocabulary.lookup(AgreementCategory, word)
    if found is None:
        raise InvalidInput(
            f"--category {word!r} er ikke en kategori.",
            hint="Kategorier: " + ", ".join(c.value for c in AgreementCategory) + ".",
        )
    return found


@app.command("add")
def add(
    ctx: typer.Context,
    campaign: CampaignOpt,
    text: Annotated[str, typer.Option("--text", "-t", help="Hvad er lovet virksomheden.")],
    due: Annotated[str, typer.Option("--due", help="Frist (YYYY-MM-DD eller DD-MM-YYYY).")],
    booking: Annotated[
        int | None, typer.Option("--booking", help="Besøget, aftalen blev lavet ved.")
    ] = None,
    cvr: Annotated[str | None, typer.Option("--cvr", help="Virksomhedens CVR-nummer.")] = None,
    category: Annotated[
        str | None,
        typer.Option("--category", help="Aftalens kategori, fx fleksjob (knytter til aftalen)."),
    ] = None,
    consultant: Annotated[
        str | None,
        typer.Option("--consultant", "-k", help="Ansvarlig (standard: besøgets konsulent)."),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Hvem opretter (revisionsspor).")] = "cli",
) -> None:
    """Opret en opfølgning med ansvarlig og frist, fx for en aftale fra et besøg."""
    cat = _category(category) if category else None
    due_date = _due(due)
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        k_id = (
            consultants.get_consultant(session=session, key=consultant).id if consultant else None
        )
        f = fu.add_followup(
            session=session,
            campaign=camp,
            due_date=due_date,
            description=text,
            actor=by,
            consultant_id=k_id,
            booking_id=booking,
            cvr=cvr,
            category=cat,
        )
    typer.echo(f"Opfølgning #{f.id} er oprettet med frist {format_date(f.due_date)}.")
