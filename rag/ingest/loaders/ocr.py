"""Text from pictures of text: scanned PDF pages and image files, read by Tesseract OCR.

The `tesseract` program (Debian: `apt-get install tesseract-ocr`) is run on a PNG of the page;
without it, nothing is guessed: the caller says which package would read the page.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from pathlib import Path

__all__ = ["INSTALL_HINT", "ocr_png", "pdf_page_png", "tesseract_available"]

INSTALL_HINT = (
    "install Tesseract to read it (Debian/Ubuntu: apt-get install tesseract-ocr; macOS: brew install tesseract)"
)
OCR_TIMEOUT_S = 120
RENDER_DPI = 300


@functools.cache
def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


def ocr_png(png: bytes, language: str = "eng") -> str:
    """The text Tesseract reads in a PNG image ("" when it reads none).

    Raises:
        OSError: Tesseract is missing, failed or timed out.
    """
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", language],
            input=png,
            capture_output=True,
            timeout=OCR_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OSError(f"Tesseract took over {OCR_TIMEOUT_S} s") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OSError(f"Tesseract failed ({reason[-1] if reason else f'exit code {done.returncode}'})")
    return done.stdout.decode("utf-8", "replace")


def pdf_page_png(path: Path, index: int, dpi: int = RENDER_DPI) -> bytes:
    """Page `index` (0-based) of a PDF rendered as a PNG (pypdfium2, installed with pdfplumber)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        image = document[index].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.convert("L").save(out, format="PNG")
    return out.getvalue()
