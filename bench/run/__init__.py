"""`python -m bench.run`: the benchmarks of issue 8, printed as a table and written as JSON."""
