"""Call lists, one module per job.

- :mod:`.eligibility`: which companies a phoner may be handed (the callable rule);
- :mod:`.records`: the columns of a list and the typed :class:`~.records.CompanyRecord`;
- :mod:`.dedupe`: when two rows are the same company, and how they merge;
- :mod:`.importer`: ``phoner list import`` (read, map, validate, dedupe: the plan);
- :mod:`.import_plan`: writing a plan, whole or a batch at a time;
- :mod:`.import_run`: the batched, resumable import the CLI runs;
- :mod:`.bulk_insert`: the fast raw-SQL insert of new companies;
- :mod:`.targeting`: the campaign's target group and re-applying it;
- :mod:`.suppression`: removal proposals (known companies, recent contacts);
- :mod:`.clearing`: the jobcenter's keep/remove decisions and the clearing sheet;
- :mod:`.signoff`: sign-off, reopen and the list status per jobcenter.

Dependencies point down this list's reverse: nothing here imports the importer, so the
queue, rounds and reports depend on :mod:`.eligibility` alone.
"""
