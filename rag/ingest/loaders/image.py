"""Images of text (.png, .jpg, .jpeg, .tif, .tiff): read by Tesseract OCR when it is installed."""

from __future__ import annotations

import io
from pathlib import Path

from rag.ingest.loaders.base import Extracted, Skip
from rag.ingest.loaders.ocr import INSTALL_HINT, ocr_png, tesseract_available

__all__ = ["EXTENSIONS", "extract"]

EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def extract(path: Path, data: bytes) -> Extracted:
    if not tesseract_available():
        raise Skip(f"an image: its text needs OCR; {INSTALL_HINT}")
    try:
        from PIL import Image, UnidentifiedImageError

        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.convert("L").save(out, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise Skip(f"unreadable image ({type(exc).__name__})") from None
    try:
        text = ocr_png(out.getvalue())
    except OSError as exc:
        raise Skip(str(exc)) from None
    return Extracted(text, None, "text read by OCR (Tesseract)")
