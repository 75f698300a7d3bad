"""Benchmarks: liftlab's stages against the study's notebook-style pandas pipeline."""
