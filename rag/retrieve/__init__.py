"""From a question to ranked passages: query cleaning, follow-up rewriting, dense and lexical
search, fusion and cross-encoder reranking. Never imports the answer stage."""
