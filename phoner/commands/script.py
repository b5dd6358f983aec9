"""``phoner script``: check a call-out script before a campaign uses it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import echo_json
from phoner.core.call_scripts import check_script, load_script, outcome_paths
from phoner.core.display import format_date

app = typer.Typer(help="Opkaldsmanuskripter (scripts/*.toml).", no_args_is_help=True)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Manuskriptet, fx scripts/fleksjob.toml.")],
    as_json: Annotated[bool, typer.Option("--json", help="Skriv resultatet som JSON.")] = False,
) -> None:
    """Tjek et opkaldsmanuskript og vis alle fejl med placering (spørgsmål / svar / linje)."""
    problems = check_script(file)
    if as_json:
        payload: dict[str, object] = {
            "file": str(file),
            "valid": not problems,
            "problems": [{"location": p.location, "message": p.message} for p in problems],
        }
        if not problems:
            script = load_script(file)
            payload["hash"] = script.hash
            payload["questions"] = len(script.questions)
            payload["outcomes"] = sorted(o.value for o in outcome_paths(script))
        echo_json(payload)
        if problems:
            raise typer.Exit(1)
        return
    if problems:
        n = len(problems)
        typer.secho(f"{file}: {n} fejl fundet", fg="red", err=True)
        for p in problems:
            typer.echo(f"  {p.location}: {p.message}", err=True)
        typer.echo("Ret fejlene og kør kommandoen igen.", err=True)
        raise typer.Exit(1)
    script = load_script(file)
    paths = outcome_paths(script)
    typer.echo(
        f"{file}: manuskriptet '{script.name}' (version {script.version}) er gyldigt: "
        f"{len(script.questions)} spørgsmål, {len(script.needs_fields)} behovsfelter, "
        f"{len(script.faq)} FAQ-punkter."
    )
    if script.valid_as_of is not None:
        typer.echo(f"Gældende pr. {format_date(script.valid_as_of)}.")
    typer.echo("Udfald, som svarene kan føre til:")
    for outcome, group in sorted(paths.items(), key=lambda kv: kv[0].value):
        endings = [script.questions[q].answer_for(k) for path in group for q, k in path[-1:]]
        visits = sum(1 for a in endings if a is not None and a.book_visit)
        extra = f" ({visits} med besøgsbooking)" if visits else ""
        ways = "1 vej" if len(group) == 1 else f"{len(group)} veje"
        typer.echo(f"  {outcome.label}: {ways}{extra}")
    typer.echo(f"Indholds-hash: {script.hash[:12]}…")
