"""How e-mails leave: SMTP settings and the two transports (SMTP, or .eml files).

The outbox (:mod:`phoner.core.outbox`) hands each message to a :class:`Transport`:

- :class:`SmtpTransport` when ``PHONER_SMTP_HOST`` is set: one connection is reused for
  a run of messages; a refusal is classified as temporary (4xx, a lost or refused
  connection, a timeout: :class:`TemporaryFailure`, tried again later) or permanent (5xx:
  :class:`PermanentFailure`, the message is marked failed with the server's answer);
- :class:`EmlFolder` otherwise: each message becomes an .eml file (0600) in ``udbakke/``
  of the workspace, to send from a mail program.

A placeholder sender (``ikke-svar@phoner.local``) is fine for .eml files but refused for
SMTP: a municipality's relay and the recipients' spam filters need a real address.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from phoner.core.errors import InvalidInput, PhonerError
from phoner.formats.private_files import private_dir, write_private_bytes

DEFAULT_SENDER = "ikke-svar@phoner.local"
PLACEHOLDER_DOMAINS = (".local", ".invalid", ".example", ".test", ".localhost")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str | None = None  # PHONER_SMTP_FROM; Campaign.mailbox takes precedence
    starttls: bool = False
    use_ssl: bool = False
    timeout: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpConfig | None:
        """From ``PHONER_SMTP_HOST`` (+ ``_PORT``, ``_USER``, ``_PASSWORD``, ``_FROM``,
        ``_STARTTLS``, ``_SSL``); None when no host is set."""
        e = os.environ if env is None else env
        host = e.get("PHONER_SMTP_HOST", "").strip()
        if not host:
            return None
        try:
            port = int(e.get("PHONER_SMTP_PORT", "") or 25)
        except ValueError:
            raise InvalidInput(
                f"PHONER_SMTP_PORT={e.get('PHONER_SMTP_PORT')!r} er ikke et portnummer."
            ) from None
        yes = {"1", "ja", "yes", "true"}
        return cls(
            host=host,
            port=port,
            user=e.get("PHONER_SMTP_USER") or None,
            password=e.get("PHONER_SMTP_PASSWORD") or None,
            sender=(e.get("PHONER_SMTP_FROM") or "").strip() or None,
            starttls=e.get("PHONER_SMTP_STARTTLS", "").lower() in yes,
            use_ssl=e.get("PHONER_SMTP_SSL", "").lower() in yes,
        )


def is_placeholder(address: str | None) -> bool:
    """True for no address, phoner's default one, or one on a reserved test domain."""
    if not address or "@" not in address:
        return True
    domain = address.strip().rsplit("@", 1)[1].lower().rstrip(">")
    return address.strip().lower() == DEFAULT_SENDER or domain.endswith(PLACEHOLDER_DOMAINS)


class SenderNotConfigured(PhonerError):
    """SMTP is set up but no real sender address is."""


def placeholder_sender_error(address: str | None) -> SenderNotConfigured:
    shown = (
        f"Afsenderen {address!r} er ikke en rigtig adresse"
        if address
        else "Der er ingen afsenderadresse til e-mails"
    )
    return SenderNotConfigured(
        f"{shown}, så der sendes intet via SMTP; e-mailene venter i udbakken imens.",
        hint="Angiv kommunens rigtige afsenderadresse i PHONER_SMTP_FROM (fx "
        "kampagne@kommune.dk) eller som kampagnens postkasse.",
    )


# --------------------------------------------------------------------------- transports


@dataclass(frozen=True)
class OutgoingMail:
    """One message handed to a transport: the envelope and the whole rendered message."""

    id: int
    kind: str
    booking_id: int | None
    sequence: int
    sender: str
    recipient: str
    message_id: str
    message: bytes


class TemporaryFailure(Exception):
    """Try again later (4xx, connection refused or lost, timeout). ``stop``: the
    connection itself failed, so the rest of this run would fail too."""

    def __init__(self, reason: str, *, stop: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.stop = stop


class PermanentFailure(Exception):
    """The server refused this message for good (5xx): ``reason`` is its answer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Transport(Protocol):
    """Delivers one message or raises TemporaryFailure/PermanentFailure."""

    name: str  # "smtp" | "eml"
    description: str  # Danish, for reports: "via smtp.kommune.dk:25"
    needs_real_sender: bool  # a placeholder sender is refused (SMTP)
    default_sender: str | None  # when the campaign has no mailbox

    def send(self, mail: OutgoingMail) -> None: ...

    def close(self) -> None: ...


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}"[:900]


class SmtpTransport:
    """SMTP with one connection reused across messages (reconnected after an error)."""

    name = "smtp"
    needs_real_sender = True

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.description = f"via {config.host}:{config.port}"
        self.default_sender = config.sender
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        client: smtplib.SMTP
        if cfg.use_ssl:
            client = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            if cfg.starttls:
                client.starttls(context=ssl.create_default_context())
        if cfg.user:
            client.login(cfg.user, cfg.password or "")
        return client

    def send(self, mail: OutgoingMail) -> None:
        try:
            if self._client is None:
                self._client = self._connect()
            self._client.sendmail(mail.sender, [mail.recipient], mail.message)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            code, text = next(iter(exc.recipients.values()), (550, b"refused"))
            self._raise(code, text)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            raise TemporaryFailure(
                "SMTP-serveren afviste brugernavn/adgangskode: "
                + _answer(exc.smtp_code, exc.smtp_error),
                stop=True,
            ) from exc
        except smtplib.SMTPResponseException as exc:  # sender refused, data error, ...
            self._reset()
            self._raise(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, refused, timeout
            self.close()
            reason = "forbindelsen fik timeout" if isinstance(exc, socket.timeout) else str(exc)
            raise TemporaryFailure(
                f"SMTP-serveren {self.config.host}:{self.config.port} svarer ikke: "
                f"{reason or type(exc).__name__}",
                stop=True,
            ) from exc

    @staticmethod
    def _raise(code: int, text: bytes | str) -> None:
        answer = _answer(code, text)
        if 400 <= code < 500:
            raise TemporaryFailure(answer)
        raise PermanentFailure(answer)

    def _reset(self) -> None:
        if self._client is not None:
            try:
                self._client.rset()
            except (smtplib.SMTPException, OSError):
                self.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
            with contextlib.suppress(OSError):
                client.close()


class EmlFolder:
    """Each message as an .eml file (0600) in a folder, named so they sort in send order;
    sending the same message again overwrites its file."""

    name = "eml"
    needs_real_sender = False

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.description = f"som .eml-filer i {self.folder} (SMTP er ikke sat op)"
        self.default_sender: str | None = DEFAULT_SENDER

    def filename(self, mail: OutgoingMail) -> str:
        about = f"-besoeg{mail.booking_id}-v{mail.sequence}" if mail.booking_id else ""
        return f"{mail.id:06d}-{mail.kind}{about}.eml"

    def send(self, mail: OutgoingMail) -> None:
        target = self.folder / self.filename(mail)
        part = target.with_suffix(".eml.part")
        try:
            private_dir(self.folder)
            write_private_bytes(part, mail.message)
            os.replace(part, target)  # never a half-written .eml
        except OSError as exc:
            raise TemporaryFailure(
                f"Kan ikke skrive i {self.folder}: {exc.strerror or exc}", stop=True
            ) from exc

    def close(self) -> None:
        return None


def transport_from_env(
    workspace: Path, *, env: Mapping[str, str] | None = None, folder: Path | None = None
) -> Transport:
    """SMTP when ``PHONER_SMTP_HOST`` is set, otherwise .eml files in ``udbakke/``."""
    smtp = SmtpConfig.from_env(env)
    if smtp is not None:
        return SmtpTransport(smtp)
    return EmlFolder(folder or Path(workspace) / "udbakke")
