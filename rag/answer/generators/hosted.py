"""Answers from an OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp
server, LM Studio), through the shared client `rag.models.openai_client.ChatClient`: streamed
over Server-Sent Events, retried with backoff, one-line errors.

The API key is read from an environment variable at request time and never stored, logged or
shown in an error message.
"""

from __future__ import annotations

from collections.abc import Generator as PieceStream

from rag.answer.generators.base import Generation, Usage, finish_generation
from rag.answer.prompts import build_messages
from rag.config import Settings
from rag.models.openai_client import ChatClient, check_int, check_number
from rag.types import REFUSAL_TEXT, Hit

__all__ = ["HostedGenerator"]


class HostedGenerator:
    """Write answers with a model served behind an OpenAI-compatible `/chat/completions` endpoint.

    Args:
        base_url, model, api_key_env, timeout, max_retries, backoff: the endpoint and how to
            reach it, as for `rag.models.openai_client.ChatClient`.
        max_tokens: longest answer, in model tokens.
        temperature: sampling temperature; 0 gives the most repeatable answers.
        client: an already built client for the endpoint (then the endpoint arguments are unused).

    Example:
        >>> gen = HostedGenerator("http://127.0.0.1:11434/v1", "llama3.1:8b", api_key_env=None)
        >>> gen.generate("Who heads the NDRC?", hits).text  # doctest: +SKIP
        'Zheng Shanjie heads the NDRC [1].'
    """

    name = "hosted"
    streams = True
    gates_refusal = False

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 3,
        max_tokens: int = 256,
        temperature: float = 0.0,
        backoff: float = 0.5,
        *,
        client: ChatClient | None = None,
    ) -> None:
        self.client = client or ChatClient(
            base_url, model, api_key_env=api_key_env, timeout=timeout, max_retries=max_retries, backoff=backoff
        )
        check_int("max_tokens", max_tokens, low=1)
        check_number("temperature", temperature, low=0.0, high=2.0)
        self.max_tokens = max_tokens
        self.temperature = float(temperature)

    @classmethod
    def from_settings(cls, settings: Settings) -> HostedGenerator:
        """The generator for `settings.hosted_*`; a bad setting is a one-line `ConfigError`."""
        client = ChatClient.from_settings(settings, what="hosted generator")
        return cls(settings.hosted_base_url, settings.hosted_model, max_tokens=settings.max_tokens, client=client)

    def __repr__(self) -> str:
        client = self.client
        base = client.shown_url.removesuffix("/chat/completions")
        return f"HostedGenerator(base_url={base!r}, model={client.model!r}, api_key_env={client.api_key_env!r})"

    def warm_up(self) -> None:
        """Nothing to load: the model runs at the endpoint."""

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        """Answer `question` from `passages` with `[n]` markers, or the refusal text.

        Raises:
            GeneratorError: the endpoint could not be reached or gave no usable answer.
        """
        if not passages:
            return Generation(REFUSAL_TEXT, True, ("no passages to answer from",))
        reply = self.client.complete(build_messages(question, passages), self.max_tokens, self.temperature)
        text = reply.text.strip()
        notes = (f"answer cut at max_tokens={self.max_tokens}",) if reply.finish_reason == "length" else ()
        if not text:
            return Generation(REFUSAL_TEXT, True, ("the endpoint returned an empty answer", *notes))
        result = finish_generation(text)
        return Generation(result.text, result.refused, result.notes + notes)

    def stream(
        self, question: str, passages: list[Hit], refusal_threshold: float | None = None
    ) -> PieceStream[str, None, Usage]:
        """Yield the answer in pieces as the model writes them; they concatenate to the answer.
        No token counts are reported (the usage returned is empty); `refusal_threshold` is ignored.

        Raises:
            GeneratorError: as `generate`; also when the stream breaks after text was yielded
                (it is never retried then, as that would repeat text).
        """
        if not passages:
            yield REFUSAL_TEXT
            return {}
        yield from self.client.stream(build_messages(question, passages), self.max_tokens, self.temperature)
        return {}

    def close(self) -> None:
        """Close the pooled HTTP connections; the generator stays usable and reconnects."""
        self.client.close()
