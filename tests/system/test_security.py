"""Security (issue 7): exposure of the UI, uploads, secrets, hosted-endpoint faults in batch runs."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.answer.batch import MAX_CONSECUTIVE_FAILURES, run_batch
from rag.answer.pipeline import RagPipeline
from rag.config import load_settings
from rag.errors import ConfigError, InputError
from rag.ingest.update import update_index
from rag.serve.ui import UiBackend, sanitize_filename, validate_upload
from tests.support.fake_openai_server import FakeServer, Reply, completion, delta
from tests.support.fake_rag import FAKE_RAG_ENV
from tests.support.injection_corpus import PLANTED_KEY

# ------------------------------------------------------------------ who can reach the UI


def test_ui_binds_loopback_unless_a_host_is_given(monkeypatch):
    import app

    monkeypatch.delenv("RAG_UI_HOST", raising=False)
    assert app._parse_args([]).host == "127.0.0.1"
    assert app._parse_args(["--host", "0.0.0.0"]).host == "0.0.0.0"
    monkeypatch.setenv("RAG_UI_HOST", "192.168.1.5")
    assert app._parse_args([]).host == "192.168.1.5"


def test_basic_auth_comes_from_the_environment(caplog):
    from app import launch_options

    assert launch_options("127.0.0.1", env={}) == {"server_name": "127.0.0.1"}
    caplog.set_level(logging.WARNING)
    assert "auth" not in launch_options("0.0.0.0", env={})
    assert any("without a password" in r.getMessage() for r in caplog.records)
    options = launch_options("0.0.0.0", env={"RAG_UI_USER": "ana", "RAG_UI_PASSWORD": "pw-123"})
    assert options["auth"] == [("ana", "pw-123")] and options["server_name"] == "0.0.0.0"
    with pytest.raises(ConfigError, match="RAG_UI_USER and RAG_UI_PASSWORD"):
        launch_options("0.0.0.0", env={"RAG_UI_USER": "ana"})


@pytest.mark.slow
def test_password_protected_page_refuses_clients_without_it(settings, embedder, tmp_path):
    import gradio_client

    from app import build_app, launch_options

    update_index(settings, embedder=embedder)
    demo = build_app(settings, UiBackend(settings, embedder=embedder))
    options = launch_options("127.0.0.1", env={"RAG_UI_USER": "ana", "RAG_UI_PASSWORD": "pw-123"})
    _, url, _ = demo.launch(**options, server_port=None, prevent_thread_lock=True, quiet=True)
    try:
        with pytest.raises(Exception):  # noqa: B017 (gradio_client raises different types per version)
            gradio_client.Client(url, verbose=False).predict("apples", 3, api_name="/search")
        client = gradio_client.Client(url, auth=("ana", "pw-123"), verbose=False)
        records = client.predict("Where do apples grow?", 3, "hybrid", api_name="/search")
        assert len(records) == 3 and records[0]["rank"] == 1 and records[0]["text"]
    finally:
        demo.close()


# ------------------------------------------------------------------ uploads


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/cron.d/evil.txt", "evil.txt"),
        ("/etc/passwd.md", "passwd.md"),
        ("..\\..\\Windows\\system32\\x.pdf", "x.pdf"),
        ("C:\\Users\\a\\report.HTML", "report.html"),
        ("....txt", None),
        (".hidden.md", "hidden.md"),
        ("a\x00b.txt", "a_b.txt"),
        ("name\nwith\nnewlines.txt", "name_with_newlines.txt"),
        ("spaces  and (parens).txt", "spaces_and_parens.txt"),
        ("run.sh", None),
        ("page.php.txt", "page.php.txt"),
        ("archive.tar.gz", None),
    ],
)
def test_upload_names_are_sanitised(name, safe):
    if safe is None:
        with pytest.raises(InputError):
            sanitize_filename(name)
    else:
        got = sanitize_filename(name)
        assert got == safe and "/" not in got and "\\" not in got and not got.startswith(".")


def test_uploads_stay_in_the_uploads_folder_and_never_overwrite_a_corpus_document(settings, embedder, tmp_path):
    backend = UiBackend(settings, uploads_dir=tmp_path / "uploads", embedder=embedder)
    backend.ensure_index()
    src = tmp_path / "incoming"
    src.mkdir()
    (src / "a.txt").write_text("Kingfishers nest in river banks near Basel.", encoding="utf-8")
    (src / "clash.txt").write_text("Replacing the apples document with lies.", encoding="utf-8")
    (src / "link.txt").symlink_to(Path(settings.corpus_dir) / "apples.txt")
    message = backend.add_files(
        [
            (src / "a.txt", "../../../escape/a.txt"),
            (src / "clash.txt", "corpus/apples.txt"),
            (src / "link.txt", "link.txt"),
        ]
    )
    # A name like a corpus document's is a document of its own in uploads/, never the corpus file.
    assert "Added: uploads/a.txt, uploads/apples.txt" in message
    assert "link.txt: links are not accepted" in message
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["a.txt", "apples.txt"]
    assert not (tmp_path / "escape").exists()
    assert "Apples grow on trees" in (Path(settings.corpus_dir) / "apples.txt").read_text()
    docs = backend.index().manifest.documents
    assert docs["corpus/apples.txt"].path == str((Path(settings.corpus_dir) / "apples.txt").resolve())
    assert docs["uploads/apples.txt"].path == str((tmp_path / "uploads" / "apples.txt").resolve())


def test_upload_size_limit(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(InputError, match="over the 0 MB upload limit|upload limit"):
        validate_upload(big, "big.txt", max_bytes=1024)


# ------------------------------------------------------------------ secrets


FAKE_ENV = {
    **FAKE_RAG_ENV,
    "OPENAI_API_KEY": PLANTED_KEY,
    "RAG_HOSTED_MODEL": "loopback-model",
    "RAG_HOSTED_MAX_RETRIES": "0",
}


def _fake_rag(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tests.support.fake_rag", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def hosted_server():
    with FakeServer() as server:
        yield server


def test_planted_api_key_never_reaches_logs_reports_settings_or_the_ui(corpus, tmp_path, hosted_server):
    """The key in OPENAI_API_KEY (the variable named by hosted_api_key_env) is sent to the endpoint
    and nowhere else: not stdout/stderr with -v, answers, eval reports, the index, settings or the UI."""
    work = tmp_path / "work"
    work.mkdir()
    env = {**FAKE_ENV, "RAG_HOSTED_BASE_URL": hosted_server.base_url}
    good = [delta(role="assistant"), delta("Apples grow on trees in orchards [1]."), delta(finish_reason="stop")]
    hosted_server.add(*(Reply(events=good) for _ in range(3)))
    hosted_server.add(Reply(status=401, body={"error": {"message": f"bad key {PLANTED_KEY[:8]}"}}))
    hosted_server.add(Reply(events=good))
    (work / "q.jsonl").write_text(
        json.dumps({"id": "1", "question": "Where do apples grow?", "answers": ["trees"]}) + "\n", encoding="utf-8"
    )
    outputs = [
        _fake_rag("-v", "index", str(corpus), cwd=work, env=env),
        _fake_rag("-v", "ask", "-g", "hosted", "--json", "Where do apples grow?", cwd=work, env=env),
        _fake_rag("-v", "batch", "-g", "hosted", "q.jsonl", "-o", "a.jsonl", cwd=work, env=env),
        _fake_rag("-v", "eval", "-g", "hosted", "q.jsonl", "--out", "run", cwd=work, env=env),
        _fake_rag("-v", "ask", "-g", "hosted", "Where do apples grow?", cwd=work, env=env),  # the 401
        _fake_rag("-v", "ask", "-g", "hosted", "Where do apples grow?", cwd=work, env={**env, "RAG_TOP_K": "x"}),
    ]
    assert [p.returncode for p in outputs[:4]] == [0, 0, 0, 0], [p.stderr[-500:] for p in outputs]
    assert outputs[4].returncode != 0 and "OPENAI_API_KEY" in outputs[4].stderr  # names the variable only
    sent = [r.headers.get("authorization") for r in hosted_server.requests]
    assert sent and all(h == f"Bearer {PLANTED_KEY}" for h in sent)  # the key was really in use
    texts = {f"output {i}": p.stdout + p.stderr for i, p in enumerate(outputs)}
    for path in work.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
    assert any("report" in name for name in texts) and any(name.endswith("a.jsonl") for name in texts)
    settings = load_settings(env=env)
    texts["settings repr"] = repr(settings) + json.dumps(dataclasses.asdict(settings))
    texts["ui"] = _ui_config_text(settings, tmp_path, env)
    leaked = [name for name, text in texts.items() if PLANTED_KEY in text or PLANTED_KEY[3:15] in text]
    assert leaked == [], leaked


def _ui_config_text(settings, tmp_path, env) -> str:
    from app import build_app
    from tests.support.fakes import HashEmbedder

    old = os.environ.get("OPENAI_API_KEY")
    os.environ["OPENAI_API_KEY"] = PLANTED_KEY
    try:
        s = settings.replace(index_dir=str(tmp_path / "work" / "index"), generator="hosted")
        demo = build_app(s, UiBackend(s, embedder=HashEmbedder()))
        config = json.dumps(demo.get_config_file(), default=str)
        assert "OPENAI_API_KEY" in config and "(set)" in config  # the page says the key is set, by name
        return config
    finally:
        if old is None:
            os.environ.pop("OPENAI_API_KEY", None)
        else:
            os.environ["OPENAI_API_KEY"] = old


# ------------------------------------------------------------------ hosted endpoint faults in batch


def test_batch_marks_hosted_faults_failed_continues_and_retries_them(settings, embedder, tmp_path, hosted_server):
    update_index(settings, embedder=embedder)
    hosted = settings.replace(
        generator="hosted", hosted_base_url=hosted_server.base_url, hosted_model="m", hosted_max_retries=0
    )
    hosted = dataclasses.replace(hosted, hosted_timeout=0.5)
    pipeline = RagPipeline(settings=hosted, embedder=embedder)
    answer = "Apples grow on trees in orchards [1]."
    ok = Reply(body=completion(answer))
    faults = {
        "q2": Reply(status=503, body={"error": "overloaded"}),
        "q3": Reply(delay=2.0, body=completion(answer)),  # timeout
        "q4": Reply(events=[delta("Apples grow"), delta(" on")], end="drop"),  # truncated stream
        "q5": Reply(body=b"{this is not json", headers={"Content-Type": "application/json"}),
        "q6": Reply(status=500, body=b"<html>Internal Server Error</html>"),
    }
    ids = [f"q{i}" for i in range(1, 8)]
    for qid in ids:
        hosted_server.add(faults.get(qid, ok))
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "".join(json.dumps({"id": q, "question": f"Where do apples grow? ({q})"}) + "\n" for q in ids), encoding="utf-8"
    )
    out = tmp_path / "a.jsonl"
    report = run_batch(questions, out, pipeline.ask)
    assert report.answered == 2 and sorted(report.failed) == sorted(faults) and report.stopped is None
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    failed = {r["id"]: r["error"] for r in rows if r.get("failed")}
    assert sorted(failed) == sorted(faults)
    assert all(msg and "\n" not in msg for msg in failed.values())
    assert "within 0.5s" in failed["q3"] and "503" in failed["q2"]
    for _ in faults:
        hosted_server.add(ok)
    again = run_batch(questions, out, pipeline.ask)
    assert again.retried == len(faults) and again.answered == len(faults) and not again.failed
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == ids and not any(r.get("failed") for r in rows)
    assert all(r["answer"] == answer for r in rows)


def test_batch_stops_when_the_endpoint_is_down_and_a_rerun_continues(tmp_path):
    from rag.errors import GeneratorError
    from rag.types import Answer

    down = {"on": True}

    def ask(question):
        if down["on"]:
            raise GeneratorError("cannot connect to http://127.0.0.1:9/v1")
        return Answer(question=question, text="ok", refused=False, citations=(), passages=(), generator="x")

    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps({"id": str(i), "question": "q"}) + "\n" for i in range(30)))
    out = tmp_path / "a.jsonl"
    report = run_batch(questions, out, ask)
    assert len(report.failed) == MAX_CONSECUTIVE_FAILURES and "in a row" in report.stopped
    down["on"] = False
    report = run_batch(questions, out, ask)
    assert report.answered == 30 and report.retried == MAX_CONSECUTIVE_FAILURES
    assert sorted(int(json.loads(x)["id"]) for x in out.read_text().splitlines()) == list(range(30))
