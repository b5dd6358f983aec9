"""``phoner serve`` as a subprocess against a loopback SMTP server, and polling."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.smtp import SmtpServer, free_port


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "") -> float:
    """Poll ``predicate`` until it holds; returns the seconds it took (fails after
    ``timeout``)."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what or predicate}")
        time.sleep(0.05)
    return time.monotonic() - start


@contextmanager
def serve_process(
    workspace: Path, port: int, env: dict[str, str], *options: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``phoner serve --port PORT OPTIONS`` in ``workspace`` with ``env``, once its
    /health answers; SIGTERM at the end (then kill if it hangs)."""
    command = [sys.executable, "-m", "phoner", "serve", "--port", str(port), *options]
    proc = subprocess.Popen(
        command, cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    proc.kill()
                    pytest.fail(f"phoner serve did not start: {proc.communicate()[1]!r}")
                time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.communicate()


@contextmanager
def serving(
    db_url: str,
    workspace: Path,
    smtp: SmtpServer,
    *,
    sender: str = "kampagne@koege.dk",
    send_every: float = 0.1,
) -> Iterator[subprocess.Popen[bytes]]:
    """``phoner serve`` sending to ``smtp`` every ``send_every`` seconds; SIGTERM at the
    end (then kill if it hangs)."""
    env = {
        **os.environ,
        "PHONER_DB": db_url,
        "PHONER_SMTP_HOST": smtp.host,
        "PHONER_SMTP_PORT": str(smtp.port),
        "PHONER_SMTP_FROM": sender,
    }
    with serve_process(workspace, free_port(), env, "--send-every", str(send_every)) as proc:
        yield proc
