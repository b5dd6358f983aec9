"""``phoner campaign``: create, list, show and change campaigns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from phoner.commands.common import echo_json, print_table, state
from phoner.core import campaign_settings as cs
from phoner.core import campaigns
from phoner.core.campaign_settings import CampaignSettings
from phoner.core.db import Database
from phoner.core.display import count, format_stamp, format_time
from phoner.core.errors import ActorMissing, InvalidInput
from phoner.core.lists import targeting
from phoner.core.models import Outcome

app = typer.Typer(help="Opret, vis og ret kampagner og deres indstillinger.", no_args_is_help=True)


@app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Kampagnens navn, fx 'Fleksjob efterår 2026'.")],
    script: Annotated[
        Path, typer.Option("--script", help="Opkaldsmanuskript (TOML), fx scripts/fleksjob.toml.")
    ],
    horizon_days: Annotated[
        int, typer.Option(min=1, max=365, help="Seneste bookingdag = i dag + så mange dage.")
    ] = 42,
    min_notice_days: Annotated[
        int, typer.Option(min=0, max=60, help="Mindste varsel for et besøg i arbejdsdage.")
    ] = 2,
) -> None:
    """Opret en kampagne med et opkaldsmanuskript og bookingregler."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        c = campaigns.create_campaign(
            session=session,
            name=name,
            script=script,
            horizon_days=horizon_days,
            min_notice_days=min_notice_days,
        )
    typer.echo(
        f"Kampagnen {c.name!r} er oprettet (manuskript {script}, bookinghorisont "
        f"{horizon_days} dage, mindste varsel {min_notice_days} arbejdsdage)."
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Skriv JSON i stedet for en tabel.")
    ] = False,
) -> None:
    """Vis alle kampagner."""
    db = state(ctx).db()
    with db.session() as session:
        rows = campaigns.list_campaigns(session=session)
    if as_json:
        echo_json(
            {
                "campaigns": [
                    {
                        "name": c.name,
                        "script": c.script_path,
                        "companies": n,
                        "horizon_days": c.horizon_days,
                        "min_notice_days": c.min_notice_days,
                        "created_at": c.created_at.isoformat(),
                    }
                    for c, n in rows
                ]
            }
        )
        return
    if not rows:
        typer.echo("Ingen kampagner endnu. Opret en med: phoner campaign create NAVN --script FIL")
        return
    table = Table("Kampagne", "Manuskript", "Virksomheder", "Horisont", "Varsel", title="Kampagner")
    for c, n in rows:
        table.add_row(
            c.name, c.script_path, str(n), f"{c.horizon_days} dage", f"{c.min_notice_days} arb.dage"
        )
    print_table(table)


NameArg = Annotated[str, typer.Argument(help="Kampagnens navn (se phoner campaign list).")]


def _days(n: int, unit: str = "dag") -> str:
    return count(n, unit, unit + "e")


def _decimal(x: float) -> str:
    return f"{x:g}".replace(".", ",")


def _setting_lines(s: CampaignSettings) -> list[tuple[str, str, str]]:
    """(label, value, how to change it) for every setting, in the order of a campaign."""
    retry = ", ".join(
        f"{Outcome(code).label.lower()} {count(m, 'minut', 'minutter')}"
        for code, m in s.retry_minutes.items()
    )
    if s.min_employees is None and s.max_employees is None:
        size = "alle størrelser"
    else:
        size = f"{s.min_employees or 0}–{s.max_employees or '∞'} ansatte"
    target = "; ".join(
        [
            size,
            "kommuner: " + (", ".join(s.municipalities) or "alle"),
            "brancher: " + (", ".join(s.industries) or "alle"),
            f"ikke kontaktet de seneste {_days(s.recent_contact_days)}",
        ]
    )
    return [
        ("Manuskript", s.script_path, ""),
        ("Oprettet", format_stamp(s.created_at), ""),
        (
            "Ringetid",
            f"hverdage {format_time(s.calling_start)}–{format_time(s.calling_end)}",
            "--calling-hours",
        ),
        ("Forsøg", f"højst {s.max_attempts} pr. virksomhed", "--attempts"),
        ("Ring igen efter", retry, "--retry-minutes"),
        (
            "Aftalt tilbageringning",
            f"andre må tage den {count(s.callback_grace_minutes, 'minut', 'minutter')} efter",
            "--callback-grace-minutes",
        ),
        ("Bookinghorisont", _days(s.horizon_days), "--horizon-days"),
        ("Mindste varsel", _days(s.min_notice_days, "arbejdsdag"), "--min-notice-days"),
        (
            "Konsulenter",
            "alle jobcentre" if s.any_jobcenter else "kun virksomhedens eget jobcenter",
            "--any-jobcenter",
        ),
        (
            "Opfølgning",
            f"{_days(s.followup_due_days, 'arbejdsdag')} efter opkaldet",
            "--followup-days",
        ),
        (
            "Påmindelse",
            f"{_days(s.reminder_days_before, 'arbejdsdag')} før besøget",
            "--reminder-days",
        ),
        (
            "Fortryd udfald",
            f"inden for {count(s.undo_minutes, 'minut', 'minutter')}",
            "--undo-minutes",
        ),
        ("AAPOR e", _decimal(s.aapor_e), "--aapor-e"),
        (
            "Opbevaring",
            _days(s.retention_days) if s.retention_days else "ikke sat",
            "--retention-days",
        ),
        ("Postkasse", s.mailbox or "PHONER_SMTP_FROM", "phoner outbox mailbox"),
        ("Målgruppe", target, "phoner list target"),
        ("Reklamebeskyttede", _protected(s), "--protected-basis"),
    ]


def _protected(s: CampaignSettings) -> str:
    if not s.protected_basis:
        return "ringes ikke op (foreslås fjernet i clearing)"
    when = f" {format_stamp(s.protected_basis_at)}" if s.protected_basis_at else ""
    return f"ringes op; grundlag: {s.protected_basis} (besluttet af {s.protected_basis_by}{when})"


def _print_settings(s: CampaignSettings) -> None:
    table = Table("Indstilling", "Værdi", "Ændres med", title=f"Kampagnen {s.name}")
    for label, value, how in _setting_lines(s):
        table.add_row(label, value, how)
    print_table(table)


@app.command("show")
def show(
    ctx: typer.Context,
    name: NameArg,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Vis alle kampagnens indstillinger, og hvordan hver ændres."""
    settings = cs.campaign_settings(db=state(ctx).db(), name=name)
    if as_json:
        echo_json(settings.as_json())
        return
    _print_settings(settings)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: NameArg,
    by: Annotated[str, typer.Option("--by", help="Hvem (navn), til revisionssporet.")] = "",
    calling_hours: Annotated[
        str | None,
        typer.Option("--calling-hours", help='Ringetid på hverdage, fx "09:00-16:00".'),
    ] = None,
    attempts: Annotated[
        int | None, typer.Option("--attempts", help="Højst så mange forsøg pr. virksomhed (1-20).")
    ] = None,
    retry_minutes: Annotated[
        list[str] | None,
        typer.Option(
            "--retry-minutes",
            help="Minutter før et nyt forsøg efter et udfald, fx ikke_truffet=120, optaget=30, "
            "forkert_nummer=0 (0-10080; kan gentages).",
        ),
    ] = None,
    callback_grace_minutes: Annotated[
        int | None,
        typer.Option(
            "--callback-grace-minutes",
            help="Minutter før en anden telefonist må tage en aftalt tilbageringning (0-240).",
        ),
    ] = None,
    horizon_days: Annotated[
        int | None,
        typer.Option("--horizon-days", help="Seneste bookingdag = i dag + så mange dage (1-365)."),
    ] = None,
    min_notice_days: Annotated[
        int | None,
        typer.Option("--min-notice-days", help="Mindste varsel for et besøg i arbejdsdage (0-60)."),
    ] = None,
    any_jobcenter: Annotated[
        str | None,
        typer.Option(
            "--any-jobcenter",
            help="ja: book også konsulenter fra andre jobcentre; nej: kun virksomhedens eget.",
        ),
    ] = None,
    followup_days: Annotated[
        int | None,
        typer.Option(
            "--followup-days", help="Frist for en opfølgning i arbejdsdage efter opkaldet (0-60)."
        ),
    ] = None,
    reminder_days: Annotated[
        int | None,
        typer.Option("--reminder-days", help="Påmindelse så mange arbejdsdage før besøget (0-30)."),
    ] = None,
    undo_minutes: Annotated[
        int | None,
        typer.Option(
            "--undo-minutes", help="Et udfald kan fortrydes så mange minutter efter (0-60)."
        ),
    ] = None,
    aapor_e: Annotated[
        str | None,
        typer.Option(
            "--aapor-e",
            help="AAPOR e: andelen af de uafklarede, der regnes som egnede, fx 0,5 (0-1).",
        ),
    ] = None,
    retention_days: Annotated[
        int | None,
        typer.Option("--retention-days", help="Persondata slettes så mange dage efter (1-3650)."),
    ] = None,
    protected_basis: Annotated[
        str | None,
        typer.Option(
            "--protected-basis",
            help="Det juridiske grundlag for at ringe til reklamebeskyttede virksomheder "
            '(tekst; kræver --by). "" trækker grundlaget tilbage: så foreslås de fjernet.',
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv JSON.")] = False,
) -> None:
    """Ret kampagnens indstillinger (se dem med phoner campaign show NAVN)."""
    from phoner.core.vocabulary import parse_yes_no

    changes: dict[str, object] = {}
    if calling_hours is not None:
        changes["calling_hours"] = cs.parse_hours(calling_hours)
    if retry_minutes:
        changes["retry_minutes"] = cs.parse_retry(retry_minutes)
    if any_jobcenter is not None:
        changes["any_jobcenter"] = parse_yes_no(any_jobcenter)
    if aapor_e is not None:
        changes["aapor_e"] = cs.parse_decimal(aapor_e, "aapor_e")
    for key, value in (
        ("max_attempts", attempts),
        ("callback_grace_minutes", callback_grace_minutes),
        ("horizon_days", horizon_days),
        ("min_notice_days", min_notice_days),
        ("followup_due_days", followup_days),
        ("reminder_days_before", reminder_days),
        ("undo_minutes", undo_minutes),
        ("retention_days", retention_days),
    ):
        if value is not None:
            changes[key] = value
    if not changes and protected_basis is None:
        raise InvalidInput(
            "Angiv mindst én indstilling, fx --calling-hours 09:00-16:00.",
            hint="Se dem alle med: phoner campaign set --help",
        )
    if not by.strip():
        raise ActorMissing("Hvem ændrer kampagnens indstillinger?")
    db = state(ctx).db()
    if protected_basis is not None:
        _set_protected_basis(db, name, protected_basis, by, quiet=as_json)
    if not changes:
        if as_json:
            echo_json({"settings": cs.campaign_settings(db=db, name=name).as_json()})
        return
    settings, changed = cs.change_settings(db=db, name=name, actor=by, changes=changes)
    if as_json:
        echo_json(
            {"settings": settings.as_json(), "changed": {k: v[1] for k, v in changed.items()}}
        )
        return
    if not changed:
        typer.echo(f"Ingen ændringer: kampagnen {settings.name!r} havde allerede de værdier.")
        return
    n = count(len(changed), "indstilling", "indstillinger")
    typer.echo(f"Kampagnen {settings.name!r} er ændret ({n}):")
    for key, (old, new) in changed.items():
        typer.echo(f"  {CHANGED_LABELS.get(key, key)}: {_shown(old)} → {_shown(new)}")


def _set_protected_basis(db: Database, name: str, basis: str, by: str, *, quiet: bool) -> None:
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=name)
        before = camp.protected_basis
        result = targeting.set_protected_basis(
            session=session, campaign=camp, basis=basis, actor=by
        )
        after = camp.protected_basis
    if quiet:
        return
    if before == after:
        typer.echo("Grundlaget for reklamebeskyttede virksomheder er uændret.")
    elif after:
        typer.echo(
            f"Kampagnen {name!r} ringer til reklamebeskyttede virksomheder; grundlag: {after} "
            f"(besluttet af {by.strip()})."
        )
    else:
        typer.echo(
            f"Kampagnen {name!r} har ikke længere et grundlag: reklamebeskyttede virksomheder "
            "foreslås fjernet i clearing."
        )
    if before != after:
        typer.echo(f"{result.proposed_removal} virksomheder er nu foreslået fjernet.")


#: How a changed attribute is named in the receipt.
CHANGED_LABELS = {
    "calling_start": "Ringetid fra",
    "calling_end": "Ringetid til",
    "max_attempts": "Forsøg",
    "retry_minutes": "Ring igen efter (minutter)",
    "callback_grace_minutes": "Aftalt tilbageringning (minutter)",
    "horizon_days": "Bookinghorisont (dage)",
    "min_notice_days": "Mindste varsel (arbejdsdage)",
    "any_jobcenter": "Konsulenter fra alle jobcentre",
    "followup_due_days": "Opfølgning (arbejdsdage)",
    "reminder_days_before": "Påmindelse (arbejdsdage før)",
    "undo_minutes": "Fortryd udfald (minutter)",
    "aapor_e": "AAPOR e",
    "retention_days": "Opbevaring (dage)",
}


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, float):
        return _decimal(value)
    if isinstance(value, dict):
        return ", ".join(f"{Outcome(k).label.lower()} {v}" for k, v in value.items())
    return "ikke sat" if value is None else str(value)
