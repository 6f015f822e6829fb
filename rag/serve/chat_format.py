"""OpenAI chat-completions wire format: requests read into a `ChatRequest`, answers written as
completions and stream chunks, errors in OpenAI's shape. Pure functions, no web framework."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rag.models.embedders import Embedder
from rag.types import Answer

__all__ = ["ApiError", "ChatRequest", "parse_chat_request", "completion_body", "stream_chunk", "usage_of"]

MAX_TOP_K = 50


class ApiError(Exception):
    """A request the API answers with an error status, in OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        type: str = "invalid_request_error",
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.type = type
        self.code = code

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass(frozen=True)
class ChatRequest:
    """What a chat-completions request asks of the pipeline."""

    model: str
    question: str
    history: tuple[str, ...]
    stream: bool
    include_usage: bool
    top_k: int | None


def _text_of(content, index: int) -> str:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ApiError(400, f"messages[{index}]: only text content is supported, not {kind!r}", "messages")
            texts.append(part["text"])
        return "\n".join(texts)
    raise ApiError(400, f"messages[{index}].content must be a string or a list of text parts", "messages")


def parse_chat_request(body: Mapping, models: Mapping[str, str]) -> ChatRequest:
    """Read a chat-completions request body.

    The last message must be the user's question; earlier user messages become the history.
    Sampling options (temperature, max_tokens, stop, ...) are accepted and ignored: the answer
    writer's own settings apply.

    Raises:
        ApiError: 400 for a malformed request, 404 for an unknown model.
    """
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "'model' is required; GET /v1/models lists them", "model")
    if model not in models:
        raise ApiError(
            404,
            f"the model {model!r} does not exist; choose one of {', '.join(models)}",
            "model",
            code="model_not_found",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list", "messages")
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ApiError(400, f"messages[{i}] must be an object with a 'role'", "messages")
        turns.append((message["role"], _text_of(message.get("content"), i)))
    role, question = turns[-1]
    if role != "user":
        raise ApiError(400, f"the last message must be the user's question, not a {role!r} message", "messages")
    if not question.strip():
        raise ApiError(400, "the last user message is empty", "messages")
    n = body.get("n", 1)
    if n not in (1, None):
        raise ApiError(400, "only n=1 is supported", "n")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise ApiError(400, "'stream' must be true or false", "stream")
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise ApiError(400, "'stream_options' must be an object", "stream_options")
    top_k = body.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K):
        raise ApiError(400, f"'top_k' must be an integer from 1 to {MAX_TOP_K}", "top_k")
    history = tuple(text for role, text in turns[:-1] if role == "user" and text.strip())
    return ChatRequest(
        model=model,
        question=question,
        history=history,
        stream=stream,
        include_usage=bool(stream_options.get("include_usage")),
        top_k=top_k,
    )


def usage_of(answer: Answer, embedder: Embedder) -> dict[str, int]:
    """Token counts: the LLM's own when it reported them, else counted with the embedder's
    tokenizer (the question and the passages read, the answer written)."""
    prompt = int(answer.usage.get("prompt_tokens", 0))
    completion = int(answer.usage.get("completion_tokens", 0))
    if not prompt:
        read = [answer.question, *(hit.chunk.text for hit in answer.passages)]
        prompt = sum(embedder.count_tokens(text) for text in read)
    if not completion:
        completion = embedder.count_tokens(answer.text)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _extension(answer: Answer) -> dict:
    """The `citations` and `rag` fields a completion carries beside the standard ones."""
    full = answer.to_dict()
    sources = [
        {key: passage[key] for key in ("rank", "chunk_id", "source", "title", "score", "text")}
        for passage in full["passages"]
    ]
    return {
        "citations": full["citations"],
        "rag": {
            "answer": answer.text,
            "refused": answer.refused,
            "generator": answer.generator,
            "verdicts": full["verdicts"],
            "uncited": full["uncited"],
            "uncovered": full["uncovered"],
            "notes": full["notes"],
            "search_query": answer.search_query,
            "sources": sources,
            "timings_ms": full["timings_ms"],
        },
    }


def completion_body(answer: Answer, model: str, completion_id: str, created: int, usage: dict[str, int]) -> dict:
    """A `chat.completion` object for the checked answer."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage,
        **_extension(answer),
    }


def stream_chunk(
    completion_id: str, created: int, model: str, delta: dict | None, finish_reason: str | None = None, **extra
) -> dict:
    """A `chat.completion.chunk`; `delta=None` makes the usage-only chunk (no choices)."""
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": choices,
        **extra,
    }
