"""A real headless Chromium for the browser tests (Debian's ``chromium`` package driven by
Playwright for Python; never ``playwright install``), and ``phoner serve`` for it.

Without a Chromium binary (or without Playwright) the browser tests are skipped with the
reason; with ``PHONER_TEST_BROWSER_REQUIRED=1`` (as .ci/run sets, after installing
``chromium``) they fail instead, as ``PHONER_TEST_POSTGRES_REQUIRED`` does for PostgreSQL.
Screenshots go to ``PHONER_TEST_ARTIFACTS`` (default ``test-artifacts/`` in the
repository, ignored by git).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve import serve_process
from tests.support.smtp import free_port

BROWSER_REQUIRED_ENV = "PHONER_TEST_BROWSER_REQUIRED"
CHROMIUM_ENV = "PHONER_TEST_CHROMIUM"
ARTIFACTS_ENV = "PHONER_TEST_ARTIFACTS"
REPO = Path(__file__).resolve().parents[2]
#: Debian's binary first (/usr/bin/chromium is a shell wrapper around it)
CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def _unavailable(reason: str) -> None:
    if os.environ.get(BROWSER_REQUIRED_ENV):
        pytest.fail(f"{BROWSER_REQUIRED_ENV} is set but {reason}")
    pytest.skip(f"browser test skipped: {reason} (apt-get install chromium; .ci/run does)")


def chromium_or_skip() -> str:
    """The Chromium binary to drive (``PHONER_TEST_CHROMIUM`` or Debian's), or a skip."""
    wanted = os.environ.get(CHROMIUM_ENV)
    found = [wanted] if wanted else [p for p in CANDIDATES if os.access(p, os.X_OK)]
    found += [p for p in [shutil.which("chromium")] if p and not wanted]
    if wanted and not os.access(wanted, os.X_OK):
        _unavailable(f"{CHROMIUM_ENV}={wanted} is not an executable file")
    if not found:
        _unavailable("no chromium binary was found (" + ", ".join(CANDIDATES) + ")")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed (make install)")
    return found[0]


def artifacts_dir() -> Path:
    path = Path(os.environ.get(ARTIFACTS_ENV) or REPO / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def chromium(executable: str) -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # root (CI containers) needs it
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=args)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def serving_pages(db_url: str, workspace: Path) -> Iterator[str]:
    """``phoner serve --base-url http://127.0.0.1:PORT --no-send`` on a free port; yields
    the base URL. SIGTERM at the end (then kill if it hangs)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PHONER_DB": db_url}
    with serve_process(workspace, port, env, "--no-send", "--base-url", base):
        yield base
