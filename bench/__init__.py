"""Benchmarks for k8snet: data generators (`python -m bench.gen`) and runners (`python -m bench.run`).

Measure, never assert timings in tests. Results and how to reproduce them: docs/performance.md.
"""
