"""``phoner list``: import, target, clear and sign off a campaign's call list."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import echo_json, print_table, state
from phoner.core import campaigns, jobcenters, vocabulary
from phoner.core.display import count
from phoner.core.lists import (
    clearing,
    import_run,
    importer,
    records,
    signoff,
    suppression,
    targeting,
)
from phoner.core.lists.records import FLAG_LABELS
from phoner.core.lists.signoff import LIST_STATE_LABELS, LIST_STATES
from phoner.core.phones import format_phone

app = typer.Typer(
    help="Ringelisten: importér, målret, clear og godkend virksomhedslisten.",
    no_args_is_help=True,
)

CampaignOpt = Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Skriv ét JSON-objekt på stdout.")]
ByOpt = Annotated[str, typer.Option("--by", help="Hvem (navn), til revisionssporet.")]


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Listen: CSV eller Excel (.xlsx).")],
    campaign: CampaignOpt,
    jobcenter: Annotated[
        str | None,
        typer.Option(
            "--jobcenter",
            "-j",
            help="Alle virksomheder hører til dette jobcenter (ellers bruges kolonnen Kommune).",
        ),
    ] = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Fil til afviste rækker (standard: NAVN.afviste.csv)."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Kolonne=felt, når en overskrift ikke genkendes, fx --map 'Tlf arbejde=phone'. "
            "Felter: " + ", ".join(records.FIELD_ALIASES) + "; - springer kolonnen over.",
        ),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Arket i Excel-filen (standard: det første).")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Hvem importerer (revisionsspor).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Importér en virksomhedsliste til en kampagne (dubletter flettes, fejl afvises).

    Listen skrives i små portioner, så telefonisterne kan arbejde imens. Bliver importen
    afbrudt, så kør samme kommando igen: den fortsætter, hvor den slap.
    """
    overrides = importer.parse_overrides(mapping or [])
    db = state(ctx).db()
    s = import_run.run_import(
        db=db,
        campaign=campaign,
        path=file,
        jobcenter=jobcenter,
        overrides=overrides,
        sheet=sheet,
        rejects_path=rejects,
        actor=by,
        progress=_ImportProgress(file.name, quiet=as_json),
    )
    if s.imported:
        db.refresh_statistics()
    for notice in s.warnings:
        typer.secho(notice, fg="yellow", err=True)
    if as_json:
        echo_json(
            {
                **s.to_json(),
                "import_id": s.import_id,
                **(
                    {
                        "blocked_companies": [
                            {
                                "name": b.name,
                                "cvr": b.cvr,
                                "block_id": b.block_id,
                                "reason": b.reason,
                            }
                            for b in s.blocked
                        ]
                    }
                    if s.blocked
                    else {}
                ),
            }
        )
        return
    if s.same_file_as is not None:
        typer.echo(
            f"{file.name} er importeret før (import nr. {s.same_file_as}); intet nyt at tilføje."
            if not s.imported
            else f"{file.name} er importeret før (import nr. {s.same_file_as})."
        )
    typer.echo(
        f"{file.name}: {count(s.read, 'række', 'rækker')} læst, "
        f"{count(s.imported, 'virksomhed', 'virksomheder')} importeret, "
        f"{count(s.merged_duplicates, 'dublet', 'dubletter')} flettet, {s.rejected} afvist, "
        f"{s.flagged} markeret (import nr. {s.import_id})."
    )
    if s.jobcenters:
        typer.echo("Jobcentre: " + ", ".join(s.jobcenters) + ".")
    if s.out_of_target or s.proposed_removal:
        typer.echo(
            f"{s.out_of_target} uden for målgruppen, {s.proposed_removal} foreslået fjernet "
            "(se phoner list show --state foreslaaet_fjernet)."
        )
    if s.blocked:
        typer.secho(
            f"{count(len(s.blocked), 'virksomhed', 'virksomheder')} på spærrelisten kan ikke "
            "ringes op (de bliver på listen; se phoner block list):",
            fg="yellow",
        )
        for b in s.blocked:
            typer.echo(f"  {b.name}" + (f" (CVR {b.cvr})" if b.cvr else "") + f": {b.reason}")
    if s.unknown_columns:
        typer.echo(
            "Ukendte kolonner gemt som ekstra oplysninger: " + ", ".join(s.unknown_columns) + "."
        )
    if s.rejects_file is not None:
        typer.secho(
            f"De afviste rækker står i {s.rejects_file} med linjenummer og årsag. Ret dem og "
            "importér filen igen.",
            fg="yellow",
        )


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


class _ImportProgress:
    """The import's progress on stderr: a resume is always said; the running count only
    on a terminal (not under CI, not with --json), at most a few times a second."""

    def __init__(self, name: str, *, quiet: bool) -> None:
        self._name = name
        self._quiet = quiet
        self._live = not quiet and sys.stderr.isatty() and not os.environ.get("CI")
        self._last = 0.0
        self._shown = False

    def __call__(self, p: import_run.ImportProgress) -> None:
        if not self._shown:
            self._shown = True
            if p.resumed and not self._quiet:
                typer.echo(
                    f"Genoptager import nr. {p.import_id}: {_thousands(p.rows_done)} af "
                    f"{_thousands(p.rows_total)} rækker er allerede indlæst.",
                    err=True,
                )
        if not self._live or p.rows_total == 0:
            return
        now = time.monotonic()
        final = p.rows_done >= p.rows_total
        if not final and now - self._last < 0.25:
            return
        self._last = now
        pct = 100 * p.rows_done // p.rows_total
        typer.echo(
            f"\r{self._name}: {_thousands(p.rows_done)} af {_thousands(p.rows_total)} "
            f"rækker ({pct} %)",
            err=True,
            nl=final,
        )


@app.command("target")
def target(
    ctx: typer.Context,
    campaign: CampaignOpt,
    min_employees: Annotated[
        int | None, typer.Option("--min-employees", min=0, help="Mindst så mange ansatte.")
    ] = None,
    max_employees: Annotated[
        int | None, typer.Option("--max-employees", min=0, help="Højst så mange ansatte.")
    ] = None,
    municipality: Annotated[
        list[str] | None,
        typer.Option("--municipality", help="Kun denne kommune (kan gentages)."),
    ] = None,
    industry: Annotated[
        list[str] | None,
        typer.Option("--industry", help="Kun branchekoder, der starter med (kan gentages)."),
    ] = None,
    recent_days: Annotated[
        int | None,
        typer.Option("--recent-days", min=0, help="Foreslå fjernet, hvis kontaktet for nylig."),
    ] = None,
    clear_size: Annotated[
        bool, typer.Option("--clear-size", help="Fjern grænserne for antal ansatte.")
    ] = False,
    clear_municipalities: Annotated[
        bool, typer.Option("--clear-municipalities", help="Alle kommuner igen.")
    ] = False,
    clear_industries: Annotated[
        bool, typer.Option("--clear-industries", help="Alle brancher igen.")
    ] = False,
    by: Annotated[str, typer.Option("--by", help="Hvem (revisionsspor).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Sæt kampagnens målgruppe og genberegn listen (intet slettes; se phoner list show)."""
    kwargs: dict[str, object] = {}
    if clear_size:
        kwargs["min_employees"] = None
        kwargs["max_employees"] = None
    if min_employees is not None:
        kwargs["min_employees"] = min_employees
    if max_employees is not None:
        kwargs["max_employees"] = max_employees
    if clear_municipalities:
        kwargs["municipalities"] = []
    if municipality:
        kwargs["municipalities"] = municipality
    if clear_industries:
        kwargs["industries"] = []
    if industry:
        kwargs["industries"] = industry
    if recent_days is not None:
        kwargs["recent_contact_days"] = recent_days
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        settings = targeting.set_targeting(session=session, campaign=camp, actor=by, **kwargs)  # type: ignore[arg-type]
        result = targeting.refresh_list(session=session, campaign=camp)
    if as_json:
        echo_json(
            {
                "settings": settings,
                "out_of_target": result.out_of_target,
                "changed_target": result.changed_target,
                "proposed_removal": result.proposed_removal,
            }
        )
        return
    band = (
        f"{settings['min_employees'] if settings['min_employees'] is not None else 'ingen'}"
        f"-{settings['max_employees'] if settings['max_employees'] is not None else 'ingen'}"
    )
    typer.echo(
        f"Målgruppe for {campaign!r}: ansatte {band} (min-maks), kommuner: "
        f"{', '.join(settings['municipalities']) or 'alle'}, brancher: "
        f"{', '.join(settings['industries']) or 'alle'}, kontaktet for nylig: "
        f"{settings['recent_contact_days']} dage."
    )
    typer.echo(
        f"{result.out_of_target} virksomheder er uden for målgruppen "
        f"({result.changed_target} ændret nu); {result.proposed_removal} er foreslået fjernet."
    )


@app.command("known")
def known(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Jobcentrets liste over kendte virksomheder (CVR).")],
    jobcenter: Annotated[str, typer.Option("--jobcenter", "-j", help="Jobcentret.")],
    by: Annotated[str, typer.Option("--by", help="Hvem (revisionsspor).")] = "cli",
    as_json: JsonOpt = False,
) -> None:
    """Indlæs virksomheder, jobcentret allerede samarbejder med: de foreslås fjernet."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        r = suppression.import_known(session=session, path=file, jobcenter=jobcenter, actor=by)
    if as_json:
        echo_json({**r.common_json(), "added": r.added, "proposed": r.proposed})
        return
    typer.echo(
        f"{r.read} rækker læst, {r.added} nye kendte virksomheder, {r.proposed} virksomheder "
        "foreslået fjernet (kendt virksomhed)."
    )
    if r.rejects_file is not None:
        typer.secho(
            f"{count(len(r.rejects), 'række', 'rækker')} afvist; se {r.rejects_file}.", fg="yellow"
        )


@app.command("clearing-export")
def clearing_export(
    ctx: typer.Context,
    campaign: CampaignOpt,
    jobcenter: Annotated[str, typer.Option("--jobcenter", "-j", help="Jobcentret.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Excel-filen, der skrives (.xlsx).")],
) -> None:
    """Skriv jobcentrets clearing-ark (.xlsx) med Beslutning (Behold/Fjern) og Begrundelse."""
    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter("filen skal ende på .xlsx", param_hint="--out")
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        jc = jobcenters.find_jobcenter(session=session, text=jobcenter, create=False)
        n = clearing.clearing_export(session=session, campaign=camp, jobcenter=jc, out=out)
    typer.echo(
        f"{out}: {n} virksomheder for {jc.name}. Udfyld Beslutning (Behold/Fjern) og "
        "Begrundelse, og indlæs arket med phoner list clearing-import."
    )


@app.command("clearing-import")
def clearing_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Det udfyldte clearing-ark (.xlsx).")],
    campaign: CampaignOpt,
    by: ByOpt,
    as_json: JsonOpt = False,
) -> None:
    """Indlæs jobcentrets beslutninger fra clearing-arket (fejlrækker springes over)."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        r = clearing.clearing_import(session=session, campaign=camp, path=file, by=by)
    if as_json:
        echo_json(
            {
                **r.common_json(),
                "changed": r.changed,
                "unchanged": r.unchanged,
                "still_blocked": r.still_blocked,
                "errors": [{"line": e.line, "reason": e.reason} for e in r.errors],
            }
        )
        return  # rejected rows are reported, not a failure: exit 0 like every importer
    typer.echo(
        f"{count(r.read, 'række', 'rækker')} læst: "
        f"{count(r.changed, 'beslutning', 'beslutninger')} ændret, {r.unchanged} uændret."
    )
    if r.still_blocked:
        typer.echo(
            f"{count(len(r.still_blocked), 'virksomhed', 'virksomheder')} beholdes, men er på "
            "spærrelisten og ringes ikke op: "
            + ", ".join(r.still_blocked)
            + " (phoner block list)."
        )
    if r.errors:
        typer.secho(
            f"{count(len(r.errors), 'række', 'rækker')} blev sprunget over:", fg="yellow", err=True
        )
        for e in r.errors:
            typer.echo(f"  linje {e.line}: {e.reason}", err=True)
        typer.echo("Ret rækkerne i arket og indlæs det igen (resten er gemt).", err=True)


@app.command("decide")
def decide(
    ctx: typer.Context,
    campaign: CampaignOpt,
    cvr: Annotated[str, typer.Option("--cvr", help="Virksomhedens CVR-nr.")],
    decision: Annotated[str, typer.Option("--decision", "-d", help="Behold eller Fjern.")],
    by: ByOpt,
    reason: Annotated[str | None, typer.Option("--reason", help="Begrundelse.")] = None,
) -> None:
    """Behold eller fjern én virksomhed (som i clearing-arket)."""
    from phoner.core.companies import company_by_cvr

    try:
        choice = vocabulary.parse_decision(decision)
    except vocabulary.UnknownWord:
        raise typer.BadParameter("skriv Behold eller Fjern", param_hint="--decision") from None
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        company = company_by_cvr(session=session, campaign=camp, cvr=cvr)
        changed = clearing.set_decision(
            session=session, company=company, decision=choice, by=by, reason=reason
        )
    label = clearing.DECISION_LABELS[choice]
    typer.echo(f"{company.name}: {label}" + ("" if changed else " (uændret)") + ".")


@app.command("sign-off")
def sign_off(
    ctx: typer.Context,
    campaign: CampaignOpt,
    jobcenter: Annotated[str, typer.Option("--jobcenter", "-j", help="Jobcentret.")],
    by: ByOpt,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Godkend, selvom forslag ikke er gennemgået (logges som tvunget)."
        ),
    ] = False,
) -> None:
    """Godkend jobcentrets liste: den fryses, og først nu ringes virksomhederne op."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        jc = jobcenters.find_jobcenter(session=session, text=jobcenter, create=False)
        r = signoff.sign_off(session=session, campaign=camp, jobcenter=jc, by=by, force=force)
    if force:
        typer.secho(
            f"ADVARSEL: {r.jobcenter}s liste er godkendt med --force af {by}, uden at jobcentret "
            f"har taget stilling til alt ({r.unreviewed_proposals} forslag blev til 'Fjern'). "
            "Det er skrevet i revisionssporet.",
            fg="red",
            bold=True,
            err=True,
        )
    typer.echo(
        f"{r.jobcenter}s liste er godkendt (version {r.list_version}): {r.kept} beholdes, "
        f"{r.removed} fjernes"
        + (f", {r.out_of_target} er uden for målgruppen" if r.out_of_target else "")
        + (f", {r.blocked} er spærret (frabeder sig henvendelser)" if r.blocked else "")
        + "."
    )


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    campaign: CampaignOpt,
    jobcenter: Annotated[str, typer.Option("--jobcenter", "-j", help="Jobcentret.")],
    by: ByOpt,
    reason: Annotated[str | None, typer.Option("--reason", help="Hvorfor.")] = None,
) -> None:
    """Genåbn en godkendt liste (der ringes ikke til jobcentrets virksomheder imens)."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        jc = jobcenters.find_jobcenter(session=session, text=jobcenter, create=False)
        signoff.reopen(session=session, campaign=camp, jobcenter=jc, by=by, reason=reason)
    typer.echo(
        f"{jc.name}s liste er genåbnet. Der ringes ikke til jobcentrets virksomheder, før "
        "listen er godkendt igen (phoner list sign-off)."
    )


@app.command("status")
def status(ctx: typer.Context, campaign: CampaignOpt, as_json: JsonOpt = False) -> None:
    """Clearing og godkendelse for hvert jobcenter i kampagnen."""
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        rows = signoff.jobcenter_status(session=session, campaign=camp)
    if as_json:
        echo_json(
            {
                "jobcenters": [
                    {
                        "jobcenter": r.jobcenter,
                        "companies": r.companies,
                        "kept": r.kept,
                        "removed": r.removed,
                        "pending": r.pending,
                        "proposed": r.proposed,
                        "out_of_target": r.out_of_target,
                        "blocked": r.blocked,
                        "signed_off_at": r.signed_off_at.isoformat() if r.signed_off_at else None,
                        "signed_off_by": r.signed_off_by,
                        "forced": r.forced,
                        "list_version": r.list_version,
                    }
                    for r in rows
                ]
            }
        )
        return
    if not rows:
        typer.echo("Ingen jobcentre har virksomheder i kampagnen endnu (phoner list import).")
        return
    for r in rows:
        signed = (
            f"godkendt {clearing.local_stamp(r.signed_off_at)} af {r.signed_off_by}"
            + (" (TVUNGET)" if r.forced else "")
            if r.signed_off_at
            else "IKKE godkendt"
        )
        typer.echo(
            f"{r.jobcenter}: {count(r.companies, 'virksomhed', 'virksomheder')} = "
            f"{r.kept} beholdes + {r.removed} fjernes + {r.pending} afventer "
            f"({r.proposed} foreslået fjernet) + {r.out_of_target} uden for målgruppen + "
            f"{r.blocked} spærret; {signed}."
        )
    typer.echo(
        "Hver virksomhed tælles én gang: spærret (på spærrelisten, phoner block list) og "
        "uden for målgruppen tælles for sig, uanset hvad clearingen besluttede (de ringes "
        "aldrig op); de andre efter jobcentrets beslutning."
    )


@app.command("show")
def show(
    ctx: typer.Context,
    campaign: CampaignOpt,
    jobcenter: Annotated[str | None, typer.Option("--jobcenter", "-j", help="Kun dette.")] = None,
    state_: Annotated[
        list[str] | None,
        typer.Option("--state", help="Kun virksomheder i tilstanden: " + ", ".join(LIST_STATES)),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Vis listens virksomheder med deres clearing-tilstand."""
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        jc = (
            jobcenters.find_jobcenter(session=session, text=jobcenter, create=False)
            if jobcenter
            else None
        )
        rows = signoff.list_companies(
            session=session, campaign=camp, jobcenter=jc, states=state_ or ()
        )
    if as_json:
        echo_json({"companies": rows})
        return
    if not rows:
        typer.echo("Ingen virksomheder matcher.")
        return
    from rich.table import Table

    table = Table(
        "CVR",
        "Firmanavn",
        "Telefon",
        "Jobcenter",
        "Tilstand",
        "Runde",
        "Bemærkning",
        title=f"Ringeliste: {campaign} ({count(len(rows), 'virksomhed', 'virksomheder')})",
    )
    for r in rows:
        note = (
            r["blocked_reason"]
            or r["out_of_target"]
            or r["note"]
            or ", ".join(FLAG_LABELS.get(f, f) for f in r["flags"])
        )
        table.add_row(
            r["cvr"] or "-",
            r["name"],
            ", ".join(format_phone(p) for p in r["phones"]),
            r["jobcenter"] or "-",
            LIST_STATE_LABELS.get(r["state"], r["state"]),
            "-" if r["round"] is None else str(r["round"]),
            note or "",
        )
    print_table(table)
