"""HostedGenerator against a real HTTP server on 127.0.0.1 that speaks chat completions and SSE
(`tests.support.fake_openai_server`)."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rag.answer.generators.base import Generator
from rag.answer.generators.hosted import HostedGenerator
from rag.errors import GeneratorError, RagError
from rag.models.openai_client import retry_delay
from rag.types import REFUSAL_TEXT, Chunk, Hit
from tests.support.fake_openai_server import FakeServer, Reply, clear_proxies, completion, delta

KEY_ENV = "RAG_TEST_HOSTED_KEY"
SECRET = "sk-test-S3CRET-9f8e7d6c5b4a"
ANSWER = "Apples grow on trees in orchards [1]. The Fuji apple was developed in Japan [2]."
QUESTION = "Where do apples grow?"


@pytest.fixture(autouse=True)
def _no_proxy_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxies(monkeypatch)
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def make(server: FakeServer) -> Iterator[Any]:
    made: list[HostedGenerator] = []

    def factory(**kwargs: Any) -> HostedGenerator:
        options = {"model": "test-model", "api_key_env": KEY_ENV, "backoff": 0.001, "timeout": 5.0, **kwargs}
        gen = HostedGenerator(options.pop("base_url", server.base_url), **options)
        made.append(gen)
        return gen

    yield factory
    for gen in made:
        gen.close()


def hits() -> list[Hit]:
    texts = [
        ("corpus/apples.txt", "Apples", "Apples grow on trees in orchards."),
        ("fuji.txt", "Fuji", "The Fuji apple was developed in Japan in the 1930s."),
    ]
    return [
        Hit(Chunk(Chunk.make_id(doc, 0), doc, doc, title, text, 0, len(text)), 0.9 - rank / 10, rank)
        for rank, (doc, title, text) in enumerate(texts, start=1)
    ]


def error_for(gen: HostedGenerator) -> GeneratorError:
    with pytest.raises(GeneratorError) as info:
        gen.generate(QUESTION, hits())
    return info.value


# --- answers ---------------------------------------------------------------------------------


def test_generate_returns_the_cited_answer(server: FakeServer, make: Any) -> None:
    server.add(Reply(body=completion(ANSWER)))
    gen = make()
    assert isinstance(gen, Generator) and gen.name == "hosted"
    result = gen.generate(QUESTION, hits())
    assert result.text == ANSWER and "[1]" in result.text and "[2]" in result.text
    assert not result.refused and result.notes == ()


def test_request_carries_model_temperature_passages_and_question(server: FakeServer, make: Any) -> None:
    server.add(Reply(body=completion(ANSWER)))
    make(base_url=server.base_url + "/").generate(QUESTION, hits())
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    body = request.body
    assert body["model"] == "test-model" and body["temperature"] == 0 and body["max_tokens"] == 256
    assert body["stream"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    user = body["messages"][1]["content"]
    assert "[1]" in user and "Apples grow on trees in orchards." in user
    assert "[2]" in user and "developed in Japan in the 1930s" in user
    assert QUESTION in user and user.index("[2]") < user.rindex(QUESTION), "the question is repeated after the sources"


def test_stream_yields_pieces_in_order_and_matches_generate(server: FakeServer, make: Any) -> None:
    pieces = ["Apples grow", " on trees in orchards [1].", " The Fuji apple was developed", " in Japan [2]."]
    split = json.dumps(delta(pieces[2]))
    events: list[dict | str] = [": keep-alive\n\n", delta("", role="assistant"), delta(pieces[0]), delta(pieces[1])]
    events += [f"data: {split[:20]}", f"{split[20:]}\n\n", delta(pieces[3]), delta(finish_reason="stop")]
    events.append({"choices": [], "usage": {"total_tokens": 42}})
    server.add(Reply(events=events), Reply(body=completion(ANSWER)))
    gen = make()
    streamed = list(gen.stream(QUESTION, hits()))
    assert streamed == pieces
    assert server.requests[0].body["stream"] is True
    assert server.requests[0].headers["accept"] == "text/event-stream"
    assert "".join(streamed) == gen.generate(QUESTION, hits()).text == ANSWER


def test_stream_accepts_a_plain_json_reply_and_a_stream_without_done(server: FakeServer, make: Any) -> None:
    server.add(
        Reply(body=completion(ANSWER)), Reply(events=[delta("Yes [1]."), delta(finish_reason="stop")], end="eof")
    )
    gen = make()
    assert "".join(gen.stream(QUESTION, hits())) == ANSWER
    assert "".join(gen.stream(QUESTION, hits())) == "Yes [1]."


def test_answer_cut_at_max_tokens_is_noted(server: FakeServer, make: Any) -> None:
    server.add(Reply(body=completion("Apples grow on [1", finish_reason="length")))
    result = make(max_tokens=5).generate(QUESTION, hits())
    assert server.requests[0].body["max_tokens"] == 5
    assert result.notes == ("answer cut at max_tokens=5",)


@pytest.mark.parametrize(
    "content",
    [
        REFUSAL_TEXT,
        f"  {REFUSAL_TEXT}\n",
        f"Sorry. {REFUSAL_TEXT} The passages cover other topics.",
        "i could not find this in the documents",
    ],
)
def test_refusal_is_detected_and_normalised(server: FakeServer, make: Any, content: str) -> None:
    server.add(Reply(body=completion(content)))
    result = make().generate(QUESTION, hits())
    assert result.refused and result.text == REFUSAL_TEXT


def test_no_passages_refuses_without_calling_the_endpoint(server: FakeServer, make: Any) -> None:
    gen = make()
    result = gen.generate(QUESTION, [])
    assert result.refused and result.text == REFUSAL_TEXT
    assert list(gen.stream(QUESTION, [])) == [REFUSAL_TEXT]
    assert server.requests == []


# --- API key ---------------------------------------------------------------------------------


def test_authorization_header_only_when_the_key_variable_is_set(
    server: FakeServer, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.add(*[Reply(body=completion(ANSWER)) for _ in range(3)])
    gen = make()
    gen.generate(QUESTION, hits())
    monkeypatch.setenv(KEY_ENV, SECRET)  # read at request time, not in the constructor
    gen.generate(QUESTION, hits())
    make(api_key_env=None).generate(QUESTION, hits())
    assert "authorization" not in server.requests[0].headers
    assert server.requests[1].headers["authorization"] == f"Bearer {SECRET}"
    assert "authorization" not in server.requests[2].headers


@pytest.mark.parametrize("status", [400, 401, 500])
def test_the_key_never_leaks_into_errors_logs_or_repr(
    server: FakeServer, make: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    caplog.set_level(logging.DEBUG)
    echo = {"error": {"message": f"Incorrect API key provided: {SECRET}", "code": status}}
    server.add(Reply(status=status, body=echo), Reply(status=status, body=echo))
    gen = make(max_retries=1)
    exc = error_for(gen)
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # the key was in play
    for text in (str(exc), repr(exc), caplog.text, repr(gen), str(vars(gen))):
        assert SECRET not in text
    assert f"${KEY_ENV}" in str(exc) if status == 401 else "***" in str(exc)


# --- retries ---------------------------------------------------------------------------------


def test_server_error_is_retried_then_answered_once(
    server: FakeServer, make: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(Reply(status=500, body={"error": {"message": "engine overloaded"}}), Reply(body=completion(ANSWER)))
    with caplog.at_level(logging.WARNING, logger="rag.models.openai_client"):
        result = make().generate(QUESTION, hits())
    assert result.text == ANSWER and len(server.requests) == 2
    assert "HTTP 500" in caplog.text and "retry 1/3" in caplog.text


def test_server_errors_give_up_after_max_retries(server: FakeServer, make: Any) -> None:
    server.add(*[Reply(status=503, body={"error": "warming up"}) for _ in range(4)])
    exc = error_for(make(max_retries=2))
    assert len(server.requests) == 3
    assert "HTTP 503" in str(exc) and "after 3 attempt(s)" in str(exc) and "warming up" in str(exc)


def test_rate_limit_waits_for_retry_after(server: FakeServer, make: Any) -> None:
    server.add(
        Reply(status=429, headers={"Retry-After": "1"}, body={"error": "slow down"}), Reply(body=completion(ANSWER))
    )
    started = time.monotonic()
    result = make(backoff=0.001).generate(QUESTION, hits())
    assert time.monotonic() - started >= 0.9
    assert result.text == ANSWER and len(server.requests) == 2


def test_retry_delay_backs_off_exponentially_and_caps_retry_after() -> None:
    assert [retry_delay(None, attempt, 0.5) for attempt in range(3)] == [0.5, 1.0, 2.0]
    assert retry_delay("3", 0, 0.5) == 3.0
    assert retry_delay("3600", 0, 0.5) == 10.0
    assert retry_delay("Wed, 21 Oct 2015 07:28:00 GMT", 1, 0.5) == 1.0
    assert retry_delay(None, 10, 0.5) == 10.0


def test_timeout_before_any_text_is_retried(server: FakeServer, make: Any) -> None:
    server.add(Reply(delay=4.0, body=completion("too late")), Reply(body=completion(ANSWER)))
    started = time.monotonic()
    assert make(timeout=0.5, max_retries=1).generate(QUESTION, hits()).text == ANSWER
    # Well under the 4 s the first reply takes (~1 s expected; slack for a loaded CI machine).
    assert time.monotonic() - started < 3.0 and len(server.requests) == 2


# --- failures --------------------------------------------------------------------------------


def test_slow_server_times_out(server: FakeServer, make: Any) -> None:
    server.add(Reply(delay=4.0, body=completion(ANSWER)))
    started = time.monotonic()
    exc = error_for(make(timeout=0.5, max_retries=0))
    assert time.monotonic() - started < 3.0
    assert str(exc).startswith(f"no answer from {server.url} within 0.5s")


def test_stream_broken_after_text_is_an_error_and_not_retried(server: FakeServer, make: Any) -> None:
    server.add(Reply(events=[delta("Apples grow"), delta(" on trees")], end="drop"), Reply(body=completion(ANSWER)))
    received = []
    with pytest.raises(GeneratorError, match="stream from .* broke after part of the answer arrived") as info:
        for piece in make().stream(QUESTION, hits()):
            received.append(piece)
    assert received == ["Apples grow", " on trees"]
    assert len(server.requests) == 1 and "\n" not in str(info.value)


def test_stream_ending_without_done_or_finish_is_an_error(server: FakeServer, make: Any) -> None:
    server.add(Reply(events=[delta("Apples grow")], end="eof"))
    with pytest.raises(GeneratorError, match="broke after part of the answer"):
        list(make().stream(QUESTION, hits()))


def test_stream_broken_before_any_text_is_retried(server: FakeServer, make: Any) -> None:
    server.add(
        Reply(events=[delta("", role="assistant")], end="drop"),
        Reply(events=[delta(ANSWER), delta(finish_reason="stop")]),
    )
    assert "".join(make().stream(QUESTION, hits())) == ANSWER
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply(body=b"<html><body>Bad gateway page</body></html>", headers={"Content-Type": "text/html"}), "not JSON"),
        (Reply(body={"choices": []}), "choices[0].message.content"),
        (Reply(body=completion(None)), "NoneType, not text"),
        (Reply(body=["not", "an", "object"]), "not an object"),
        (Reply(events=["data: {oops\n\n"]), "stream event is not JSON"),
        (Reply(events=[{"id": "x"}]), "no 'choices' list"),
    ],
)
def test_malformed_replies_are_reported(server: FakeServer, make: Any, reply: Reply, why: str) -> None:
    server.add(reply)
    with pytest.raises(GeneratorError) as info:
        list(make().stream(QUESTION, hits()))
    message = str(info.value)
    assert message.startswith(f"malformed response from {server.url}: ") and why in message
    assert "\n" not in message and len(server.requests) == 1


def test_error_event_in_stream_is_reported(server: FakeServer, make: Any) -> None:
    server.add(Reply(events=[{"error": {"message": "context length exceeded"}}]))
    with pytest.raises(GeneratorError, match="reported an error: context length exceeded"):
        list(make().stream(QUESTION, hits()))


def test_rejected_key_names_the_variable(server: FakeServer, make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    server.add(Reply(status=401, body={"error": {"message": "invalid key"}}))
    exc = error_for(make())
    assert str(exc) == f"endpoint {server.url} rejected the API key from ${KEY_ENV} (HTTP 401)"
    assert isinstance(exc, RagError) and len(server.requests) == 1


def test_missing_key_says_which_variable_to_set(server: FakeServer, make: Any) -> None:
    server.add(Reply(status=401, body={"error": "unauthorized"}))
    assert f"requires an API key (HTTP 401); set ${KEY_ENV}" in str(error_for(make()))


def test_not_found_names_model_and_url(server: FakeServer, make: Any) -> None:
    server.add(Reply(status=404, body={"error": "model 'test-model' not found, try pulling it first"}))
    message = str(error_for(make()))
    assert message.startswith(f"model 'test-model' or path not found at {server.url} (HTTP 404)")
    assert "try pulling it first" in message and len(server.requests) == 1


def test_connection_refused(make: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    exc = error_for(make(base_url=url, max_retries=1))
    assert str(exc).startswith(f"cannot connect to {url}/chat/completions: is the server running?")


# --- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"base_url": "127.0.0.1:8000/v1"}, "base_url"),
        ({"base_url": "ftp://host/v1"}, "base_url"),
        ({"model": " "}, "model"),
        ({"api_key_env": "sk-abc123"}, "api_key_env"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": 1.5}, "max_retries"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"backoff": -1}, "backoff"),
    ],
)
def test_bad_arguments_are_refused_by_name(kwargs: dict, name: str) -> None:
    options = {"base_url": "http://127.0.0.1:8000/v1", "model": "m", **kwargs}
    with pytest.raises(ValueError, match=name):
        HostedGenerator(**options)


def test_repr_shows_the_variable_name_but_no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    gen = HostedGenerator("https://user:pw@api.example.com/v1", "gpt-x", api_key_env=KEY_ENV)
    assert (
        repr(gen) == f"HostedGenerator(base_url='https://api.example.com/v1', model='gpt-x', api_key_env='{KEY_ENV}')"
    )


def test_stream_reports_no_usage_and_declares_no_capabilities(server: FakeServer, make: Any) -> None:
    from rag.answer.generators.base import Streamed

    server.add(Reply(events=[delta(ANSWER), delta(finish_reason="stop")]))
    gen = make()
    pieces = Streamed(gen.stream(QUESTION, hits(), refusal_threshold=0.5))
    assert "".join(pieces) == ANSWER and pieces.usage == {}
    assert gen.gates_refusal is False and gen.warm_up() is None and server.requests[0].body["stream"] is True
