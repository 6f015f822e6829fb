"""The index on disk: atomic generations (`generations`) described by a typed `Manifest`
(`manifest`), the BM25 lexical index and the vector stores (FAISS, Milvus)."""
