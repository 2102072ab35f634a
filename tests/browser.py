"""A real headless Chromium (Debian's, driven by Playwright) and a local web server, for browser tests."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright
from system import CHROMIUM, FONT, missing, require

# As root and without network: no sandbox, no GPU, and none of the background connections
# Chromium would otherwise try (and have refused) on this closed machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on 127.0.0.1, from a thread; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@contextmanager
def chromium() -> Iterator[Browser | None]:
    """Debian's Chromium, headless (`sh tests/setup.sh` installs it; Playwright never downloads a browser here),
    or None when it is not installed: a module-scoped fixture must not raise, `browser_for` fails the test."""
    if missing(CHROMIUM, FONT):
        yield None
        return
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM.file, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def browser_for(browser: Browser | None) -> Browser:
    """The fixture's browser, or a test failure naming the packages to install."""
    require(CHROMIUM, FONT)
    assert browser is not None
    return browser
