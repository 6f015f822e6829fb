"""The front ends over one `RagPipeline`: the `rag` CLI and the web UI's backend (`app.py`
builds the Gradio page from it). Nothing below this package imports it."""
