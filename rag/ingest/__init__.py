"""Files to index: loaders (one module per format family), chunking with sentence spans, the
screening of chunks for instructions to an AI (`screening`, its patterns in
`instruction_patterns`), the incremental update plan (`plan`) and its application (`update`),
the resumable checkpoint.
Knows nothing of retrieval or answering."""
