"""Booking visits under the near-date rules.

- :mod:`.rules`: the rules as plain data (:class:`~.rules.Planner`), no database.
- :mod:`.loading`: building blocks that load a Planner from a session.
- :mod:`.service`: the use cases (find slots, book, move, cancel) that own the transaction.
- :mod:`.writes`: building blocks that book, move and cancel in a caller's session.
- :mod:`.listing`: frozen views of bookings for the CLI and the TUI.
- :mod:`.choices`: the booking dialog's read (free slots, consultants, contact), frozen.
- :mod:`.answers`: a call's answers as the script's texts, stored with the booking.
- :mod:`.importing`: bookings made elsewhere (``booking import``): the plan and the
  summary; :mod:`.import_rows` checks a row, :mod:`.import_writes` writes the batches.

Calendar feeds live in :mod:`phoner.core.feeds`. Import from the modules; this package
re-exports nothing.
"""
