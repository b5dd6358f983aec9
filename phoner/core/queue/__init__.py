"""The calling queue: hand out the next company, record the outcome, undo it.

One module per job, imported directly (there is no facade here):

- :mod:`~phoner.core.queue.claims`: claim the next company, the lease and its heartbeat,
  release; the coordinator's view of held companies. The concurrency rules live there.
- :mod:`~phoner.core.queue.outcomes`: record an outcome in one transaction and the queue
  rules for the company's next state.
- :mod:`~phoner.core.queue.undo`: take the phoner's last outcome back.
- :mod:`~phoner.core.queue.card`: the call view's read model (company card, status line).
- :mod:`~phoner.core.queue.hours`: the campaign's calling hours.
"""
