"""Benchmarks (not tests): each script prints a table. See bench/README.md."""
