"""Benchmark registry, suite runner, comparison with published results, summary page.

Benchmarks live in ``bench_*.py`` files: the built-in suites in the top-level
``benchmarks/`` folder of the source tree, a user's own in folders passed with
``--bench-dir``. Each file registers benchmarks with
:func:`~omicsnet.bench.registry.register_benchmark`.

Modules, one job each:

* :mod:`~omicsnet.bench.registry`: registration, discovery, running one benchmark and
  writing its ``results.json`` and ``results.md``;
* :mod:`~omicsnet.bench.suites`: the named suites (``quick``, ``science``, ``speed``);
* :mod:`~omicsnet.bench.runner`: running several benchmarks, one process each;
* :mod:`~omicsnet.bench.bands`: noise bands;
* :mod:`~omicsnet.bench.results`: reading stored results;
* :mod:`~omicsnet.bench.compare`: a run beside the published results;
* :mod:`~omicsnet.bench.summary`: ``SUMMARY.md``.
"""
