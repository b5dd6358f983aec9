"""Deduplication: when two rows are the same company, and how they merge.

Two rows (or a row and a company already on the list) are the same company when

- they have the same CVR; or
- they have the same P-number and not two different CVRs; or
- neither has a CVR and they have the same name (case and spacing ignored) and the same
  primary phone (:func:`name_phone_key`).

A merge never loses data: phones are united (the kept company's first), empty fields are
filled, flags united, extra columns kept (the kept company's value wins), ``ad_protected``
is sticky. Conflicting values are reported and the kept value stays. A merge that gives
the company a CVR clears its ``mangler_cvr`` flag. Companies that share a primary phone
but are not the same company all stay, each flagged ``delt_telefon`` for clearing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from phoner.core.lists.records import MERGE_FIELDS, CompanyRecord
from phoner.core.models import Company

#: A company of one import: ``("old", company id)`` or ``("new", index in the batch)``.
Ref = tuple[Literal["old", "new"], int]
#: {field: [kept value, other value]}
Conflicts = dict[str, list[Any]]


def name_phone_key(name: str | None, phone: str | None) -> tuple[str, str] | None:
    """The identity of a company without CVR: its name (case and spacing ignored) + phone."""
    if not name or not phone:
        return None
    return (" ".join(name.casefold().split()), phone)


def merge(target: CompanyRecord, incoming: CompanyRecord) -> Conflicts:
    """Merge ``incoming`` into ``target`` (see the module doc); returns the conflicts."""
    conflicts: Conflicts = {}
    for fld in MERGE_FIELDS:
        new = getattr(incoming, fld)
        if new is None or new == "":
            continue
        old = getattr(target, fld)
        if old is None or old == "":
            setattr(target, fld, new)
        elif old != new and fld not in ("jobcenter_id", "round_id"):
            conflicts[fld] = [old, new]
    phones = list(target.phones)
    for p in incoming.phones:
        if p not in phones:
            phones.append(p)
    target.phones = phones
    target.flags = sorted(set(target.flags) | set(incoming.flags))
    extra = dict(incoming.extra)
    extra.update(target.extra)
    target.extra = extra
    target.ad_protected = bool(target.ad_protected or incoming.ad_protected)
    if target.cvr and "mangler_cvr" in target.flags:
        target.flags = [f for f in target.flags if f != "mangler_cvr"]
    return conflicts


@dataclass(frozen=True)
class Merge:
    """A row of the file merged into a company of the batch."""

    ref: Ref
    line: int
    conflicts: Conflicts


class Batch:
    """The companies of one import: those on the list already and those the file adds.

    Existing companies are read once; a record of one is made only when the import
    changes it (``old``). New companies are ``new`` (with their line in ``new_lines``).
    """

    def __init__(self, existing: Iterable[Company]) -> None:
        self.existing: dict[int, Company] = {}
        self.old: dict[int, CompanyRecord] = {}
        self.new: list[CompanyRecord] = []
        self.new_lines: list[int] = []
        self.merges: list[Merge] = []
        self.merged_rows = 0
        self._touched_new: set[int] = set()
        self._touched_old: set[int] = set()
        self._by_cvr: dict[str, Ref] = {}
        self._by_p: dict[str, Ref] = {}
        self._by_np: dict[tuple[str, str], Ref] = {}
        for c in existing:
            assert c.id is not None
            self.existing[c.id] = c
            ref: Ref = ("old", c.id)
            if c.cvr:
                self._by_cvr.setdefault(c.cvr, ref)
            if c.p_number:
                self._by_p.setdefault(c.p_number, ref)
            key = name_phone_key(c.name, c.phones[0] if c.phones else None)
            if key is not None and not c.cvr:
                self._by_np.setdefault(key, ref)

    def record(self, ref: Ref) -> CompanyRecord:
        """The (mutable) record of a company of the batch."""
        kind, i = ref
        if kind == "new":
            return self.new[i]
        rec = self.old.get(i)
        if rec is None:
            rec = self.old[i] = CompanyRecord.from_company(self.existing[i])
        return rec

    def match(self, rec: CompanyRecord) -> Ref | None:
        """The company of the batch ``rec`` is the same as, if any (see the module doc)."""
        cvr = rec.cvr
        if cvr is not None:
            found = self._by_cvr.get(cvr)
            if found is not None:
                return found
        if rec.p_number is not None:
            cand = self._by_p.get(rec.p_number)
            if cand is not None:
                kind, i = cand
                other_cvr = self.existing[i].cvr if kind == "old" else self.new[i].cvr
                if cvr is None or other_cvr is None or other_cvr == cvr:
                    return cand
        if cvr is None:
            key = name_phone_key(rec.name, rec.phones[0])
            if key is not None:
                return self._by_np.get(key)
        return None

    def merge(self, ref: Ref, rec: CompanyRecord, line: int) -> None:
        """Merge the row ``rec`` (at ``line``) into the batch's company ``ref``."""
        kind, i = ref
        target = self.record(ref)
        (self._touched_new if kind == "new" else self._touched_old).add(i)
        before = target.copy() if kind == "old" else None
        conflicts = merge(target, rec)
        self.merged_rows += 1
        if kind == "new" or target != before:
            self.merges.append(Merge(ref, line, conflicts))
        if target.cvr:
            self._by_cvr.setdefault(target.cvr, ref)
        if target.p_number:
            self._by_p.setdefault(target.p_number, ref)

    def add(self, rec: CompanyRecord, line: int) -> None:
        """Add a new company to the batch."""
        index = len(self.new)
        ref: Ref = ("new", index)
        self.new.append(rec)
        self.new_lines.append(line)
        self._touched_new.add(index)
        if rec.cvr is not None:
            self._by_cvr[rec.cvr] = ref
        else:
            key = name_phone_key(rec.name, rec.phones[0])
            if key is not None:
                self._by_np[key] = ref
        if rec.p_number is not None:
            self._by_p.setdefault(rec.p_number, ref)

    def flag_shared_phones(self) -> None:
        """Flag ``delt_telefon`` on every company whose primary phone another one has."""
        first_owner: dict[str, Ref] = {}
        shared: dict[str, list[Ref]] = {}

        def own(phone: str, ref: Ref) -> None:
            first = first_owner.setdefault(phone, ref)
            if first is not ref:
                shared.setdefault(phone, [first]).append(ref)

        for cid, c in self.existing.items():
            rec_old = self.old.get(cid)
            phones = rec_old.phones if rec_old else c.phones
            if phones:
                own(phones[0], ("old", cid))
        for idx, rec in enumerate(self.new):
            own(rec.phones[0], ("new", idx))
        for group in shared.values():
            for ref in group:
                target = self.record(ref)
                if "delt_telefon" not in target.flags:
                    target.flags = sorted({*target.flags, "delt_telefon"})

    def flagged(self) -> int:
        """Companies this import created or merged into that carry a flag."""
        return sum(1 for i in self._touched_new if self.new[i].flags) + sum(
            1 for i in self._touched_old if self.old[i].flags
        )

    def jobcenter_ids(self) -> set[int]:
        """The jobcenters of the companies this import created or changed."""
        ids = {r.jobcenter_id for r in self.new} | {r.jobcenter_id for r in self.old.values()}
        return {i for i in ids if i is not None}
