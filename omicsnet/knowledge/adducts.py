"""Ion adducts and m/z → metabolite matching.

An adduct says how a neutral molecule M is seen by the mass spectrometer: ``[M+H]+`` is M
plus a proton, ``[2M+Na]+`` a sodium-bound dimer, ``[M-H2O-H]-`` a deprotonated molecule
that also lost water. Its m/z is ``(n·M + Δ) / |z|`` where ``Δ`` is the mass of what was
added minus what was removed, **corrected for electrons**: a positive ion lacks ``z``
electrons and a negative ion carries ``|z|`` extra ones, so ``Δ = Σ groups − z·mₑ``. For
``[M+H]+`` that gives ``Δ = m(H atom) − mₑ = 1.007276`` (a proton), for ``[M-H]-``
``Δ = −1.007276``.

Adducts are written as ``[nM±group±group…]z±``; groups are element formulas (``H``,
``2H``, ``H2O``, ``NH4``, ``Na``) or the usual solvent abbreviations (``FA`` formic acid
CH2O2, ``Hac`` acetic acid C2H4O2, ``ACN`` acetonitrile C2H3N, ``MeOH`` CH4O, ``IsoProp``
C3H8O, ``DMSO`` C2H6OS, ``TFA`` C2HF3O2). Any adduct in that grammar can be used, not only
the tables below.

:func:`match_mz` matches measured peaks to metabolites' neutral masses under a set of
adducts with a tolerance in ppm (relative to the theoretical m/z) or Da. It keeps every
candidate with its mass error, so one peak can point to several metabolites (isomers share
a mass), and it reports the peaks that matched nothing. Matching is vectorised: the
theoretical m/z of every metabolite × adduct are sorted once and each peak's tolerance
window is found with :func:`numpy.searchsorted`.

Examples
--------
>>> import pandas as pd
>>> mets = pd.DataFrame({"id": ["glc", "fru", "pyr"], "name": ["glucose", "fructose", "pyruvate"],
...                      "mass": [180.06339, 180.06339, 88.01604]})
>>> peaks = pd.DataFrame({"mz": [181.07066, 87.00877, 300.0]}, index=["p1", "p2", "p3"])
>>> result = match_mz(peaks, mets, mode="positive", adducts=["[M+H]+"], tol=5)
>>> result.matches[["peak_id", "metabolite_id", "adduct"]].values.tolist()
[['p1', 'fru', '[M+H]+'], ['p1', 'glc', '[M+H]+']]
>>> result.unmatched["peak_id"].tolist()
['p2', 'p3']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError
from omicsnet.knowledge.masses import ELECTRON_MASS, parse_formula

logger = logging.getLogger(__name__)

# Monoisotopic masses of the elements that adducts use (NIST values, as in pyteomics).
# Other elements are looked up in pyteomics when an adduct needs them.
_ELEMENT_MASS: dict[str, float] = {
    "H": 1.00782503207,
    "C": 12.0,
    "N": 14.0030740048,
    "O": 15.99491461956,
    "F": 18.99840322,
    "Na": 22.9897692809,
    "P": 30.97376163,
    "S": 31.97207100,
    "Cl": 34.96885268,
    "K": 38.96370668,
    "Br": 78.9183371,
    "Li": 7.01600455,
}

#: Solvent and modifier abbreviations allowed in adduct names, with their formulas.
ABBREVIATIONS: dict[str, str] = {
    "FA": "CH2O2",  # formic acid
    "Hac": "C2H4O2",  # acetic acid
    "ACN": "C2H3N",  # acetonitrile
    "MeOH": "CH4O",  # methanol
    "IsoProp": "C3H8O",  # isopropanol
    "DMSO": "C2H6OS",
    "TFA": "C2HF3O2",  # trifluoroacetic acid
}
_ABBREVIATIONS_CF = {key.casefold(): value for key, value in ABBREVIATIONS.items()}

_ADDUCT_RE = re.compile(r"\[?(\d*)M((?:[+-]\d*[A-Z][A-Za-z0-9]*)*)\]?(\d*)([+-]?)")
_TERM_RE = re.compile(r"([+-])(\d*)([A-Z][A-Za-z0-9]*)")


@dataclass(frozen=True)
class Adduct:
    """An ion species of a neutral molecule M.

    Attributes
    ----------
    name
        Conventional name, e.g. ``"[M+H]+"``.
    mass_shift
        Mass (Da) added to ``n_molecules × M`` before dividing by ``|charge|``; includes
        the electrons lost (positive ions) or gained (negative ions).
    charge
        Signed charge of the ion (``+1``, ``-2``, …).
    n_molecules
        Number of M in the ion (2 for ``[2M+H]+``).

    Examples
    --------
    >>> a = Adduct("[M+2H]2+", mass_shift=2 * 1.00727646677, charge=2)
    >>> round(a.mz(180.06339), 5)
    91.03897
    """

    name: str
    mass_shift: float
    charge: int
    n_molecules: int = 1

    def __post_init__(self) -> None:
        if self.charge == 0:
            raise ConfigError(f"adduct {self.name!r} has charge 0; an ion needs a charge")
        if self.n_molecules < 1:
            raise ConfigError(f"adduct {self.name!r} needs at least one molecule M")

    @property
    def mode(self) -> str:
        """``"positive"`` or ``"negative"``, from the sign of the charge.

        Examples
        --------
        >>> parse_adduct("[M-H]-").mode
        'negative'
        """
        return "positive" if self.charge > 0 else "negative"

    def mz(self, neutral_mass: float | np.ndarray) -> float | np.ndarray:
        """m/z of this ion for a neutral monoisotopic mass (scalar or array).

        Examples
        --------
        >>> round(parse_adduct("[M+H]+").mz(180.06339), 5)
        181.07067
        """
        if np.isscalar(neutral_mass):
            return (self.n_molecules * float(neutral_mass) + self.mass_shift) / abs(self.charge)
        masses = np.asarray(neutral_mass, dtype=float)
        return (self.n_molecules * masses + self.mass_shift) / abs(self.charge)

    def neutral_mass(self, mz: float | np.ndarray) -> float | np.ndarray:
        """Neutral mass M that gives the observed ``mz`` under this adduct.

        Examples
        --------
        >>> round(parse_adduct("[M-H]-").neutral_mass(179.05611), 5)
        180.06339
        """
        if np.isscalar(mz):
            return (float(mz) * abs(self.charge) - self.mass_shift) / self.n_molecules
        return (np.asarray(mz, dtype=float) * abs(self.charge) - self.mass_shift) / self.n_molecules


def _element_mass(element: str, name: str) -> float:
    if element in _ELEMENT_MASS:
        return _ELEMENT_MASS[element]
    from pyteomics import mass as pyteomics_mass

    if element not in pyteomics_mass.nist_mass:
        raise ConfigError(f"adduct {name!r}: {element!r} is not a chemical element")
    return float(pyteomics_mass.nist_mass[element][0][0])


def _group_mass(group: str, name: str) -> float:
    formula = _ABBREVIATIONS_CF.get(group.casefold(), group)
    counts = parse_formula(formula)
    if counts is None:
        raise ConfigError(
            f"adduct {name!r}: cannot read {group!r} as a formula or one of the "
            f"abbreviations {sorted(ABBREVIATIONS)}"
        )
    return sum(count * _element_mass(element, name) for element, count in counts.items())


def _parse_generic(name: str) -> Adduct | None:
    """Parse ``[nM±groups]z±``; ``None`` when ``name`` is not in that grammar."""
    text = re.sub(r"\s+", "", name)
    match = _ADDUCT_RE.fullmatch(text)
    if match is None or not match.group(4):
        return None
    n_text, terms, z_text, sign = match.groups()
    n_molecules = int(n_text) if n_text else 1
    charge = (int(z_text) if z_text else 1) * (1 if sign == "+" else -1)
    if charge == 0 or n_molecules == 0:
        return None
    shift = 0.0
    for term_sign, count, group in _TERM_RE.findall(terms):
        k = int(count) if count else 1
        shift += (1 if term_sign == "+" else -1) * k * _group_mass(group, name)
    shift -= charge * ELECTRON_MASS
    inner = f"{n_molecules if n_molecules > 1 else ''}M{terms}"
    charge_text = f"{abs(charge) if abs(charge) > 1 else ''}{'+' if charge > 0 else '-'}"
    return Adduct(f"[{inner}]{charge_text}", shift, charge, n_molecules)


def _table(names: Sequence[str]) -> dict[str, Adduct]:
    table: dict[str, Adduct] = {}
    for adduct_name in names:
        adduct = _parse_generic(adduct_name)
        if adduct is None:  # pragma: no cover - guards the literal tables below
            raise RuntimeError(f"bad built-in adduct {adduct_name!r}")
        table[adduct.name] = adduct
    return table


#: Common positive-mode ESI adducts, by name.
POSITIVE_ADDUCTS: dict[str, Adduct] = _table(
    [
        "[M+H]+",
        "[M+Na]+",
        "[M+K]+",
        "[M+NH4]+",
        "[M+Li]+",
        "[M+H-H2O]+",
        "[M+H-2H2O]+",
        "[M+ACN+H]+",
        "[M+MeOH+H]+",
        "[M+2Na-H]+",
        "[M+2H]2+",
        "[M+H+Na]2+",
        "[M+H+NH4]2+",
        "[M+3H]3+",
        "[2M+H]+",
        "[2M+Na]+",
        "[2M+K]+",
        "[2M+NH4]+",
        "[M]+",
    ]
)
#: Common negative-mode ESI adducts, by name.
NEGATIVE_ADDUCTS: dict[str, Adduct] = _table(
    [
        "[M-H]-",
        "[M+Cl]-",
        "[M+FA-H]-",
        "[M+Hac-H]-",
        "[M-H2O-H]-",
        "[M+Na-2H]-",
        "[M+K-2H]-",
        "[M+Br]-",
        "[M-2H]2-",
        "[M-3H]3-",
        "[2M-H]-",
        "[2M+FA-H]-",
        "[3M-H]-",
        "[M]-",
    ]
)
KNOWN_ADDUCTS: dict[str, Adduct] = {**POSITIVE_ADDUCTS, **NEGATIVE_ADDUCTS}

#: Adducts used when only a mode is given: the usual ones of each polarity.
DEFAULT_ADDUCTS: dict[str, tuple[str, ...]] = {
    "positive": (
        "[M+H]+",
        "[M+Na]+",
        "[M+K]+",
        "[M+NH4]+",
        "[M+H-H2O]+",
        "[M+2H]2+",
        "[2M+H]+",
    ),
    "negative": ("[M-H]-", "[M+Cl]-", "[M+FA-H]-", "[M-H2O-H]-", "[M-2H]2-", "[2M-H]-"),
}

# Lookup by case-insensitive full name and by the bracket-less core ("M+H").
_BY_KEY: dict[str, Adduct] = {name.casefold(): a for name, a in KNOWN_ADDUCTS.items()}
_cores: dict[str, list[Adduct]] = {}
for _a in KNOWN_ADDUCTS.values():
    _cores.setdefault(_a.name[1 : _a.name.index("]")].casefold(), []).append(_a)
_BY_CORE = {core: found[0] for core, found in _cores.items() if len(found) == 1}
_ALIASES = {"[m+hcoo]-": "[M+FA-H]-", "[m+ch3coo]-": "[M+Hac-H]-", "[m+ch3oh+h]+": "[M+MeOH+H]+"}


def parse_adduct(name: str | Adduct) -> Adduct:
    """Return the :class:`Adduct` for a name such as ``"[M+H]+"``.

    Known names (see :data:`POSITIVE_ADDUCTS`, :data:`NEGATIVE_ADDUCTS`) are matched
    case-insensitively, also without brackets and charge when that is unambiguous
    (``"M+Na"``). Other adducts in the grammar ``[nM±group…]z±`` are computed from their
    formulas; when such an adduct has the mass and charge of a known one, the known one is
    returned (``"[M+HCOO]-"`` is ``"[M+FA-H]-"``).

    Parameters
    ----------
    name
        Adduct name, or an :class:`Adduct` (returned unchanged).

    Raises
    ------
    ConfigError
        The name cannot be read; the message lists the known adducts.

    Examples
    --------
    >>> parse_adduct("[M+Na]+").mass_shift.__round__(6)
    22.989221
    >>> parse_adduct("m+h").name
    '[M+H]+'
    >>> parse_adduct("[M+HCOO]-").name
    '[M+FA-H]-'
    >>> parse_adduct("[M+C2H3N+Na]+").charge
    1
    """
    if isinstance(name, Adduct):
        return name
    if not isinstance(name, str):
        raise ConfigError(f"an adduct must be a name such as '[M+H]+', got {name!r}")
    key = re.sub(r"\s+", "", name).casefold()
    key = _ALIASES.get(key, key)
    key = key.casefold()
    if key in _BY_KEY:
        return _BY_KEY[key]
    if key.strip("[]") in _BY_CORE and not key.endswith(("+", "-")):
        return _BY_CORE[key.strip("[]")]
    adduct = _parse_generic(name)
    if adduct is None:
        raise ConfigError(
            f"unknown adduct {name!r}; known adducts: {', '.join(KNOWN_ADDUCTS)} "
            "(or write one as [nM±group…]z±, e.g. '[M+C2H3N+H]+')"
        )
    for known in KNOWN_ADDUCTS.values():
        if (
            known.charge == adduct.charge
            and known.n_molecules == adduct.n_molecules
            and abs(known.mass_shift - adduct.mass_shift) < 1e-6
        ):
            return known
    return adduct


def resolve_adducts(
    adducts: str | Adduct | Iterable[str | Adduct] | None = None, mode: str | None = None
) -> list[Adduct]:
    """Turn a mode and/or adduct names into a list of :class:`Adduct`.

    Parameters
    ----------
    adducts
        Names or adducts; a single name is allowed; ``None`` uses
        :data:`DEFAULT_ADDUCTS` for ``mode``. ``"positive"``/``"negative"`` expand to the
        defaults of that mode, and ``"all-positive"``/``"all-negative"`` to the full table.
    mode
        ``"positive"`` or ``"negative"`` (or ``None``); when both are given, every adduct
        must have the mode's polarity.

    Raises
    ------
    ConfigError
        Unknown mode or adduct, no adducts at all, or an adduct of the other polarity.

    Examples
    --------
    >>> [a.name for a in resolve_adducts(["M+H", "[M+Na]+"], mode="positive")]
    ['[M+H]+', '[M+Na]+']
    >>> [a.name for a in resolve_adducts(mode="negative")][:2]
    ['[M-H]-', '[M+Cl]-']
    """
    if mode is not None:
        mode = str(mode).lower()
        if mode not in DEFAULT_ADDUCTS:
            raise ConfigError(f"mode must be 'positive' or 'negative', got {mode!r}")
    if adducts is None:
        if mode is None:
            raise ConfigError("give an ionisation mode ('positive'/'negative') or adducts")
        adducts = DEFAULT_ADDUCTS[mode]
    if isinstance(adducts, (str, Adduct)):
        adducts = [adducts]
    resolved: list[Adduct] = []
    for item in adducts:
        lowered = item.lower() if isinstance(item, str) else None
        if lowered in DEFAULT_ADDUCTS:
            resolved.extend(KNOWN_ADDUCTS[n] for n in DEFAULT_ADDUCTS[lowered])
        elif lowered in ("all-positive", "all-negative"):
            table = POSITIVE_ADDUCTS if lowered == "all-positive" else NEGATIVE_ADDUCTS
            resolved.extend(table.values())
        else:
            resolved.append(parse_adduct(item))
    if not resolved:
        raise ConfigError("no adducts given")
    if mode is not None:
        wrong = [a.name for a in resolved if a.mode != mode]
        if wrong:
            raise ConfigError(f"adducts {wrong} do not fit {mode} mode")
    unique: dict[str, Adduct] = {}
    for adduct in resolved:
        unique.setdefault(adduct.name, adduct)
    return list(unique.values())


def adduct_mz(neutral_mass: float | np.ndarray, adduct: str | Adduct) -> float | np.ndarray:
    """m/z of the ion ``adduct`` for a neutral monoisotopic mass.

    Parameters
    ----------
    neutral_mass
        Neutral monoisotopic mass (Da), scalar or array.
    adduct
        Adduct name (see :func:`parse_adduct`) or :class:`Adduct`.

    Examples
    --------
    >>> round(adduct_mz(180.06339, "[M+H]+"), 6)
    181.070666
    >>> round(adduct_mz(180.06339, "[M-H]-"), 6)
    179.056114
    >>> round(adduct_mz(180.06339, "[M+2H]2+"), 6)
    91.038971
    """
    return parse_adduct(adduct).mz(neutral_mass)


@dataclass
class MatchResult:
    """Candidates of an m/z match.

    Attributes
    ----------
    matches
        One row per (peak, metabolite, adduct) candidate: ``peak_id``, ``mz``, ``score``
        (when the peaks had one), ``metabolite_id``, ``name``, ``formula`` (when known),
        ``neutral_mass``, ``adduct``, ``theoretical_mz``, ``error_ppm``
        (``(mz − theoretical) / theoretical × 10⁶``), ``error_da`` and ``n_candidates``
        (candidates of that peak). Sorted by peak (input order), then absolute error.
    unmatched
        The peaks with no candidate (``peak_id``, ``mz`` and ``score`` when present).
    adducts
        The adducts that were tried.
    tol, unit
        The tolerance used.

    Examples
    --------
    >>> import pandas as pd
    >>> mets = pd.DataFrame({"id": ["glc"], "mass": [180.06339]})
    >>> r = match_mz(pd.DataFrame({"mz": [181.0707], "score": [0.9]}), mets, adducts="[M+H]+")
    >>> r.metabolite_scores().to_dict()
    {'glc': 0.9}
    """

    matches: pd.DataFrame
    unmatched: pd.DataFrame
    adducts: list[Adduct] = field(default_factory=list)
    tol: float = 10.0
    unit: str = "ppm"

    def metabolite_scores(self, score: str = "score", how: str = "max") -> pd.Series:
        """Aggregate peak scores per candidate metabolite (e.g. to make node prizes).

        Parameters
        ----------
        score
            Column of :attr:`matches` holding the peak score.
        how
            ``"max"``, ``"sum"`` or ``"mean"`` over the peaks matching a metabolite.

        Returns
        -------
        pandas.Series
            Indexed by metabolite id, sorted from the highest score.

        Raises
        ------
        ConfigError
            No such column or aggregation.

        Examples
        --------
        >>> import pandas as pd
        >>> mets = pd.DataFrame({"id": ["a", "b"], "mass": [100.0, 200.0]})
        >>> peaks = pd.DataFrame({"mz": [101.00728, 201.00728], "score": [0.2, 0.8]})
        >>> match_mz(peaks, mets, adducts="[M+H]+").metabolite_scores().round(2).to_dict()
        {'b': 0.8, 'a': 0.2}
        """
        if score not in self.matches.columns:
            raise ConfigError(
                f"no column {score!r} in the matches (columns: {list(self.matches.columns)})"
            )
        if how not in ("max", "sum", "mean"):
            raise ConfigError(f"how must be 'max', 'sum' or 'mean', got {how!r}")
        grouped = self.matches.groupby("metabolite_id", sort=False)[score].agg(how)
        return grouped.astype(float).sort_values(ascending=False, kind="stable")


def _peak_table(
    peaks: pd.DataFrame, mz_col: str, id_col: str | None, score_col: str | None
) -> pd.DataFrame:
    if not isinstance(peaks, pd.DataFrame):
        raise DataError(f"peaks must be a pandas DataFrame with an {mz_col!r} column")
    if mz_col not in peaks.columns:
        raise DataError(f"peaks have no {mz_col!r} column (columns: {list(peaks.columns)})")
    if id_col is None and "peak_id" in peaks.columns:
        id_col = "peak_id"
    if id_col is not None:
        if id_col not in peaks.columns:
            raise DataError(f"peaks have no {id_col!r} column (columns: {list(peaks.columns)})")
        ids = peaks[id_col].to_numpy()
    else:
        ids = peaks.index.to_numpy()
    mz = pd.to_numeric(peaks[mz_col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(mz)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{int(bad.sum())} peak(s) have a missing or non-numeric m/z, first at row "
            f"{first} (peak {ids[first]!r}, value {peaks[mz_col].iloc[first]!r})"
        )
    if (mz <= 0).any():
        first = int(np.flatnonzero(mz <= 0)[0])
        raise DataError(f"m/z must be positive; row {first} (peak {ids[first]!r}) has {mz[first]}")
    table = pd.DataFrame({"peak_id": ids, "mz": mz})
    if score_col is not None and score_col in peaks.columns and score_col != mz_col:
        table["score"] = peaks[score_col].to_numpy()
    return table


def _metabolite_table(
    metabolites: pd.DataFrame, id_col: str, mass_col: str, name_col: str
) -> pd.DataFrame:
    if not isinstance(metabolites, pd.DataFrame):
        raise DataError("metabolites must be a pandas DataFrame with id and mass columns")
    if "type" in metabolites.columns:
        metabolites = metabolites[metabolites["type"] == "metabolite"]
    if mass_col not in metabolites.columns:
        raise DataError(
            f"metabolites have no {mass_col!r} column of neutral monoisotopic masses "
            f"(columns: {list(metabolites.columns)})"
        )
    ids = (
        metabolites[id_col].to_numpy()
        if id_col in metabolites.columns
        else metabolites.index.to_numpy()
    )
    mass = pd.to_numeric(metabolites[mass_col], errors="coerce").to_numpy(dtype=float)
    table = pd.DataFrame({"metabolite_id": ids, "neutral_mass": mass})
    table["name"] = metabolites[name_col].to_numpy() if name_col in metabolites.columns else ids
    if "formula" in metabolites.columns:
        table["formula"] = metabolites["formula"].to_numpy()
    keep = np.isfinite(mass) & (mass > 0)
    if not keep.all():
        logger.debug("m/z matching skips %d metabolites without a mass", int((~keep).sum()))
    return table[keep].reset_index(drop=True)


def match_mz(
    peaks: pd.DataFrame,
    metabolites: pd.DataFrame,
    mode: str | None = "positive",
    *,
    adducts: str | Adduct | Iterable[str | Adduct] | None = None,
    tol: float = 10.0,
    unit: str = "ppm",
    mz_col: str = "mz",
    id_col: str | None = None,
    score_col: str | None = "score",
    metabolite_id_col: str = "id",
    mass_col: str = "mass",
    name_col: str = "name",
) -> MatchResult:
    """Match measured m/z values to metabolites under ion adducts.

    A peak at ``mz`` matches metabolite M under adduct A when the theoretical m/z
    ``t = A.mz(M)`` satisfies ``|mz − t| ≤ tol × t / 10⁶`` (``unit="ppm"``) or
    ``|mz − t| ≤ tol`` (``unit="Da"``). Every candidate is kept.

    Parameters
    ----------
    peaks
        Table with an ``mz`` column and optionally ``score`` and ``peak_id`` columns
        (without ``peak_id`` the index names the peaks).
    metabolites
        Table of metabolites with ``id`` (else the index), ``mass`` (neutral monoisotopic
        mass, Da; ``NaN`` rows are skipped), optionally ``name`` and ``formula``. A
        ``type`` column, as in :attr:`MetaboliteProteinGraph.nodes`, restricts the table
        to rows of type ``"metabolite"``.
    mode
        ``"positive"`` or ``"negative"``: picks :data:`DEFAULT_ADDUCTS` when ``adducts``
        is not given and checks their polarity when it is. ``None`` skips the check.
    adducts
        Adduct names or :class:`Adduct` objects (see :func:`resolve_adducts`).
    tol
        Tolerance (> 0).
    unit
        ``"ppm"`` (relative to the theoretical m/z) or ``"Da"``.
    mz_col, id_col, score_col, metabolite_id_col, mass_col, name_col
        Column names.

    Returns
    -------
    MatchResult
        ``.matches`` (one row per candidate) and ``.unmatched`` (peaks without one).

    Raises
    ------
    DataError
        Missing columns, or an m/z that is missing, non-numeric or not positive (the
        message names the row and the peak).
    ConfigError
        Bad mode, adduct, tolerance or unit.

    Examples
    --------
    >>> import pandas as pd
    >>> mets = pd.DataFrame({"id": ["glc"], "name": ["glucose"], "mass": [180.06339]})
    >>> peaks = pd.DataFrame({"mz": [179.05611, 215.03279]}, index=["a", "b"])
    >>> r = match_mz(peaks, mets, mode="negative", tol=3)
    >>> r.matches[["peak_id", "adduct", "error_ppm"]].round(2).values.tolist()
    [['a', '[M-H]-', -0.02], ['b', '[M+Cl]-', -0.01]]
    """
    unit_key = str(unit).lower()
    if unit_key not in ("ppm", "da"):
        raise ConfigError(f"unit must be 'ppm' or 'Da', got {unit!r}")
    unit = "ppm" if unit_key == "ppm" else "Da"
    try:
        tol = float(tol)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"tol must be a positive number, got {tol!r}") from err
    if not np.isfinite(tol) or tol <= 0 or (unit == "ppm" and tol >= 1e6):
        raise ConfigError(f"tol must be a positive number (below 1e6 ppm), got {tol!r}")
    resolved = resolve_adducts(adducts, mode)
    peak_table = _peak_table(peaks, mz_col, id_col, score_col)
    met_table = _metabolite_table(metabolites, metabolite_id_col, mass_col, name_col)

    # Theoretical m/z of every metabolite × adduct, sorted.
    n_met, n_add = len(met_table), len(resolved)
    masses = met_table["neutral_mass"].to_numpy()
    n_mol = np.array([a.n_molecules for a in resolved], dtype=float)
    shift = np.array([a.mass_shift for a in resolved])
    z = np.array([abs(a.charge) for a in resolved], dtype=float)
    theo = (masses[:, None] * n_mol[None, :] + shift[None, :]) / z[None, :]
    theo = theo.ravel()
    met_of = np.repeat(np.arange(n_met), n_add)
    add_of = np.tile(np.arange(n_add), n_met)
    valid = theo > 0
    theo, met_of, add_of = theo[valid], met_of[valid], add_of[valid]
    order = np.argsort(theo, kind="stable")
    theo, met_of, add_of = theo[order], met_of[order], add_of[order]

    # Window of theoretical values each peak can match (slightly widened; exact test below).
    mz = peak_table["mz"].to_numpy()
    if unit == "ppm":
        rel = tol * 1e-6
        lo, hi = mz / (1 + rel), mz / (1 - rel)
    else:
        lo, hi = mz - tol, mz + tol
    pad = 1e-9 * np.maximum(np.abs(hi), 1.0)
    start = np.searchsorted(theo, lo - pad, side="left")
    stop = np.searchsorted(theo, hi + pad, side="right")
    counts = stop - start
    peak_of = np.repeat(np.arange(len(mz)), counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    cand = np.repeat(start, counts) + offsets

    t = theo[cand]
    observed = mz[peak_of]
    error_da = observed - t
    error_ppm = error_da / t * 1e6
    limit = tol * t * 1e-6 if unit == "ppm" else np.full_like(t, tol)
    inside = np.abs(error_da) <= limit * (1 + 1e-12)
    peak_of, cand, t = peak_of[inside], cand[inside], t[inside]
    error_da, error_ppm = error_da[inside], error_ppm[inside]

    met_rows = met_table.iloc[met_of[cand]].reset_index(drop=True)
    matches = pd.DataFrame(
        {
            "peak_id": peak_table["peak_id"].to_numpy()[peak_of],
            "mz": mz[peak_of],
        }
    )
    if "score" in peak_table.columns:
        matches["score"] = peak_table["score"].to_numpy()[peak_of]
    matches["metabolite_id"] = met_rows["metabolite_id"].to_numpy()
    matches["name"] = met_rows["name"].to_numpy()
    if "formula" in met_rows.columns:
        matches["formula"] = met_rows["formula"].to_numpy()
    matches["neutral_mass"] = met_rows["neutral_mass"].to_numpy()
    matches["adduct"] = np.array([a.name for a in resolved], dtype=object)[add_of[cand]]
    matches["theoretical_mz"] = t
    matches["error_ppm"] = error_ppm
    matches["error_da"] = error_da
    matches["_peak"] = peak_of
    matches["_abs"] = np.abs(error_da)
    matches = matches.sort_values(["_peak", "_abs", "metabolite_id"], kind="stable")
    matches["n_candidates"] = matches.groupby("_peak")["_peak"].transform("size").astype(int)
    matches = matches.drop(columns=["_peak", "_abs"]).reset_index(drop=True)

    matched = np.zeros(len(mz), dtype=bool)
    matched[peak_of] = True
    unmatched = peak_table[~matched].reset_index(drop=True)
    logger.info(
        "m/z matching: %d of %d peaks matched %d candidates (%d adducts, %g %s); %d unmatched",
        int(matched.sum()),
        len(mz),
        len(matches),
        n_add,
        tol,
        unit,
        len(unmatched),
    )
    return MatchResult(matches=matches, unmatched=unmatched, adducts=resolved, tol=tol, unit=unit)
