"""Call-out scripts: load and validate ``scripts/*.toml``, and walk their questions.

A script is data reviewed with the jobcenters like code (the schema is documented in
``docs/call-scripts.md``). :func:`check_script` lists *every* problem with its location
(question id / answer key, or line and column for broken TOML) and a Danish explanation;
:func:`load_script` returns a :class:`CallScript` or raises :class:`ScriptError` with all
problems. :class:`ScriptWalk` is the small state machine the call screen drives: answer
by key, go back, and read off the outcome and whether a visit should be booked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from phoner.core.errors import InvalidInput, os_reason
from phoner.core.models import Outcome

NeedsKind = Literal["text", "choice", "int"]
NEEDS_KINDS: tuple[NeedsKind, ...] = ("text", "choice", "int")
ANSWER_KEYS = tuple(str(i) for i in range(1, 10))  # the call screen answers with keys 1-9

_SCRIPT_FIELDS = {"name", "version", "valid_as_of", "opening", "start"}
_QUESTION_FIELDS = {"id", "text", "help", "answer"}
_ANSWER_FIELDS = {"key", "text", "next", "outcome", "book_visit", "note"}
_NEEDS_FIELDS = {"key", "label", "kind", "choices"}
_FAQ_FIELDS = {"id", "title", "answer", "tags"}
_TOP_FIELDS = {"script", "question", "needs", "faq"}
_OUTCOME_CODES = ", ".join(o.value for o in Outcome)
# an amount in kroner: "1.000 kr", "kr. 500", "5000 kroner"
_AMOUNT = re.compile(r"\d[\d.]*\s*(kr\b|kr\.|kroner)|\bkr\.?\s*\d", re.IGNORECASE)
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Answer:
    """One numbered answer option: it leads to another question or ends the call."""

    key: str
    text: str
    next: str | None
    outcome: Outcome | None
    book_visit: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    help: str | None
    answers: list[Answer]

    def answer_for(self, key: str) -> Answer | None:
        return next((a for a in self.answers if a.key == key), None)


@dataclass(frozen=True)
class NeedsField:
    """A structured field of the company's needs (job type, hours per week, ...)."""

    key: str
    label: str
    kind: NeedsKind
    choices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FaqEntry:
    id: str
    title: str
    answer: str
    tags: list[str] = field(default_factory=list)

    def matches(self, query: str) -> bool:
        """Case-insensitive search over title, answer and tags (every word must match)."""
        haystack = " ".join([self.title, self.answer, *self.tags]).lower()
        return all(word in haystack for word in query.lower().split())


@dataclass(frozen=True)
class CallScript:
    name: str
    version: str
    valid_as_of: dt.date | None
    opening: str
    start: str
    questions: dict[str, Question]  # in file order
    needs_fields: list[NeedsField]
    faq: list[FaqEntry]
    hash: str  # sha256 of the file bytes (== phoner.core.campaigns.script_hash)
    path: Path | None = None

    @property
    def first(self) -> Question:
        return self.questions[self.start]

    def search_faq(self, query: str) -> list[FaqEntry]:
        return [e for e in self.faq if e.matches(query)] if query.strip() else list(self.faq)

    def outcomes(self) -> set[Outcome]:
        """Every outcome some answer of the script leads to."""
        return {a.outcome for q in self.questions.values() for a in q.answers if a.outcome}


@dataclass(frozen=True)
class ScriptProblem:
    """One problem in a script: where (question id / answer key / line) and what (Danish)."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ScriptError(InvalidInput):
    """A script that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, path: Path, problems: list[ScriptProblem]) -> None:
        lines = "\n".join(f"  - {p}" for p in problems)
        n = len(problems)  # "fejl" is both singular and plural
        super().__init__(
            f"Opkaldsmanuskriptet {path} har {n} fejl:\n{lines}",
            hint="Ret fejlene i filen.",
        )
        self.path = path
        self.problems = problems


# --------------------------------------------------------------------------- checking


def _hash_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Checker:
    """Collects problems while building the model; the model is only used if none."""

    def __init__(self) -> None:
        self.problems: list[ScriptProblem] = []

    def add(self, location: str, message: str) -> None:
        self.problems.append(ScriptProblem(location, message))

    def text(self, table: dict[str, Any], key: str, where: str, *, required: bool) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.add(where, f"feltet '{key}' mangler (der skal stå en tekst).")
            return None
        if not isinstance(value, str):
            self.add(where, f"feltet '{key}' skal være en tekst i anførselstegn.")
            return None
        if required and not value.strip():
            self.add(where, f"feltet '{key}' er tomt (der skal stå en tekst).")
            return None
        return value.strip()

    def unknown(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.add(where, f"ukendt felt '{key}' (stavefejl? kendte felter: {known}).")

    def tables(self, doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = doc.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add(f"[[{key}]]", f"'{key}' skal skrives som tabeller: [[{key}]].")
            return []
        return cast(list[dict[str, Any]], value)


def _q(qid: str) -> str:
    return f"spørgsmål '{qid}'"


def _a(qid: str, key: str) -> str:
    return f"spørgsmål '{qid}', svar {key}"


def _parse_answer(c: _Checker, qid: str, pos: int, raw: dict[str, Any]) -> Answer | None:
    key_raw = raw.get("key", str(pos))
    key = str(key_raw).strip()
    where = _a(qid, key)
    c.unknown(raw, _ANSWER_FIELDS, where)
    ok = True
    if key not in ANSWER_KEYS:
        c.add(where, f"svarnøglen {key_raw!r} skal være et tal fra 1 til 9 (tasten på skærmen).")
        ok = False
    text = c.text(raw, "text", where, required=True)
    note = c.text(raw, "note", where, required=False)
    nxt = raw.get("next")
    outcome_raw = raw.get("outcome")
    outcome: Outcome | None = None
    if nxt is not None and not isinstance(nxt, str):
        c.add(where, "'next' skal være id'et på et spørgsmål i anførselstegn.")
        ok = False
    if outcome_raw is not None:
        try:
            outcome = Outcome.parse(str(outcome_raw))
        except ValueError:
            c.add(where, f"ukendt udfald '{outcome_raw}' (gyldige udfald: {_OUTCOME_CODES}).")
            ok = False
    if nxt is None and outcome_raw is None:
        c.add(where, "svaret skal enten føre videre ('next') eller afslutte med et 'outcome'.")
        ok = False
    if nxt is not None and outcome_raw is not None:
        c.add(where, "svaret kan ikke både have 'next' og 'outcome'; vælg ét af dem.")
        ok = False
    book = raw.get("book_visit", False)
    if not isinstance(book, bool):
        c.add(where, "'book_visit' skal være true eller false.")
        ok = False
    elif book and outcome is not None and outcome != Outcome.VIL_KONTAKTES:
        c.add(where, "'book_visit = true' giver kun mening med outcome = 'vil_kontaktes'.")
        ok = False
    elif book and outcome_raw is None:
        c.add(where, "'book_visit = true' kræver, at svaret afslutter med 'vil_kontaktes'.")
        ok = False
    if not ok or text is None:
        return None
    return Answer(
        key=key,
        text=text,
        next=cast(str | None, nxt),
        outcome=outcome,
        book_visit=bool(book),
        note=note,
    )


def _parse_question(c: _Checker, pos: int, raw: dict[str, Any]) -> Question | None:
    qid_raw = raw.get("id")
    if not isinstance(qid_raw, str) or not qid_raw.strip():
        where = f"spørgsmål nr. {pos}"
        c.add(where, "feltet 'id' mangler (et kort navn uden mellemrum, fx 'rette_person').")
        qid = f"nr. {pos}"
    else:
        qid = qid_raw.strip()
        where = _q(qid)
        if not re.fullmatch(r"[A-Za-z0-9_-]+", qid):
            c.add(where, "id'et må kun indeholde bogstaver a-z, tal, '_' og '-'.")
    c.unknown(raw, _QUESTION_FIELDS, where)
    text = c.text(raw, "text", where, required=True)
    help_text = c.text(raw, "help", where, required=False)
    raw_answers = raw.get("answer", [])
    if not isinstance(raw_answers, list) or not all(isinstance(a, dict) for a in raw_answers):
        c.add(where, "svarene skal skrives som tabeller: [[question.answer]].")
        raw_answers = []
    if not raw_answers:
        c.add(where, "spørgsmålet har ingen svarmuligheder ([[question.answer]]).")
    if len(raw_answers) > len(ANSWER_KEYS):
        c.add(where, f"højst {len(ANSWER_KEYS)} svarmuligheder (tasterne 1-9).")
    answers: list[Answer] = []
    seen: set[str] = set()
    for i, raw_answer in enumerate(raw_answers, start=1):
        key = str(raw_answer.get("key", i)).strip()
        if key in seen:
            c.add(_a(qid, key), f"svarnøglen {key} bruges to gange i samme spørgsmål.")
            continue
        seen.add(key)
        answer = _parse_answer(c, qid, i, raw_answer)
        if answer is not None:
            answers.append(answer)
    if text is None:
        return None
    return Question(id=qid, text=text, help=help_text, answers=answers)


def _check_graph(c: _Checker, start: str | None, questions: dict[str, Question]) -> None:
    for q in questions.values():
        for a in q.answers:
            if a.next is not None and a.next not in questions:
                c.add(_a(q.id, a.key), f"'next' peger på spørgsmålet '{a.next}', som ikke findes.")
    if start is None or start not in questions:
        return
    # reachability from the start question
    reached: set[str] = set()
    stack = [start]
    while stack:
        qid = stack.pop()
        if qid in reached or qid not in questions:
            continue
        reached.add(qid)
        stack.extend(a.next for a in questions[qid].answers if a.next)
    for qid in questions:
        if qid not in reached:
            c.add(_q(qid), f"spørgsmålet kan ikke nås fra startspørgsmålet '{start}'.")
    # loops: depth-first search with colours; report each loop once
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()

    def visit(root: str) -> None:
        # iterative: a chain of thousands of questions must not hit the recursion limit
        path: list[str] = [root]
        state[root] = 1
        frames = [iter(questions[root].answers)]
        while frames:
            a = next(frames[-1], None)
            if a is None:
                frames.pop()
                state[path.pop()] = 2
                continue
            qid, nxt = path[-1], a.next
            if nxt is None or nxt not in questions:
                continue
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt]
                members = frozenset(cycle)
                if members not in reported:
                    reported.add(members)
                    c.add(
                        _a(qid, a.key),
                        "svaret laver en løkke, så samtalen aldrig slutter: "
                        + " → ".join(cycle)
                        + ".",
                    )
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                frames.append(iter(questions[nxt].answers))

    for qid in questions:
        if qid not in state:
            visit(qid)


def _parse_needs(c: _Checker, doc: dict[str, Any]) -> list[NeedsField]:
    fields: list[NeedsField] = []
    seen: set[str] = set()
    for pos, raw in enumerate(c.tables(doc, "needs"), start=1):
        key = raw.get("key")
        where = f"behovsfelt '{key}'" if isinstance(key, str) and key else f"behovsfelt nr. {pos}"
        c.unknown(raw, _NEEDS_FIELDS, where)
        key_s = c.text(raw, "key", where, required=True)
        label = c.text(raw, "label", where, required=True)
        kind = raw.get("kind", "text")
        choices = raw.get("choices", [])
        ok = key_s is not None and label is not None
        if key_s is not None and key_s in seen:
            c.add(where, f"nøglen '{key_s}' bruges af flere behovsfelter.")
            ok = False
        if kind not in NEEDS_KINDS:
            c.add(where, f"ukendt type '{kind}' (brug: {', '.join(NEEDS_KINDS)}).")
            ok = False
        if not isinstance(choices, list) or not all(isinstance(x, str) for x in choices):
            c.add(where, "'choices' skal være en liste af tekster.")
            ok = False
        elif kind == "choice" and not choices:
            c.add(where, "et valgfelt (kind = 'choice') skal have 'choices'.")
            ok = False
        elif kind != "choice" and choices:
            c.add(where, "'choices' bruges kun, når kind = 'choice'.")
            ok = False
        if ok and key_s is not None and label is not None:
            seen.add(key_s)
            fields.append(
                NeedsField(
                    key=key_s,
                    label=label,
                    kind=cast(NeedsKind, kind),
                    choices=list(cast(list[str], choices)),
                )
            )
    return fields


def _parse_faq(c: _Checker, doc: dict[str, Any]) -> list[FaqEntry]:
    entries: list[FaqEntry] = []
    seen: set[str] = set()
    for pos, raw in enumerate(c.tables(doc, "faq"), start=1):
        fid = raw.get("id")
        where = f"FAQ '{fid}'" if isinstance(fid, str) and fid else f"FAQ nr. {pos}"
        c.unknown(raw, _FAQ_FIELDS, where)
        fid_s = c.text(raw, "id", where, required=True)
        title = c.text(raw, "title", where, required=True)
        answer = c.text(raw, "answer", where, required=True)
        tags = raw.get("tags", [])
        ok = fid_s is not None and title is not None and answer is not None
        if fid_s is not None and fid_s in seen:
            c.add(where, f"id'et '{fid_s}' bruges af flere FAQ-punkter.")
            ok = False
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            c.add(where, "'tags' skal være en liste af tekster.")
            ok = False
        if ok and fid_s is not None and title is not None and answer is not None:
            seen.add(fid_s)
            entries.append(FaqEntry(fid_s, title, answer, list(cast(list[str], tags))))
    return entries


_MAX_DEPTH = 32  # a script is tables of questions and answers, a few levels deep
_TOO_DEEP = (
    f"lister og tabeller er indlejret for dybt (mere end {_MAX_DEPTH} niveauer); "
    "et manuskript har spørgsmål med svar, kun få niveauer dybt. Tjek filen for "
    "[ eller { uden slutparentes."
)


def _depth(doc: object) -> int:
    """How deep lists and tables nest in ``doc`` (iterative: the nesting is user input)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(doc, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > _MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def _parse(data: bytes, path: Path) -> tuple[CallScript | None, list[ScriptProblem]]:
    c = _Checker()
    try:
        # utf-8-sig: Windows' Notepad and Excel save a byte-order mark first, which is no TOML
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        c.add(f"byte {exc.start}", "filen er ikke gemt som UTF-8 (gem den som UTF-8 og prøv igen).")
        return None, c.problems
    except RecursionError:
        c.add("filen", _TOO_DEEP)
        return None, c.problems
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        m = _TOML_POS.search(text)
        where = f"linje {m.group(1)}, kolonne {m.group(2)}" if m else "filen"
        detail = _TOML_POS.sub("", text).strip()
        c.add(where, f"ugyldig TOML: {detail}. Tjek anførselstegn, '=' og [tabeller] her.")
        return None, c.problems
    if _depth(doc) > _MAX_DEPTH:
        c.add("filen", _TOO_DEEP)
        return None, c.problems

    c.unknown(doc, _TOP_FIELDS, "filen")
    head = doc.get("script")
    if not isinstance(head, dict):
        c.add("[script]", "tabellen [script] mangler (navn, version, åbning og startspørgsmål).")
        head = {}
    c.unknown(head, _SCRIPT_FIELDS, "[script]")
    name = c.text(head, "name", "[script]", required=True)
    version_raw = head.get("version", "1")
    version = str(version_raw)
    opening = c.text(head, "opening", "[script]", required=True)
    start = c.text(head, "start", "[script]", required=True)
    valid_raw = head.get("valid_as_of")
    valid_as_of: dt.date | None = None
    if valid_raw is not None:
        if isinstance(valid_raw, dt.date) and not isinstance(valid_raw, dt.datetime):
            valid_as_of = valid_raw
        else:
            c.add("[script]", "'valid_as_of' skal være en dato uden anførselstegn, fx 2026-08-01.")

    questions: dict[str, Question] = {}
    raw_questions = c.tables(doc, "question")
    if not raw_questions:
        c.add("[[question]]", "manuskriptet har ingen spørgsmål.")
    for pos, raw in enumerate(raw_questions, start=1):
        q = _parse_question(c, pos, raw)
        if q is None:
            continue
        if q.id in questions:
            c.add(_q(q.id), "id'et bruges af flere spørgsmål; hvert spørgsmål skal have sit eget.")
            continue
        questions[q.id] = q
    if start is not None and raw_questions and start not in questions:
        c.add("[script]", f"startspørgsmålet '{start}' findes ikke blandt spørgsmålene.")
    _check_graph(c, start, questions)
    needs = _parse_needs(c, doc)
    faq = _parse_faq(c, doc)
    if valid_as_of is None:
        amounts = [opening or ""] + [e.answer for e in faq] + [q.text for q in questions.values()]
        if any(_AMOUNT.search(t) for t in amounts):
            c.add(
                "[script]",
                "teksten nævner et beløb i kroner, men 'valid_as_of' mangler: beløb skal "
                "altid have en 'gældende pr.'-dato (og lov aldrig et beløb i telefonen).",
            )
    if c.problems or name is None or opening is None or start is None:
        return None, c.problems
    script = CallScript(
        name=name,
        version=version,
        valid_as_of=valid_as_of,
        opening=opening,
        start=start,
        questions=questions,
        needs_fields=needs,
        faq=faq,
        hash=_hash_bytes(data),
        path=path,
    )
    return script, []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(
            f"Opkaldsmanuskriptet findes ikke: {path}.",
            hint="Angiv en TOML-fil, fx scripts/fleksjob.toml.",
        ) from None
    except IsADirectoryError:
        raise InvalidInput(
            f"{path} er en mappe, ikke et opkaldsmanuskript.",
            hint="Angiv en TOML-fil, fx scripts/fleksjob.toml.",
        ) from None
    except OSError as exc:
        raise InvalidInput(
            f"Opkaldsmanuskriptet {path} kan ikke læses ({os_reason(exc)}).",
            hint="Tjek filens rettigheder.",
        ) from None


#: Placeholders a script's texts may use; the call view fills them in for the company on
#: screen. A placeholder whose value is unknown (no contact person on file) stays as written,
#: so the phoner sees what to say in its place.
PLACEHOLDERS: dict[str, str] = {
    "dit navn": "phoner",
    "jobcentrets navn": "jobcenter",
    "virksomhedens navn": "company",
    "kontaktpersonens navn": "contact",
}
_PLACEHOLDER = re.compile(r"\[(" + "|".join(re.escape(k) for k in PLACEHOLDERS) + r")\]", re.I)


def fill_placeholders(text: str, values: Mapping[str, str | None]) -> str:
    """Replace ``[dit navn]`` etc. (see :data:`PLACEHOLDERS`) with ``values[field]``."""

    def one(match: re.Match[str]) -> str:
        value = values.get(PLACEHOLDERS[match.group(1).lower()])
        return value.strip() if value and value.strip() else match.group(0)

    return _PLACEHOLDER.sub(one, text)


#: The standard fleksjob call-out script shipped inside the package (the repository's
#: scripts/fleksjob.toml is the same file, as `phoner init` places it in a workspace).
STANDARD_SCRIPT = "fleksjob.toml"


def install_standard_script(scripts_dir: Path) -> Path | None:
    """Put the standard script in ``scripts_dir`` unless a file of that name is there.

    Returns the path written, or None when there was one already (a jobcenter's edited
    script is never overwritten).
    """
    target = scripts_dir / STANDARD_SCRIPT
    if target.exists():
        return None
    data = resources.files("phoner.templates").joinpath(STANDARD_SCRIPT).read_bytes()
    try:
        scripts_dir.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as fh:  # never overwrite, even if written meanwhile
            fh.write(data)
    except OSError as exc:
        if isinstance(exc, FileExistsError) and target.exists():
            return None  # another process put it there first
        raise InvalidInput(
            f"Kan ikke skrive standardmanuskriptet til {target}: {os_reason(exc)}.",
            hint=f"Tjek at {scripts_dir} er en mappe, og at du har skriveadgang til den.",
        ) from None
    return target


def check_script(path: Path) -> list[ScriptProblem]:
    """Every problem in the script at ``path`` (an empty list: the script is valid).

    Raises :class:`InvalidInput` only if the file cannot be read at all.
    """
    return _parse(_read(path), path)[1]


def load_script(path: Path) -> CallScript:
    """The script at ``path``; raises :class:`ScriptError` listing every problem."""
    script, problems = _parse(_read(path), path)
    if script is None:
        raise ScriptError(path, problems)
    return script


def outcome_paths(script: CallScript) -> dict[Outcome, list[list[tuple[str, str]]]]:
    """Every path from the start question to an ending, grouped by outcome.

    A path is a list of (question id, answer key); used by tests and by reviewers to see
    which answers end in which outcome.
    """
    paths: dict[Outcome, list[list[tuple[str, str]]]] = {}

    def walk(qid: str, trail: list[tuple[str, str]]) -> None:
        for a in script.questions[qid].answers:
            step = [*trail, (qid, a.key)]
            if a.outcome is not None:
                paths.setdefault(a.outcome, []).append(step)
            elif a.next is not None:
                walk(a.next, step)

    walk(script.start, [])
    return paths


# --------------------------------------------------------------------------- walking


class ScriptWalk:
    """Walk a script one answer at a time (the call screen's state machine)."""

    def __init__(self, script: CallScript) -> None:
        self.script = script
        self._trail: list[tuple[Question, Answer]] = []

    @property
    def current(self) -> Question | None:
        """The question to ask now; None once an answer ended the script."""
        if not self._trail:
            return self.script.first
        last = self._trail[-1][1]
        if last.next is None:
            return None
        return self.script.questions[last.next]

    @property
    def finished(self) -> bool:
        return self.current is None

    @property
    def answers(self) -> dict[str, str]:
        """Question id -> answer key, in the order answered."""
        return {q.id: a.key for q, a in self._trail}

    @property
    def trail(self) -> list[tuple[Question, Answer]]:
        return list(self._trail)

    @property
    def outcome(self) -> Outcome | None:
        if not self._trail:
            return None
        return self._trail[-1][1].outcome

    @property
    def wants_visit(self) -> bool:
        return bool(self._trail) and self._trail[-1][1].book_visit

    def answer(self, key: str) -> Answer:
        question = self.current
        if question is None:
            raise InvalidInput(
                "Manuskriptet er allerede slut; der er ikke flere spørgsmål at svare på.",
                hint="Gå et skridt tilbage for at ændre det sidste svar.",
            )
        chosen = question.answer_for(key.strip())
        if chosen is None:
            keys = ", ".join(a.key for a in question.answers)
            raise InvalidInput(
                f"Spørgsmålet '{question.id}' har intet svar {key!r}.",
                hint=f"Vælg et af svarene {keys}.",
            )
        self._trail.append((question, chosen))
        return chosen

    def back(self) -> Question | None:
        """Undo the last answer; returns the question that is current again."""
        if self._trail:
            self._trail.pop()
        return self.current

    def reset(self) -> None:
        self._trail.clear()


# --------------------------------------------------------------------------- needs


def clean_needs(script: CallScript, values: dict[str, Any]) -> dict[str, Any]:
    """The needs form's values checked against the script's fields, ready to store.

    Empty values are dropped; ``int`` fields become numbers (Danish message if not a
    whole number ≥ 0); ``choice`` fields must be one of the choices (case-insensitive,
    stored as written in the script); unknown keys are refused.
    """
    fields = {f.key: f for f in script.needs_fields}
    out: dict[str, Any] = {}
    for key, raw in values.items():
        spec = fields.get(key)
        if spec is None:
            raise InvalidInput(f"Behovsfeltet '{key}' findes ikke i manuskriptet.")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if spec.kind == "int":
            text = str(raw).strip()
            if not text.isdigit():
                raise InvalidInput(
                    f"{spec.label}: {text!r} er ikke et helt tal.", hint="Skriv fx 8."
                )
            out[key] = int(text)
        elif spec.kind == "choice":
            text = str(raw).strip()
            match = next((c for c in spec.choices if c.lower() == text.lower()), None)
            if match is None:
                raise InvalidInput(
                    f"{spec.label}: {text!r} er ikke et af valgene.",
                    hint="Vælg et af: " + ", ".join(spec.choices) + ".",
                )
            out[key] = match
        else:
            out[key] = str(raw).strip()
    return out
