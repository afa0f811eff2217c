"""Named benchmark suites, declared once.

A suite is a name for a set of benchmarks run together (``omicsnet bench run --suite
NAME``). The suites themselves are declared here; a benchmark joins ``science`` or
``speed`` by naming it in its own registration
(``@register_benchmark("kcae", ..., suites=("science",))``), so a new benchmark joins a
suite without editing this file. ``quick`` takes every benchmark and runs it with
``--quick``.
"""

from __future__ import annotations

from dataclasses import dataclass

from omicsnet.errors import ConfigError


@dataclass(frozen=True)
class Suite:
    """A named set of benchmarks.

    Parameters
    ----------
    name
        What ``--suite`` takes.
    description
        One line for ``omicsnet bench list``.
    quick
        Run every member with ``--quick`` (smaller sizes, fewer repeats).
    everything
        Every registered benchmark is a member (instead of those that name the suite).
    """

    name: str
    description: str
    quick: bool = False
    everything: bool = False


#: The suites, in the order ``omicsnet bench list`` shows them.
SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite(
            "quick",
            "every benchmark with --quick: a smoke run of the whole suite (minutes, not hours)",
            quick=True,
            everything=True,
        ),
        Suite(
            "science",
            "quality of each model family against baselines on the same folds (real data; hours)",
        ),
        Suite("speed", "speed against a baseline timed in the same run (ratios)"),
    )
}


def get_suite(name: str) -> Suite:
    """The suite called ``name``; a :class:`ConfigError` lists the known ones otherwise.

    Examples
    --------
    >>> get_suite("quick").quick
    True
    >>> get_suite("fast")
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: unknown suite 'fast' (known: quick, science, speed)
    """
    if name not in SUITES:
        raise ConfigError(f"unknown suite {name!r} (known: {', '.join(SUITES)})")
    return SUITES[name]


def check_membership(names: tuple[str, ...], where: str) -> None:
    """Raise :class:`ConfigError` when a benchmark names a suite that is not declared.

    ``quick`` is not named by benchmarks: it takes all of them.

    Examples
    --------
    >>> check_membership(("science", "speed"), "benchmark 'x'")
    >>> check_membership(("sience",), "benchmark 'x'")
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: benchmark 'x' names unknown suite 'sience' (known: science, speed)
    """
    joinable = [name for name, suite in SUITES.items() if not suite.everything]
    for name in names:
        if name not in joinable:
            raise ConfigError(
                f"{where} names unknown suite {name!r} (known: {', '.join(joinable)})"
            )
