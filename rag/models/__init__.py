"""Every model loader in one place: sentence-transformers embedders, cross-encoders, the local
GGUF LLM (assembled from its packages), the OpenAI-compatible client and embedder fine-tuning.
Imports only the contracts; heavy libraries load inside the function that needs them."""
