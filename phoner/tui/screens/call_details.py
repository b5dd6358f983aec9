"""The call screen's small dialogs for what a call brings besides the outcome.

- :class:`ReasonDialog`: why "Ikke interesseret" (one key per reason; ``5`` Andet opens a
  line for the words). Returns ``(reason, text)``; Esc returns None: back to the call,
  nothing saved, nothing lost.
- :class:`RevisitDialog`: "Ikke nu, men senere": when the company expects a need (one
  key for the usual spans, or a typed date). Returns the day; Esc returns None.
- :class:`ContactDialog`: correct the phone number and the contact person during the
  call. Returns the typed values; core checks and saves them (the old ones stay in the
  company's history).

The call screen's keys open them through :func:`ask_reason`, :func:`ask_revisit` and
:func:`ask_contact` (here, to keep the call screen's module short).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.events import Key
from textual.widgets import Input, Label, Static

from phoner.core.clock import to_local
from phoner.core.errors import PhonerError
from phoner.core.models import NotInterestedReason, Outcome
from phoner.core.phones import format_phone
from phoner.core.queue import contact
from phoner.tui.i18n import format_day, t
from phoner.tui.screens.base import PhonerModal
from phoner.tui.widgets.company_card import REASON_LABELS, CompanyCardView, primary_phone
from phoner.tui.widgets.needs_form import NeedsForm

if TYPE_CHECKING:
    from phoner.core.queue.card import CompanyCard
    from phoner.tui.screens.call import CallScreen

CSS = Path(__file__).with_name("call_details.tcss")

#: The reasons in key order (1-5).
REASONS: tuple[NotInterestedReason, ...] = tuple(NotInterestedReason)

ReasonResult = tuple[NotInterestedReason, str | None] | None


class ReasonDialog(PhonerModal[ReasonResult]):
    """Why the company is not interested: 1-5, Andet with a few words."""

    CSS_PATH = CSS
    AUTO_FOCUS = None
    BINDINGS = [
        Binding("escape", "cancel", "bind.close"),
        *[Binding(str(i), f"choose({i - 1})", show=False) for i in range(1, len(REASONS) + 1)],
    ]

    def __init__(self, *, company: str) -> None:
        super().__init__()
        self.company = company

    def compose(self) -> ComposeResult:
        with Vertical(classes="details-dialog", id="reason-dialog"):
            yield Static(t("reason.title"), classes="details-title")
            yield Static(t("callback.company", company=self.company), markup=False)
            for i, reason in enumerate(REASONS, start=1):
                yield Static(f" {i}  {REASON_LABELS[reason]}", markup=False, classes="preset")
            yield Input(placeholder=t("reason.other_placeholder"), id="reason-text")
            yield Static("", id="reason-error", classes="details-error", markup=False)
            yield Static(t("reason.hint"), classes="hint")

    def on_mount(self) -> None:
        field = self.query_one("#reason-text", Input)
        field.display = False
        field.can_focus = False  # the keys pick a reason until 5 (Andet) opens the field
        self.call_after_refresh(self.set_focus, None)

    def action_choose(self, index: int) -> None:
        reason = REASONS[index]
        if reason != NotInterestedReason.ANDET:
            self.dismiss((reason, None))
            return
        field = self.query_one("#reason-text", Input)
        field.display = True
        field.can_focus = True
        field.focus()

    @on(Input.Submitted, "#reason-text")
    def _typed(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.query_one("#reason-error", Static).update(t("reason.other_empty"))
            return
        self.dismiss((NotInterestedReason.ANDET, text))

    def action_cancel(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------- revisit

_DAY = re.compile(r"(?P<d>\d{1,2})[-./](?P<mo>\d{1,2})(?:[-./](?P<y>\d{2,4}))?\.?")
_ISO = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})")
_MONTH = re.compile(r"(?P<mo>\d{1,2})[-./](?P<y>\d{4})")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` ``months`` later, on the month's last day if it is shorter (31.01 + 1)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_day(text: str, today: dt.date) -> dt.date | None:
    """A typed day in Danish habits (None: not understood): ``1-9-2027``, ``01.09.2027``,
    ``1.9`` (the next 1 September), ``2027-09-01``, or a month ``9-2027`` (its 1st)."""
    s = text.strip().lower()
    try:
        if m := _ISO.fullmatch(s):
            return dt.date(int(m["y"]), int(m["mo"]), int(m["d"]))
        if m := _MONTH.fullmatch(s):
            return dt.date(int(m["y"]), int(m["mo"]), 1)
        if m := _DAY.fullmatch(s):
            year = int(m["y"]) if m["y"] else today.year
            year += 2000 if year < 100 else 0
            day = dt.date(year, int(m["mo"]), int(m["d"]))
            if not m["y"] and day <= today:
                day = day.replace(year=day.year + 1)
            return day
    except ValueError:
        return None
    return None


#: The quick picks (keys 1-4): months from today.
REVISIT_MONTHS = (1, 3, 6, 12)


class RevisitDialog(PhonerModal[dt.date | None]):
    """When the company expects to need help: 1-4 or a typed date; Esc back to the call."""

    CSS_PATH = CSS
    AUTO_FOCUS = None
    BINDINGS = [
        Binding("escape", "cancel", "bind.close"),
        *[Binding(str(i), f"preset({i - 1})", show=False) for i in range(1, 5)],
    ]

    def __init__(self, *, company: str, now: dt.datetime) -> None:
        super().__init__()
        self.company = company
        self.today = to_local(now).date()
        self.choices = [add_months(self.today, n) for n in REVISIT_MONTHS]

    def compose(self) -> ComposeResult:
        with Vertical(classes="details-dialog", id="revisit-dialog"):
            yield Static(t("revisit.title"), classes="details-title")
            yield Static(t("callback.company", company=self.company), markup=False)
            for i, (months, day) in enumerate(zip(REVISIT_MONTHS, self.choices, strict=True)):
                label = t(f"revisit.preset.{months}", day=format_day(day))
                yield Static(f" {i + 1}  {label}", markup=False, classes="preset")
            yield Static(t("revisit.input"), classes="panel-title")
            yield Input(placeholder=t("revisit.placeholder"), id="revisit-input")
            yield Static("", id="revisit-error", classes="details-error", markup=False)
            yield Static(t("revisit.explain"), classes="hint")
            yield Static(t("revisit.hint"), classes="hint")

    def on_mount(self) -> None:
        # The quick picks first: the date field gets focus only on typing.
        self.call_after_refresh(self.set_focus, None)

    def action_preset(self, index: int) -> None:
        self.dismiss(self.choices[index])

    def on_key(self, event: Key) -> None:
        # As in the call-back picker: digits 1-4 pick, any other character starts typing.
        field = self.query_one("#revisit-input", Input)
        if field.has_focus:
            return
        if event.character and event.character.isprintable() and event.key not in "1234":
            field.focus()
            field.insert_text_at_cursor(event.character)
            event.stop()

    @on(Input.Submitted, "#revisit-input")
    def _typed(self, event: Input.Submitted) -> None:
        error = self.query_one("#revisit-error", Static)
        day = parse_day(event.value, self.today)
        if day is None:
            error.update(t("revisit.invalid", text=event.value))
            return
        if day <= self.today:
            error.update(t("revisit.past", day=format_day(day)))
            return
        self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------- contact


@dataclass(frozen=True)
class ContactChange:
    """What the phoner typed in the contact form (core normalises and checks it)."""

    phone: str
    contact_person: str
    email: str


class ContactDialog(PhonerModal[ContactChange | None]):
    """The number to call and the contact person, as the company just said them.

    Enter in the last field (or Ctrl+S) saves; Esc returns to the call unchanged. A
    refused number (core's Danish message) is shown here, and the dialog stays open.
    """

    CSS_PATH = CSS
    BINDINGS = [
        Binding("escape", "cancel", "bind.close"),
        Binding("ctrl+s", "save", "contact.bind.save"),
        Binding("enter", "next_or_save", show=False, priority=True),
    ]

    def __init__(self, *, company: str, phone: str, contact_person: str, email: str) -> None:
        super().__init__()
        self.company = company
        self.values = ContactChange(phone, contact_person, email)

    def compose(self) -> ComposeResult:
        with Vertical(classes="details-dialog", id="contact-dialog"):
            yield Static(t("contact.title"), classes="details-title")
            yield Static(t("callback.company", company=self.company), markup=False)
            yield Label(t("contact.phone"))
            yield Input(self.values.phone, id="contact-phone")
            yield Label(t("contact.person"))
            yield Input(self.values.contact_person, id="contact-person")
            yield Label(t("contact.email"))
            yield Input(self.values.email, id="contact-email")
            yield Static("", id="contact-error", classes="details-error", markup=False)
            yield Static(t("contact.hint"), classes="hint")

    def on_mount(self) -> None:
        field = self.query_one("#contact-phone", Input)
        field.focus()
        field.select_all()  # typing replaces the wrong number

    def show_error(self, text: str) -> None:
        self.query_one("#contact-error", Static).update(text)

    def action_next_or_save(self) -> None:
        if self.focused is self.query_one("#contact-email", Input):
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        change = ContactChange(
            phone=self.query_one("#contact-phone", Input).value.strip(),
            contact_person=self.query_one("#contact-person", Input).value.strip(),
            email=self.query_one("#contact-email", Input).value.strip(),
        )
        try:  # core's checks, here, so a refused number can be put right at once
            contact.check_phone(change.phone)
            contact.check_email(change.email)
        except PhonerError as exc:
            self.show_error(str(exc))
            return
        self.dismiss(change)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --------------------------------------------------------------------------- the call screen's


def ask_reason(screen: CallScreen) -> None:
    """Why not interested: one key; Esc comes back to the call as it was."""
    card = screen.card
    if card is None or not screen._form_ok():
        return

    def chosen(result: ReasonResult) -> None:
        if result is not None:
            reason, text = result
            screen._submit(Outcome.IKKE_INTERESSERET, reason=reason, reason_text=text)

    screen.app.push_screen(ReasonDialog(company=card.company.name), chosen)


def ask_revisit(screen: CallScreen) -> None:
    """'Ikke nu, men senere': the day the company expects a need; Esc back to the call."""
    card = screen.card
    if not screen._ready() or card is None or not screen._form_ok():
        return

    def chosen(day: dt.date | None) -> None:
        if day is not None:
            screen._submit(Outcome.IKKE_NU, revisit_on=day)

    screen.app.push_screen(RevisitDialog(company=card.company.name, now=screen.now()), chosen)


def ask_contact(screen: CallScreen) -> None:
    """The contact form for the company on screen; saving runs in the call's worker."""
    card, claim = screen.card, screen.claim
    if not screen._ready() or card is None or claim is None:
        return
    phone = primary_phone(card)

    def chosen(change: ContactChange | None) -> None:
        if change is not None:
            screen.busy = True
            screen._correct(claim, card.wrong_numbers, change)

    dialog = ContactDialog(
        company=card.company.name,
        phone=format_phone(phone) if phone else "",
        contact_person=card.company.contact_person or "",
        email=card.company.email or "",
    )
    screen.app.push_screen(dialog, chosen)


def show_corrected(screen: CallScreen, card: CompanyCard | None) -> None:
    """The corrected card (None: nothing changed); only the card changes: answers,
    needs and note stay."""
    screen.busy = False
    if card is None:
        screen._say(t("contact.unchanged"))
        return
    if screen.claim is None or screen.claim.company_id != card.company.id:
        return
    screen.card = card
    screen.query_one(CompanyCardView).show(card, banner=screen._banner(), now=screen.now())
    screen._tick_timer()
    screen._say(t("contact.saved"))


def form_ok(screen: CallScreen) -> bool:
    """The needs form can be saved as typed; else say why and show the field (refuse,
    never save a changed or dropped value)."""
    form = screen.query_one(NeedsForm)
    problem = form.problem()
    if problem is None:
        return True
    screen.notify(problem.text, severity="warning", timeout=8)
    screen._show_panel("needs-form")
    form.focus_field(problem.field_id)
    return False
