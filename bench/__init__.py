"""Benchmarks and cost measurements of perftop (issue 6). Run the modules from the repository root."""
