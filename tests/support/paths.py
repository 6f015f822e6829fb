"""Where the checkout, its seed corpus and the shared evaluation data are."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SEEDS = REPO / "seeds"
SHARED_DATA = REPO.parent / "shared" / "data"
