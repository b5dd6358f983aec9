"""``phoner block``: the do-not-call register (spærrelisten) across every campaign."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from phoner.commands.common import echo_json, print_table, state
from phoner.core import blocks
from phoner.core.display import count, format_stamp
from phoner.core.phones import format_phone

app = typer.Typer(
    help="Spærrelisten: virksomheder, der frabeder sig henvendelser, i alle kampagner.",
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Skriv ét JSON-objekt på stdout.")]
CvrOpt = Annotated[str | None, typer.Option("--cvr", help="Virksomhedens CVR-nummer.")]
PnrOpt = Annotated[str | None, typer.Option("--p-number", help="Produktionsenhedens P-nummer.")]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="Telefonnummeret.")]


@app.command("add")
def add(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="Hvem (navn), til revisionssporet.")],
    cvr: CvrOpt = None,
    p_number: PnrOpt = None,
    phone: PhoneOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="Virksomhedens navn.")] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Hvorfor (standard: Frabeder sig henvendelser)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Skriv en virksomhed på spærrelisten: den ringes ikke op i nogen kampagne."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        block, n = blocks.add_block(
            session=session,
            actor=by,
            cvr=cvr,
            p_number=p_number,
            phone=phone,
            company_name=name,
            reason=reason,
        )
    if as_json:
        echo_json({**block.as_json(), "companies_blocked": n})
        return
    typer.echo(
        f"Spærring nr. {block.id}: {block.what}. "
        f"{count(n, 'virksomhed', 'virksomheder')} på kampagnernes lister er nu spærret."
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Også ophævede spærringer (med hvem og hvorfor).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Vis spærrelisten (nyeste først)."""
    db = state(ctx).db()
    with db.session() as session:
        rows = blocks.list_blocks(session=session, include_lifted=all_)
    if as_json:
        echo_json({"blocks": [b.as_json() for b in rows]})
        return
    if not rows:
        typer.echo("Spærrelisten er tom." if not all_ else "Spærrelisten har ingen spærringer.")
        return
    table = Table("Nr.", "Virksomhed", "CVR", "P-nr.", "Telefon", "Årsag", "Af", "Dato")
    if all_:
        table.add_column("Ophævet")
    for b in rows:
        cells = [
            str(b.id),
            b.company_name or "",
            b.cvr or "",
            b.p_number or "",
            ", ".join(format_phone(p) for p in b.phones),
            b.reason,
            b.created_by + (f" ({b.campaign_name})" if b.campaign_name else ""),
            format_stamp(b.created_at),
        ]
        if all_:
            cells.append(
                ""
                if b.lifted_at is None
                else f"{format_stamp(b.lifted_at)} af {b.lifted_by}: {b.lift_reason}"
            )
        table.add_row(*cells)
    print_table(table)


@app.command("remove")
def remove(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option("--reason", help="Hvorfor spærringen ophæves.")],
    by: Annotated[str, typer.Option("--by", help="Hvem (navn), til revisionssporet.")],
    block_id: Annotated[
        int | None, typer.Option("--id", help="Spærringens nummer (se phoner block list).")
    ] = None,
    cvr: CvrOpt = None,
    p_number: PnrOpt = None,
    phone: PhoneOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ophæv en spærring (kun koordinatorer; med begrundelse, i revisionssporet)."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        lifted, freed = blocks.lift_blocks(
            session=session,
            actor=by,
            reason=reason,
            block_id=block_id,
            cvr=cvr,
            p_number=p_number,
            phone=phone,
        )
    if as_json:
        echo_json({"lifted": [b.as_json() for b in lifted], "companies_callable": freed})
        return
    for b in lifted:
        typer.echo(f"Spærring nr. {b.id} er ophævet: {b.what}.")
    typer.echo(f"{count(freed, 'virksomhed', 'virksomheder')} kan ringes op igen.")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Spærrelisten: CSV eller Excel (.xlsx).")],
    by: Annotated[str, typer.Option("--by", help="Hvem (navn), til revisionssporet.")],
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Fil til afviste rækker (standard: NAVN.afviste.csv)."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Arket i Excel-filen (standard: det første).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Indlæs en eksisterende spærreliste (kolonner CVR, P-nr., Telefon; Firmanavn, Begrundelse)."""
    db = state(ctx).db()
    with db.session(write=True) as session:
        r = blocks.import_register(
            session=session, path=file, actor=by, sheet=sheet, rejects_path=rejects
        )
    if as_json:
        echo_json(r.to_json())
        return
    typer.echo(
        f"{file.name}: {count(r.read, 'række', 'rækker')} læst, {r.added} nye spærringer, "
        f"{r.unchanged} stod der allerede, {r.rejected} afvist; "
        f"{count(r.blocked, 'virksomhed', 'virksomheder')} på kampagnernes lister er nu spærret."
    )
    if r.rejects_file is not None:
        typer.secho(
            f"De afviste rækker står i {r.rejects_file} med linjenummer og årsag. Ret dem og "
            "indlæs filen igen.",
            fg="yellow",
        )
