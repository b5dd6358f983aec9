"""``phoner report``: the campaign's tables for jobcenters, committees and evaluators."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from phoner.commands.common import state
from phoner.core import campaigns, reports
from phoner.core.errors import InvalidInput, os_reason
from phoner.formats import report_output

app = typer.Typer(
    help="Rapporter: omgange, AAPOR-rater, opfølgninger, besøg og telefonister.",
    no_args_is_help=True,
)


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"
    MD = "md"


CampaignOpt = Annotated[str, typer.Option("--campaign", "-c", help="Kampagnens navn.")]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="table (terminal), csv, json, xlsx (kræver --out) eller md (Markdown).",
    ),
]
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", "-o", help="Skriv til denne fil i stedet for skærmen."),
]


def emit(report: report_output.Report, fmt: Format, out: Path | None) -> None:
    """Print or write a report in the chosen format."""
    try:
        if fmt == Format.XLSX:
            if out is None:
                raise InvalidInput(
                    "Et Excel-ark kan ikke skrives på skærmen.",
                    hint="Angiv en fil med --out, fx --out rapport.xlsx.",
                )
            report_output.write_xlsx(report, out)
            typer.echo(f"Rapporten er gemt i {out}.")
            return
        if out is not None:
            if fmt == Format.CSV:
                report_output.write_csv(report, out)
            else:
                report_output.write_text(report, fmt.value, out)
            typer.echo(f"Rapporten er gemt i {out}.")
            return
    except OSError as exc:
        raise InvalidInput(
            f"Kan ikke skrive {out} ({os_reason(exc)}).",
            hint="Tjek mappen og rettighederne, og luk filen i Excel, hvis den er åben.",
        ) from exc
    typer.echo(report_output.render(report, fmt.value), nl=False)


class Areas(StrEnum):
    RAR_2015 = "rar-2015"
    RBR_2025 = "rbr-2025"


AreasOpt = Annotated[
    Areas | None,
    typer.Option(
        "--areas",
        help="Områdeinddeling: rar-2015 (8 RAR-områder, 2015-2024) eller rbr-2025 (5 "
        "regionale beskæftigelsesråd fra 2025). Standard: den, der gjaldt ved kampagnens "
        "første bookede besøg.",
    ),
]


def _run(
    ctx: typer.Context,
    name: str,
    campaign: str,
    fmt: Format,
    out: Path | None,
    areas: Areas | None = None,
) -> None:
    db = state(ctx).db()
    with db.session() as session:
        camp = campaigns.get_campaign(session=session, name=campaign)
        report = reports.build_report(
            name, session=session, campaign=camp, areas=None if areas is None else areas.value
        )
    emit(report, fmt, out)


@app.command("rounds", short_help="Omgange: virksomheder, udfald, besvaret, besvarelsesprocent.")
def rounds(
    ctx: typer.Context,
    campaign: CampaignOpt,
    fmt: FormatOpt = Format.TABLE,
    out: OutOpt = None,
) -> None:
    """Pr. omgang og i alt: virksomheder, udfald, besvaret og besvarelsesprocent."""
    _run(ctx, "rounds", campaign, fmt, out)


@app.command("rates", short_help="AAPOR-rater (RR, COOP, REF, CON) for omgange og telefonister.")
def rates(
    ctx: typer.Context,
    campaign: CampaignOpt,
    fmt: FormatOpt = Format.TABLE,
    out: OutOpt = None,
) -> None:
    """AAPOR-rater (RR1-6, COOP1-4, REF1-3, CON1-3) pr. omgang og pr. telefonist."""
    _run(ctx, "rates", campaign, fmt, out)


@app.command(
    "followups", short_help="Opfølgninger (åbne, udførte, overskredne) og tid til kontakt."
)
def followups(
    ctx: typer.Context,
    campaign: CampaignOpt,
    fmt: FormatOpt = Format.TABLE,
    out: OutOpt = None,
) -> None:
    """Opfølgninger pr. jobcenter og konsulent, og tiden fra opkald til kontakt."""
    _run(ctx, "followups", campaign, fmt, out)


@app.command("visits", short_help="Besøg, aflysninger og aftaler efter område og jobcenter.")
def visits(
    ctx: typer.Context,
    campaign: CampaignOpt,
    fmt: FormatOpt = Format.TABLE,
    out: OutOpt = None,
    areas: AreasOpt = None,
) -> None:
    """Besøg, aflysninger og aftaler pr. område (RAR-område eller region) og jobcenter,
    med landstal. Enheder uden kommune (fx Jobservice Danmark) står under 'Ikke fordelt'."""
    _run(ctx, "visits", campaign, fmt, out, areas)


@app.command("phoners", short_help="Telefonister: opkald, opkald i timen, udfald og bookinger.")
def phoners(
    ctx: typer.Context,
    campaign: CampaignOpt,
    fmt: FormatOpt = Format.TABLE,
    out: OutOpt = None,
) -> None:
    """Pr. telefonist og dag: opkald, opkald pr. time, udfald og bookede besøg."""
    _run(ctx, "phoners", campaign, fmt, out)


@app.command("reasons", short_help="Årsager til 'Ikke interesseret' og 'Ikke nu, men senere'.")
def reasons(
    ctx: typer.Context,
    campaign: CampaignOpt,
    fmt: FormatOpt = Format.TABLE,
    out: OutOpt = None,
) -> None:
    """Hvorfor virksomhederne sagde nej, og hvem der vil kontaktes senere (med dato)."""
    _run(ctx, "reasons", campaign, fmt, out)
