"""``phoner rounds``: plan the cleared list into rounds, start and close them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from phoner.commands.common import echo_json, state
from phoner.core import campaigns, vocabulary
from phoner.core import rounds as rounds_mod
from phoner.core.display import format_date

app = typer.Typer(help="Runder (omgange): planlæg, start og afslut.", no_args_is_help=True)

CampaignOpt = Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Skriv ét JSON-objekt på stdout.")]


def _date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise typer.BadParameter(f"{text!r} er ikke en dato; skriv fx 2026-09-01", param_hint="--first")


def _print(rows: list[rounds_mod.RoundInfo]) -> None:
    for r in rows:
        date = format_date(r.date) if r.date else "uden dato"
        typer.echo(
            f"Runde {r.number}: {date}, {vocabulary.label(r.state)}, "
            f"{r.companies} virksomheder, {r.done} færdige"
        )


@app.command("plan")
def plan(
    ctx: typer.Context,
    campaign: CampaignOpt,
    first: Annotated[str, typer.Option("--first", help="Første rundes dato (YYYY-MM-DD).")],
    size: Annotated[
        int | None, typer.Option("--size", min=1, help="Ca. så mange virksomheder pr. runde.")
    ] = None,
    rounds: Annotated[int | None, typer.Option("--rounds", min=1, help="Så mange runder.")] = None,
    gap_days: Annotated[int, typer.Option("--gap-days", min=0, help="Dage mellem runderne.")] = 14,
    by: Annotated[str, typer.Option("--by", help="Hvem (revisionsspor).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Fordel godkendte, beholdte virksomheder uden runde på nye runder."""
    if (size is None) == (rounds is None):
        raise typer.BadParameter("angiv enten --size eller --rounds", param_hint="--size/--rounds")
    start = _date(first)
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        created = rounds_mod.plan_rounds(
            session=session,
            campaign=camp,
            first=start,
            gap_days=gap_days,
            size=size,
            rounds=rounds,
            actor=by,
        )
    if as_json:
        echo_json({"rounds": [r.to_json() for r in created]})
        return
    typer.echo(f"{len(created)} nye runder planlagt:")
    _print(created)
    typer.echo("Start en runde med: phoner rounds activate --campaign ... --round N")


@app.command("show")
def show(ctx: typer.Context, campaign: CampaignOpt, as_json: JsonOpt = False) -> None:
    """Vis kampagnens runder: dato, tilstand, virksomheder og færdige."""
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        rows = rounds_mod.rounds_overview(session=session, campaign=camp)
    if as_json:
        echo_json({"rounds": [r.to_json() for r in rows]})
        return
    if not rows:
        typer.echo("Ingen runder endnu. Planlæg dem med: phoner rounds plan")
        return
    _print(rows)


RoundOpt = Annotated[int, typer.Option("--round", "-r", help="Rundens nummer.")]


@app.command("activate")
def activate(
    ctx: typer.Context,
    campaign: CampaignOpt,
    round_: RoundOpt,
    by: Annotated[str, typer.Option("--by", help="Hvem (revisionsspor).")] = "cli",
) -> None:
    """Start en planlagt runde: dens virksomheder kan nu ringes op."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        rounds_mod.activate_round(session=session, campaign=camp, number=round_, actor=by)
    typer.echo(f"Runde {round_} er startet.")


@app.command("close")
def close(
    ctx: typer.Context,
    campaign: CampaignOpt,
    round_: RoundOpt,
    retry: Annotated[
        bool,
        typer.Option(
            "--retry/--no-retry",
            help="Flyt ikke-trufne virksomheder til næste planlagte runde (genopkald) i stedet "
            "for at markere dem som ikke truffet.",
        ),
    ] = False,
    by: Annotated[str, typer.Option("--by", help="Hvem (revisionsspor).")] = "cli",
) -> None:
    """Afslut en aktiv runde."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        r = rounds_mod.close_round(
            session=session, campaign=camp, number=round_, actor=by, retry=retry
        )
    if r.carried_to is not None:
        typer.echo(
            f"Runde {r.number} er afsluttet; {r.unreached} ikke-trufne virksomheder er flyttet "
            f"til runde {r.carried_to} (genopkald)."
        )
    else:
        typer.echo(f"Runde {r.number} er afsluttet; {r.unreached} virksomheder blev ikke truffet.")
