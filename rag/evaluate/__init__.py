"""Evaluation: metrics as pure functions, runners that use the same pipeline as users."""
