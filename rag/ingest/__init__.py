"""Files to index: loaders (one module per format family), chunking with sentence spans, the
incremental update plan (`plan`) and its application (`update`), the resumable checkpoint.
Knows nothing of retrieval or answering."""
