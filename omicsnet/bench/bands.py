"""Noise bands: how far a benchmark row may move between runs before it is flagged.

Every benchmark states the band of its rows, because what counts as noise differs: a
timing ratio on a shared machine moves by 10-20 %, a cross-validated correlation by
about the spread of its splits, and a count of masks not at all. A band is text, so that
it can be declared in a benchmark file and stored in ``results.json`` as it is:

``"ratio ±15%"``
    the row's ratio (candidate / baseline) may move by 15 % of its previous value;
``"value ±0.03"``
    the candidate's and the baseline's values may each move by 0.03 (in the row's unit);
``"value ±5%"``, ``"ratio ±0.05"``
    relative and absolute forms of either;
``"value ±0.02, ratio ±10%"``
    several clauses: the row is flagged when any of them is exceeded.

``+-`` and ``+/-`` may be written for ``±``; a band of 0 flags any change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from omicsnet.errors import ConfigError

#: Band of rows whose benchmark states none (timing ratios on a shared machine).
DEFAULT_BAND = "ratio ±15%"

_CLAUSE = re.compile(r"^(ratio|value)\s*(?:±|\+/-|\+-)\s*([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*(%?)$")
#: Relative tolerance for float round-off at the edge of a band.
_EDGE = 1e-9


@dataclass(frozen=True)
class Clause:
    """One part of a band: which quantity, how far, relative or absolute."""

    quantity: str  # "ratio" or "value"
    size: float
    relative: bool

    def exceeded(self, old: float, new: float) -> bool:
        """Whether ``new`` is further from ``old`` than this clause allows.

        Examples
        --------
        >>> Clause("ratio", 0.15, relative=True).exceeded(1.0, 1.2)
        True
        >>> Clause("value", 0.03, relative=False).exceeded(0.62, 0.60)
        False
        """
        if math.isnan(old) or math.isnan(new):
            return math.isnan(old) != math.isnan(new)
        if math.isinf(old) or math.isinf(new):
            return old != new
        change = abs(new - old)
        allowed = self.size * abs(old) if self.relative else self.size
        return change > allowed + _EDGE * max(abs(old), abs(new), 1e-300)

    def __str__(self) -> str:
        size = f"{self.size * 100:g}%" if self.relative else f"{self.size:g}"
        return f"{self.quantity} ±{size}"


def parse_band(text: str) -> tuple[Clause, ...]:
    """Parse a band such as ``"ratio ±15%"`` or ``"value ±0.03, ratio ±10%"``.

    Examples
    --------
    >>> [str(c) for c in parse_band("value +-0.03, ratio ±10%")]
    ['value ±0.03', 'ratio ±10%']
    >>> parse_band("about 10%")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: noise band 'about 10%' must be clauses like 'ratio ±15%' ...
    """
    clauses = []
    for part in str(text).split(","):
        match = _CLAUSE.match(part.strip())
        if not match:
            raise ConfigError(
                f"noise band {text!r} must be clauses like 'ratio ±15%' or 'value ±0.03', "
                "separated by commas"
            )
        quantity, number, percent = match.groups()
        size = float(number) / 100 if percent else float(number)
        clauses.append(Clause(quantity, size, relative=bool(percent)))
    return tuple(clauses)


def band_for_unit(declared: str | Mapping[str, str] | None, unit: str) -> str | None:
    """The band a benchmark declared for rows in ``unit`` (``None`` when it declared none).

    ``declared`` is one band for every row, or a mapping from unit to band where ``"*"``
    stands for every other unit.

    Examples
    --------
    >>> band_for_unit({"s": "ratio ±15%", "*": "value ±0.03"}, "r")
    'value ±0.03'
    >>> band_for_unit("ratio ±10%", "s")
    'ratio ±10%'
    >>> band_for_unit({"s": "ratio ±15%"}, "r") is None
    True
    """
    if declared is None:
        return None
    if isinstance(declared, str):
        return declared
    return declared.get(unit, declared.get("*"))


def check_declared(declared: str | Mapping[str, str] | None, where: str) -> None:
    """Raise :class:`ConfigError` naming ``where`` when a declared band does not parse."""
    if declared is None:
        return
    bands = [declared] if isinstance(declared, str) else list(declared.values())
    for band in bands:
        try:
            parse_band(band)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None


def moved(
    band: str,
    old: tuple[float, float, float],
    new: tuple[float, float, float],
) -> list[str]:
    """Which clauses of ``band`` a row broke between two runs.

    Parameters
    ----------
    band
        The row's band.
    old, new
        ``(candidate_value, baseline_value, ratio)`` of the published and the new row.

    Returns
    -------
    list of str
        One entry per broken clause and quantity, e.g. ``["ratio ±15%"]`` or
        ``["value ±0.03 (baseline)"]``; empty when the row stayed inside its band.

    Examples
    --------
    >>> moved("ratio ±15%", (1.0, 2.0, 0.5), (1.2, 2.0, 0.6))
    ['ratio ±15%']
    >>> moved("value ±0.03", (0.62, 0.46, 1.35), (0.61, 0.50, 1.22))
    ['value ±0.03 (baseline)']
    >>> moved("value ±0.03, ratio ±15%", (0.62, 0.46, 1.35), (0.62, 0.46, 1.35))
    []
    """
    out = []
    for clause in parse_band(band):
        if clause.quantity == "ratio":
            if clause.exceeded(old[2], new[2]):
                out.append(str(clause))
        else:
            for label, i in (("candidate", 0), ("baseline", 1)):
                if clause.exceeded(old[i], new[i]):
                    out.append(f"{clause} ({label})")
    return out
