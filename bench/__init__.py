"""Benchmarks: `make bench` runs them all and writes Markdown results to bench/results/."""
