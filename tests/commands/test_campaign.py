"""``phoner campaign show`` and ``phoner campaign set``: every setting, validated, audited."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core.db import Database
from phoner.core.models import AuditLog, Campaign

runner = CliRunner()
NAME = "Forår 2027"


def invoke(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_show_and_set_every_setting(db: Database, db_url: str, workspace: Path) -> None:
    code, out = invoke(db_url, "campaign", "create", NAME, "--script", "scripts/fleksjob.toml")
    assert code == 0, out
    code, out = invoke(db_url, "campaign", "show", NAME)
    assert code == 0, out
    for words in ("hverdage 09.00–16.00", "højst 5", "ikke truffet 120 minutter", "42 dage"):
        assert words in out
    assert "--calling-hours" in out and "phoner outbox mailbox" in out
    code, out = invoke(
        db_url,
        "campaign",
        "set",
        NAME,
        "--by",
        "Karen",
        "--calling-hours",
        "8.30-15",
        "--attempts",
        "3",
        "--retry-minutes",
        "optaget=45",
        "--retry-minutes",
        "Ikke truffet=90",
        "--callback-grace-minutes",
        "20",
        "--horizon-days",
        "30",
        "--min-notice-days",
        "1",
        "--any-jobcenter",
        "ja",
        "--followup-days",
        "5",
        "--reminder-days",
        "2",
        "--undo-minutes",
        "10",
        "--aapor-e",
        "0,4",
        "--retention-days",
        "365",
    )
    assert code == 0, out
    assert "er ændret (13 indstillinger)" in out and "Ringetid fra: 09:00 → 08:30" in out
    code, out = invoke(db_url, "campaign", "show", NAME, "--json")
    shown = json.loads(out)
    assert {k: shown[k] for k in ("calling_start", "calling_end", "max_attempts")} == {
        "calling_start": "08:30",
        "calling_end": "15:00",
        "max_attempts": 3,
    }
    assert shown["retry_minutes"] == {"ikke_truffet": 90, "optaget": 45, "forkert_nummer": 0}
    assert (shown["undo_minutes"], shown["aapor_e"], shown["any_jobcenter"]) == (10, 0.4, True)
    assert (shown["followup_due_days"], shown["reminder_days_before"]) == (5, 2)
    assert (shown["horizon_days"], shown["min_notice_days"], shown["retention_days"]) == (
        30,
        1,
        365,
    )
    with db.session() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "settings")).one()
        assert entry.actor == "Karen" and entry.new is not None and entry.old is not None
        assert entry.old["max_attempts"] == 5 and entry.new["max_attempts"] == 3
        assert entry.new["calling_start"] == "08:30"
    # the same values again: nothing changes, nothing is audited
    code, out = invoke(db_url, "campaign", "set", NAME, "--by", "Karen", "--attempts", "3")
    assert code == 0 and "Ingen ændringer" in out


def test_set_refuses_bad_values_with_the_option(db: Database, db_url: str, workspace: Path) -> None:
    invoke(db_url, "campaign", "create", NAME, "--script", "scripts/fleksjob.toml")
    refused = [
        (("--attempts", "0"), "mellem 1 og 20", "--attempts"),
        (("--calling-hours", "16-9"), "slutte efter den begynder", "--calling-hours"),
        (("--calling-hours", "formiddag"), "ikke et tidsrum", "--calling-hours"),
        (("--retry-minutes", "lukket=5"), "ikke_truffet=120", "--retry-minutes"),
        (("--retry-minutes", "optaget=x"), "helt tal", "--retry-minutes"),
        (("--aapor-e", "1,5"), "mellem 0 og 1", "--aapor-e"),
        (("--min-notice-days", "50"), "kortere end bookinghorisonten", "--min-notice-days"),
        (("--followup-days", "99"), "mellem 0 og 60", "--followup-days"),
        (("--undo-minutes", "61"), "mellem 0 og 60 minutter", "--undo-minutes"),
        (("--any-jobcenter", "måske"), "ja eller nej", ""),
    ]
    for args, message, option in refused:
        code, out = invoke(db_url, "campaign", "set", NAME, "--by", "K", *args)
        assert code == 1, (args, out)
        assert message in out and option in out, (args, out)
    code, out = invoke(db_url, "campaign", "set", NAME, "--attempts", "3")
    assert code == 1 and "--by" in out
    code, out = invoke(db_url, "campaign", "set", NAME, "--by", "K")
    assert code == 1 and "mindst én indstilling" in out
    code, out = invoke(db_url, "campaign", "show", "Ukendt")
    assert code == 1 and "findes ikke" in out
    with db.session() as s:
        campaign = s.exec(select(Campaign)).one()
        assert (campaign.max_attempts, campaign.undo_minutes) == (5, 5)
        assert s.exec(select(AuditLog).where(AuditLog.action == "settings")).first() is None


def test_protected_basis_is_set_shown_and_withdrawn(
    db: Database, db_url: str, workspace: Path
) -> None:
    invoke(db_url, "campaign", "create", NAME, "--script", "scripts/fleksjob.toml")
    code, out = invoke(db_url, "campaign", "show", NAME)
    assert "ringes ikke op (foreslås fjernet i clearing)" in out
    code, out = invoke(db_url, "campaign", "set", NAME, "--protected-basis", "Notat 4/2026")
    assert code != 0 and "--by" in out
    code, out = invoke(
        db_url, "campaign", "set", NAME, "--protected-basis", "Notat 4/2026", "--by", "Jens"
    )
    assert code == 0, out
    assert "ringer til reklamebeskyttede virksomheder; grundlag: Notat 4/2026" in out
    code, out = invoke(db_url, "campaign", "show", NAME)
    assert "grundlag: Notat 4/2026 (besluttet af Jens" in " ".join(out.split())
    code, out = invoke(db_url, "campaign", "show", NAME, "--json")
    shown = json.loads(out)
    assert (shown["protected_basis"], shown["protected_basis_by"]) == ("Notat 4/2026", "Jens")
    assert shown["protected_basis_at"] is not None
    code, out = invoke(db_url, "campaign", "set", NAME, "--protected-basis", "", "--by", "Jens")
    assert code == 0 and "har ikke længere et grundlag" in out
    with db.session() as s:
        entries = s.exec(
            select(AuditLog).where(AuditLog.action == "campaign_protected_basis")
        ).all()
        assert [e.new["protected_basis"] for e in entries if e.new] == ["Notat 4/2026", None]
        camp = s.exec(select(Campaign).where(Campaign.name == NAME)).one()
        assert camp.protected_basis is None
