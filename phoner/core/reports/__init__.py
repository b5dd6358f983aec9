"""The campaign reports jobcenters and evaluators ask for, computed in the database.

Every report is an aggregate query (GROUP BY) over the campaign, so a campaign of 100,000
companies and 400,000 calls reports interactively; only small per-group results come back
to Python. Each function returns a :class:`~phoner.formats.report_output.Report`: a JSON
payload with raw counts and unrounded fractions, and tables with whole percentages and
their denominators stated. The counting rules are in :mod:`phoner.core.reports.common`.

One module per report (``rounds``, ``rates``, ``followups``, ``visits``, ``phoners``),
plus ``dashboard`` (the coordinator's live overview) and ``leads`` (the hand-over export
to consultants). This package itself holds only the registry of ``phoner report``'s
reports: :func:`build_report`. Adding a report: a module with a
``*_report(*, session, campaign) -> Report`` function, an entry in :data:`REPORTS`, a
command in :mod:`phoner.commands.reports`.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from phoner.core.models import Campaign
from phoner.core.reports.followups import followups_report
from phoner.core.reports.phoners import phoners_report
from phoner.core.reports.rates import rates_report
from phoner.core.reports.reasons import reasons_report
from phoner.core.reports.rounds import rounds_report
from phoner.core.reports.visits import visits_report
from phoner.formats.report_output import Report

#: ``phoner report NAME`` -> the function that builds it.
REPORTS: dict[str, Callable[..., Report]] = {
    "rounds": rounds_report,
    "rates": rates_report,
    "followups": followups_report,
    "visits": visits_report,
    "phoners": phoners_report,
    "reasons": reasons_report,
}


#: Reports grouped by area, which take the area scheme (``areas``: a key of
#: :data:`phoner.core.geography.SCHEMES`, None: the one in force for the campaign).
AREA_REPORTS: frozenset[str] = frozenset({"visits"})


def build_report(
    name: str, *, session: Session, campaign: Campaign, areas: str | None = None
) -> Report:
    """A report by its command name (rounds, rates, followups, visits, phoners); ``areas``
    is the area scheme of a report grouped by area (ignored by the others)."""
    if name in AREA_REPORTS:
        return REPORTS[name](session=session, campaign=campaign, areas=areas)
    return REPORTS[name](session=session, campaign=campaign)
