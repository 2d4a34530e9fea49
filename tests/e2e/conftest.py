"""Browser journeys: a real server (gunicorn, as `make run`) on a fresh database with the
demo territory, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("COORDINATION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: install the Debian package "
                    "`chromium` (make test does it when it can)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """`coordination init-db && coordination demo && coordination serve` on a fresh
    SQLite database; yields the base URL."""
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {**os.environ, "COORDINATION_INSTANCE_PATH": str(instance),
           "COORDINATION_DATABASE_URL": f"sqlite:///{instance / 'e2e.db'}"}
    command = [sys.executable, "-m", "coordination.cli_entry"]
    for step in (["init-db"], ["demo"]):
        subprocess.run([*command, *step], env=env, check=True, capture_output=True)
    port = _free_port()
    # The server's log goes to a file: a pipe nobody reads fills up and blocks gunicorn.
    log = (instance / "server.log").open("wb")
    server = subprocess.Popen([*command, "serve", "--port", str(port), "--workers", "2"],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)  # noqa: S310 - loopback
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        raise RuntimeError("the server did not start: "
                           + (instance / "server.log").read_text()[-2000:])
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="fr-FR",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Saved under docs/screenshots/ when COORDINATION_SCREENSHOTS=1 (make screenshots)."""
    if os.environ.get("COORDINATION_SCREENSHOTS") == "1":
        target = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)


__all__ = ["screenshot", "shutil"]
