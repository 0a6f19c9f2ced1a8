"""Benchmarks: each measures against a baseline in the same run. Run as `python -m bench.NAME`."""
