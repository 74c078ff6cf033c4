"""Benchmarks: run ``python -m benchmarks`` (all) or one module with ``python -m benchmarks.<name>``."""
