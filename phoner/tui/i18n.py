"""Every string the TUI shows, in Danish (default) and English (``PHONER_LANG=en``).

The one place for user-facing TUI text: screens and widgets call :func:`t` with a key and
keyword arguments. The Danish catalog is the reference; the English one must have the
same keys (a test checks it).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from phoner.core.models import CallState, Outcome

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")

DA: dict[str, str] = {
    # app
    "app.title": "phoner",
    "app.quit": "Afslut",
    "app.error_unexpected": "Der skete en uventet fejl; intet halvt er gemt. Detaljer: {path}",
    "app.error_title": "Fejl",
    # start screen
    "start.title": "Velkommen til phoner",
    "start.name": "Dit navn",
    "start.name_placeholder": "Skriv dit navn (fx Anne Hansen)",
    "start.known": "Kendte navne: {names}",
    "start.campaign": "Kampagne",
    "start.round": "Runde",
    "start.all_rounds": "Alle aktive runder",
    "start.round_label": "Runde {number} ({state})",
    "start.no_campaigns": "Ingen kampagner endnu. Opret en med: phoner campaign create",
    "start.no_rounds": "Ingen aktive runder",
    "start.list_title": "Ringeliste: {campaign} · {count} virksomheder",
    "start.hint": "Skriv dit navn og tryk Enter for at begynde at ringe.",
    "start.need_name": "Skriv dit navn, før du begynder.",
    "start.need_campaign": "Vælg en kampagne, før du begynder.",
    "start.start": "Begynd at ringe",
    "start.call_list": "Ringeliste",
    "round_state.planned": "planlagt",
    "round_state.active": "aktiv",
    "round_state.closed": "lukket",
    # call list
    "list.title": "Ringeliste: {campaign}",
    "list.count": "{count} virksomheder",
    "list.col.name": "Virksomhed",
    "list.col.cvr": "CVR",
    "list.col.phone": "Telefon",
    "list.col.municipality": "Kommune",
    "list.col.round": "Runde",
    "list.col.state": "Status",
    "list.back": "Tilbage",
    "list.filter": "Søg",
    "list.filter_placeholder": "Søg i navn, CVR, telefon eller kommune",
    # call states (queue)
    "state.new": "Ikke ringet",
    "state.retry": "Ring igen",
    "state.callback": "Ring tilbage",
    "state.done": "Afsluttet",
    "state.not_reached": "Ikke opnået",
    "state.leased": "I gang ({who})",
    # call view
    "call.title": "Opkald",
    "call.status": "{phoner} · {round} · {campaign}",
    "call.counts": "I dag {calls} opkald · {answered} besvaret · {left} tilbage",
    "call.round_all": "Alle runder",
    "call.round_n": "Runde {number}",
    "call.loading": "Henter næste virksomhed …",
    "call.empty": "Der er ingen virksomheder at ringe til lige nu.",
    "call.empty_hint": "Alle i runden er ringet op, eller de næste er først klar senere. "
    "Tryk g for at prøve igen, k for ringelisten, q for at afslutte.",
    "call.outside_hours_hint": "Tryk a for at ringe alligevel (fx et aftalt sent opkald), "
    "k for ringelisten, q for at afslutte.",
    "call.reason.callback": "Aftalt tilbagekald {when}",
    "call.reason.callback_other": "Tilbagekald aftalt af {who} {when}",
    "call.reason.retry": "Genopkald (forsøg {n})",
    "call.reason.new": "Ny virksomhed",
    "call.reason.undo": "Fortrudt udfald",
    "call.saved": "Gemt: {outcome} · {company}. Tryk u for at fortryde.",
    "call.undone": "Fortrudt: {company} er tilbage på skærmen.",
    "call.last_saved": "Sidst: {outcome} · {company} (u fortryder)",
    "call.nothing_to_undo": "Der er ikke noget at fortryde.",
    "call.undo_expired": "For sent at fortryde (fristen er {seconds} sekunder).",
    "call.skipped": "Sprunget over: {company}.",
    "call.lease_lost": "Du har mistet reservationen af {company}; en anden kan have taget den.",
    "call.busy": "Vent et øjeblik …",
    "call.need_callback_time": "Vælg et tidspunkt for tilbagekaldet.",
    # company card
    "card.title": "Virksomhed",
    "card.cvr": "CVR {cvr}",
    "card.no_cvr": "CVR mangler",
    "card.primary": "primær",
    "card.no_phone": "Intet telefonnummer",
    "card.contact": "Kontakt: {name}",
    "card.email": "E-mail: {email}",
    "card.municipality": "{municipality} Kommune",
    "card.employees": "{n} ansatte",
    "card.industry": "Branche: {industry}",
    "card.round": "Runde {number}",
    "card.attempts": "Tidligere opkald",
    "card.no_attempts": "Ikke ringet før.",
    "card.attempt": "{when} {outcome} ({who})",
    "card.clearing": "Clearing: {note}",
    "card.flags": "Bemærk: {flags}",
    # script panel
    "script.title": "Manuskript",
    "script.opening": "Indledning",
    "script.question": "Spørgsmål {n}",
    "script.answers_so_far": "Svar indtil nu",
    "script.finished": "Udfald: {outcome}",
    "script.finished_hint": "Enter: gem og næste virksomhed · ⌫: tilbage · n: note · b: behov",
    "script.visit_hint": "Enter: gem og book besøg · ⌫: tilbage · n: note · b: behov",
    "script.no_answer_key": "Svar {key} findes ikke her.",
    "script.missing": "Kampagnens manuskript kan ikke læses: {error}",
    # needs
    "needs.title": "Behov og note",
    "needs.note": "Note",
    "needs.note_placeholder": "Fri note til konsulenten",
    "needs.hint": "Tab: næste felt · Esc: tilbage til manuskriptet",
    "needs.choose": "Vælg …",
    # key bar
    "keys.outcomes": "i Ikke truffet  o Optaget  r Ring tilbage  f Forkert nr.  l Lukket",
    "keys.other": "1-9 Svar  ⌫ Tilbage  h FAQ  b Behov  u Fortryd  s Spring  k Liste  q Afslut",
    # bindings (footer descriptions)
    "bind.no_answer": "Ikke truffet",
    "bind.busy": "Optaget",
    "bind.callback": "Ring tilbage",
    "bind.wrong_number": "Forkert nr.",
    "bind.closed": "Lukket",
    "bind.faq": "FAQ",
    "bind.needs": "Behov",
    "bind.note": "Note",
    "bind.undo": "Fortryd",
    "bind.skip": "Spring over",
    "bind.list": "Ringeliste",
    "bind.back": "Tilbage",
    "bind.save": "Gem",
    "bind.retry": "Prøv igen",
    "bind.quit": "Afslut",
    "bind.close": "Luk",
    "bind.dashboard": "Overblik",
    "bind.followups": "Opfølgning",
    "bind.visits": "Besøg",
    "bind.bookings": "Bookinger",
    "bind.clearing": "Clearing",
    # FAQ
    "faq.title": "FAQ og indvendinger",
    "faq.search": "Søg i FAQ",
    "faq.none": "Ingen svar matcher {query!r}.",
    "faq.empty": "Manuskriptet har ingen FAQ.",
    "faq.hint": "Skriv for at søge · ↑↓ vælg · Esc luk",
    # callback picker
    "callback.title": "Ring tilbage: vælg tidspunkt",
    "callback.company": "Virksomhed: {company}",
    "callback.presets": "Hurtigvalg",
    "callback.preset.in_hour": "Om en time ({when})",
    "callback.preset.tomorrow_morning": "Næste hverdag, formiddag ({when})",
    "callback.preset.tomorrow_afternoon": "Næste hverdag, eftermiddag ({when})",
    "callback.preset.next_week": "Om en uge ({when})",
    "callback.input": "Eller skriv dato og tid",
    "callback.input_placeholder": "fx 24-11 10:30, i morgen 10, eller 14:15",
    "callback.invalid": "Forstår ikke {text!r}. Skriv fx 24-11 10:30 eller 14:15.",
    "callback.past": "Tidspunktet {when} er passeret. Vælg et senere tidspunkt.",
    "callback.hint": "1-4 hurtigvalg · Tab: skriv tidspunkt, Enter gem · Esc fortryd",
    "callback.chosen": "Ring tilbage {when}",
    # booking fallback
    "booking.unavailable": "Booking er ikke klar endnu; en opfølgning er oprettet til en "
    "konsulent.",
    "booking.booked": "Besøg booket.",
    "booking.skipped": "Intet besøg booket; en konsulent følger op.",
    # time words
    "time.today": "i dag",
    "time.tomorrow": "i morgen",
}

EN: dict[str, str] = {
    "app.title": "phoner",
    "app.quit": "Quit",
    "app.error_unexpected": "An unexpected error occurred; nothing half-done was saved. "
    "Details: {path}",
    "app.error_title": "Error",
    "start.title": "Welcome to phoner",
    "start.name": "Your name",
    "start.name_placeholder": "Type your name (e.g. Anne Hansen)",
    "start.known": "Known names: {names}",
    "start.campaign": "Campaign",
    "start.round": "Round",
    "start.all_rounds": "All active rounds",
    "start.round_label": "Round {number} ({state})",
    "start.no_campaigns": "No campaigns yet. Create one with: phoner campaign create",
    "start.no_rounds": "No active rounds",
    "start.list_title": "Call list: {campaign} · {count} companies",
    "start.hint": "Type your name and press Enter to start calling.",
    "start.need_name": "Type your name before you start.",
    "start.need_campaign": "Choose a campaign before you start.",
    "start.start": "Start calling",
    "start.call_list": "Call list",
    "round_state.planned": "planned",
    "round_state.active": "active",
    "round_state.closed": "closed",
    "list.title": "Call list: {campaign}",
    "list.count": "{count} companies",
    "list.col.name": "Company",
    "list.col.cvr": "CVR",
    "list.col.phone": "Phone",
    "list.col.municipality": "Municipality",
    "list.col.round": "Round",
    "list.col.state": "State",
    "list.back": "Back",
    "list.filter": "Search",
    "list.filter_placeholder": "Search name, CVR, phone or municipality",
    "state.new": "Not called",
    "state.retry": "Call again",
    "state.callback": "Call back",
    "state.done": "Done",
    "state.not_reached": "Not reached",
    "state.leased": "In progress ({who})",
    "call.title": "Call",
    "call.status": "{phoner} · {round} · {campaign}",
    "call.counts": "Today {calls} calls · {answered} answered · {left} left",
    "call.round_all": "All rounds",
    "call.round_n": "Round {number}",
    "call.loading": "Fetching the next company …",
    "call.empty": "There are no companies to call right now.",
    "call.empty_hint": "Everyone in the round has been called, or the next ones are due "
    "later. Press g to try again, k for the call list, q to quit.",
    "call.outside_hours_hint": "Press a to call anyway (e.g. an agreed late call), k for "
    "the call list, q to quit.",
    "call.reason.callback": "Agreed call-back {when}",
    "call.reason.callback_other": "Call-back agreed by {who} {when}",
    "call.reason.retry": "Retry (attempt {n})",
    "call.reason.new": "New company",
    "call.reason.undo": "Undone outcome",
    "call.saved": "Saved: {outcome} · {company}. Press u to undo.",
    "call.undone": "Undone: {company} is back on screen.",
    "call.last_saved": "Last: {outcome} · {company} (u undoes)",
    "call.nothing_to_undo": "There is nothing to undo.",
    "call.undo_expired": "Too late to undo (the limit is {seconds} seconds).",
    "call.skipped": "Skipped: {company}.",
    "call.lease_lost": "You lost the reservation of {company}; someone else may have it.",
    "call.busy": "One moment …",
    "call.need_callback_time": "Choose a time for the call-back.",
    "card.title": "Company",
    "card.cvr": "CVR {cvr}",
    "card.no_cvr": "CVR missing",
    "card.primary": "primary",
    "card.no_phone": "No phone number",
    "card.contact": "Contact: {name}",
    "card.email": "E-mail: {email}",
    "card.municipality": "{municipality} Municipality",
    "card.employees": "{n} employees",
    "card.industry": "Industry: {industry}",
    "card.round": "Round {number}",
    "card.attempts": "Previous calls",
    "card.no_attempts": "Not called before.",
    "card.attempt": "{when} {outcome} ({who})",
    "card.clearing": "Clearing: {note}",
    "card.flags": "Note: {flags}",
    "script.title": "Script",
    "script.opening": "Opening",
    "script.question": "Question {n}",
    "script.answers_so_far": "Answers so far",
    "script.finished": "Outcome: {outcome}",
    "script.finished_hint": "Enter: save and next company · ⌫: back · n: note · b: needs",
    "script.visit_hint": "Enter: save and book a visit · ⌫: back · n: note · b: needs",
    "script.no_answer_key": "There is no answer {key} here.",
    "script.missing": "The campaign's script cannot be read: {error}",
    "needs.title": "Needs and note",
    "needs.note": "Note",
    "needs.note_placeholder": "Free note for the consultant",
    "needs.hint": "Tab: next field · Esc: back to the script",
    "needs.choose": "Choose …",
    "keys.outcomes": "i No answer  o Busy  r Call back  f Wrong no.  l Closed",
    "keys.other": "1-9 Answer  ⌫ Back  h FAQ  b Needs  u Undo  s Skip  k List  q Quit",
    "bind.no_answer": "No answer",
    "bind.busy": "Busy",
    "bind.callback": "Call back",
    "bind.wrong_number": "Wrong no.",
    "bind.closed": "Closed",
    "bind.faq": "FAQ",
    "bind.needs": "Needs",
    "bind.note": "Note",
    "bind.undo": "Undo",
    "bind.skip": "Skip",
    "bind.list": "Call list",
    "bind.back": "Back",
    "bind.save": "Save",
    "bind.retry": "Try again",
    "bind.quit": "Quit",
    "bind.close": "Close",
    "bind.dashboard": "Dashboard",
    "bind.followups": "Follow-ups",
    "bind.visits": "Visits",
    "bind.bookings": "Bookings",
    "bind.clearing": "Clearing",
    "faq.title": "FAQ and objections",
    "faq.search": "Search the FAQ",
    "faq.none": "No answers match {query!r}.",
    "faq.empty": "The script has no FAQ.",
    "faq.hint": "Type to search · ↑↓ select · Esc close",
    "callback.title": "Call back: choose a time",
    "callback.company": "Company: {company}",
    "callback.presets": "Quick choices",
    "callback.preset.in_hour": "In an hour ({when})",
    "callback.preset.tomorrow_morning": "Next working day, morning ({when})",
    "callback.preset.tomorrow_afternoon": "Next working day, afternoon ({when})",
    "callback.preset.next_week": "In a week ({when})",
    "callback.input": "Or type a date and time",
    "callback.input_placeholder": "e.g. 24-11 10:30, tomorrow 10, or 14:15",
    "callback.invalid": "Cannot read {text!r}. Type e.g. 24-11 10:30 or 14:15.",
    "callback.past": "The time {when} has passed. Choose a later time.",
    "callback.hint": "1-4 quick choice · Tab: type a time, Enter save · Esc cancel",
    "callback.chosen": "Call back {when}",
    "booking.unavailable": "Booking is not available yet; a follow-up was created for a "
    "consultant.",
    "booking.booked": "Visit booked.",
    "booking.skipped": "No visit booked; a consultant will follow up.",
    "time.today": "today",
    "time.tomorrow": "tomorrow",
}

OUTCOME_EN: dict[Outcome, str] = {
    Outcome.VIL_KONTAKTES: "Wants contact",
    Outcome.IKKE_INTERESSERET: "Not interested",
    Outcome.HAR_FLEKSJOBBERE: "Has flex-job employees",
    Outcome.HAR_KONTAKT: "Already in contact",
    Outcome.IKKE_TRUFFET: "No answer",
    Outcome.OPTAGET: "Busy",
    Outcome.RING_TILBAGE: "Call back",
    Outcome.FORKERT_NUMMER: "Wrong number",
    Outcome.LUKKET: "Closed",
}

CATALOGS = {"da": DA, "en": EN}
_lang = "da"


def set_language(lang: str) -> None:
    """Switch the catalog (``da`` or ``en``); anything else falls back to Danish."""
    global _lang
    _lang = lang if lang in CATALOGS else "da"


def language() -> str:
    return _lang


def t(key: str, /, **kw: object) -> str:
    """The text for ``key`` in the current language, formatted with ``kw``."""
    text = CATALOGS[_lang].get(key) or DA.get(key) or key
    return text.format(**kw) if kw else text


def outcome_label(outcome: Outcome | str) -> str:
    out = Outcome.parse(outcome) if isinstance(outcome, str) else outcome
    return OUTCOME_EN[out] if _lang == "en" else out.label


def state_label(state: CallState | str) -> str:
    return t(f"state.{CallState(state).value}")


def local(when: dt.datetime) -> dt.datetime:
    return when.astimezone(LOCAL_TZ)


def format_when(when: dt.datetime, *, now: dt.datetime | None = None) -> str:
    """A time for people: ``i dag 14.30``, ``i morgen 9.00`` or ``24.11. 10.30``."""
    w = local(when)
    sep = ":" if _lang == "en" else "."
    clock = f"{w.hour}{sep}{w.minute:02d}"
    if now is not None:
        today = local(now).date()
        if w.date() == today:
            return f"{t('time.today')} {clock}"
        if w.date() == today + dt.timedelta(days=1):
            return f"{t('time.tomorrow')} {clock}"
    if _lang == "en":
        return f"{w.day:02d}/{w.month:02d} {clock}"
    return f"{w.day:02d}.{w.month:02d}. {clock}"


def format_short(when: dt.datetime) -> str:
    """Date and time in a card line: ``24.11. 10.30``."""
    return format_when(when)
