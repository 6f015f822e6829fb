"""The wheel works outside the checkout: build it, install it into a fresh virtual environment in
tmp_path, index a folder and answer a question there, with the prompts and the judge calibration
read from the installed package.

The fresh environment gets the project's dependencies (torch, sentence-transformers, faiss, the
packaged embedder...) without a download: a `.pth` file puts the site-packages of the environment
running the tests on its `sys.path`. A `.pth` line only appends a folder; the `.pth` files inside
that folder (among them the editable install's finder for the checkout's `rag`) are not run, so the
`rag` that imports is the wheel's, which the assertions check.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DATA = ("rag/prompts/system.md", "rag/prompts/answer.md", "rag/prompts/judge.md")
CALIBRATION = "rag/evaluate/judge_calibration.json"
VERIFIER = ("rag/models/verifier_model/verifier.json", "rag/models/verifier_model/idf.json")
DOCS = {
    "lighthouse.txt": (
        "The Bell Rock Lighthouse stands on a reef off the coast of Angus, Scotland. "
        "The engineer Robert Stevenson built the Bell Rock Lighthouse between 1807 and 1810. "
        "It is the oldest surviving sea-washed lighthouse in the world.\n"
    ),
    "bridge.txt": (
        "The Forth Bridge is a cantilever railway bridge across the Firth of Forth. "
        "It was designed by John Fowler and Benjamin Baker and opened in 1890.\n"
    ),
    "canal.txt": (
        "The Caledonian Canal connects the east coast of Scotland at Inverness with the west coast "
        "near Fort William. The engineer Thomas Telford surveyed its route, and it opened in 1822.\n"
    ),
}
QUESTION = "Who built the Bell Rock Lighthouse?"


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _setuptools_builds_offline() -> bool:
    """The running environment can build the wheel without build isolation (no download)."""
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= 77
    except Exception:
        return False


def _build_wheel(tmp_path: Path, env: dict[str, str]) -> Path:
    # Build from a copy, so the build leaves no build/ or egg-info behind in the checkout.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "rag", source / "rag", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path / "dist"
    # Without isolation when the running environment has a recent enough setuptools (`.[dev]`
    # installs one), so the build needs no network; otherwise pip fetches setuptools from PyPI.
    isolation = ["--no-build-isolation"] if _setuptools_builds_offline() else []
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "--quiet", "-w", str(dist), str(source)],
        cwd=tmp_path,
        env=env,
    )
    wheels = sorted(dist.glob("rag_offline-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    tmp_path = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "RAG_", "VIRTUAL_ENV"))}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    wheel = _build_wheel(tmp_path, env)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--force-reinstall", str(wheel)],
        cwd=tmp_path,
        env=env,
    )
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path, env
        ).stdout.strip()
    )
    deps = sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    (site / "zz_project_dependencies.pth").write_text("".join(f"{d}\n" for d in deps), encoding="utf-8")
    return {"tmp": tmp_path, "wheel": wheel, "venv": venv, "python": python, "env": env}


def test_wheel_ships_the_package_data_and_nothing_from_the_checkout(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    assert set(PACKAGE_DATA) | set(VERIFIER) | {CALIBRATION, "rag/__init__.py", "rag/serve/cli.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "eval/", "bench/", "seeds/", "prompts/"))]


def test_installed_rag_is_the_wheels_not_the_checkouts(installed):
    probe = (
        "import json, os, sys, rag; "
        "print(json.dumps({'file': rag.__file__, 'path': [os.path.abspath(p) for p in sys.path], 'prefix': sys.prefix}))"
    )
    out = json.loads(_run([str(installed["python"]), "-c", probe], installed["tmp"], installed["env"]).stdout)
    print("rag.__file__ =", out["file"])
    venv = installed["venv"].resolve()
    assert Path(out["file"]).resolve().is_relative_to(venv)
    assert Path(out["prefix"]).resolve() == venv
    for entry in out["path"]:
        assert Path(entry).resolve() != REPO, f"the checkout is on sys.path: {entry!r}"


def test_prompts_and_judge_calibration_load_from_the_installed_package(installed):
    probe = (
        "import json; "
        "from rag.answer.prompts import PROMPTS_DIR, load_prompt; "
        "from rag.evaluate.calibration_store import CALIBRATION_FILE, load_calibration; "
        "print(json.dumps({n: load_prompt(n) for n in ('system', 'answer', 'judge')} | "
        "{'calibration': load_calibration(), 'dirs': [str(PROMPTS_DIR), str(CALIBRATION_FILE)]}))"
    )
    out = json.loads(_run([str(installed["python"]), "-c", probe], installed["tmp"], installed["env"]).stdout)
    for name in ("system", "answer", "judge"):
        assert out[name].strip(), f"prompt {name!r} is empty"
    assert out["calibration"], "the judge calibration did not load"
    assert "overlap" in out["calibration"]
    for path in out["dirs"]:
        assert Path(path).resolve().is_relative_to(installed["venv"].resolve()), path


def test_index_and_ask_outside_the_checkout(installed):
    tmp, env = installed["tmp"], installed["env"]
    docs = tmp / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    rag = str(installed["venv"] / "bin" / "rag")
    index_dir = str(tmp / "index")

    report = json.loads(_run([rag, "--index-dir", index_dir, "index", str(docs), "--json"], tmp, env).stdout)
    assert report["document_count"] == len(DOCS)

    out = _run(
        [rag, "--index-dir", index_dir, "ask", QUESTION, "--generator", "extractive", "--json"],
        tmp,
        {**env, "RAG_VERIFY_ANSWERS": "1"},
    )
    answer = json.loads(out.stdout)
    assert not answer["refused"], answer
    assert "Robert Stevenson" in answer["answer"]
    assert answer["citations"], answer
    cited = [c for c in answer["citations"] if "Robert Stevenson" in c["quote"]]
    assert cited, answer["citations"]
    assert cited[0]["source"] == "docs/lighthouse.txt"
    assert cited[0]["quote"] in DOCS["lighthouse.txt"]
    # The verifier came from the installed package and checked the answer.
    assert answer["verdicts"] and not any(n.startswith("answer sentences not verified") for n in answer["notes"])
