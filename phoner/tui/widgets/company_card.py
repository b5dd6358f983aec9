"""The company card: who the phoner is calling, and what happened before."""

from __future__ import annotations

import datetime as dt

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from phoner.core.display import format_date
from phoner.core.models import FollowUpKind, NotInterestedReason
from phoner.core.phones import format_phone
from phoner.core.queue.card import CompanyCard
from phoner.tui import usecases
from phoner.tui.i18n import Labels, format_day, format_slot, format_when, outcome_label, t

REASON_LABELS: Labels[NotInterestedReason] = Labels("label.reason", NotInterestedReason)

#: Earlier attempts shown on the card (newest first); older ones are summarised.
MAX_ATTEMPTS = 6


FOLLOWUP_KIND_KEYS = {
    FollowUpKind.CALL_COMPANY: "fu.kind.call",
    FollowUpKind.AGREEMENT: "fu.kind.agreement",
    FollowUpKind.OTHER: "fu.kind.other",
}


def _visits_and_followups(card: CompanyCard, now: dt.datetime | None) -> Text:
    """The company's visits and open promises: what the phoner must know first."""
    out = Text()
    if card.visits:
        out.append(t("card.visits") + "\n", style="bold underline")
        for v in card.visits:
            when = format_slot(v.start, v.end)
            past = now is not None and v.end <= now
            line = t("card.visit", when=when, consultant=v.consultant)
            if v.result is not None:  # what the consultant registered, also before the day
                line = f"({usecases.MEETING_STATUS_LABELS[v.result]}) {line}"
            elif past:
                line = t("card.visit_past", when=when, consultant=v.consultant)
            out.append(f"» {line}\n", style="dim" if past or v.result else "bold")
    if card.followups:
        out.append(t("card.followups") + "\n", style="bold underline")
        for f in card.followups:
            who = t("card.followup_who", who=f.consultant) if f.consultant else ""
            kind = t(FOLLOWUP_KIND_KEYS[f.kind])
            out.append(f"• {t('card.followup', kind=kind, due=format_date(f.due_date), who=who)}\n")
            if f.description:
                out.append(f"  “{f.description}”\n", style="italic")
    if out:
        out.append("\n")
    return out


def card_text(
    card: CompanyCard, *, banner: str | None = None, now: dt.datetime | None = None
) -> Text:
    """The card as styled text; meaning never depends on colour alone (NO_COLOR).

    With ``now``, times of the next two days read "i dag kl. 14.30" / "i morgen …"."""
    c = card.company
    out = Text()
    if banner:
        out.append(f"» {banner}\n", style="bold reverse")
    out.append(c.name, style="bold")
    out.append("\n")
    cvr = t("card.cvr", cvr=c.cvr) if c.cvr else t("card.no_cvr")
    parts = [cvr]
    if card.round_number is not None:
        parts.append(t("card.round", number=card.round_number))
    out.append(" · ".join(parts) + "\n")
    if c.phones:
        for i, phone in enumerate(c.phones):
            wrong = i < card.wrong_numbers
            line = f"☎ {format_phone(phone)}"
            # a terminal hyperlink (OSC 8): a click dials it in the softphone
            link = Style(link=phone_link(phone))
            if i == min(card.wrong_numbers, len(c.phones) - 1) and not wrong:
                out.append(line, style=Style(bold=True) + link)
                out.append(f" ({t('card.primary')})\n", style="bold")
            elif wrong:
                out.append(line, style="strike dim")
                out.append(f" ({outcome_label('forkert_nummer').lower()})\n", style="dim")
            else:
                out.append(line, style=link)
                out.append("\n")
    else:
        out.append(t("card.no_phone") + "\n", style="bold")
    if c.contact_person:
        out.append(t("card.contact", name=c.contact_person) + "\n")
    if c.email:
        out.append(t("card.email", email=c.email) + "\n")
    for change in card.contact_changes:
        old = [
            *([f"☎ {format_phone(change.phone)}"] if change.phone else []),
            *([change.contact_person] if change.contact_person else []),
            *([change.email] if change.email else []),
        ]
        text = ", ".join(old) or "–"
        line = t("card.old_contact", day=format_date(change.day), who=change.by, old=text)
        out.append(line + "\n", style="dim")
    address = ", ".join(
        p for p in [c.address or "", " ".join(x for x in [c.postcode, c.city] if x)] if p
    )
    if address:
        out.append(address + "\n")
    facts = []
    if c.municipality:
        facts.append(t("card.municipality", municipality=c.municipality))
    if c.employees is not None:
        facts.append(
            t("card.employees.one") if c.employees == 1 else t("card.employees", n=c.employees)
        )
    if facts:
        out.append(" · ".join(facts) + "\n")
    if c.industry:
        industry = c.industry + (f" ({c.industry_code})" if c.industry_code else "")
        out.append(t("card.industry", industry=industry) + "\n")
    if card.jobcenter_name:
        out.append(card.jobcenter_name + "\n", style="dim")
    if c.flags:
        out.append(t("card.flags", flags=", ".join(c.flags)) + "\n", style="italic")
    for note in card.clearing_notes:
        out.append(t("card.clearing", note=note) + "\n", style="italic")
    out.append("\n")
    out.append_text(_visits_and_followups(card, now))
    out.append(t("card.attempts") + "\n", style="bold underline")
    if not card.attempts:
        out.append(t("card.no_attempts") + "\n", style="dim")
    for a in card.attempts[:MAX_ATTEMPTS]:
        out.append(
            t(
                "card.attempt",
                when=format_when(a.at, now=now),
                outcome=outcome_label(a.outcome),
                who=a.phoner,
            )
            + "\n"
        )
        if a.reason is not None:
            reason = REASON_LABELS[a.reason] + (f": {a.reason_text}" if a.reason_text else "")
            out.append("  " + t("card.reason", reason=reason) + "\n", style="dim")
        if a.revisit_on is not None:
            out.append("  " + t("card.revisit", day=format_day(a.revisit_on)) + "\n", style="dim")
        if a.callback_at is not None:
            out.append(f"  → {format_when(a.callback_at, now=now)}\n", style="dim")
        if a.note:
            out.append(f"  “{a.note}”\n", style="italic")
    if len(card.attempts) > MAX_ATTEMPTS:
        out.append(f"  … +{len(card.attempts) - MAX_ATTEMPTS}\n", style="dim")
    out.rstrip()
    return out


def phone_link(e164: str) -> str:
    """The ``tel:`` URI of a stored (E.164) number: ``tel:+4533123456``."""
    return "tel:" + "".join(ch for ch in e164 if ch.isdigit() or ch == "+")


def primary_phone(card: CompanyCard) -> str | None:
    """The number to dial: the first not known to be wrong (the last one if all are)."""
    phones = card.company.phones
    if not phones:
        return None
    return phones[min(card.wrong_numbers, len(phones) - 1)]


def timer_text(elapsed: dt.timedelta) -> str:
    """The call timer, mm:ss (minutes go past 59 rather than wrap)."""
    seconds = max(0, int(elapsed.total_seconds()))
    return t("card.timer", time=f"{seconds // 60:02d}:{seconds % 60:02d}")


class CompanyCardView(VerticalScroll):
    """Scrollable card (long histories scroll, the name stays at the top)."""

    can_focus = False

    def compose(self) -> ComposeResult:
        yield Static("", id="card-body")

    def show(
        self,
        card: CompanyCard | None,
        *,
        banner: str | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        body = self.query_one("#card-body", Static)
        body.update(card_text(card, banner=banner, now=now) if card is not None else "")
        if self.scroll_y:
            self.scroll_home(animate=False)

    def show_message(self, text: str) -> None:
        self.query_one("#card-body", Static).update(Text(text))
