"""A PDF of a report's page, printed by headless Chromium (Debian's `chromium`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MISSING = (
    "cannot write the PDF: Chromium is not installed; install it with `apt-get install "
    "chromium` (or set SIGNOFF_CHROMIUM to a Chrome or Chromium), or pass --no-pdf"
)
# Headless, and quiet: no first-run, sync, update or other background traffic.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--mute-audio",
)


class PdfUnavailable(RuntimeError):
    """No browser to print with; `str(exc)` is one line with the fix."""


def chromium() -> str:
    named = os.environ.get("SIGNOFF_CHROMIUM")
    if named:
        if shutil.which(named):
            return shutil.which(named)  # type: ignore[return-value]
        raise PdfUnavailable(f"SIGNOFF_CHROMIUM: {named} is not a program here; {MISSING}")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfUnavailable(MISSING)


def html_to_pdf(page: Path, pdf: Path, *, timeout: float = 120) -> None:
    """Print `page` (a self-contained HTML file) to `pdf`, A4, without header or footer."""
    browser = chromium()
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="signoff-chromium-") as profile:
        result = subprocess.run(
            [
                browser,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf.resolve()}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    if not pdf.exists() or pdf.stat().st_size == 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise PdfUnavailable(
            f"Chromium did not write {pdf.name} (exit {result.returncode}): {last}"
        )
