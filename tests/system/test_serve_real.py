"""The ecosystem doors end to end with the real packaged models: `rag serve` driven by the official
`openai` client, `rag mcp` by the MCP SDK's stdio client, `rag index --watch` on a folder, and the
hosted generator talking to llama.cpp's own OpenAI-compatible server (the packaged Qwen GGUF)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from rag.index.generations import load_index
from tests.support.paths import SEEDS
from tests.support.servers import free_port

pytestmark = pytest.mark.slow

CITIC_FILE = "seeds/000_8ffd45b442800ac1.txt"
CITIC_QUESTION = "Who is the chief economist at CITIC Securities?"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAG_GENERATOR": "extractive"}


def rag(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "rag.serve.cli", *args],
        cwd=cwd,
        env={**ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"rag {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("serve")
    shutil.copytree(SEEDS, work / "seeds")
    rag("index", "seeds", cwd=work)
    return work


@contextmanager
def background(command: list[str], cwd: Path, env: dict, ready_url: str, timeout: float = 180) -> Iterator[None]:
    """Run a server process until the block ends; wait until `ready_url` answers. Its output goes
    to a file (llama.cpp logs enough to fill a pipe and block)."""
    log_path = cwd / f"server-{time.monotonic_ns()}.log"
    log = log_path.open("w")
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"{command[2:4]} exited ({proc.returncode}): {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(ready_url, timeout=2).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{ready_url} not ready after {timeout} s")
            time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_rag_serve_answers_the_openai_client_streaming_and_not(workdir):
    import openai

    port = free_port()
    command = [sys.executable, "-m", "rag.serve.cli", "serve", "--port", str(port)]
    with background(command, workdir, {**ENV, "RAG_API_KEY": "k-42"}, f"http://127.0.0.1:{port}/health"):
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k-42", max_retries=0)
        messages = [{"role": "user", "content": CITIC_QUESTION}]
        response = client.chat.completions.create(model="rag", messages=messages)
        assert "Ming Ming" in response.choices[0].message.content and "[1]" in response.choices[0].message.content
        assert response.model_extra["citations"][0]["source"] == CITIC_FILE
        chunks = list(client.chat.completions.create(model="rag", messages=messages, stream=True))
        streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert streamed == response.choices[0].message.content
        assert chunks[-1].choices[0].finish_reason == "stop" and chunks[-1].model_extra["citations"]
        off_topic = client.chat.completions.create(
            model="rag", messages=[{"role": "user", "content": "What is the boiling point of liquid nitrogen?"}]
        )
        assert off_topic.model_extra["rag"]["refused"] is True
        keyless = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            keyless.chat.completions.create(model="rag", messages=messages)


def test_rag_mcp_gives_an_mcp_client_a_cited_answer(workdir):
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "rag.serve.cli", "mcp"], env=ENV, cwd=str(workdir)
    )

    async def session():
        async with Client(params) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            return names, await client.call_tool("ask", {"question": CITIC_QUESTION})

    names, asked = asyncio.run(asyncio.wait_for(session(), 300))
    assert names == {"search", "ask", "list_documents"}
    answer = asked.structured_content
    assert "Ming Ming" in answer["answer"] and not answer["refused"]
    assert any(c["source"] == CITIC_FILE and "Ming Ming" in c["quote"] for c in answer["citations"])


def test_a_watched_folder_answers_a_new_file_and_forgets_a_deleted_one(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "docs")
    new_file = tmp_path / "docs" / "observatory.txt"
    question = "Which observatory did Lin Yuehua open in Qinghai?"
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag.serve.cli", "index", "--watch", "docs"],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def indexed() -> set[str]:
        try:
            return set(load_index(tmp_path / "index").manifest.documents)
        except Exception:
            return set()

    def seconds_until(condition, limit: float) -> float:
        started = time.monotonic()
        while not condition():
            assert time.monotonic() - started < limit, f"not done within {limit} s"
            time.sleep(0.1)
        return time.monotonic() - started

    try:
        seconds_until(lambda: len(indexed()) == 5, 180)
        time.sleep(1.0)
        new_file.write_text(
            "Lenghu observatory opens\n\nAstronomer Lin Yuehua opened the Saishiteng observatory near Lenghu in "
            "Qinghai on Tuesday; its 2.5-metre telescope will survey the northern sky.\n",
            encoding="utf-8",
        )
        assert seconds_until(lambda: "docs/observatory.txt" in indexed(), 10) < 10
        answer = json.loads(rag("ask", question, "--json", cwd=tmp_path).stdout)
        assert "Saishiteng" in answer["answer"] and answer["citations"][0]["source"] == "docs/observatory.txt"
        new_file.unlink()
        assert seconds_until(lambda: "docs/observatory.txt" not in indexed(), 10) < 10
        answer = json.loads(rag("ask", question, "--json", cwd=tmp_path).stdout)
        assert "Saishiteng" not in answer["answer"]
        assert all(c["source"] != "docs/observatory.txt" for c in answer["citations"])
        assert rag("index", "--check", cwd=tmp_path).stdout.startswith("ok: 5 documents")
    finally:
        proc.send_signal(2)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_hosted_generator_through_llama_cpp_server(workdir):
    pytest.importorskip("llama_cpp.server", reason="needs pip install -e '.[local]'")
    from rag.config import load_settings
    from rag.models.gguf import resolve_gguf

    settings = load_settings(env={})
    gguf = resolve_gguf(settings.local_model, settings.model_cache_dir)
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "rag.models.llama_amx",  # llama_cpp.server, safe on AMX CPUs
        "--model",
        str(gguf),
        "--model_alias",
        "qwen-local",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        "2",
    ]
    hosted = {"RAG_HOSTED_BASE_URL": f"http://127.0.0.1:{port}/v1", "RAG_HOSTED_MODEL": "qwen-local"}
    with background(command, workdir, ENV, f"http://127.0.0.1:{port}/v1/models"):
        # Streamed (the pipeline streams the hosted answer).
        answer = json.loads(rag("ask", "-g", "hosted", CITIC_QUESTION, "--json", cwd=workdir, env=hosted).stdout)
        assert answer["generator"] == "hosted" and not answer["refused"]
        assert "Ming Ming" in answer["answer"]
        assert answer["citations"] and all(c["source"] == CITIC_FILE for c in answer["citations"])
        # Not streamed: the LLM judge of `rag eval` asks for whole completions.
        questions = workdir / "one.jsonl"
        questions.write_text(json.dumps({"id": "q1", "question": CITIC_QUESTION, "answers": ["Ming Ming"]}) + "\n")
        rag(
            "eval",
            str(questions),
            "--out",
            str(workdir / "run"),
            "--judge",
            "llm",
            "-g",
            "hosted",
            cwd=workdir,
            env=hosted,
        )
        summary = json.loads((workdir / "run" / "summary.json").read_text())
        assert summary["judge"]["name"] == "llm:hosted" and summary["metrics"]["faithfulness"]["n"] == 1
        item = json.loads((workdir / "run" / "items.jsonl").read_text().splitlines()[0])
        assert 0.0 <= item["faithfulness"] <= 1.0 and "Ming Ming" in item["answer"]
