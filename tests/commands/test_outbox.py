"""``phoner outbox send|status|retry|mailbox`` and ``phoner consultants set --delivery``."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from phoner.cli import app
from phoner.core import outbox
from phoner.core.consultants import wants_invitations
from phoner.core.db import Database
from phoner.core.models import Consultant, Delivery
from tests.support.booking import make_world
from tests.support.smtp import SmtpServer

runner = CliRunner()


def invoke(db_url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _queue(db: Database, campaign_id: int, *recipients: str) -> list[int]:
    with db.session(write=True) as s:
        ids = []
        for i, to in enumerate(recipients):
            m = EmailMessage()
            m["Subject"] = f"Invitation {i}"
            m.set_content("Hej")
            ids.append(
                outbox.enqueue(
                    s, message=m, recipient=to, kind="invitation", campaign_id=campaign_id
                )
            )
        return ids


@pytest.fixture
def smtp_env(smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> SmtpServer:
    monkeypatch.setenv("PHONER_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("PHONER_SMTP_PORT", str(smtp_server.port))
    monkeypatch.delenv("PHONER_SMTP_FROM", raising=False)
    return smtp_server


def test_send_status_retry_over_smtp(
    db: Database, db_url: str, workspace: Path, smtp_env: SmtpServer
) -> None:
    w = make_world(db)
    bad, good = _queue(db, w.campaign_id, "ukendt@koege.dk", "k0@koege.demo.dk")
    # SMTP without a real sender: nothing leaves, and the coordinator is told what to do
    code, out = invoke(db_url, "outbox", "send")
    assert code == 1 and "ingen afsenderadresse" in out and "PHONER_SMTP_FROM" in out
    assert smtp_env.inbox.received == []
    code, out = invoke(db_url, "outbox", "send", "--from", "ikke-svar@phoner.local")
    assert code == 1 and "'ikke-svar@phoner.local' er ikke en rigtig adresse" in out
    code, out = invoke(db_url, "outbox", "mailbox", "Forår 2027", "kampagne@koege.dk")
    assert code == 0 and "sender fra kampagne@koege.dk" in out
    smtp_env.inbox.replies = ["550 5.1.1 User unknown"]
    code, out = invoke(db_url, "outbox", "send")
    assert code == 1, out
    assert f"1 e-mails sendt via 127.0.0.1:{smtp_env.port} (1 invitation)." in out
    assert f"Afvist: nr. {bad} til ukendt@koege.dk: 550 5.1.1 User unknown" in out
    assert f"phoner outbox retry {bad}" in out
    (got,) = smtp_env.inbox.received
    assert got.mail_from == "kampagne@koege.dk" and got.message["Subject"] == "Invitation 1"
    code, out = invoke(db_url, "outbox", "status")
    assert code == 0 and "0 venter, 1 sendt, 1 afvist" in out
    assert f"nr. {bad}  invitation til ukendt@koege.dk" in out and "550 5.1.1" in out
    code, out = invoke(db_url, "outbox", "status", "--json")
    data = json.loads(out)
    assert data["counts"] == {"queued": 0, "sending": 0, "sent": 1, "failed": 1}
    assert [(f["id"], f["last_error"]) for f in data["failed"]] == [(bad, "550 5.1.1 User unknown")]
    code, out = invoke(db_url, "outbox", "retry", str(good))
    assert code == 1 and "allerede sendt" in out
    code, out = invoke(db_url, "outbox", "retry", "999")
    assert code != 0 and "findes ikke" in out
    code, out = invoke(db_url, "outbox", "retry", str(bad))
    assert code == 0 and "lagt i kø igen" in out
    code, out = invoke(db_url, "outbox", "send")
    assert code == 0 and "1 e-mails sendt" in out
    assert len(smtp_env.inbox.received) == 2


def test_send_without_smtp_writes_eml_files(
    sqlite_db: Database, sqlite_url: str, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHONER_SMTP_HOST", raising=False)
    w = make_world(sqlite_db)
    (mid,) = _queue(sqlite_db, w.campaign_id, "k0@koege.demo.dk")
    code, out = invoke(sqlite_url, "outbox", "send")
    assert code == 0 and "som .eml-filer i" in out and "SMTP er ikke sat op" in out
    assert [f.name for f in (workspace / "udbakke").iterdir()] == [f"{mid:06d}-invitation.eml"]
    code, out = invoke(sqlite_url, "outbox", "mailbox", "Forår 2027", "ikke-svar@phoner.local")
    assert code == 1 and "ikke en rigtig e-mailadresse" in out


def test_consultant_delivery_set_and_imported(
    sqlite_db: Database, sqlite_url: str, workspace: Path
) -> None:
    csv = workspace / "konsulenter.csv"
    csv.write_text(
        "Navn;E-mail;Jobcenter;Levering\n"
        "Karen Mikkelsen;karen@ringsted.dk;Ringsted;feed\n"
        "Ole Berg;ole@ringsted.dk;Ringsted;\n"
        "Pia Lund;pia@ringsted.dk;Ringsted;måske\n",
        encoding="utf-8-sig",
    )
    code, out = invoke(sqlite_url, "consultants", "import", str(csv))
    assert code == 0 and "2 konsulenter oprettet" in out and "1 afvist" in out
    assert "'Levering': 'måske' forstås ikke; skriv invitation, feed eller begge" in out
    code, out = invoke(sqlite_url, "consultants", "list", "--json")
    got = {c["email"]: c["delivery"] for c in json.loads(out)["consultants"]}
    assert got == {"karen@ringsted.dk": "feed", "ole@ringsted.dk": "invitation"}
    code, out = invoke(sqlite_url, "consultants", "set", "ole@ringsted.dk", "--delivery", "begge")
    assert code == 0 and "får invitationer og har kalenderabonnementet" in out
    code, out = invoke(sqlite_url, "consultants", "set", "ole@ringsted.dk", "--delivery", "x")
    assert code == 1 and "forstås ikke" in out
    # English header
    csv.write_text(
        "Name,Email,Job centre,Delivery\nKaren Mikkelsen,karen@ringsted.dk,Ringsted,both\n"
    )
    code, out = invoke(sqlite_url, "consultants", "import", str(csv))
    assert code == 0 and "1 opdateret" in out
    with sqlite_db.session() as s:
        by_email = {c.email: c for c in s.exec(select(Consultant)).all()}
    assert by_email["karen@ringsted.dk"].delivery == Delivery.BOTH
    assert wants_invitations(by_email["ole@ringsted.dk"])
    assert not wants_invitations(
        Consultant(name="x", email="x@y.dk", jobcenter_id=1, feed_token="t", delivery=Delivery.FEED)
    )
