"""How to fix a failure on the command line: the flags and commands to type.

Core's errors say what went wrong and never name a flag or a command (the TUI shows the
same errors); the advice that does is chosen here, by the error's type or, for a refused
option, by its ``field``. :func:`cli_hint` joins core's own front-end-neutral hint with it.
"""

from __future__ import annotations

from phoner.core.call_scripts import ScriptError
from phoner.core.errors import (
    ActorMissing,
    AgreementNotFound,
    AlreadySignedOff,
    CampaignExists,
    CampaignNotFound,
    ColumnMissing,
    CompanyNotBookable,
    CompanyNotFound,
    ConsultantNotFound,
    DatabaseFolderMissing,
    DatabaseMissingOnServer,
    DatabaseNotCreated,
    DatabaseUnopenable,
    DatabaseUnreachable,
    EmptyList,
    FollowUpNotFound,
    InvalidInput,
    JobcenterWithoutList,
    NotAClearingSheet,
    NotADatabase,
    NotAPhonerDatabase,
    NothingToPlan,
    PhonerError,
    PortUnavailable,
    RoundNotFound,
    SchemaTooNew,
    SchemaTooOld,
    ScriptMissing,
    UnreviewedProposals,
    VisitNotFound,
)
from phoner.core.mail import SenderNotConfigured
from phoner.core.outbox import OutboxMessageNotFound

#: The CLI's advice by error type (the most specific class in the error's MRO wins).
TYPE_HINTS: dict[type[PhonerError], str] = {
    ActorMissing: "Angiv navnet med --by NAVN.",
    AlreadySignedOff: "Genåbn listen først: phoner list reopen --campaign ... --jobcenter ... "
    "--by ...",
    UnreviewedProposals: "Tag stilling i clearing-arket (phoner list clearing-export/-import), "
    "eller godkend alligevel med --force (forslagene bliver så til 'Fjern').",
    EmptyList: "Importér listen først (phoner list import), eller brug --force.",
    JobcenterWithoutList: "Importér listen først (phoner list import).",
    NothingToPlan: "Se status med: phoner list status --campaign ... (godkend med phoner list "
    "sign-off).",
    RoundNotFound: "Planlæg runder med: phoner rounds plan --campaign ... --size 85 --first DATO",
    NotAClearingSheet: "Arket laves med: phoner list clearing-export.",
    ColumnMissing: "Angiv kolonnen med --map, fx --map 'Tlf arbejde=phone'.",
    CampaignNotFound: "Opret den med: phoner campaign create NAVN --script scripts/fleksjob.toml",
    CampaignExists: "Se kampagnerne med: phoner campaign list",
    ScriptMissing: "Angiv en TOML-fil, fx --script scripts/fleksjob.toml.",
    ScriptError: "Tjek filen igen med: phoner script check FIL",
    SenderNotConfigured: "Kampagnens postkasse sættes med: phoner outbox mailbox KAMPAGNE ADRESSE",
    OutboxMessageNotFound: "Se beskederne med: phoner outbox status",
    CompanyNotBookable: "Er det en bevidst undtagelse, så book med --anyway --by NAVN.",
    CompanyNotFound: "Importér listen med: phoner list import",
    ConsultantNotFound: "Se konsulenterne med: phoner consultants list",
    VisitNotFound: "Se besøgene med: phoner booking list (eller phoner visits list "
    "--campaign NAVN).",
    FollowUpNotFound: "Se opfølgningerne med: phoner followups list --campaign NAVN",
    AgreementNotFound: "Registrér resultatet med: phoner visits result ID -a ...",
    DatabaseFolderMissing: "Opret mappen, eller angiv en anden sti med --db.",
    DatabaseUnopenable: "Tjek stien (--db / PHONER_DB) og mappens rettigheder.",
    NotADatabase: "Angiv den rigtige fil med --db, eller gendan en sikkerhedskopi "
    "(phoner restore).",
    DatabaseUnreachable: "Tjek adressen i --db / PHONER_DB, og at serveren kører.",
    DatabaseMissingOnServer: "Opret den (fx createdb phoner) og kør phoner init.",
    DatabaseNotCreated: "Kør: phoner init (eller angiv den rigtige database med --db).",
    NotAPhonerDatabase: "Angiv den rigtige database med --db, eller brug en tom database.",
    PortUnavailable: "Porten vælges med --port (fx --port 8081), adressen med --host.",
    SchemaTooOld: "Kør: phoner init",
    SchemaTooNew: "Opdatér med: pip install -U phoner",
}

#: The CLI's advice for a refused option, by the error's ``field``.
FIELD_HINTS: dict[str, str] = {
    "by": "Det gælder --by.",
    "contact": "Det gælder --contact.",
    "size": "Ret --size.",
    "rounds": "Ret --rounds.",
    "size_or_rounds": "Brug --size (virksomheder pr. runde) eller --rounds (antal).",
    "gap_days": "Ret --gap-days.",
    "keep": "Det gælder --keep.",
    "overwrite": "Eller overskriv den med --overskriv.",
    "older_than": "Ret --older-than.",
    "min_employees": "Ret --min-employees.",
    "max_employees": "Ret --max-employees.",
    "employees": "Ret --min-employees eller --max-employees.",
    "recent_days": "Ret --recent-days.",
    "workspace": "Angiv mappen med --workspace.",
    "booking": "Angiv besøget med --booking ID.",
    "booking_or_cvr": "Brug --booking ID eller --cvr CVR.",
    "rejects": "Filen til de afviste vælges med --rejects FIL.",
    "sheet": "Arket vælges med --sheet (udelad det for det første ark og for CSV-filer).",
    "map": "Skriv --map kolonne=felt, fx --map 'Mobilnr=phone'.",
    "max_attempts": "Ret --attempts.",
    "followup_due_days": "Ret --followup-days.",
    "reminder_days_before": "Ret --reminder-days.",
}


def advice(exc: PhonerError) -> str | None:
    """The CLI's own advice for ``exc`` (flags, commands), or None."""
    for kind in type(exc).__mro__:
        if kind in TYPE_HINTS:
            return TYPE_HINTS[kind]
    field = exc.field if isinstance(exc, InvalidInput) else None
    if field is None:
        return None
    return FIELD_HINTS.get(field, f"Ret --{field.replace('_', '-')}.")


def cli_hint(exc: PhonerError) -> str | None:
    """What the CLI prints under the message: core's hint, then the CLI's advice."""
    parts = [p for p in (exc.hint, advice(exc)) if p]
    return "\n".join(parts) or None
