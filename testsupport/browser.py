"""Headless Chromium through Playwright's sync API, using Debian's /usr/bin/chromium.

Playwright's own browser downloads are never used (no ``playwright install``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch_chromium(playwright, *, headless: bool = True, **options):
    """Launch Debian's Chromium from a started ``sync_playwright()`` object."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS + options.pop("args", []),
        headless=headless,
        **options,
    )


@contextmanager
def chromium(*, headless: bool = True, **options) -> Iterator:
    """Start Playwright and Chromium; yield the ``Browser``; close both."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, headless=headless, **options)
        try:
            yield browser
        finally:
            browser.close()
