"""The call view: the phoner's screen for six hours a day.

Left: the company card. Right: the script (current question, numbered answers, answers
so far) or, with ``b``, the needs form and note. Top: the status line. Bottom: the keys.

Keys (nothing needs a mouse):

- ``1``-``9`` answer the current question; ``⌫`` goes back one answer; ``Enter`` saves
  the outcome the script reached and fetches the next company (a "not interested" call
  is ``3`` + ``Enter`` + the reason's key from the first question);
- ``i`` ikke truffet, ``o`` optaget, ``r`` ring tilbage, ``e`` ikke nu men senere, ``f``
  forkert nummer, ``l`` lukket, ``x`` frabeder sig henvendelser; ``p`` corrects the
  contact (:mod:`.call_details`; Esc in each dialog returns to the call, nothing lost);
- ``b`` opens the needs form, ``n`` jumps to the free note, ``Esc`` goes back;
- ``c`` copies the number (also a ``tel:`` link on the card); the corner shows a timer;
- ``u`` undoes the last outcome (within the core's undo window), ``s`` skips the company,
  ``h``/``?`` opens the FAQ, ``k`` the call list, ``v`` goes back to the start screen
  (another round or campaign) and ``q`` quits; both release the company, and both (and
  Ctrl+Q) ask first when answers, needs or a note would be lost (Enter = stay).

All database work runs in one exclusive worker group (``call``): record, claim, release,
undo, then load the card and the status. Failures reach the app's single error handler.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Select, TextArea
from textual.worker import Worker

from phoner.core.call_scripts import CallScript, ScriptWalk
from phoner.core.errors import PhonerError
from phoner.core.models import NotInterestedReason, Outcome
from phoner.core.phones import format_phone
from phoner.core.queue import claims, contact, outcomes, undo
from phoner.core.queue.card import CompanyCard, call_setup, call_view
from phoner.core.queue.claims import Claim
from phoner.tui.i18n import closed_text, format_day, format_when, outcome_label, t
from phoner.tui.screens.base import PhonerScreen
from phoner.tui.screens.call_data import CALL_ACTIONS, RecordRequest, Saved, View
from phoner.tui.widgets.company_card import CompanyCardView, primary_phone, timer_text
from phoner.tui.widgets.key_bar import KeyBar
from phoner.tui.widgets.needs_form import NeedsForm
from phoner.tui.widgets.script_panel import ScriptPanel
from phoner.tui.widgets.status_line import Status, StatusLine
from phoner.tui.workers import db_worker

#: From this width the needs form sits beside the script instead of replacing it.
WIDE = 120


class CallScreen(PhonerScreen):
    """Work the call list: one company at a time."""

    AUTO_FOCUS = None
    BINDINGS = [
        *[Binding(str(n), f"answer('{n}')", show=False) for n in range(1, 10)],
        Binding("backspace", "back", "bind.back", show=False),
        Binding("enter", "save", "bind.save", show=False),
        Binding("i", "outcome('ikke_truffet')", "bind.no_answer"),
        Binding("o", "outcome('optaget')", "bind.busy"),
        Binding("r", "callback", "bind.callback"),
        Binding("f", "outcome('forkert_nummer')", "bind.wrong_number"),
        Binding("l", "outcome('lukket')", "bind.closed"),
        Binding("x", "outcome('frabeder_sig_henvendelser')", "bind.do_not_call", show=False),
        Binding("e", "later", "bind.later"),
        Binding("p", "contact", "bind.contact", show=False),
        Binding("h,question_mark,f1", "faq", "bind.faq"),
        Binding("b", "needs", "bind.needs"),
        Binding("n", "note", "bind.note", show=False),
        Binding("u", "undo", "bind.undo"),
        Binding("s", "skip", "bind.skip"),
        Binding("k", "call_list", "bind.list"),
        Binding("c", "copy_phone", "bind.copy_phone", show=False),
        Binding("g", "refresh", "bind.retry", show=False),
        Binding("a", "anyway", show=False),
        Binding("v", "change_round", "bind.change_round"),
        Binding("q", "quit_calling", "bind.quit"),
        Binding("escape", "leave_form", show=False),
        # Enter in a needs field moves on at once (a priority binding, not the Input's
        # Submitted message): keys typed right after it must land in the next field.
        Binding("enter", "next_field", show=False, priority=True),
    ]

    class Prepared(Message):
        def __init__(
            self,
            script: CallScript,
            campaign: str,
            round_label: str,
            hours: tuple[dt.time, dt.time],
        ) -> None:
            self.script = script
            self.campaign = campaign
            self.round_label = round_label
            self.hours = hours
            super().__init__()

    class Shown(Message):
        def __init__(self, view: View) -> None:
            self.view = view
            super().__init__()

    class Renewed(Message):
        def __init__(self, expires_at: dt.datetime) -> None:
            self.expires_at = expires_at
            super().__init__()

    def __init__(
        self,
        *,
        phoner: str,
        campaign_id: int,
        round_id: int | None = None,
        company_id: int | None = None,
    ) -> None:
        super().__init__()
        self.phoner = phoner
        self.first_company_id = company_id  # chosen on the call list: called first
        self.campaign_id = campaign_id
        self.round_id = round_id
        self.script: CallScript | None = None
        self.campaign_name = ""
        self.round_label = ""
        self.claim: Claim | None = None
        self.card: CompanyCard | None = None
        self.walk: ScriptWalk | None = None
        self.saved: Saved | None = None
        self.busy = True
        self.ignore_hours = False
        self.started_at: dt.datetime | None = None
        self.empty_reason: str | None = None
        self.lease_expires_at: dt.datetime | None = None
        #: The outcome saved from the booking dialog (see :meth:`_book_visit`).
        self.booking_saved: Saved | None = None
        self.panel = "script-panel"  # in a narrow terminal: the script or the needs form
        self.calling_hours: tuple[dt.time, dt.time] | None = None  # the campaign's

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Horizontal(id="call-main"):
            yield CompanyCardView(id="card")
            yield ScriptPanel(id="script-panel")
            yield NeedsForm([], id="needs-form")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.query_one(CompanyCardView).border_title = t("card.title")
        panel = self.query_one(ScriptPanel)
        panel.border_title = t("script.title")
        panel.border_subtitle = t("script.faq_hint")
        panel.show(None, message=t("call.loading"))
        self._apply_layout()
        self.set_interval(1.0, self._tick_timer)
        self._prepare()

    # ------------------------------------------------------------------ workers

    @db_worker("call")
    def _prepare(self) -> None:
        setup = call_setup(
            db=self.db,
            campaign_id=self.campaign_id,
            round_id=self.round_id,
            workspace=self.phoner_app.settings.workspace,
        )
        if setup is None:
            raise PhonerError(t("call.no_campaign", id=self.campaign_id))
        number = setup.round_number
        label = t("call.round_n", number=number) if number is not None else t("call.round_all")
        self.post_message(
            self.Prepared(setup.script, setup.campaign_name, label, setup.calling_hours)
        )
        first, self.first_company_id = self.first_company_id, None
        if first is not None:
            self._load_view(self._claim_chosen(first))
        else:
            self._load_view(self._claim())

    def _claim(self) -> Claim | None:
        return claims.claim_next(
            db=self.db,
            campaign_id=self.campaign_id,
            phoner=self.phoner,
            round_id=self.round_id,
            now=self.now(),
            ignore_hours=self.ignore_hours,
        )

    def _claim_chosen(self, company_id: int) -> Claim:
        return claims.claim_company(
            db=self.db, company_id=company_id, phoner=self.phoner, now=self.now()
        )

    def open_company(self, company_id: int) -> None:
        """Call ``company_id`` now (chosen on the call list: it calls back, or called in).

        The company on screen goes back to the queue only once the chosen one is ours:
        a company another phoner holds is refused with a message, and nothing changes.
        """
        if self.claim is not None and self.claim.company_id == company_id:
            return
        if self.busy:
            self._say(t("call.busy"))
            return
        self.busy = True
        self._take(company_id, self.claim)

    @db_worker("call")
    def _take(self, company_id: int, old: Claim | None) -> None:
        claim = self._claim_chosen(company_id)
        if old is not None:
            claims.release(db=self.db, company_id=old.company_id, lease_token=old.lease_token)
        self._load_view(claim)

    def _load_view(
        self,
        claim: Claim | None,
        *,
        saved: Saved | None = None,
        restored: Saved | None = None,
    ) -> None:
        """Read the card, status and (if nothing to call) the reason; post it to the UI."""
        read = call_view(
            db=self.db,
            campaign_id=self.campaign_id,
            phoner=self.phoner,
            company_id=claim.company_id if claim is not None else None,
            now=self.now(),
            round_id=self.round_id,
            check_hours=not self.ignore_hours,
        )
        view = View(
            claim,
            read.card,
            read.stats,
            closed_text(read.closed),
            saved=saved,
            restored=restored,
        )
        self.post_message(self.Shown(view))

    @db_worker("call")
    def _record(self, request: RecordRequest) -> None:
        saved = self._save(request)
        self._load_view(self._claim(), saved=saved)

    def _save(self, request: RecordRequest) -> Saved:
        """Record ``request`` (in a worker); what undo needs of it."""
        attempt = outcomes.record_outcome(
            db=self.db,
            company_id=request.company_id,
            lease_token=request.lease_token,
            phoner=self.phoner,
            outcome=request.outcome,
            answers=request.answers,
            needs=request.needs,
            note=request.note or None,
            callback_at=request.callback_at,
            started_at=request.started_at,
            now=self.now(),
            reason=request.reason,
            reason_text=request.reason_text,
            revisit_on=request.revisit_on,
        )
        if request.outcome == Outcome.IKKE_NU and attempt.callback_at is not None:
            when = format_when(attempt.callback_at)
            self.app.call_from_thread(
                self._say, t("revisit.saved", company=request.company, when=when)
            )
        return Saved(
            attempt.id, request.outcome, request.company, request.answers, request.needs,
            request.note,
        )  # fmt: skip

    def _record_for_visit(self, request: RecordRequest) -> int:
        """Save the outcome from the booking dialog's worker, right before the visit is
        booked (or when the phoner saves without one); returns the attempt's id."""
        saved = self._save(request)
        self.app.call_from_thread(self._recorded_for_visit, saved)
        return saved.attempt_id

    def _recorded_for_visit(self, saved: Saved) -> None:
        self._set_saved(saved)
        self.claim = None  # the outcome is saved; the lease is gone
        self.booking_saved = saved

    @db_worker("call")
    def _next(self, saved: Saved | None = None) -> None:
        self._load_view(self._claim(), saved=saved)

    @db_worker("call")
    def _skip(self, old: Claim | None) -> None:
        # Claim first, then release: otherwise the queue hands the same company back.
        claim = self._claim()
        if old is not None:
            claims.release(db=self.db, company_id=old.company_id, lease_token=old.lease_token)
        self._load_view(claim)

    @db_worker("call")
    def _undo(self, saved: Saved, current: Claim | None) -> None:
        # Undo first (it may be refused); only then give up the company on screen.
        claim = undo.undo_outcome(
            db=self.db, attempt_id=saved.attempt_id, phoner=self.phoner, now=self.now()
        )
        if current is not None:
            claims.release(
                db=self.db, company_id=current.company_id, lease_token=current.lease_token
            )
        self._load_view(claim, restored=saved)

    @db_worker("lease")
    def _renew(self, claim: Claim) -> None:
        expires = claims.renew_lease(
            db=self.db, company_id=claim.company_id, lease_token=claim.lease_token, now=self.now()
        )
        self.post_message(self.Renewed(expires))

    def renew_now(self) -> None:
        """Extend the lease on the company on screen (runs on a timer)."""
        if self.claim is not None:
            self._renew(self.claim)

    def release_lease(self) -> None:
        """Give the company back to the queue (quit); safe to call more than once."""
        claim, self.claim = self.claim, None
        if claim is None:
            return
        with contextlib.suppress(PhonerError):  # else the lease expires within a minute
            claims.release(db=self.db, company_id=claim.company_id, lease_token=claim.lease_token)

    def worker_failed(self, worker: Worker[Any]) -> None:
        if worker.group == "call":
            self.busy = False
            if self.script is None:
                self.query_one(ScriptPanel).show(None, message=str(worker.error or ""))

    # ------------------------------------------------------------------ messages

    async def on_call_screen_prepared(self, message: Prepared) -> None:
        self.script = message.script
        self.campaign_name = message.campaign
        self.round_label = message.round_label
        self.calling_hours = message.hours
        form = NeedsForm(message.script.needs_fields, id="needs-form")
        form.border_title = t("needs.title")
        await self.query_one("#needs-form").remove()
        await self.query_one("#call-main").mount(form)
        self._apply_layout()
        self.phoner_app.sub_title = message.campaign
        # The heartbeat: a crashed terminal stops renewing, and its company is back in the
        # queue a lease (one minute) after the last beat.
        self.set_interval(claims.HEARTBEAT.total_seconds(), self.renew_now)

    def on_call_screen_shown(self, message: Shown) -> None:
        view = message.view
        self.busy = False
        self.claim = view.claim
        self.card = view.card
        self.lease_expires_at = view.claim.expires_at if view.claim else None
        self.empty_reason = view.empty_reason
        if view.stats is not None:
            answered = sum(n for o, n in view.stats.outcomes_today.items() if o.substantive)
            self.query_one(StatusLine).status = Status(
                phoner=self.phoner,
                campaign=self.campaign_name,
                round=self.round_label,
                calls=view.stats.calls_today,
                answered=answered,
                left=view.stats.left_in_round,
            )
        if view.saved is not None and view.saved != self.saved:
            self._set_saved(view.saved)
        if view.restored is not None:
            self._set_saved(None)
            self._say(t("call.undone", company=view.restored.company))
        self._show_company(view.restored)

    def on_call_screen_renewed(self, message: Renewed) -> None:
        self.lease_expires_at = message.expires_at

    def _book_visit(self, request: RecordRequest) -> None:
        """The booking step: the outcome is saved only when a visit is booked or the
        phoner chooses to save without one; Esc comes back to this call as it was."""
        from phoner.tui.screens.booking import NO_VISIT, BookingResult, BookingScreen

        self.booking_saved = None
        screen = BookingScreen(
            company_id=request.company_id,
            phoner=self.phoner,
            record=lambda: self._record_for_visit(request),
        )

        def done(result: BookingResult) -> None:
            saved, self.booking_saved = self.booking_saved, None
            if result is None:
                if saved is not None:
                    # saved, then the slot was refused and the phoner left: take it back
                    self.busy = True
                    self._undo(saved, None)
                else:
                    self._say(t("booking.back"))
                return
            if result == NO_VISIT:
                self._say(t("booking.skipped"))
            elif screen.booked_text:
                # what was booked stays on the status line until the next outcome
                self._set_saved(saved, text=screen.booked_text)
                self.notify(screen.booked_text, timeout=8)
            self.busy = True
            self._next(saved)

        self.app.push_screen(screen, done)

    # ------------------------------------------------------------------ showing

    def _set_saved(self, saved: Saved | None, *, text: str | None = None) -> None:
        """Remember the last outcome for undo, and keep it in view on the status line
        (``text``: what was booked) until the next outcome is saved."""
        self.saved = saved
        if text is None and saved is not None:
            text = t("call.last_saved", outcome=outcome_label(saved.outcome), company=saved.company)
        self.query_one(StatusLine).last = text or ""

    def _say(self, text: str) -> None:
        self.notify(text, timeout=4)

    def _banner(self) -> str | None:
        if self.claim is None or self.card is None:
            return None
        if self.claim.reason == "callback":
            agreed = next((a for a in self.card.attempts if a.callback_at is not None), None)
            if agreed is not None and agreed.outcome == Outcome.IKKE_NU and agreed.revisit_on:
                day = format_day(agreed.revisit_on)
                return t("call.reason.revisit", who=agreed.phoner, day=day)
            when = (
                format_when(agreed.callback_at, now=self.now())
                if agreed and agreed.callback_at
                else ""
            )
            if agreed is not None and agreed.phoner != self.phoner:
                return t("call.reason.callback_other", who=agreed.phoner, when=when)
            return t("call.reason.callback", when=when)
        if self.claim.reason == "retry":
            return t("call.reason.retry", n=self.card.company.attempts + 1)
        return None

    def _show_company(self, restored: Saved | None = None) -> None:
        card_view = self.query_one(CompanyCardView)
        panel = self.query_one(ScriptPanel)
        self._show_panel("script-panel")
        form = self.query_one(NeedsForm)
        if self.claim is None or self.card is None or self.script is None:
            self.walk = None
            self.started_at = None
            self._tick_timer()
            card_view.show_message(t("call.empty"))
            hint = t("call.empty_hint")
            if self.empty_reason:
                hint = f"{self.empty_reason}\n\n{t('call.outside_hours_hint')}"
            panel.show(None, message=hint)
            return
        self.walk = ScriptWalk(self.script)
        form.clear()
        if restored is not None:
            for key in restored.answers.values():
                try:
                    self.walk.answer(key)
                except PhonerError:
                    break
            form.fill(restored.needs)
            form.set_note(restored.note)
        self.started_at = self.now()
        self._tick_timer()
        card_view.show(self.card, banner=self._banner(), now=self.started_at)
        panel.values = {
            "phoner": self.phoner,
            "jobcenter": self.card.jobcenter_name,
            "company": self.card.company.name,
            "contact": self.card.company.contact_person,
        }
        panel.show(self.walk)

    def _tick_timer(self) -> None:
        """The call timer in the card's corner, from when the company was shown."""
        card_view = self.query_one(CompanyCardView)
        if self.started_at is None or self.card is None or self.claim is None:
            card_view.border_subtitle = ""
            return
        timer = timer_text(self.now() - self.started_at)
        hints = [t("card.copy_hint")] if primary_phone(self.card) else []
        card_view.border_subtitle = " · ".join([*hints, t("card.contact_hint"), timer])

    def _show_panel(self, which: str) -> None:
        self.panel = which
        self._apply_layout()
        if which == "script-panel":
            self.set_focus(None)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_field":
            focused = self.focused
            return isinstance(focused, Input) and _inside(focused, self.query_one(NeedsForm))
        return not (action in CALL_ACTIONS and self._typing())

    def _typing(self) -> bool:
        focused = self.focused
        return isinstance(focused, Input | Select | TextArea) or (
            focused is not None and _inside(focused, self.query_one(NeedsForm))
        )

    def _ready(self) -> bool:
        if self.busy:
            self._say(t("call.busy"))
            return False
        return self.claim is not None and self.walk is not None

    def action_answer(self, key: str) -> None:
        if not self._ready() or self.walk is None or self.walk.finished:
            return
        try:
            self.walk.answer(key)
        except PhonerError:
            self.notify(t("script.no_answer_key", key=key), severity="warning", timeout=3)
            return
        self.query_one(ScriptPanel).show(self.walk)

    def action_back(self) -> None:
        if self.walk is None or self.busy:
            return
        self.walk.back()
        self.query_one(ScriptPanel).show(self.walk)

    def action_save(self) -> None:
        if not self._ready() or self.walk is None or not self.walk.finished:
            return
        outcome = self.walk.outcome
        if outcome is None:
            return
        if outcome == Outcome.RING_TILBAGE:
            self.action_callback()
            return
        if outcome == Outcome.IKKE_INTERESSERET:
            from phoner.tui.screens.call_details import ask_reason

            ask_reason(self)  # one key more: why
            return
        self._submit(outcome, visit=self.walk.wants_visit)

    def action_later(self) -> None:
        """'Ikke nu, men senere': when the company expects a need; it comes back then."""
        from phoner.tui.screens.call_details import ask_revisit

        ask_revisit(self)

    def action_outcome(self, code: str) -> None:
        if not self._ready():
            return
        self._submit(Outcome(code))

    def action_callback(self) -> None:
        if not self._ready() or self.card is None:
            return
        from phoner.tui.screens.callback import CallbackScreen

        def chosen(when: dt.datetime | None) -> None:
            if when is not None:
                self._submit(Outcome.RING_TILBAGE, callback_at=when)

        picker = CallbackScreen(
            company=self.card.company.name,
            now=self.now(),
            **({"hours": self.calling_hours} if self.calling_hours else {}),
        )
        self.app.push_screen(picker, chosen)

    def _submit(
        self,
        outcome: Outcome,
        *,
        callback_at: dt.datetime | None = None,
        visit: bool = False,
        reason: NotInterestedReason | None = None,
        reason_text: str | None = None,
        revisit_on: dt.date | None = None,
    ) -> None:
        if self.claim is None or self.card is None or self.walk is None:
            return
        if not self._form_ok():
            return
        form = self.query_one(NeedsForm)
        request = RecordRequest(
            company_id=self.claim.company_id,
            lease_token=self.claim.lease_token,
            company=self.card.company.name,
            outcome=outcome,
            answers=self.walk.answers,
            needs=form.values(),
            note=form.note(),
            callback_at=callback_at,
            started_at=self.started_at,
            reason=reason,
            reason_text=reason_text,
            revisit_on=revisit_on,
        )
        if visit:
            self._book_visit(request)
            return
        self.busy = True
        self._record(request)

    def _form_ok(self) -> bool:  # else says why and shows the field
        from phoner.tui.screens.call_details import form_ok

        return form_ok(self)

    def action_undo(self) -> None:
        if self.busy:
            self._say(t("call.busy"))
            return
        if self.saved is None:
            self._say(t("call.nothing_to_undo"))
            return
        self.busy = True
        self._undo(self.saved, self.claim)

    def action_skip(self) -> None:
        if self.busy:
            self._say(t("call.busy"))
            return
        if self.card is not None:
            self._say(t("call.skipped", company=self.card.company.name))
        self.busy = True
        self._skip(self.claim)

    def action_refresh(self) -> None:
        if self.busy or self.claim is not None:
            return
        self.busy = True
        self._next()

    def action_anyway(self) -> None:
        """Call outside the calling hours (an agreed late call-back, a demo at night)."""
        if self.busy or self.claim is not None or not self.empty_reason:
            return
        self.ignore_hours = True
        self.busy = True
        self._next()

    def action_faq(self) -> None:
        if self.script is None:
            return
        from phoner.tui.screens.faq import FaqScreen

        self.app.push_screen(FaqScreen(self.script))

    def action_needs(self) -> None:
        if self.walk is None:
            return
        self._show_panel("needs-form")
        self.query_one(NeedsForm).focus_first()

    def action_note(self) -> None:
        """Straight to the free note (the reason for 'not interested', a name, ...)."""
        if self.walk is None:
            return
        self._show_panel("needs-form")
        self.query_one(NeedsForm).focus_note()

    def action_leave_form(self) -> None:
        self._show_panel("script-panel")

    def action_copy_phone(self) -> None:
        """Copy the number to dial (OSC 52: works over SSH, in most terminals)."""
        phone = primary_phone(self.card) if self.card is not None and self.claim else None
        if phone is None:
            self._say(t("call.no_phone_to_copy"))
            return
        self.app.copy_to_clipboard(phone)
        self._say(t("call.phone_copied", phone=format_phone(phone)))

    def action_contact(self) -> None:
        """Correct the number to call and the contact person (the old stay on the card)."""
        from phoner.tui.screens.call_details import ask_contact

        ask_contact(self)

    @db_worker("call")
    def _correct(self, claim: Claim, wrong_numbers: int, change: Any) -> None:
        from phoner.tui.screens.call_details import show_corrected

        try:
            card = contact.correct_contact(
                db=self.db,
                company_id=claim.company_id,
                lease_token=claim.lease_token,
                phoner=self.phoner,
                phone=change.phone,
                contact_person=change.contact_person,
                email=change.email,
                wrong_numbers=wrong_numbers,
                now=self.now(),
            )
        finally:
            self.app.call_from_thread(setattr, self, "busy", False)
        self.app.call_from_thread(show_corrected, self, card)

    def action_call_list(self) -> None:
        self.phoner_app.open_call_list(campaign_id=self.campaign_id, round_id=self.round_id)

    async def action_quit_calling(self) -> None:
        await self.phoner_app.action_quit()

    def action_change_round(self) -> None:
        """Back to the start screen (another round or campaign); the company is released."""

        def leave() -> None:
            self.release_lease()
            self.app.pop_screen()

        self.unless_work_is_lost(leave, yes=t("call.leave.change"))

    def unsaved_work(self) -> bool:
        """Whether leaving now would lose something typed for the company on screen."""
        if self.claim is None or self.walk is None:
            return False
        return bool(self.walk.answers) or self.query_one(NeedsForm).typed()

    def unless_work_is_lost(
        self,
        then: Callable[[], object],
        *,
        yes: str,
        stay: Callable[[], object] | None = None,
    ) -> None:
        """Run ``then`` now, or after the phoner confirms that the typed work may go
        (``stay``, if given, runs when the phoner stays)."""
        if not self.unsaved_work():
            then()
            return
        from phoner.tui.screens.dialogs import ConfirmDialog

        company = self.card.company.name if self.card is not None else ""

        def answered(go: bool | None) -> None:
            if go:
                then()
            elif stay is not None:
                stay()

        dialog = ConfirmDialog(
            t("call.leave.question", company=company),
            yes=yes,
            no=t("call.leave.stay"),
            safe_default=True,
        )
        self.app.push_screen(dialog, answered)

    # ------------------------------------------------------------------ lifecycle

    def action_next_field(self) -> None:
        self.focus_next()

    def on_screen_resume(self) -> None:
        # Back from the FAQ, picker or call list: keys act on the call again.
        if self.panel == "script-panel":
            self.call_after_refresh(self.set_focus, None)

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        """Narrow terminals show the script or the needs form; wide ones show both."""
        wide = self.size.width >= WIDE
        self.query_one("#call-main").set_class(wide, "three-columns")
        self.query_one(ScriptPanel).display = wide or self.panel == "script-panel"
        self.query_one(NeedsForm).display = wide or self.panel == "needs-form"


def _inside(widget: Widget, container: Widget) -> bool:
    node: Any = widget
    while node is not None:
        if node is container:
            return True
        node = node.parent
    return False
