"""A consultant's absence source may not read the machine's files or probe its network.

No test reaches the internet: the only servers are on loopback, and they are there to
prove that they are never connected to (unless trusted by name).
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from phoner.core import absence_sources
from phoner.core import consultants as cm
from phoner.core.absence_sources import AbsencePolicy, AbsenceUnavailable
from phoner.core.db import Database
from phoner.core.models import Consultant

START = dt.datetime(2027, 3, 1, tzinfo=dt.UTC)
END = dt.datetime(2027, 4, 1, tzinfo=dt.UTC)
ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\n"
    b"DTSTAMP:20270101T000000Z\r\nDTSTART;VALUE=DATE:20270324\r\n"
    b"DTEND;VALUE=DATE:20270325\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


class _Server:
    """A loopback HTTP server counting the requests it gets."""

    def __init__(self, body: bytes = ICS, *, redirect: str | None = None, drip: bool = False):
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                if redirect:
                    self.send_response(302)
                    self.send_header("Location", redirect)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                self.end_headers()
                if drip:
                    for _ in range(40):
                        self.wfile.write(b"X" * 10)
                        self.wfile.flush()
                        time.sleep(0.1)
                    return
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/fravaer.ics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cm.ABSENCE_CACHE.clear()
    yield
    cm.ABSENCE_CACHE.clear()


def _load(source: str, policy: AbsencePolicy) -> list[tuple[dt.datetime, dt.datetime]]:
    with absence_sources.use_policy(policy):
        return cm.load_absence(source, start=START, end=END)


# --------------------------------------------------------------------------- files


def test_a_file_outside_the_workspace_is_not_read(tmp_path: Path) -> None:
    policy = AbsencePolicy(workspace=tmp_path)
    with pytest.raises(AbsenceUnavailable) as info:
        _load("/etc/passwd", policy)
    assert "uden for arbejdsmappen" in str(info.value) and "root:x" not in str(info.value)
    # a symlink inside the workspace to a file outside it is the same file
    (tmp_path / "fravaer.ics").symlink_to("/etc/passwd")
    with pytest.raises(AbsenceUnavailable, match="uden for arbejdsmappen"):
        _load("fravaer.ics", policy)


def test_a_device_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(AbsenceUnavailable, match="uden for arbejdsmappen"):
        _load("/dev/zero", AbsencePolicy(workspace=tmp_path))
    # even under a workspace that contains it, a device is not a regular file
    began = time.monotonic()
    with pytest.raises(AbsenceUnavailable, match="ikke en almindelig fil"):
        _load("/dev/zero", AbsencePolicy(workspace=Path("/dev")))
    assert time.monotonic() - began < 1


def test_a_file_in_the_workspace_is_read_within_the_size_cap(tmp_path: Path) -> None:
    (tmp_path / "fravaer.ics").write_bytes(ICS)
    busy = _load("fravaer.ics", AbsencePolicy(workspace=tmp_path))
    assert busy and busy[0][0].date() == dt.date(2027, 3, 23)  # local midnight in UTC
    big = tmp_path / "stor.ics"
    big.write_bytes(ICS + b" " * 2000)
    with pytest.raises(AbsenceUnavailable, match="større end"):
        _load(str(big), AbsencePolicy(workspace=tmp_path, max_bytes=1000))
    assert absence_sources.MAX_BYTES == 5_000_000


def test_an_error_never_shows_the_content(tmp_path: Path) -> None:
    (tmp_path / "hemmelig.ics").write_text("root:x:0:0:HEMMELIGT-INDHOLD:/root:/bin/bash\n")
    with pytest.raises(AbsenceUnavailable) as info:
        _load("hemmelig.ics", AbsencePolicy(workspace=tmp_path))
    assert "gyldig kalenderfil" in str(info.value)
    assert "HEMMELIGT" not in str(info.value) and "root:x" not in str(info.value)


# --------------------------------------------------------------------------- network


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:5432/",
        "https://localhost/fravaer.ics",
        "https://10.1.2.3/fravaer.ics",
        "https://192.168.0.1/fravaer.ics",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/fravaer.ics",
        "https://[::ffff:127.0.0.1]/fravaer.ics",
        "https://0.0.0.0/fravaer.ics",
        "file:///etc/passwd",
        "ftp://example.org/fravaer.ics",
        "gopher://127.0.0.1:5432/",
    ],
)
def test_local_addresses_and_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(AbsenceUnavailable):
        _load(url, AbsencePolicy(allow_http=True))
    with pytest.raises(AbsenceUnavailable):
        cm.check_absence_source(url, AbsencePolicy(allow_http=True))


def test_a_loopback_server_is_never_connected_to(server: _Server) -> None:
    with pytest.raises(AbsenceUnavailable, match="https://"):
        _load(server.url(), AbsencePolicy())  # http:// is not allowed by default
    with pytest.raises(AbsenceUnavailable, match="denne maskine"):
        _load(server.url(), AbsencePolicy(allow_http=True))
    with pytest.raises(AbsenceUnavailable, match="denne maskine"):
        _load(server.url("localhost"), AbsencePolicy(allow_http=True))
    assert server.hits == 0


def test_a_name_resolving_to_loopback_is_refused(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo

    def fake(host: str, *args: object, **kwargs: object) -> object:
        if host == "kalender.example.dk":
            return real("127.0.0.1", *args, **kwargs)  # type: ignore[arg-type]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(AbsenceUnavailable, match="denne maskine"):
        _load(server.url("kalender.example.dk"), AbsencePolicy(allow_http=True))
    assert server.hits == 0


def test_a_redirect_to_loopback_is_refused(server: _Server) -> None:
    hop = _Server(redirect=server.url("localhost"))
    try:
        # the first server is trusted by name (an internal calendar server); the
        # redirect's target is not
        policy = AbsencePolicy(allow_http=True, trusted_hosts=frozenset({"127.0.0.1"}))
        with pytest.raises(AbsenceUnavailable, match="denne maskine"):
            _load(hop.url(), policy)
        assert hop.hits == 1 and server.hits == 0
    finally:
        hop.close()


def test_a_trusted_host_is_read_within_size_and_time_caps(server: _Server) -> None:
    policy = AbsencePolicy(allow_http=True, trusted_hosts=frozenset({"127.0.0.1"}))
    assert _load(server.url(), policy)
    assert server.hits == 1
    cm.ABSENCE_CACHE.clear()
    with pytest.raises(AbsenceUnavailable, match="større end"):
        _load(
            server.url(),
            AbsencePolicy(allow_http=True, trusted_hosts=policy.trusted_hosts, max_bytes=100),
        )
    slow = _Server(drip=True)
    try:
        began = time.monotonic()
        with pytest.raises(AbsenceUnavailable, match="langsomt"):
            _load(
                slow.url(),
                AbsencePolicy(allow_http=True, trusted_hosts=policy.trusted_hosts, timeout=1.0),
            )
        assert time.monotonic() - began < 3
    finally:
        slow.close()


def test_http_needs_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(absence_sources.HTTP_ENV, raising=False)
    assert not absence_sources.policy_from_env().allow_http
    monkeypatch.setenv(absence_sources.HTTP_ENV, "ja")
    monkeypatch.setenv(absence_sources.HOSTS_ENV, "Kalender.Intra.dk, x")
    policy = absence_sources.policy_from_env()
    assert policy.allow_http and policy.trusted_hosts == {"kalender.intra.dk", "x"}


# --------------------------------------------------------------------------- import


def test_import_rejects_forbidden_sources_per_row(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(absence_sources.HTTP_ENV, raising=False)
    (tmp_path / "kalendere").mkdir()
    path = tmp_path / "konsulenter.csv"
    path.write_text(
        "Navn;E-mail;Jobcenter;Fraværskalender\n"
        "God URL;a@koege.dk;Køge;https://kalender.koege.dk/a.ics\n"
        "God fil;b@koege.dk;Køge;kalendere/b.ics\n"
        "Passwd;c@koege.dk;Køge;/etc/passwd\n"
        "Postgres;d@koege.dk;Køge;http://127.0.0.1:5432/\n"
        "Nul;e@koege.dk;Køge;/dev/zero\n"
        "Fil-URL;f@koege.dk;Køge;file:///etc/passwd\n"
        "Intranet;g@koege.dk;Køge;https://10.0.0.7/g.ics\n",
        encoding="utf-8",
    )
    with db.session(write=True) as s:
        r = cm.import_consultants(session=s, path=path, actor="test")
    assert r.created == 2
    reasons = {line: reason for line, reason, _cells in r.rejects}
    assert sorted(reasons) == [4, 5, 6, 7, 8]
    assert all("'Fraværskalender'" in reason for reason in reasons.values())
    assert "uden for arbejdsmappen" in reasons[4] and "https://" in reasons[5]
    with db.session() as s:
        names = set(s.exec(select(Consultant.name)).all())
    assert names == {"God URL", "God fil"}
    assert os.environ.get(absence_sources.HTTP_ENV) is None
