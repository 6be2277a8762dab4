"""Where browser tests keep screenshots for a reviewer: test-artifacts/screenshots/ at the
project's root (named in the README's "Run the tests"; not committed). The role walk keeps one
folder per role there; the feature tests keep theirs in features/."""

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"


def screenshot(page, name):
    """A full-page screenshot of `page` as SCREENSHOTS/features/<name>.png."""
    path = SCREENSHOTS / "features" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True)
