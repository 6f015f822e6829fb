"""The judges' calibration file: weights, thresholds and measured accuracy per judge name.

It ships as package data, so an installed wheel judges with the calibration measured in the
checkout (`eval/calibrate_judges.py` rewrites it).
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["CALIBRATION_FILE", "load_calibration", "save_calibration"]

CALIBRATION_FILE: Traversable = files("rag.evaluate").joinpath("judge_calibration.json")
SCHEMA_VERSION = 1


def load_calibration(path: Path | Traversable = CALIBRATION_FILE) -> dict:
    """The cached calibrations by judge name ({} when the file is missing or unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data.get("judges", {}) if isinstance(data, dict) else {}


def save_calibration(judge_name: str, result: dict, path: Path) -> None:
    """Store one judge's calibration next to the others (atomic replace)."""
    judges = load_calibration(path)
    judges[judge_name] = result
    data = {"schema_version": SCHEMA_VERSION, "judges": dict(sorted(judges.items()))}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
