"""``phoner outcomes``: import outcomes recorded outside phoner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import echo_json, state
from phoner.core.outcomes_import import import_outcomes

app = typer.Typer(help="Udfald af opkald foretaget uden for phoner.", no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV eller Excel med kolonnerne CVR og Udfald (+ valgfrie).")
    ],
    campaign: Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")],
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Fil til afviste rækker (standard: NAVN.afviste.csv)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Skriv ét JSON-objekt på stdout.")
    ] = False,
) -> None:
    """Importér udfald fra fx et eksternt telefonfirmas regneark (kan køres igen uden dubletter).

    Kolonner: CVR, Udfald (kode eller dansk tekst, fx 'Vil kontaktes'), og valgfrit Runde,
    Phoner, Tidspunkt, Note og Ring tilbage.
    """
    db = state(ctx).db()
    s = import_outcomes(db=db, path=file, campaign_name=campaign, rejects_path=rejects)
    if s.recorded:
        db.refresh_statistics()
    if as_json:
        echo_json(s.to_json())
        return
    line = (
        f"{file.name}: {s.read} rækker læst, {s.recorded} udfald registreret, {s.rejected} afvist"
    )
    if s.already_recorded:
        line += f", {s.already_recorded} var allerede importeret"
    typer.echo(line + ".")
    if s.rejects_file is not None:
        typer.secho(
            f"De afviste rækker står i {s.rejects_file} med linjenummer og årsag. Ret dem og "
            "importér filen igen (allerede importerede rækker springes over).",
            fg="yellow",
        )
