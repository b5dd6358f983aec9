"""Book a visit during the call: the first free slots, one key books.

Shown when the script reaches "may a consultant visit? -> yes". The list shows the first
free slots across the company's jobcenter's consultants, earliest first. Keys:

- ``Enter`` books the highlighted slot (the earliest, when the screen opens); ``1``-``9``
  book slot number n directly;
- ``←``/``→`` browse day by day (only days with free slots), ``f`` goes back to the first
  free slots, ``c`` switches consultant (all -> each -> all);
- ``Tab`` reaches the contact person, e-mail and mobile for the reminder (pre-filled from
  the company; what is in the fields when the slot is booked is what is saved);
- ``Esc`` closes without booking (returns None); during a call that means *back to the
  call*, with nothing saved;
- ``g`` (during a call) saves the call's outcome without a visit (returns
  :data:`NO_VISIT`): a deliberate choice, never what Esc does.

During a call the outcome is not saved before the dialog opens: ``record`` (run in the
booking worker right before the visit is booked, or by ``g``) saves it and returns the
attempt's id, so Esc leaves the call exactly as it was.

A company that has a visit already (booked earlier, from the CLI, by another phoner) is
never booked twice: the screen says when and with whom, and the slot picked moves that
visit (as ``m`` on the Bookinger screen does). After booking, :attr:`BookingScreen.
booked_text` says what was booked (day, date, time, consultant, company).

Returns the booking id. Rules are checked again when booking; a slot someone else took a
moment ago is refused with the reason, and the list is refreshed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import Worker, WorkerState

from phoner.core.clock import to_local
from phoner.core.display import format_date, format_time
from phoner.core.errors import PhonerError
from phoner.core.models import CancelReason
from phoner.core.queue.card import VisitLine
from phoner.tui import usecases
from phoner.tui.errors import error_text
from phoner.tui.i18n import format_day, format_slot, format_when, t, weekday_name
from phoner.tui.screens.base import Cell, Listing, PhonerModal, TableScreen
from phoner.tui.usecases import BookingRefused, Slot
from phoner.tui.workers import db_worker

MAX_DAY_STEPS = 70
FIRST_LIMIT = 9
DAY_LIMIT = 40

#: The booking dialog's result when the phoner saved the outcome without a visit.
NO_VISIT: Final = "no_visit"
#: A booking id, :data:`NO_VISIT`, or None (closed: nothing booked, nothing saved).
BookingResult = int | Literal["no_visit"] | None


class SlotTable(DataTable[str]):
    """The slot list; ←/→ browse days instead of moving between columns."""

    def action_cursor_right(self) -> None:
        screen = self.screen
        if isinstance(screen, BookingScreen):
            screen.action_day(1)

    def action_cursor_left(self) -> None:
        screen = self.screen
        if isinstance(screen, BookingScreen):
            screen.action_day(-1)


@dataclass(frozen=True)
class _Loaded:
    slots: list[Slot]
    day: dt.date | None
    consultants: list[tuple[int, str]]
    company: str
    contact: tuple[str, str, str]
    existing: VisitLine | None = None  # the company's live visit: booking moves it


class BookingScreen(PhonerModal[BookingResult]):
    """Pick a free slot and book it; returns the booking id, :data:`NO_VISIT` or None."""

    CSS_PATH = Path(__file__).with_name("booking.tcss")
    AUTO_FOCUS = "#booking-slots"

    BINDINGS = [
        Binding("escape", "close", "bind.close"),
        Binding("enter", "book_highlighted", "booking.bind.book", priority=False),
        *[Binding(str(n), f"book_number({n})", show=False) for n in range(1, 10)],
        Binding("right", "day(1)", "booking.bind.next_day"),
        Binding("left", "day(-1)", "booking.bind.prev_day"),
        Binding("f", "first", "booking.bind.first"),
        Binding("c", "consultant", "col.consultant"),
        Binding("g", "no_visit", "booking.bind.no_visit"),
    ]

    class Loaded(Message):
        def __init__(self, loaded: _Loaded) -> None:
            self.loaded = loaded
            super().__init__()

    class Refused(Message):
        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class Booked(Message):
        def __init__(self, booking_id: int, text: str) -> None:
            self.booking_id = booking_id
            self.text = text
            super().__init__()

    class SavedWithoutVisit(Message):
        pass

    def __init__(
        self,
        *,
        company_id: int,
        phoner: str,
        attempt_id: int | None = None,
        move_booking_id: int | None = None,
        record: Callable[[], int] | None = None,
    ) -> None:
        super().__init__()
        self.move_booking_id = move_booking_id
        #: Saves the call's outcome (in a worker thread) and returns the attempt id.
        self.record = record
        self.company_id = company_id
        self.phoner = phoner
        self.attempt_id = attempt_id
        self.slots: list[Slot] = []
        self.day: dt.date | None = None
        self.consultant_id: int | None = None
        self.consultants: list[tuple[int, str]] = []
        self.busy = False
        self._contact_loaded = False
        self.company_name = ""
        #: What was booked, for the phoner to read after the dialog closed (day, date,
        #: time, consultant, company); empty until a slot is booked.
        self.booked_text = ""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(id="booking-dialog"):
            yield Static("", id="booking-title", markup=False)
            yield Static("", id="booking-mode", markup=False)
            yield Static("", id="booking-existing", markup=False)
            yield SlotTable(id="booking-slots", cursor_type="row", zebra_stripes=True)
            yield Static("", id="booking-error", markup=False)
            with Horizontal(classes="booking-field"):
                yield Label(t("booking.contact"), classes="booking-label")
                yield Input(id="booking-contact")
            with Horizontal(classes="booking-field"):
                yield Label(t("booking.email"), classes="booking-label")
                yield Input(id="booking-email")
            with Horizontal(classes="booking-field"):
                yield Label(t("booking.mobile"), classes="booking-label")
                yield Input(id="booking-mobile")
            keys = "booking.keys.call" if self.record is not None else "booking.keys"
            yield Static(t(keys), id="booking-keys", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#booking-slots", DataTable)
        table.add_columns(
            t("booking.col.n"),
            t("booking.col.day"),
            t("booking.col.time"),
            t("booking.col.consultant"),
        )
        self.load()

    # ------------------------------------------------------------------ loading

    @db_worker("booking")
    def load(self, day: dt.date | None = None, step: int = 0) -> None:
        """Find slots: the first free (day None), or the day ``day`` (moving by ``step``
        until a day with free slots is found)."""
        choices = usecases.slot_choices(
            db=self.db,
            company_id=self.company_id,
            now=self.now(),
            first_limit=FIRST_LIMIT,
            day_limit=DAY_LIMIT,
            day=day,
            step=step,
            max_steps=MAX_DAY_STEPS,
            consultant_id=self.consultant_id,
        )
        if choices is None:
            raise PhonerError(t("booking.no_company", id=self.company_id))
        if day is not None and not choices.slots:
            self.post_message(self.Refused(t("booking.none.day")))
            return
        loaded = _Loaded(
            slots=choices.slots,
            day=choices.day,
            consultants=[(c.id, c.name) for c in choices.consultants],
            company=choices.company,
            contact=(choices.contact_person or "", choices.email or "", ""),
            existing=choices.existing,
        )
        self.post_message(self.Loaded(loaded))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        data = message.loaded
        self.slots = data.slots
        self.day = data.day
        self.consultants = data.consultants
        self.company_name = data.company
        existing = self.query_one("#booking-existing", Static)
        if data.existing is not None and self.move_booking_id in (None, data.existing.booking_id):
            # the company has a visit already: the booking step moves it (never a second)
            self.move_booking_id = data.existing.booking_id
            when = format_slot(data.existing.start, data.existing.end)
            existing.update(t("booking.existing", when=when, consultant=data.existing.consultant))
        existing.display = data.existing is not None
        title = "booking.title.move" if self.move_booking_id else "booking.title"
        self.query_one("#booking-title", Static).update(t(title, company=data.company))
        if not self._contact_loaded:
            self._contact_loaded = True
            contact, email, mobile = data.contact
            self.query_one("#booking-contact", Input).value = contact
            self.query_one("#booking-email", Input).value = email
            self.query_one("#booking-mobile", Input).value = mobile
        self.query_one("#booking-mode", Static).update(self._mode_text())
        table = self.query_one("#booking-slots", DataTable)
        table.clear()
        for i, slot in enumerate(self.slots, start=1):
            local = to_local(slot.start)
            table.add_row(
                str(i) if i <= 9 else "",
                format_day(local.date()),
                f"{format_time(slot.start)}–{format_time(slot.end)}",
                slot.consultant_name,
                key=str(i),
            )
        if self.slots:
            table.move_cursor(row=0)
        if not self.slots:
            self.query_one("#booking-error", Static).update(t("booking.none"))

    def _mode_text(self) -> str:
        if self.day is None:
            mode = t("booking.mode.first")
        else:
            mode = t(
                "booking.mode.day",
                weekday=weekday_name(self.day.weekday()),
                day=format_date(self.day),
            )
        if self.consultant_id is None:
            who = t("booking.filter.all")
        else:
            name = next((n for cid, n in self.consultants if cid == self.consultant_id), "?")
            who = t("booking.filter.one", name=name)
        return f"{mode} · {who}"

    # ------------------------------------------------------------------ browsing

    def action_day(self, step: int) -> None:
        self._clear_error()
        if self.day is None:
            base = self.slots[0].day if self.slots else to_local(self.now()).date()
            if step > 0:
                self.load(base, 1)  # the whole day of the first free slot, then onwards
                return
            target = base + dt.timedelta(days=step)
        else:
            target = self.day + dt.timedelta(days=step)
        self.load(target, step)

    def _clear_error(self) -> None:
        self.query_one("#booking-error", Static).update("")

    def action_first(self) -> None:
        self._clear_error()
        self.load()

    def action_consultant(self) -> None:
        self._clear_error()
        ids = [cid for cid, _ in self.consultants]
        if not ids:
            return
        if self.consultant_id is None:
            self.consultant_id = ids[0]
        else:
            i = ids.index(self.consultant_id) if self.consultant_id in ids else -1
            self.consultant_id = ids[i + 1] if i + 1 < len(ids) else None
        self.load(self.day, 0)

    # ------------------------------------------------------------------ booking

    def action_book_highlighted(self) -> None:
        table = self.query_one("#booking-slots", DataTable)
        if self.slots and 0 <= table.cursor_row < len(self.slots):
            self._book(self.slots[table.cursor_row])

    def action_book_number(self, n: int) -> None:
        if 1 <= n <= len(self.slots):
            self._book(self.slots[n - 1])

    @on(DataTable.RowSelected, "#booking-slots")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_book_highlighted()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_book_highlighted()

    def _book(self, slot: Slot) -> None:
        if self.busy:
            return
        self.busy = True
        self.query_one("#booking-error", Static).update(t("booking.booking"))
        self.book(
            slot,
            self.query_one("#booking-contact", Input).value.strip() or None,
            self.query_one("#booking-email", Input).value.strip() or None,
            self.query_one("#booking-mobile", Input).value.strip() or None,
        )

    def _attempt(self) -> int | None:
        """The call's attempt: saved now (once) when the dialog was opened during a call."""
        if self.attempt_id is None and self.record is not None:
            self.attempt_id = self.record()
        return self.attempt_id

    @db_worker("booking-write")
    def book(self, slot: Slot, contact: str | None, email: str | None, mobile: str | None) -> None:
        try:
            if self.move_booking_id is not None:
                booking = usecases.move_booking(
                    db=self.db,
                    booking_id=self.move_booking_id,
                    start=slot.start,
                    consultant_id=slot.consultant_id,
                    actor=self.phoner,
                    now=self.now(),
                )
                assert booking.id is not None
                self.post_message(self.Booked(booking.id, self._booked_text(slot, moved=True)))
                return
            booking = usecases.book_visit(
                db=self.db,
                company_id=self.company_id,
                consultant_id=slot.consultant_id,
                start=slot.start,
                booked_by=self.phoner,
                attempt_id=self._attempt(),
                contact_person=contact,
                contact_email=email,
                contact_mobile=mobile,
                now=self.now(),
                workspace=self.host.settings.workspace,
            )
        except BookingRefused as exc:
            self.post_message(self.Refused(error_text(exc)))
            self.app.call_from_thread(self.load, self.day, 0)
            return
        except PhonerError as exc:
            self.post_message(self.Refused(error_text(exc)))
            return
        assert booking.id is not None
        self.post_message(self.Booked(booking.id, self._booked_text(slot)))

    def _booked_text(self, slot: Slot, *, moved: bool = False) -> str:
        return t(
            "booking.moved_full" if moved else "booking.booked_full",
            when=format_slot(slot.start, slot.end),
            consultant=slot.consultant_name,
            company=self.company_name,
        )

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.busy = False
        self.query_one("#booking-error", Static).update(message.text)

    @on(Booked)
    def _booked(self, message: Booked) -> None:
        self.busy = False
        self.booked_text = message.text
        self.dismiss(message.booking_id)

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(None)

    def action_no_visit(self) -> None:
        """Save the call's outcome without a visit (a consultant follows up instead)."""
        if self.busy or self.record is None:
            return
        self.busy = True
        self._save_without_visit()

    @db_worker("booking-write")
    def _save_without_visit(self) -> None:
        self._attempt()
        self.post_message(self.SavedWithoutVisit())

    @on(SavedWithoutVisit)
    def _saved_without_visit(self) -> None:
        self.busy = False
        self.dismiss(NO_VISIT)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "no_visit" or self.record is not None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state == WorkerState.ERROR:
            self.busy = False


# --------------------------------------------------------------------------- move / cancel


class CancelReasonScreen(PhonerModal[CancelReason | None]):
    """One key per cancel reason; returns it, or None (Esc)."""

    CSS_PATH = Path(__file__).with_name("booking.tcss")
    BINDINGS = [
        Binding("escape", "choose(0)", "dialog.cancel"),
        Binding("1", "choose(1)", show=False),
        Binding("2", "choose(2)", show=False),
        Binding("3", "choose(3)", show=False),
    ]

    def __init__(self, *, booking_id: int, company: str) -> None:
        super().__init__()
        self.booking_id = booking_id
        self.company = company

    def compose(self) -> ComposeResult:
        with Vertical(id="booking-dialog"):
            yield Static(
                t("bookings.cancel.title", id=self.booking_id, company=self.company),
                id="booking-title",
                markup=False,
            )
            yield Static(t("bookings.cancel.keys"), id="booking-keys", markup=False)

    def action_choose(self, n: int) -> None:
        reasons = [
            None,
            CancelReason.COMPANY_CANCELLED,
            CancelReason.CONSULTANT_CANCELLED,
            CancelReason.MOVED,
        ]
        self.dismiss(reasons[n])


class BookingsScreen(TableScreen[usecases.BookingRow]):
    """The campaign's upcoming visits: move (``m``) or cancel (``a``) one."""

    CSS_PATH = Path(__file__).with_name("booking.tcss")
    AUTO_FOCUS = "#bookings-table"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "bind.back"),
        Binding("m", "move", "bookings.bind.move"),
        Binding("a", "cancel", "bookings.bind.cancel"),
        Binding("g", "reload", "bind.refresh"),
    ]
    TITLE_ID = "booking-title"
    TABLE_ID = "bookings-table"
    TITLE_KEY = "bookings.title"
    COLUMNS = (
        "bookings.col.n",
        "bookings.col.when",
        "col.company",
        "col.consultant",
        "bookings.col.contact",
    )

    def __init__(self, *, campaign_id: int) -> None:
        super().__init__()
        self.campaign_id = campaign_id

    def compose_bottom(self) -> ComposeResult:
        yield Static("", id="booking-error", markup=False)
        yield Static(t("bookings.keys"), id="booking-keys", markup=False)

    def fetch(self) -> Listing[usecases.BookingRow]:
        rows = usecases.bookings(self.db, campaign_id=self.campaign_id, since=self.now())
        return Listing(rows, t("bookings.title"))

    def cells(self, row: usecases.BookingRow) -> Sequence[Cell]:
        b = row.booking
        return (
            str(b.id),
            format_when(b.start),
            row.company.name,
            row.consultant.name,
            b.contact_person or "",
        )

    def row_key(self, row: usecases.BookingRow) -> str | None:
        return str(row.booking.id)

    def empty_text(self) -> str:
        return t("bookings.empty")

    def written(self, text: str) -> None:
        self.query_one("#booking-error", Static).update(text)

    def action_move(self) -> None:
        row = self.selected()
        if row is None or row.booking.id is None or row.company.id is None:
            return
        booking_id = row.booking.id
        screen = BookingScreen(
            company_id=row.company.id, phoner=self.host.actor, move_booking_id=booking_id
        )

        def moved(result: BookingResult) -> None:
            if isinstance(result, int):
                text = screen.booked_text or t("bookings.moved", id=booking_id)
                self.notify(text, timeout=8)
                self.written(text)
            self.load()

        self.app.push_screen(screen, moved)

    def action_cancel(self) -> None:
        row = self.selected()
        if row is None or row.booking.id is None:
            return
        booking_id = row.booking.id

        def chosen(reason: CancelReason | None) -> None:
            if reason is None:
                return
            actor, now = self.host.actor, self.now()

            def change() -> str:
                usecases.cancel_booking(
                    self.db, booking_id=booking_id, reason=reason, actor=actor, now=now
                )
                label = usecases.CANCEL_LABELS[reason].lower()
                return t("bookings.cancelled", id=booking_id, reason=label)

            self.write(change)

        self.app.push_screen(
            CancelReasonScreen(booking_id=booking_id, company=row.company.name), chosen
        )
