"""One client for OpenAI-compatible `/chat/completions` endpoints (OpenAI, vLLM, Ollama, llama.cpp
server, LM Studio), used by the hosted generator and the hosted judge alike: streamed over
Server-Sent Events or not, retried with backoff (Retry-After honoured), one-line errors.

The API key is read from an environment variable at request time and never stored, logged or
shown in an error message (a copy the server echoes back is masked).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from rag.config import Settings
from rag.errors import ConfigError, GeneratorError

if TYPE_CHECKING:
    import httpx

__all__ = ["ChatClient", "ChatReply", "retry_delay", "check_number", "check_int"]

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]

# No single wait between attempts is longer than this, whatever Retry-After asks for.
MAX_DELAY = 10.0
_DETAIL_CHARS = 200
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _StreamEnded(Exception):
    """The event stream closed cleanly but before the answer was complete."""


@dataclass
class ChatReply:
    """A whole (non-streamed) reply: the message text and why the model stopped ("stop", "length")."""

    text: str
    finish_reason: str | None = None


@dataclass
class _Outcome:
    """What one request learnt besides the text."""

    finish_reason: str | None = None


class ChatClient:
    """Chat completions from one model behind an OpenAI-compatible endpoint.

    Args:
        base_url: the API root, e.g. "http://127.0.0.1:8000/v1" or "https://api.openai.com/v1".
        model: the model name the server knows, e.g. "gpt-4o-mini" or "llama3.1:8b".
        api_key_env: NAME of the environment variable that holds the API key, read at request
            time; when it is unset (or None is given) no Authorization header is sent.
        timeout: seconds to wait for connecting and for each read from the server.
        max_retries: further attempts after a 429, a 5xx, a connection error or a timeout,
            as long as no answer text has been received yet.
        backoff: seconds before the first retry, doubled for each later one.

    Example:
        >>> client = ChatClient("http://127.0.0.1:11434/v1", "llama3.1:8b", api_key_env=None)
        >>> client.complete([{"role": "user", "content": "Say yes."}], max_tokens=4).text  # doctest: +SKIP
        'Yes.'
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        _check_url(base_url)
        if not isinstance(model, str) or not model.strip():
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        if api_key_env is not None and not (isinstance(api_key_env, str) and _ENV_NAME.fullmatch(api_key_env)):
            raise ValueError(f"api_key_env must be an environment variable name or None, got {api_key_env!r}")
        check_number("timeout", timeout, low=0.0, low_open=True)
        check_int("max_retries", max_retries, low=0)
        check_number("backoff", backoff, low=0.0)
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff = float(backoff)
        self.url = f"{base_url.rstrip('/')}/chat/completions"
        self.shown_url = _without_userinfo(self.url)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, what: str = "hosted generator") -> ChatClient:
        """The client for `settings.hosted_*`; `what` names the user in a configuration error."""
        if not settings.hosted_model:
            raise ConfigError(f"the {what} needs a model name: set hosted_model (or RAG_HOSTED_MODEL)")
        try:
            return cls(
                settings.hosted_base_url,
                settings.hosted_model,
                api_key_env=settings.hosted_api_key_env or None,
                timeout=settings.hosted_timeout,
                max_retries=settings.hosted_max_retries,
            )
        except ValueError as exc:
            raise ConfigError(f"{what}: {exc}") from None

    def __repr__(self) -> str:
        base = self.shown_url.removesuffix("/chat/completions")
        return f"ChatClient(base_url={base!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    def complete(self, messages: Messages, max_tokens: int, temperature: float = 0.0) -> ChatReply:
        """The model's whole reply to `messages`.

        Raises:
            GeneratorError: the endpoint could not be reached or gave no usable answer.
        """
        outcome = _Outcome()
        text = "".join(self._request(messages, max_tokens, temperature, stream=False, outcome=outcome))
        return ChatReply(text, outcome.finish_reason)

    def stream(self, messages: Messages, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        """Yield the reply in pieces as the model writes them; they concatenate to the reply.

        Raises:
            GeneratorError: as `complete`; also when the stream breaks after text was yielded
                (it is never retried then, as that would repeat text).
        """
        yield from self._request(messages, max_tokens, temperature, stream=True, outcome=_Outcome())

    def close(self) -> None:
        """Close the pooled HTTP connections; the client stays usable and reconnects."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _request(
        self, messages: Messages, max_tokens: int, temperature: float, stream: bool, outcome: _Outcome
    ) -> Iterator[str]:
        httpx = _import_httpx()
        client = self._http()
        payload = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": max_tokens,
            "stream": stream,
        }
        logger.debug("POST %s model=%s stream=%s messages=%d", self.shown_url, self.model, stream, len(messages))
        for attempt in range(self.max_retries + 1):
            retries_left = attempt < self.max_retries
            yielded = False
            try:
                with client.stream("POST", self.url, json=payload, headers=self._headers(stream)) as response:
                    if response.status_code < 400:
                        for piece in self._read(response, stream, outcome):
                            yielded = True
                            yield piece
                        return
                    response.read()
                    if not (retries_left and _retryable(response.status_code)):
                        raise self._status_error(response, attempt + 1)
                    reason = f"HTTP {response.status_code}"
                    delay = retry_delay(response.headers.get("retry-after"), attempt, self.backoff)
            except (httpx.TransportError, _StreamEnded) as exc:
                if yielded:
                    raise GeneratorError(
                        f"stream from {self.shown_url} broke after part of the answer arrived ({_describe(exc)}); try again"
                    ) from exc
                if not retries_left:
                    raise self._transport_error(exc) from exc
                reason = _describe(exc)
                delay = retry_delay(None, attempt, self.backoff)
            logger.warning(
                "%s from %s; retry %d/%d in %.2fs", reason, self.shown_url, attempt + 1, self.max_retries, delay
            )
            time.sleep(delay)

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = _import_httpx().Client(timeout=self.timeout)
            return self._client

    def _api_key(self) -> str | None:
        return (os.environ.get(self.api_key_env) or None) if self.api_key_env else None

    def _headers(self, stream: bool) -> dict[str, str]:
        headers = {"Accept": "text/event-stream" if stream else "application/json"}
        key = self._api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _read(self, response: httpx.Response, stream: bool, outcome: _Outcome) -> Iterator[str]:
        # A server may ignore "stream": true and answer with one JSON body; accept that too.
        if stream and response.headers.get("content-type", "").startswith("text/event-stream"):
            yield from self._sse_pieces(response, outcome)
            return
        response.read()
        yield self._message_text(response.content, outcome)

    def _sse_pieces(self, response: httpx.Response, outcome: _Outcome) -> Iterator[str]:
        for line in response.iter_lines():
            # Blank separators, ": keep-alive" comments and event:/id: fields carry no text.
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                return
            piece, finish = self._delta(data)
            if finish:
                outcome.finish_reason = finish
            if piece:
                yield piece
        # Some servers never send [DONE]; a finish_reason still proves the answer is complete.
        if outcome.finish_reason is None:
            raise _StreamEnded("the stream ended before the answer was complete")

    def _delta(self, data: str) -> tuple[str | None, str | None]:
        event = self._json(data, "stream event")
        choices = event.get("choices")
        if not isinstance(choices, list):
            raise self._malformed("stream event has no 'choices' list")
        if not choices:
            return None, None  # e.g. the final usage-only event
        choice = choices[0]
        delta = choice.get("delta") if isinstance(choice, dict) else None
        content = delta.get("content") if isinstance(delta, dict) else None
        if not isinstance(delta, dict) or not isinstance(content, str | None):
            raise self._malformed("stream event has no 'choices[0].delta' object with text content")
        return content, choice.get("finish_reason")

    def _message_text(self, body: bytes, outcome: _Outcome) -> str:
        reply = self._json(body, "body")
        try:
            choice = reply["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise self._malformed("no 'choices[0].message.content' in the reply") from None
        if not isinstance(content, str):
            raise self._malformed(f"'choices[0].message.content' is {type(content).__name__}, not text")
        outcome.finish_reason = choice.get("finish_reason")
        return content

    def _json(self, raw: str | bytes, what: str) -> dict[str, Any]:
        try:
            value = json.loads(raw)
        except ValueError:
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            raise self._malformed(f"{what} is not JSON: {self._server_text(text)!r}") from None
        if not isinstance(value, dict):
            raise self._malformed(f"{what} is a JSON {type(value).__name__}, not an object")
        if value.get("error"):
            raise GeneratorError(f"endpoint {self.shown_url} reported an error: {self._error_detail(value)}")
        return value

    def _malformed(self, why: str) -> GeneratorError:
        return GeneratorError(f"malformed response from {self.shown_url}: {why}")

    def _status_error(self, response: httpx.Response, attempts: int) -> GeneratorError:
        status, url = response.status_code, self.shown_url
        if status in (401, 403):
            # The body is left out: some servers echo (part of) the key they rejected.
            if self.api_key_env is None:
                return GeneratorError(f"endpoint {url} requires an API key (HTTP {status}); set api_key_env")
            if self._api_key() is None:
                return GeneratorError(f"endpoint {url} requires an API key (HTTP {status}); set ${self.api_key_env}")
            return GeneratorError(f"endpoint {url} rejected the API key from ${self.api_key_env} (HTTP {status})")
        detail = self._body_detail(response.content)
        if status == 404:
            return GeneratorError(
                f"model {self.model!r} or path not found at {url} (HTTP 404); check the model name and that "
                f"base_url ends in /v1{': ' + detail if detail else ''}"
            )
        if status == 429:
            return GeneratorError(f"rate limited by {url} (HTTP 429) after {attempts} attempt(s); wait and try again")
        tried = f" after {attempts} attempt(s)" if status >= 500 else ""
        return GeneratorError(f"endpoint {url} failed (HTTP {status}){tried}{': ' + detail if detail else ''}")

    def _transport_error(self, exc: Exception) -> GeneratorError:
        httpx, url = _import_httpx(), self.shown_url
        if isinstance(exc, httpx.TimeoutException):
            return GeneratorError(f"no answer from {url} within {self.timeout:g}s; is the server overloaded?")
        if isinstance(exc, httpx.ConnectError):
            return GeneratorError(f"cannot connect to {url}: is the server running? ({_describe(exc)})")
        if isinstance(exc, _StreamEnded | httpx.RemoteProtocolError | httpx.ReadError):
            return GeneratorError(f"stream from {url} broke before any answer arrived ({_describe(exc)}); try again")
        return GeneratorError(f"request to {url} failed: {_describe(exc)}")

    def _body_detail(self, body: bytes) -> str:
        try:
            return self._error_detail(json.loads(body))
        except ValueError:
            return self._server_text(body.decode("utf-8", "replace"))

    def _error_detail(self, value: Any) -> str:
        """The server's own words from the error shapes of OpenAI, vLLM, Ollama and FastAPI."""
        if isinstance(value, dict):
            error = value.get("error")
            if isinstance(error, dict):
                error = error.get("message", error)
            value = error or value.get("message") or value.get("detail") or value
        return self._server_text(value if isinstance(value, str) else json.dumps(value))

    def _server_text(self, text: str) -> str:
        """Server-supplied text made fit for a one-line message, with any copy of the key masked."""
        key = self._api_key()
        if key:
            text = text.replace(key, "***")
        text = " ".join(text.split())
        return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 3] + "..."


def _import_httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise ImportError("hosted models need httpx: pip install 'httpx>=0.27'") from None
    return httpx


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def retry_delay(retry_after: str | None, attempt: int, backoff: float) -> float:
    """Seconds before the retry after failed attempt number `attempt` (0-based).

    A numeric Retry-After header wins; an HTTP-date one is ignored in favour of exponential
    backoff. Either way the wait is capped at `MAX_DELAY`.
    """
    delay = backoff * 2**attempt
    if retry_after:
        try:
            asked = float(retry_after)
        except ValueError:
            asked = math.nan
        if math.isfinite(asked) and asked >= 0:
            delay = asked
    return min(delay, MAX_DELAY)


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, _StreamEnded):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _check_url(base_url: object) -> None:
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL such as 'http://127.0.0.1:8000/v1', got {base_url!r}")


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def check_number(name: str, value: object, low: float, high: float = math.inf, low_open: bool = False) -> None:
    """Raise a `ValueError` naming `name` unless `value` is a finite number in the bounds."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and value <= high
    if not ok:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        bound += f" and <= {high:g}" if math.isfinite(high) else ""
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")


def check_int(name: str, value: object, low: int) -> None:
    """Raise a `ValueError` naming `name` unless `value` is an integer >= `low`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
