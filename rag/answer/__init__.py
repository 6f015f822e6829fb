"""From passages to a checked answer: the pipeline, sentence evidence, generators (handed
passages, never searching), citations, grounding checks, the refusal gate, prompts, batches."""
