"""A call's answers and needs as the script said them, for the visit's calendar event.

A booking stores the question and answer *texts* of the call's script version at booking
time, so a later edit of the script never changes what an existing visit's event says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from phoner.core.call_scripts import CallScript
from phoner.core.campaigns import campaign_script_or_none
from phoner.core.errors import NotFound
from phoner.core.models import CallAttempt, Campaign, Company


def script_for(
    campaign: Campaign | None, script_hash: str | None, workspace: Path | None
) -> CallScript | None:
    """The campaign's call script as it was when the call was made, or None when it cannot
    be read or has changed since (answer keys of another version could mean other texts)."""
    if campaign is None or not campaign.script_path:
        return None
    return campaign_script_or_none(campaign, workspace=workspace, script_hash=script_hash)


def _value_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def readable_answers(script: CallScript, answers: dict[str, Any]) -> list[list[str]]:
    """[question text, answer text] per answer of the call, in the order given (unknown
    question ids or answer keys are shown as they are)."""
    out: list[list[str]] = []
    for qid, key in answers.items():
        question = script.questions.get(str(qid))
        if question is None:
            out.append([str(qid).replace("_", " "), _value_text(key)])
            continue
        answer = question.answer_for(str(key))
        out.append([question.text, answer.text if answer is not None else _value_text(key)])
    return out


def readable_needs(script: CallScript, needs: dict[str, Any]) -> list[list[str]]:
    """[label, value] per needs field, labels from the script (the key when unknown)."""
    labels = {f.key: f.label for f in script.needs_fields}
    return [
        [labels.get(str(k), str(k).replace("_", " ")), _value_text(v)] for k, v in needs.items()
    ]


def call_details(
    session: Session, company: Company, attempt_id: int | None, workspace: Path | None = None
) -> dict[str, Any]:
    attempt: CallAttempt | None
    if attempt_id is not None:
        attempt = session.get(CallAttempt, attempt_id)
        if attempt is None or attempt.company_id != company.id:
            raise NotFound(f"Opkaldet med id {attempt_id} findes ikke for {company.name}.")
    else:
        attempt = session.exec(
            select(CallAttempt)
            .where(CallAttempt.company_id == company.id)
            .order_by(col(CallAttempt.ended_at).desc(), col(CallAttempt.id).desc())
        ).first()
    if attempt is None:
        return {}
    details: dict[str, Any] = {
        "answers": dict(attempt.answers),
        "needs": dict(attempt.needs),
        "note": attempt.note,
        "phoner": attempt.phoner,
        "attempt_id": attempt.id,
        "outcome": attempt.outcome.value,
    }
    if attempt.answers or attempt.needs:
        # the texts as the script said them at booking time: later edits of the script
        # do not change what an existing visit's calendar event says
        campaign = session.get(Campaign, company.campaign_id)
        script = script_for(campaign, attempt.script_hash, workspace)
        if script is not None:
            details["answers_text"] = readable_answers(script, dict(attempt.answers))
            details["needs_text"] = readable_needs(script, dict(attempt.needs))
    return details
