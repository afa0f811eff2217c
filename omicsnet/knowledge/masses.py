"""Monoisotopic masses of metabolite formulas, neutralised from their charged form.

Genome-scale models (BiGG, Human-GEM) store each metabolite's formula **as the ion that
dominates at physiological pH**, with its charge beside it: pyruvate is ``C3H3O3`` with
charge −1, ATP is ``C10H12N5O13P3`` with charge −4, ammonium is ``H4N`` with charge +1.
Mass spectrometry adduct tables (``[M+H]+``, ``[M-H]-``, …) are written relative to the
**neutral** molecule M, so this module converts the formula back to the neutral species
by moving protons.

The rule
--------
A model's charge ``z`` is assumed to come from proton transfer: an anion of charge ``z < 0``
is the neutral acid that lost ``|z|`` protons, a cation of charge ``z > 0`` is the neutral
base that gained ``z`` protons. The neutral formula therefore has ``n_H − z`` hydrogens.
:func:`pyteomics.mass.calculate_mass` gives the mass of the formula's *atoms* (the electrons
that balance the charge are not counted), so adding or removing whole hydrogen **atoms**
is exact::

    M_neutral = mass_atoms(formula) − z × m(¹H atom),    m(¹H atom) = 1.00782503207 Da

(Equivalently: the ion's true mass is ``mass_atoms − z·mₑ``, and the neutral molecule is the
ion minus ``z`` protons: ``mass_atoms − z·mₑ − z·mₚ = mass_atoms − z·m_H``.)

A useful consequence: for any ion stored this way, ``[M-H]-`` of the neutral mass gives
back the anion's own m/z (charge −1) and ``[M+H]+`` the cation's own m/z (charge +1). That
includes permanently charged ions such as choline (``C5H14NO``, +1), whose "neutral" mass
is then a bookkeeping value and whose measured ``[M]+`` ion is matched by ``[M+H]+``.

Formulas that do not describe one exact molecule return ``None`` instead of raising:
generic groups (``R``, ``X``, ``*``), repeat units (``(C5H8O)n``), charge signs written in
the formula, empty or missing formulas, and ions with too few hydrogens to give up their
charge as protons (metal ions such as ``Na`` +1 or ``Fe`` +2, and the proton itself).

Examples
--------
>>> round(monoisotopic_mass("C6H12O6"), 5)          # glucose
180.06339
>>> round(monoisotopic_mass("C3H3O3", charge=-1), 5)  # pyruvate → pyruvic acid C3H4O3
88.01604
>>> monoisotopic_mass("C5H8OR") is None
True
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from functools import lru_cache

import numpy as np

from omicsnet.errors import DataError

logger = logging.getLogger(__name__)

#: Mass of a ¹H atom (proton + electron), Da (NIST, the value pyteomics uses).
HYDROGEN_MASS = 1.00782503207
#: Mass of an electron, Da (NIST).
ELECTRON_MASS = 0.00054857990943
#: Mass of a proton, Da (CODATA). It differs from ``HYDROGEN_MASS − ELECTRON_MASS`` by the
#: 13.6 eV binding energy (1.5e-8 Da, far below any instrument's resolution); adduct masses
#: are computed from atoms and electrons so that formulas and adducts add up exactly.
PROTON_MASS = 1.007276466621

# A formula of element symbols and counts only: "C6H12O6", "HO4P", "C10H16N5O13P3".
_FORMULA_RE = re.compile(r"(?:[A-Z][a-z]?\d*)+")
_ELEMENT_RE = re.compile(r"([A-Z][a-z]?)(\d*)")


def parse_formula(formula: str) -> dict[str, int] | None:
    """Return element counts of a plain formula, or ``None`` if it is not one.

    Only element symbols followed by optional counts are accepted; generic groups are
    accepted by the grammar but rejected later by :func:`monoisotopic_mass` when they are
    not chemical elements.

    Parameters
    ----------
    formula
        A Hill-like formula such as ``"C6H12O6"``.

    Returns
    -------
    dict or None
        ``{element: count}`` (repeated symbols are summed), or ``None`` for anything that
        is not a plain formula (parentheses, charges, lowercase repeat markers, empty).

    Examples
    --------
    >>> parse_formula("C2H6O")
    {'C': 2, 'H': 6, 'O': 1}
    >>> parse_formula("(C5H8O)n") is None
    True
    """
    if not isinstance(formula, str):
        return None
    formula = formula.strip()
    if not formula or _FORMULA_RE.fullmatch(formula) is None:
        return None
    counts: dict[str, int] = {}
    for element, number in _ELEMENT_RE.findall(formula):
        counts[element] = counts.get(element, 0) + (int(number) if number else 1)
    return counts


def _as_charge(charge: object) -> int | None:
    """An integer charge from a model value (``None``/NaN → 0, non-integers → None)."""
    if charge is None:
        return 0
    try:
        value = float(charge)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return 0
    if not math.isfinite(value) or abs(value - round(value)) > 1e-6:
        return None
    return round(value)


@lru_cache(maxsize=65536)
def _neutral_mass(formula: str, charge: int) -> float | None:
    from pyteomics import mass as pyteomics_mass
    from pyteomics.auxiliary import PyteomicsError

    counts = parse_formula(formula)
    if counts is None:
        return None
    if any(element not in pyteomics_mass.nist_mass for element in counts):
        return None  # generic groups such as R or X
    if counts.get("H", 0) - charge < 0:
        return None  # a cation that cannot lose its charge as protons (Na+, Fe2+)
    if sum(counts.values()) - charge <= 0:
        return None  # a bare proton (H, +1) has no neutral form
    try:
        atoms = pyteomics_mass.calculate_mass(formula=formula.strip())
    except (PyteomicsError, KeyError, ValueError):
        return None
    return float(atoms - charge * HYDROGEN_MASS)


def monoisotopic_mass(formula: str | None, charge: int | float | None = 0) -> float | None:
    """Neutral monoisotopic mass (Da) of a formula given in its charged form.

    The neutral molecule is obtained by moving ``charge`` protons (see the module
    docstring): ``mass_atoms(formula) − charge × 1.00782503207``.

    Parameters
    ----------
    formula
        Element formula as stored in the model (e.g. ``"C3H3O3"``).
    charge
        The formula's charge as stored in the model (``None``/NaN mean 0). A non-integer
        charge gives ``None``.

    Returns
    -------
    float or None
        The neutral monoisotopic mass, or ``None`` when the formula does not describe a
        single molecule (generic ``R``/``X`` groups, repeat units, charge signs in the
        formula, empty) or the charge cannot be removed by proton transfer.

    Examples
    --------
    >>> round(monoisotopic_mass("C6H12O6"), 5)
    180.06339
    >>> round(monoisotopic_mass("C10H12N5O13P3", charge=-4), 4)  # ATP
    506.9957
    >>> round(monoisotopic_mass("H4N", charge=1), 5)  # ammonium → ammonia NH3
    17.02655
    >>> monoisotopic_mass("Na", charge=1) is None
    True
    >>> monoisotopic_mass("") is None
    True
    """
    if formula is None or not isinstance(formula, str):
        return None
    z = _as_charge(charge)
    if z is None:
        return None
    return _neutral_mass(formula.strip(), z)


def monoisotopic_masses(
    formulas: Iterable[str | None], charges: Iterable[int | float | None] | None = None
) -> np.ndarray:
    """Vector version of :func:`monoisotopic_mass`; ``NaN`` where there is no mass.

    Parameters
    ----------
    formulas
        Formulas as stored in the model.
    charges
        Charges aligned with ``formulas`` (default: all neutral).

    Returns
    -------
    numpy.ndarray
        Float array of neutral monoisotopic masses, ``NaN`` for formulas without one.

    Examples
    --------
    >>> monoisotopic_masses(["H2O", "C3H3O3", "R"], [0, -1, 0]).round(4).tolist()
    [18.0106, 88.016, nan]
    """
    formulas = list(formulas)
    charges = [0] * len(formulas) if charges is None else list(charges)
    if len(charges) != len(formulas):
        raise DataError(f"got {len(formulas)} formulas but {len(charges)} charges")
    out = np.full(len(formulas), np.nan)
    for i, (formula, charge) in enumerate(zip(formulas, charges, strict=True)):
        value = monoisotopic_mass(formula, charge)
        if value is not None:
            out[i] = value
    return out
