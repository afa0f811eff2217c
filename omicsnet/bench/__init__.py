"""Benchmark registry and reports.

Benchmarks live in the top-level ``benchmarks/`` folder; each file registers one or more
benchmarks with :func:`~omicsnet.bench.registry.register_benchmark`. ``omicsnet bench run
NAME`` runs one and writes ``results.json`` and ``results.md`` (machine, versions, and
ratios against the baseline measured in the same run).
"""
