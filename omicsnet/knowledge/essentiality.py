"""FBA knockout screens: which reactions, genes or proteins each phenotype needs.

The screen follows DeepMetabolism (Guo et al.): each phenotype reaction in turn is the
objective (maximised), every knockout unit (a reaction, a gene or a protein complex) is
knocked out, and the unit is **essential** for the phenotype when the knocked-out model is
infeasible or its optimum falls to ``threshold`` times the wild-type optimum or below
(``v_KO <= threshold * v_WT``; the default 0.95 is DeepMetabolism's
``|v_KO| <= 0.95 |v_WT|``; values are compared signed, so a knockout that reverses the
phenotype's direction also counts as essential). Ties within ``1e-6 * v_WT`` of the cutoff
count as essential (:data:`RELATIVE_TOLERANCE`), so solver noise cannot flip them.

The growth condition is a parameter (:func:`screening_model`): the model's own medium or
a given one, and by default DeepMetabolism's fixed glucose uptake (``EX_glc__D_e`` bounds
set to ``(-10, -10)``), which is why "infeasible" is a possible outcome.

Speed
-----
The screen is exact but skips linear programs it does not need. A feasible flux vector
whose phenotype value is above ``threshold * v_WT`` stays feasible after knocking out any
set of reactions that carry no flux in it, so those knockouts cannot be essential. Every
such vector met during the screen (the wild-type optimum, then the optimum of every
non-essential knockout whose reactions were allowed zero flux anyway) is kept as a
*certificate*; a unit whose blocked reactions are all zero in some certificate is
non-essential without solving anything. (A knockout of a reaction with forced flux, such
as ATP maintenance with a positive lower bound, leaves a vector that is infeasible for the
model itself, so it certifies nothing.)
``prune=False`` solves every knockout and gives the same answer (tested).
Phenotypes are screened in parallel processes (``workers``) with a progress bar.

Reproducibility
---------------
Each phenotype is screened on a model rebuilt from the same JSON, starting from the same
solver state (:func:`reset_solver_state`), so its result (calls, ratios, LP count) does not
depend on which phenotypes were solved before it in the same process: one worker and two
workers give identical results (tested). Ratios are stored rounded to
:data:`RATIO_DECIMALS` decimals.

Examples
--------
>>> import cobra
>>> model = screening_model(cobra.io.load_model("textbook"))
>>> result = essentiality_screen(
...     model, ["Biomass_Ecoli_core"], {"GLCpts": ["GLCpts"], "PGI": ["PGI"]}, progress=False
... )
>>> result.table()[["unit", "phenotype", "infeasible"]].to_dict("records")
[{'unit': 'GLCpts', 'phenotype': 'Biomass_Ecoli_core', 'infeasible': True}]
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from omicsnet.errors import ConfigError, DataError

if TYPE_CHECKING:  # pragma: no cover
    import cobra
    import pandas as pd

logger = logging.getLogger(__name__)

#: DeepMetabolism's growth condition: glucose uptake fixed at 10 mmol/gDW/h.
DEFAULT_FIXED_UPTAKE: dict[str, float] = {"EX_glc__D_e": 10.0}

#: Fluxes at or below this magnitude count as zero (certificates, blocked phenotypes).
FLUX_TOLERANCE = 1e-9

#: Decimals kept of each essential pair's ratio ``v_KO / v_WT``.
RATIO_DECIMALS = 6

#: Knockout optima within this fraction of ``v_WT`` above the cutoff count as at the
#: cutoff (essential): ties such as ``v_KO == 0.95 v_WT`` must not flip with solver noise.
RELATIVE_TOLERANCE = 1e-6


@dataclass
class ScreenResult:
    """The outcome of :func:`essentiality_screen`.

    Attributes
    ----------
    units, phenotypes
        Knockout unit ids and phenotype reaction ids, in the order used by the indices.
    unit_type
        ``"reaction"``, ``"gene"`` or ``"protein"``.
    threshold
        The essentiality threshold used.
    wild_type
        Phenotype id → wild-type optimum.
    unit_index, phenotype_index
        One entry per essential (unit, phenotype) pair, sorted by phenotype then unit.
    ratio
        ``v_KO / v_WT`` for each essential pair (rounded to 6 decimals); ``NaN`` where the
        knockout was infeasible.
    lp_count
        Phenotype id → linear programs solved (wild type included).
    seconds
        Wall-clock time of the screen.
    """

    units: list[str]
    phenotypes: list[str]
    unit_type: str
    threshold: float
    wild_type: dict[str, float]
    unit_index: np.ndarray
    phenotype_index: np.ndarray
    ratio: np.ndarray
    lp_count: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __repr__(self) -> str:
        return (
            f"ScreenResult({len(self.units)} {self.unit_type}s x {len(self.phenotypes)} "
            f"phenotypes, {len(self.ratio)} essential pairs, "
            f"{sum(self.lp_count.values())} LPs, {self.seconds:.1f} s)"
        )

    def matrix(self) -> np.ndarray:
        """Boolean ``units x phenotypes`` array: ``True`` where the unit is essential.

        Examples
        --------
        >>> import numpy as np
        >>> r = ScreenResult(["a", "b"], ["p"], "reaction", 0.95, {"p": 1.0},
        ...                  np.array([1]), np.array([0]), np.array([np.nan]))
        >>> r.matrix().tolist()
        [[False], [True]]
        """
        out = np.zeros((len(self.units), len(self.phenotypes)), dtype=bool)
        out[self.unit_index, self.phenotype_index] = True
        return out

    def table(self) -> pd.DataFrame:
        """Essential pairs as a table: ``unit``, ``phenotype``, ``ratio``, ``infeasible``.

        Examples
        --------
        >>> import numpy as np
        >>> r = ScreenResult(["a", "b"], ["p"], "reaction", 0.95, {"p": 1.0},
        ...                  np.array([0, 1]), np.array([0, 0]), np.array([0.5, np.nan]))
        >>> r.table()["infeasible"].tolist()
        [False, True]
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "unit": [self.units[i] for i in self.unit_index],
                "phenotype": [self.phenotypes[j] for j in self.phenotype_index],
                "ratio": self.ratio,
                "infeasible": np.isnan(self.ratio),
            }
        )


# ----------------------------------------------------------------------------- conditions
def screening_model(
    model: cobra.Model,
    *,
    medium: Mapping[str, float] | None = None,
    fixed_uptake: Mapping[str, float] | str | None = "default",
) -> cobra.Model:
    """A copy of ``model`` under the screen's growth condition.

    Parameters
    ----------
    model
        The cobra model (left unchanged).
    medium
        Exchange reaction id → maximal uptake rate, as :attr:`cobra.Model.medium`;
        ``None`` keeps the model's own medium.
    fixed_uptake
        Exchange reaction id → uptake rate fixed exactly (bounds ``(-rate, -rate)``).
        ``"default"`` fixes glucose uptake at 10 (:data:`DEFAULT_FIXED_UPTAKE`) when the
        model has ``EX_glc__D_e`` and fixes nothing otherwise; ``None`` or ``{}`` fixes
        nothing.

    Raises
    ------
    DataError
        A reaction of ``medium`` or ``fixed_uptake`` is not in the model, or the
        condition leaves the model infeasible.

    Examples
    --------
    >>> import cobra
    >>> m = screening_model(cobra.io.load_model("textbook"))
    >>> m.reactions.EX_glc__D_e.bounds
    (-10.0, -10.0)
    >>> round(m.slim_optimize(), 4)
    0.8739
    """
    known = {r.id for r in model.reactions}
    if fixed_uptake == "default":
        fixed = {k: v for k, v in DEFAULT_FIXED_UPTAKE.items() if k in known}
        if not fixed:
            logger.warning(
                "%s has no %s: no uptake is fixed (pass fixed_uptake= to choose one)",
                model.id,
                ", ".join(DEFAULT_FIXED_UPTAKE),
            )
    elif isinstance(fixed_uptake, str):
        raise ConfigError(
            f"fixed_uptake must be a mapping, None or 'default', got {fixed_uptake!r}"
        )
    else:
        fixed = dict(fixed_uptake or {})
    for what, ids in (("medium", medium or {}), ("fixed_uptake", fixed)):
        missing = sorted(set(ids) - known)
        if missing:
            raise DataError(f"{what} names reactions not in model {model.id}: {', '.join(missing)}")
    out = model.copy()
    if medium is not None:
        out.medium = {k: float(v) for k, v in medium.items()}
    for rxn_id, rate in fixed.items():
        out.reactions.get_by_id(rxn_id).bounds = (-float(rate), -float(rate))
    if not math.isfinite(out.slim_optimize(error_value=math.nan)):
        raise DataError(
            f"model {model.id} is infeasible under the screening condition "
            f"(medium={dict(medium) if medium is not None else 'model default'}, fixed={fixed})"
        )
    return out


def phenotype_capacities(model: cobra.Model, phenotypes: Iterable[str]) -> dict[str, float]:
    """Maximal flux of each phenotype reaction under the model's current bounds.

    ``NaN`` marks an infeasible problem. Phenotypes whose capacity is not above
    :data:`FLUX_TOLERANCE` cannot be screened (every knockout would be "essential").

    Examples
    --------
    >>> import cobra
    >>> m = screening_model(cobra.io.load_model("textbook"))
    >>> caps = phenotype_capacities(m, ["EX_ac_e", "EX_o2_e"])
    >>> caps["EX_ac_e"] > FLUX_TOLERANCE, caps["EX_o2_e"] <= FLUX_TOLERANCE
    (True, True)
    """
    out = {}
    with model:
        for rxn_id in phenotypes:
            model.objective = rxn_id
            model.objective_direction = "max"
            out[rxn_id] = float(model.slim_optimize(error_value=math.nan))
    return out


def gene_knockout_units(model: cobra.Model) -> dict[str, list[str]]:
    """Gene id → the reactions its knockout disables (GPR evaluated without the gene).

    Examples
    --------
    >>> import cobra
    >>> units = gene_knockout_units(cobra.io.load_model("textbook"))
    >>> units["b2779"], units["b1723"]  # enolase; one of two PFK isozymes
    (['ENO'], [])
    """
    units: dict[str, list[str]] = {}
    for gene in model.genes:
        units[gene.id] = [rxn.id for rxn in gene.reactions if not rxn.gpr.eval(knockouts={gene.id})]
        units[gene.id].sort(key=lambda rid: model.reactions.index(rid))
    return units


# ---------------------------------------------------------------------------------- screen
_WORKER: dict[str, Any] = {}


def _init_worker(model_json: str, blocked: list[list[int]]) -> None:
    import cobra

    _WORKER["model"] = cobra.io.from_json(model_json)
    _WORKER["blocked"] = [np.asarray(b, dtype=np.int64) for b in blocked]


def reset_solver_state(model: cobra.Model) -> bool:
    """Forget the solver's warm start, so the next solve starts from a fixed state.

    Simplex solvers start from the last basis; different starting bases reach the same
    optimum value only up to the solver's tolerance (iJO1366's knockout ratios differed
    at the 6th decimal between builds that screened phenotypes in different orders).
    Starting every phenotype's screen from the same state makes its result a function of
    the model and the phenotype alone, whatever ran before it in the process, and so
    independent of the number of workers. For GLPK (cobra's default) the basis is reset
    to GLPK's standard basis; for other solvers the solver problem is rebuilt from the
    model (slower, same effect). Returns ``True`` when the state was reset in place.

    Examples
    --------
    >>> import cobra
    >>> m = cobra.io.load_model("textbook")
    >>> first = m.slim_optimize()
    >>> reset_solver_state(m), m.slim_optimize() == first
    (True, True)
    """
    solver = model.solver
    if type(solver).__module__.endswith("glpk_interface"):
        import swiglpk

        swiglpk.glp_std_basis(solver.problem)
        return True
    model.solver = type(solver).clone(solver)
    return False


class _FluxReader:
    """Net reaction fluxes of the last solution, read in one call (names resolved once)."""

    def __init__(self, model: cobra.Model) -> None:
        self.solver = model.solver
        position = {v.name: i for i, v in enumerate(self.solver.variables)}
        self.forward = np.array([position[r.id] for r in model.reactions])
        self.reverse = np.array([position[r.reverse_id] for r in model.reactions])
        self.names = [v.name for v in self.solver.variables]

    def __call__(self) -> np.ndarray:
        read = getattr(self.solver, "_get_primal_values", None)  # optlang's fast path
        if read is not None:
            values = np.asarray(read(), dtype=float)
        else:
            primal = self.solver.primal_values
            values = np.array([primal[name] for name in self.names], dtype=float)
        return values[self.forward] - values[self.reverse]


def _screen_phenotype(
    model: cobra.Model,
    blocked: Sequence[np.ndarray],
    phenotype: str,
    threshold: float,
    prune: bool,
) -> tuple[str, float, list[int], list[float], int]:
    """Screen every unit against one phenotype; returns (id, v_WT, units, ratios, LPs)."""
    reactions = model.reactions
    essential: list[int] = []
    ratios: list[float] = []
    fluxes = _FluxReader(model)
    # a knockout's optimum certifies other knockouts only if zero flux was allowed for the
    # knocked-out reactions (not for forced ones such as ATP maintenance, lower bound > 0)
    zero_allowed = np.array([r.lower_bound <= 0.0 <= r.upper_bound for r in reactions])
    with model:
        model.objective = phenotype
        model.objective_direction = "max"
        reset_solver_state(model)  # the result must not depend on what was solved before
        wild = float(model.slim_optimize(error_value=math.nan))
        lps = 1
        if not math.isfinite(wild) or wild <= FLUX_TOLERANCE:
            return phenotype, wild, essential, ratios, lps
        certificates: list[np.ndarray] = []
        if prune:
            certificates.append(np.abs(fluxes()) > FLUX_TOLERANCE)
            active = np.vstack(certificates)
        cutoff = threshold * wild + RELATIVE_TOLERANCE * abs(wild)
        for unit, rows in enumerate(blocked):
            if rows.size == 0:
                continue
            if prune and not active[:, rows].any(axis=1).all():
                continue  # some certificate survives this knockout
            with model:
                for row in rows:
                    reactions[int(row)].knock_out()
                value = float(model.slim_optimize(error_value=math.nan))
                lps += 1
                if not math.isfinite(value):
                    essential.append(unit)
                    ratios.append(math.nan)
                elif value <= cutoff:
                    essential.append(unit)
                    ratios.append(round(value / wild, RATIO_DECIMALS) + 0.0)  # no -0.0
                elif prune and zero_allowed[rows].all():
                    certificates.append(np.abs(fluxes()) > FLUX_TOLERANCE)
                    active = np.vstack(certificates)
    return phenotype, wild, essential, ratios, lps


def _screen_in_worker(
    phenotype: str, threshold: float, prune: bool
) -> tuple[str, float, list[int], list[float], int]:
    return _screen_phenotype(_WORKER["model"], _WORKER["blocked"], phenotype, threshold, prune)


def essentiality_screen(
    model: cobra.Model,
    phenotypes: Sequence[str],
    units: Mapping[str, Sequence[str]] | None = None,
    *,
    unit_type: str = "reaction",
    threshold: float = 0.95,
    workers: int = 1,
    prune: bool = True,
    progress: bool = True,
) -> ScreenResult:
    """Knock out each unit for each phenotype objective; report the essential pairs.

    Parameters
    ----------
    model
        A cobra model already under the growth condition (see :func:`screening_model`);
        it is left unchanged (the screen runs on a copy rebuilt from its JSON).
    phenotypes
        Reaction ids maximised one at a time. A phenotype whose wild-type optimum is not
        positive cannot be screened and raises (drop such phenotypes first, see
        :func:`phenotype_capacities`).
    units
        Knockout unit id → the reactions the knockout disables. ``None``: each reaction
        is a unit disabling itself. See :func:`gene_knockout_units`.
    unit_type
        A label for the units (``"reaction"``, ``"gene"``, ``"protein"``).
    threshold
        Essential when ``v_KO <= threshold * v_WT`` or infeasible; in ``[0, 1)``.
    workers
        Processes; ``1`` screens in this process.
    prune
        Skip knockouts certified non-essential by a known flux vector (exact).
    progress
        Show a progress bar over phenotypes.

    Raises
    ------
    ConfigError
        ``threshold`` or ``workers`` is out of range.
    DataError
        A phenotype or a unit's reaction is not in the model, or a phenotype cannot carry
        flux.

    Examples
    --------
    >>> import cobra
    >>> m = screening_model(cobra.io.load_model("textbook"))
    >>> r = essentiality_screen(m, ["Biomass_Ecoli_core", "EX_ac_e"], progress=False)
    >>> "ENO" in set(r.table().query("phenotype == 'Biomass_Ecoli_core'")["unit"])
    True
    """
    from tqdm.auto import tqdm

    if not 0.0 <= threshold < 1.0:
        raise ConfigError(f"threshold must be in [0, 1), got {threshold}")
    if int(workers) < 1:
        raise ConfigError(f"workers must be a positive integer, got {workers}")
    index = {r.id: i for i, r in enumerate(model.reactions)}
    missing = sorted(set(phenotypes) - set(index))
    if missing:
        raise DataError(f"phenotypes not in model {model.id}: {', '.join(missing)}")
    if units is None:
        units = {r.id: [r.id] for r in model.reactions}
    unit_ids = list(units)
    blocked: list[list[int]] = []
    for unit_id in unit_ids:
        unknown = [rid for rid in units[unit_id] if rid not in index]
        if unknown:
            raise DataError(f"knockout unit {unit_id!r} names unknown reactions: {unknown}")
        blocked.append(sorted(index[rid] for rid in units[unit_id]))

    start = time.perf_counter()
    results: dict[str, tuple[float, list[int], list[float], int]] = {}
    bar = tqdm(
        total=len(phenotypes),
        desc=f"{unit_type} knockout screen",
        unit="phenotype",
        disable=not progress,
    )
    import cobra

    # every phenotype is screened on a model rebuilt from the same JSON, in this process or
    # in a worker, starting from the same solver state (see reset_solver_state): the
    # result does not depend on the number of workers or on the order of phenotypes
    model_json = cobra.io.to_json(model)
    with bar:
        if int(workers) == 1:
            arrays = [np.asarray(b, dtype=np.int64) for b in blocked]
            screened = cobra.io.from_json(model_json)
            for phenotype in phenotypes:
                pid, wild, ess, rat, lps = _screen_phenotype(
                    screened, arrays, phenotype, threshold, prune
                )
                results[pid] = (wild, ess, rat, lps)
                bar.update()
        else:
            import multiprocessing

            from omicsnet.utils.workers import WorkerPool  # workers stop with this process

            # fork shares the imported cobra (seconds saved per worker); workers touch no
            # torch/BLAS state, so forking beside their threads is safe
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            with WorkerPool(
                max_workers=min(int(workers), len(phenotypes)) or 1,
                mp_context=context,
                initializer=_init_worker,
                initargs=(model_json, blocked),
            ) as pool:
                futures = [
                    pool.submit(_screen_in_worker, phenotype, threshold, prune)
                    for phenotype in phenotypes
                ]
                for future in as_completed(futures):
                    pid, wild, ess, rat, lps = future.result()
                    results[pid] = (wild, ess, rat, lps)
                    bar.update()

    unit_index: list[int] = []
    phenotype_index: list[int] = []
    ratio: list[float] = []
    for j, phenotype in enumerate(phenotypes):
        wild, ess, rat, _ = results[phenotype]
        if not math.isfinite(wild) or wild <= FLUX_TOLERANCE:
            raise DataError(
                f"phenotype {phenotype} cannot carry flux in model {model.id} "
                f"(maximum {wild}); drop it before screening"
            )
        unit_index.extend(ess)
        phenotype_index.extend([j] * len(ess))
        ratio.extend(rat)
    result = ScreenResult(
        units=unit_ids,
        phenotypes=list(phenotypes),
        unit_type=unit_type,
        threshold=float(threshold),
        wild_type={p: results[p][0] for p in phenotypes},
        unit_index=np.asarray(unit_index, dtype=np.int64),
        phenotype_index=np.asarray(phenotype_index, dtype=np.int64),
        ratio=np.asarray(ratio, dtype=float),
        lp_count={p: results[p][3] for p in phenotypes},
        seconds=time.perf_counter() - start,
    )
    logger.info("%r", result)
    return result
