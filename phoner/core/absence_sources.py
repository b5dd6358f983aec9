"""Where a consultant's absence calendar (the ``Fravær`` column) may be read from.

The source is typed by whoever imports consultants and is read on every slot search, so
it must not become a way to read the machine's files or probe its network:

- a URL must be ``https://`` (``webcal://`` is read as https; ``http://`` only when the
  operator allows it, :envvar:`PHONER_ABSENCE_HTTP`), to a host whose every address is a
  public one (no loopback, private, link-local or reserved address: not the database
  server on 127.0.0.1:5432, not the intranet). The addresses are checked when the
  connection is made, to the address actually connected (no DNS rebinding), and again
  for every redirect. An internal calendar server can be allowed by name
  (:envvar:`PHONER_ABSENCE_HOSTS`, comma-separated);
- a file must be a regular file inside the workspace (after resolving symlinks): not
  ``/etc/passwd``, not ``/dev/zero``;
- at most :data:`MAX_BYTES` are read, within :data:`TIMEOUT_SECONDS` in all;
- an error never shows the content (a fragment of a file read by mistake would leak).

The same check runs when consultants are imported (a Danish per-row reject, without
network lookups) and on every read.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import socket
import ssl
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_BYTES = 5_000_000
TIMEOUT_SECONDS = 5.0
MAX_REDIRECTS = 5
HTTP_ENV = "PHONER_ABSENCE_HTTP"
HOSTS_ENV = "PHONER_ABSENCE_HOSTS"


class AbsenceUnavailable(Exception):
    """The absence calendar cannot (or may not) be read; the message is Danish."""


@dataclass(frozen=True)
class AbsencePolicy:
    """What an absence source may be. ``workspace`` None: the current directory."""

    workspace: Path | None = None
    allow_http: bool = False
    trusted_hosts: frozenset[str] = field(default_factory=frozenset)
    max_bytes: int = MAX_BYTES
    timeout: float = TIMEOUT_SECONDS

    @property
    def root(self) -> Path:
        return (self.workspace or Path.cwd()).resolve()


def policy_from_env() -> AbsencePolicy:
    allow_http = os.environ.get(HTTP_ENV, "").strip().lower() in {"1", "ja", "yes", "true"}
    hosts = frozenset(
        h.strip().lower() for h in os.environ.get(HOSTS_ENV, "").split(",") if h.strip()
    )
    return AbsencePolicy(allow_http=allow_http, trusted_hosts=hosts)


_override: AbsencePolicy | None = None


def current_policy() -> AbsencePolicy:
    return _override or policy_from_env()


@contextlib.contextmanager
def use_policy(policy: AbsencePolicy) -> Iterator[AbsencePolicy]:
    """Read absence sources under ``policy`` (e.g. a workspace given on the command line)."""
    global _override
    before, _override = _override, policy
    try:
        yield policy
    finally:
        _override = before


# --------------------------------------------------------------------------- checks


def is_url(source: str) -> bool:
    return "://" in source or source.lower().startswith(("http:", "https:", "webcal:", "file:"))


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, policy: AbsencePolicy) -> urllib.parse.SplitResult:
    """The URL split, if its form may be fetched (no DNS lookup here)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise AbsenceUnavailable("adressen er ikke en gyldig URL") from None
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        parts = parts._replace(scheme="https")
        scheme = "https"
    if scheme == "http" and not policy.allow_http:
        raise AbsenceUnavailable(
            f"kun https:// er tilladt (http:// kræver indstillingen {HTTP_ENV}=ja)"
        )
    if scheme not in {"http", "https"}:
        raise AbsenceUnavailable("kun https://-adresser eller filer i arbejdsmappen er tilladt")
    host = (parts.hostname or "").lower()
    if not host:
        raise AbsenceUnavailable("adressen mangler et værtsnavn")
    if port == 0:
        raise AbsenceUnavailable("adressen er ikke en gyldig URL")
    if host in policy.trusted_hosts:
        return parts
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise AbsenceUnavailable("adressen peger på denne maskine eller det lokale net")
    with contextlib.suppress(ValueError):
        if not _address_allowed(host):
            raise AbsenceUnavailable("adressen peger på denne maskine eller det lokale net")
    return parts


def check_file(source: str, policy: AbsencePolicy, *, must_exist: bool) -> Path:
    """The resolved path, if it lies inside the workspace (and is a regular file)."""
    if source.lower().startswith("file:"):
        raise AbsenceUnavailable("angiv filen som en sti i arbejdsmappen, ikke som file:-URL")
    root = policy.root
    path = Path(source).expanduser()
    if not path.is_absolute():
        path = root / path
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        raise AbsenceUnavailable(f"filen {source} kan ikke findes") from None
    if not resolved.is_relative_to(root):
        raise AbsenceUnavailable(f"filen {source} ligger uden for arbejdsmappen {root}")
    try:
        st = resolved.stat()
    except OSError:
        if must_exist:
            raise AbsenceUnavailable(f"filen {source} findes ikke") from None
        return resolved
    if not stat.S_ISREG(st.st_mode):
        raise AbsenceUnavailable(f"{source} er ikke en almindelig fil")
    return resolved


def check_source(source: str, policy: AbsencePolicy | None = None) -> str:
    """A Danish reason, via :class:`AbsenceUnavailable`, if ``source`` may not be used.

    Used when consultants are imported: no network lookup, and a file need not exist yet.
    Returns the source stripped.
    """
    policy = policy or current_policy()
    text = source.strip()
    if is_url(text):
        check_url(text, policy)
    else:
        check_file(text, policy, must_exist=False)
    return text


# --------------------------------------------------------------------------- reading


def read_file(source: str, policy: AbsencePolicy) -> tuple[bytes, Any]:
    """The file's bytes and its (mtime, size) stamp."""
    path = check_file(source, policy, must_exist=True)
    try:
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise AbsenceUnavailable(f"{source} er ikke en almindelig fil")
            data = fh.read(policy.max_bytes + 1)
    except OSError:
        raise AbsenceUnavailable(f"filen {source} kan ikke læses") from None
    if len(data) > policy.max_bytes:
        raise AbsenceUnavailable(f"filen {source} er større end {policy.max_bytes // 1_000_000} MB")
    return data, (st.st_mtime_ns, st.st_size)


def file_stamp(source: str, policy: AbsencePolicy) -> Any:
    path = check_file(source, policy, must_exist=True)
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def _connect(host: str, port: int, timeout: float, policy: AbsencePolicy) -> socket.socket:
    """A socket to the first allowed address of ``host`` (every address must be allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AbsenceUnavailable(f"værten {host} findes ikke") from None
    trusted = host.lower() in policy.trusted_hosts
    if not trusted and (not infos or not all(_address_allowed(str(i[4][0])) for i in infos)):
        raise AbsenceUnavailable("adressen peger på denne maskine eller det lokale net")
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


def _connection_classes(policy: AbsencePolicy) -> tuple[Any, Any]:
    class GuardedHTTP(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = _connect(self.host, self.port, policy.timeout, policy)

    class GuardedHTTPS(http.client.HTTPSConnection):
        def connect(self) -> None:
            sock = _connect(self.host, self.port, policy.timeout, policy)
            context = ssl.create_default_context()
            self.sock = context.wrap_socket(sock, server_hostname=self.host)

    return GuardedHTTP, GuardedHTTPS


def _opener(policy: AbsencePolicy) -> urllib.request.OpenerDirector:
    http_cls, https_cls = _connection_classes(policy)

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> Any:
            check_url(req.full_url, policy)  # again for every redirect
            return self.do_open(http_cls, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> Any:
            check_url(req.full_url, policy)
            return self.do_open(https_cls, req)

    class Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

    opener = urllib.request.OpenerDirector()
    for handler in (
        HTTPHandler(),
        HTTPSHandler(),
        Redirects(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def fetch(url: str, policy: AbsencePolicy) -> bytes:
    """The calendar at ``url``, under the policy's limits (no proxy, no file: URLs)."""
    parts = check_url(url, policy)
    shown = urllib.parse.urlunsplit(parts._replace(query="", fragment=""))
    deadline = time.monotonic() + policy.timeout
    req = urllib.request.Request(urllib.parse.urlunsplit(parts), headers={"User-Agent": "phoner"})
    try:
        with _opener(policy).open(req, timeout=policy.timeout) as resp:
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise AbsenceUnavailable(f"{shown} svarer for langsomt")
                chunk = resp.read1(65_536)  # what has arrived: a drip cannot outlast the deadline
                if not chunk:
                    break
                size += len(chunk)
                if size > policy.max_bytes:
                    raise AbsenceUnavailable(
                        f"{shown} er større end {policy.max_bytes // 1_000_000} MB"
                    )
                chunks.append(chunk)
            return b"".join(chunks)
    except AbsenceUnavailable:
        raise
    except urllib.error.HTTPError as exc:
        raise AbsenceUnavailable(f"{shown} svarer med fejl {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, AbsenceUnavailable):
            raise reason from None
        raise AbsenceUnavailable(f"{shown} svarer ikke") from None
