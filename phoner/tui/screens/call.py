"""The call view: the phoner's screen for six hours a day.

Left: the company card. Right: the script (current question, numbered answers, answers
so far) or, with ``b``, the needs form and note. Top: the status line. Bottom: the keys.

Keys (nothing needs a mouse):

- ``1``-``9`` answer the current question; ``⌫`` goes back one answer; ``Enter`` saves
  the outcome the script reached and fetches the next company (a "not interested" call
  is ``3`` + ``Enter`` from the first question);
- ``i`` ikke truffet, ``o`` optaget, ``r`` ring tilbage (date/time picker), ``f``
  forkert nummer, ``l`` lukket: always available, one key each;
- ``b`` opens the needs form, ``n`` jumps to the free note, ``Esc`` goes back;
- ``u`` undoes the last outcome (within the core's undo window), ``s`` skips the company,
  ``h``/``?`` opens the FAQ, ``k`` the call list, ``q`` quits (the company is released).

All database work runs in one exclusive worker group (``call``): record, claim, release,
undo, then load the card and the status. Failures reach the app's single error handler.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Select
from textual.worker import Worker

from phoner.core import lookups
from phoner.core.call_scripts import CallScript, ScriptWalk
from phoner.core.campaigns import campaign_script
from phoner.core.clock import local_date
from phoner.core.errors import PhonerError
from phoner.core.models import Outcome
from phoner.core.queue import claims, hours, outcomes, undo
from phoner.core.queue.card import CompanyCard, PhonerStats, company_card, phoner_stats
from phoner.core.queue.claims import Claim
from phoner.tui.i18n import closed_text, format_when, outcome_label, t
from phoner.tui.screens.base import PhonerScreen
from phoner.tui.widgets.company_card import CompanyCardView
from phoner.tui.widgets.key_bar import KeyBar
from phoner.tui.widgets.needs_form import NOTE_ID, NeedsForm
from phoner.tui.widgets.script_panel import ScriptPanel
from phoner.tui.widgets.status_line import Status, StatusLine
from phoner.tui.workers import db_worker

#: From this width the needs form sits beside the script instead of replacing it.
WIDE = 120

#: Actions that act on the call; they are off while the phoner types in the needs form.
CALL_ACTIONS = {
    "answer",
    "back",
    "save",
    "outcome",
    "callback",
    "undo",
    "skip",
    "faq",
    "call_list",
    "refresh",
    "anyway",
    "quit_calling",
    "needs",
    "note",
}


@dataclass(frozen=True)
class Saved:
    """The last recorded outcome (for the undo key and the 'saved' message)."""

    attempt_id: int
    outcome: Outcome
    company: str
    answers: dict[str, str]
    needs: dict[str, Any]
    note: str


@dataclass(frozen=True)
class RecordRequest:
    company_id: int
    lease_token: str
    company: str
    outcome: Outcome
    answers: dict[str, str]
    needs: dict[str, Any]
    note: str
    callback_at: dt.datetime | None
    started_at: dt.datetime | None
    wants_visit: bool = False


@dataclass(frozen=True)
class View:
    """What a worker hands back to be shown: the company (or why there is none)."""

    claim: Claim | None
    card: CompanyCard | None
    stats: PhonerStats | None
    empty_reason: str | None = None
    saved: Saved | None = None
    restored: Saved | None = None
    notes: list[str] = field(default_factory=list)


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
        Binding("h,question_mark,f1", "faq", "bind.faq"),
        Binding("b", "needs", "bind.needs"),
        Binding("n", "note", "bind.note", show=False),
        Binding("u", "undo", "bind.undo"),
        Binding("s", "skip", "bind.skip"),
        Binding("k", "call_list", "bind.list"),
        Binding("g", "refresh", "bind.retry", show=False),
        Binding("a", "anyway", show=False),
        Binding("q", "quit_calling", "bind.quit"),
        Binding("escape", "leave_form", show=False),
    ]

    class Prepared(Message):
        def __init__(self, script: CallScript, campaign: str, round_label: str) -> None:
            self.script = script
            self.campaign = campaign
            self.round_label = round_label
            super().__init__()

    class Shown(Message):
        def __init__(self, view: View) -> None:
            self.view = view
            super().__init__()

    class RecordedForVisit(Message):
        """A vil_kontaktes with a visit was recorded: the booking step comes next."""

        def __init__(self, request: RecordRequest, saved: Saved, card: CompanyCard) -> None:
            self.request = request
            self.saved = saved
            self.card = card
            super().__init__()

    class Renewed(Message):
        def __init__(self, expires_at: dt.datetime) -> None:
            self.expires_at = expires_at
            super().__init__()

    def __init__(self, *, phoner: str, campaign_id: int, round_id: int | None = None) -> None:
        super().__init__()
        self.phoner = phoner
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
        self.panel = "script-panel"  # in a narrow terminal: the script or the needs form

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
        panel.show(None, message=t("call.loading"))
        self._apply_layout()
        self._prepare()

    # ------------------------------------------------------------------ workers

    @db_worker("call")
    def _prepare(self) -> None:
        with self.db.session() as session:
            campaign = lookups.campaign_by_id(session, self.campaign_id)
            if campaign is None:
                raise PhonerError(t("call.no_campaign", id=self.campaign_id))
            rnd = lookups.round_by_id(session, self.round_id) if self.round_id is not None else None
        script = campaign_script(campaign, workspace=self.phoner_app.settings.workspace)
        label = t("call.round_n", number=rnd.number) if rnd else t("call.round_all")
        self.post_message(self.Prepared(script, campaign.name, label))
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

    def _load_view(
        self,
        claim: Claim | None,
        *,
        saved: Saved | None = None,
        restored: Saved | None = None,
    ) -> None:
        """Read the card, status and (if nothing to call) the reason; post it to the UI."""
        now = self.now()
        with self.db.session() as session:
            card = (
                company_card(session=session, company_id=claim.company_id)
                if claim is not None
                else None
            )
            stats = phoner_stats(
                session=session,
                campaign_id=self.campaign_id,
                phoner=self.phoner,
                day=local_date(now),
                round_id=self.round_id,
            )
            reason = None
            if claim is None and not self.ignore_hours:
                campaign = lookups.campaign_by_id(session, self.campaign_id)
                if campaign is not None:
                    reason = closed_text(hours.closed_now(campaign, now))
        self.post_message(
            self.Shown(View(claim, card, stats, reason, saved=saved, restored=restored))
        )

    @db_worker("call")
    def _record(self, request: RecordRequest) -> None:
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
        )
        assert attempt.id is not None
        saved = Saved(
            attempt.id,
            request.outcome,
            request.company,
            request.answers,
            request.needs,
            request.note,
        )
        if request.wants_visit and self.card is not None:
            self.post_message(self.RecordedForVisit(request, saved, self.card))
            return
        self._load_view(self._claim(), saved=saved)

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

    def on_call_screen_recorded_for_visit(self, message: RecordedForVisit) -> None:
        self._set_saved(message.saved)
        self.claim = None  # the outcome is saved; the lease is gone
        from phoner.tui.screens.booking import BookingScreen

        screen = BookingScreen(
            company_id=message.request.company_id,
            phoner=self.phoner,
            attempt_id=message.saved.attempt_id,
        )

        def done(result: int | None) -> None:
            self._say(t("booking.booked") if result else t("booking.skipped"))
            self._next(message.saved)

        self.app.push_screen(screen, done)

    # ------------------------------------------------------------------ showing

    def _set_saved(self, saved: Saved | None) -> None:
        """Remember the last outcome for undo, and keep it in view under the script."""
        self.saved = saved
        panel = self.query_one(ScriptPanel)
        panel.border_subtitle = (
            t("call.last_saved", outcome=outcome_label(saved.outcome), company=saved.company)
            if saved is not None
            else ""
        )

    def _say(self, text: str) -> None:
        self.notify(text, timeout=4)

    def _banner(self) -> str | None:
        if self.claim is None or self.card is None:
            return None
        if self.claim.reason == "callback":
            agreed = next((a for a in self.card.attempts if a.callback_at is not None), None)
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
        card_view.show(self.card, banner=self._banner())
        panel.values = {
            "phoner": self.phoner,
            "jobcenter": self.card.jobcenter_name,
            "company": self.card.company.name,
            "contact": self.card.company.contact_person,
        }
        panel.show(self.walk)

    def _show_panel(self, which: str) -> None:
        self.panel = which
        self._apply_layout()
        if which == "script-panel":
            self.set_focus(None)

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in CALL_ACTIONS and self._typing())

    def _typing(self) -> bool:
        focused = self.focused
        return isinstance(focused, Input | Select) or (
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
        self._submit(outcome, wants_visit=self.walk.wants_visit)

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

        self.app.push_screen(CallbackScreen(company=self.card.company.name, now=self.now()), chosen)

    def _submit(
        self,
        outcome: Outcome,
        *,
        callback_at: dt.datetime | None = None,
        wants_visit: bool = False,
    ) -> None:
        if self.claim is None or self.card is None or self.walk is None:
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
            wants_visit=wants_visit,
        )
        self.busy = True
        self._record(request)

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

    def action_call_list(self) -> None:
        self.phoner_app.open_call_list(campaign_id=self.campaign_id, round_id=self.round_id)

    async def action_quit_calling(self) -> None:
        await self.phoner_app.action_quit()

    # ------------------------------------------------------------------ lifecycle

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == NOTE_ID:  # the note is the last field: back to the call
            self.action_leave_form()
        else:
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
