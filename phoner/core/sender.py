"""The outbox sender as a service: a background thread that queues due reminders and
sends what is due, every few seconds, until stopped (``phoner serve`` runs it).

Every pass is :func:`phoner.core.reminders.queue_due` (at most once a minute) and then
:func:`phoner.core.outbox.send_due`; a queued message therefore leaves within one poll
interval (5 s by default). A pass that fails (the database is away) is logged and the
next one tries again. :meth:`SenderService.stop` lets the current message finish and
joins the thread, so a SIGTERM never leaves a message half-sent by this process (and a
kill -9 leaves at most one message ``sending``, re-queued after ``STALE_AFTER``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from phoner.core import outbox, reminders
from phoner.core.db import Database
from phoner.core.errors import PhonerError
from phoner.core.mail import Transport
from phoner.core.models import utcnow

log = logging.getLogger("phoner.outbox")

POLL_SECONDS = 5.0
REMINDER_SECONDS = 60.0


@dataclass(frozen=True)
class SenderState:
    running: bool
    poll_seconds: float
    started_at: dt.datetime | None
    last_pass_at: dt.datetime | None  # when the last pass finished (whatever it sent)
    last_sent_at: dt.datetime | None  # the last message this process sent
    sent: int  # messages this process sent since it started
    problem: str | None  # why messages wait (from the last pass), or None

    def keeping_up(self, now: dt.datetime) -> bool:
        """The thread is alive and its last pass is recent (a pass hanging on a server
        counts as not keeping up after a minute beyond its interval)."""
        since = self.last_pass_at or self.started_at
        if not self.running or since is None:
            return False
        return (now - since).total_seconds() <= self.poll_seconds * 3 + 60


class SenderService:
    """Runs the outbox sender in a daemon thread (``start``/``stop``)."""

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        poll_seconds: float = POLL_SECONDS,
        queue_reminders: bool = True,
        sender: str | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.transport = transport
        self.poll_seconds = max(0.05, poll_seconds)
        self.queue_reminders = queue_reminders
        self.sender = sender
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_pass: dt.datetime | None = None
        self._started: dt.datetime | None = None
        self._last_sent: dt.datetime | None = None
        self._sent = 0
        self._problem: str | None = None
        self._last_reminders = 0.0

    @property
    def description(self) -> str:
        return self.transport.description

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._started = self.clock()
        self._thread = threading.Thread(target=self._run, name="phoner-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def state(self) -> SenderState:
        with self._lock:
            return SenderState(
                running=self._thread is not None and self._thread.is_alive(),
                poll_seconds=self.poll_seconds,
                started_at=self._started,
                last_pass_at=self._last_pass,
                last_sent_at=self._last_sent,
                sent=self._sent,
                problem=self._problem,
            )

    def run_once(self) -> outbox.SendReport | None:
        """One pass: queue due reminders (once a minute), send what is due."""
        now = self.clock()
        try:
            if self.queue_reminders and time.monotonic() - self._last_reminders >= min(
                REMINDER_SECONDS, self.poll_seconds * 12
            ):
                reminders.queue_due(db=self.db, now=now)
                self._last_reminders = time.monotonic()
            report = outbox.send_due(self.db, self.transport, now=now, sender=self.sender)
        except PhonerError as exc:
            log.warning("outbox: pass failed: %s", exc.message)
            with self._lock:
                self._problem = exc.message
                self._last_pass = self.clock()
            return None
        with self._lock:
            self._last_pass = self.clock()
            self._problem = report.problem
            if report.sent:
                self._sent += len(report.sent)
                self._last_sent = now
        for r in report.refused:
            log.warning("outbox: message %s %s", r.id, "failed" if r.final else "deferred")
        return report

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # never let the thread die; the next pass tries again
                # the type only: a traceback could quote a message's addresses
                log.error("outbox: unexpected error in a pass: %s", type(exc).__name__)
                with self._lock:
                    self._problem = f"Uventet fejl i afsenderen ({type(exc).__name__})."
            self._stop.wait(self.poll_seconds)
