"""Correct the number to call and the contact person during a call.

A wrong number often comes with the right one ("ring til Lis på 40 12 34 56"). The
phoner holding the company types what the company said; :func:`correct_contact` checks
it (the phone through :func:`phoner.core.phones.parse_phone`, a Danish message if it is
not a number), puts the new number where the dialled one was, and keeps what it replaced
in the company's own history: ``Company.extra[card.HISTORY_KEY]``, a list of
``{"dato", "af", "telefon", "kontaktperson", "email"}`` (the old values; only those that
changed). The card shows them (:attr:`CompanyCard.contact_changes`). The history is
personal data like the numbers themselves: GDPR export and anonymisation cover
``extra``; the audit entry says which fields changed, never to what.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select

from phoner.core import audit
from phoner.core.clock import local_date
from phoner.core.db import Database
from phoner.core.errors import InvalidInput, NotFound
from phoner.core.models import Company
from phoner.core.phones import parse_phone
from phoner.core.queue._common import check_phoner, lost_lease, now_utc
from phoner.core.queue.card import HISTORY_KEY, CompanyCard, company_card


def check_phone(text: str) -> str:
    """The typed number as E.164; :class:`InvalidInput` (Danish) if it is not one."""
    if not text.strip():
        raise InvalidInput(
            "Skriv det nummer, der skal ringes til.",
            hint="Fx 33 12 34 56, eller et udenlandsk nummer med +landekode.",
        )
    phone = parse_phone(text)
    if phone is None:
        raise InvalidInput(
            f"{text.strip()!r} er ikke et gyldigt telefonnummer.",
            hint="Skriv 8 cifre, fx 33 12 34 56, eller et udenlandsk nummer med +landekode.",
        )
    return phone


def check_email(text: str) -> str | None:
    """The typed e-mail address (None if empty); :class:`InvalidInput` if it is not one."""
    text = text.strip()
    if not text:
        return None
    local, _, domain = text.partition("@")
    if not local or "." not in domain or " " in text:
        raise InvalidInput(
            f"{text!r} er ikke en e-mailadresse.",
            hint="Skriv fx navn@virksomhed.dk, eller tøm feltet.",
        )
    return text


def correct_contact(
    *,
    db: Database,
    company_id: int,
    lease_token: str,
    phoner: str,
    phone: str,
    contact_person: str,
    email: str,
    wrong_numbers: int = 0,
    now: dt.datetime | None = None,
) -> CompanyCard | None:
    """Save the corrected number, contact person and e-mail; the card as it is now, or
    None when nothing changed. ``wrong_numbers`` (the card's) says which number is the
    one dialled: that one is replaced. Only the phoner holding the company may do it."""
    phoner = check_phoner(phoner)
    moment = now_utc(now)
    new_phone = check_phone(phone)
    new_email = check_email(email)
    new_person = " ".join(contact_person.split()) or None
    if new_person is not None and len(new_person) > 200:
        raise InvalidInput("Navnet på kontaktpersonen er for langt (højst 200 tegn).")
    with db.session(write=True) as session:
        stmt = select(Company).where(col(Company.id) == company_id)
        if not db.is_sqlite:
            stmt = stmt.with_for_update()
        company = session.exec(stmt).first()
        if company is None:
            raise NotFound(f"Virksomheden med id {company_id} findes ikke.")
        if company.lease_token != lease_token:
            raise lost_lease(company.name)
        phones = list(company.phones)
        index = min(wrong_numbers, len(phones) - 1) if phones else 0
        old_phone = phones[index] if phones else None
        old: dict[str, Any] = {}
        if new_phone != old_phone:
            old["telefon"] = old_phone
            rest = [p for i, p in enumerate(phones) if i != index and p != new_phone]
            company.phones = [*rest[:index], new_phone, *rest[index:]]
        if new_person != company.contact_person:
            old["kontaktperson"] = company.contact_person
            company.contact_person = new_person
        if new_email != company.email:
            old["email"] = company.email
            company.email = new_email
        if not old:
            return None
        entry = {"dato": local_date(moment).isoformat(), "af": phoner, **old}
        extra = dict(company.extra)
        extra[HISTORY_KEY] = [*(extra.get(HISTORY_KEY) or []), entry]
        company.extra = extra
        session.add(company)
        audit.record(
            session,
            actor=phoner,
            action="correct_contact",
            entity="company",
            entity_id=company.id,
            campaign_id=company.campaign_id,
            new={"changed": sorted(k for k in old)},
        )
        session.flush()
        return company_card(session=session, company_id=company_id)
