"""`liftlab tune --ui` in a real browser: the served app in headless Debian Chromium.

Starts `liftlab tune --ui --port <free port>` as a subprocess over the session's small
generated warehouse, loads the page, moves the cut-off slider one stop with the
keyboard, and checks that the clusters shown follow it (one merge up: one cluster fewer)
and that the page fetched nothing off 127.0.0.1. Screenshots go to a temporary directory.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _cdp import Browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        os.environ.get("LIFTLAB_SKIP_BROWSER_TESTS") == "1",
        reason="LIFTLAB_SKIP_BROWSER_TESTS=1",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(heavy_faults_warehouse, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("tune_ui_server") / "server.log"
    env = {**os.environ, "LIFTLAB_CLUSTERING_PROMOTED": str(log.with_name("promoted.yml"))}
    command = [sys.executable, "-m", "liftlab.cli", "tune", "--ui", "--port", str(port)]
    with open(log, "w") as out:
        server = subprocess.Popen(
            [*command, "--warehouse", str(heavy_faults_warehouse)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as reply:
                    if reply.read() == b"ok":
                        break
            except OSError:
                pass
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the app did not start:\n" + log.read_text()
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


HEADING = "[...document.querySelectorAll('h3')].map(e => e.innerText).join('|')"
SLIDER = "document.querySelector('[data-testid=stMain] [data-testid=stSlider] input')"
READY = (
    f"!!{SLIDER} && !document.querySelector('[data-testid=stStatusWidget]') && "
    "!!document.querySelector('[data-testid=stPlotlyChart]')"
)


def _clusters(heading: str) -> int:
    return int(re.search(r": (\d+) clusters of", heading).group(1))


def test_the_app_loads_and_the_slider_moves_the_cut(served, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/install_chromium.sh")
    browser = Browser(CHROMIUM, tmp_path / "profile")
    try:
        browser.call("Page.navigate", {"url": served})
        browser.wait_for(READY, timeout=120)
        before = browser.evaluate(HEADING)
        label = browser.evaluate(f"{SLIDER}.getAttribute('aria-valuetext')")
        assert f"({_clusters(before)} clusters)" in label, (before, label)
        browser.screenshot(tmp_path / "before.png")
        at_top = browser.evaluate(f"{SLIDER}.value === {SLIDER}.max")
        step = 1 if at_top else -1  # clusters gained: down the merges at the top stop
        browser.evaluate(f"{SLIDER}.focus()")
        browser.key(*(("ArrowLeft", 37) if at_top else ("ArrowRight", 39)))
        browser.wait_for(f"{HEADING} !== {before!r}", timeout=60)
        browser.wait_for(READY, timeout=60)
        after = browser.evaluate(HEADING)
        moved = browser.evaluate(f"{SLIDER}.getAttribute('aria-valuetext')")
        assert _clusters(after) == _clusters(before) + step, (before, after)
        assert f"({_clusters(after)} clusters)" in moved
        browser.screenshot(tmp_path / "after.png")
        assert (tmp_path / "after.png").stat().st_size > 20_000
        off_host = [
            u
            for u in browser.requested_urls()
            if not u.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
            and u != "about:blank"
        ]
        assert off_host == [], "the app must work offline"
    finally:
        browser.close()
