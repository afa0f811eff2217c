"""The FBA essentiality screen: exact pruning and parallel workers against the plain screen.

What is compared
----------------
:func:`omicsnet.knowledge.essentiality.essentiality_screen` knocks out every reaction for
every phenotype (objective) of a cobra model under DeepMetabolism's condition (glucose
uptake fixed at 10). Rows:

* **pruning** — the screen with certificate pruning (a knockout of reactions that carry no
  flux in a known solution above the threshold cannot be essential, so no LP is solved)
  against the same screen solving every knockout (``prune=False``), one process each, on
  e_coli_core with its 13 screenable phenotypes (biomass + secretions); in the full run
  also on iJO1366 for the biomass phenotype. Both sides must call the same pairs
  essential (checked; recorded), and the LP counts are recorded.
* **workers** — the pruned screen in 2 processes against 1 process (e_coli_core).

Timing: median of ``repeats`` alternating runs after one warm-up (iJO1366: one run per
side). The machine's load average is recorded before and after: on a shared 2-core
machine process-parallel timings are noisy. The iJO1366 artefact's own build time (all 95
phenotypes) is copied from its manifest into the details.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import numpy as np

from omicsnet.bench.registry import BenchContext, BenchResult, BenchRow, register_benchmark


def _load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def _screenable(model: Any) -> list[str]:
    from omicsnet.knowledge.essentiality import FLUX_TOLERANCE, phenotype_capacities
    from omicsnet.knowledge.phenotype_graph import default_phenotypes

    caps = phenotype_capacities(model, default_phenotypes(model))
    return [p for p, v in caps.items() if v > FLUX_TOLERANCE]


def _time_pair(candidate: Any, baseline: Any, repeats: int) -> tuple[float, float, Any, Any]:
    """Alternate the two sides after a warm-up; medians and the last results."""
    cand_times, base_times = [], []
    cand_result = candidate()
    base_result = baseline()
    for _ in range(repeats):
        start = time.perf_counter()
        cand_result = candidate()
        cand_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        base_result = baseline()
        base_times.append(time.perf_counter() - start)
    return statistics.median(cand_times), statistics.median(base_times), cand_result, base_result


@register_benchmark(
    "knowledge-screen",
    "FBA essentiality screen: exact pruning vs every LP, 2 workers vs 1 (e_coli_core, iJO1366)",
    suites=("speed",),
    noise="ratio ±15%",
)
def bench_knowledge_screen(ctx: BenchContext) -> BenchResult:
    """Time the screen's pruning and workers; check all variants call the same pairs.

    Parameters
    ----------
    ctx
        ``ctx.quick`` skips the iJO1366 row and uses fewer repeats.

    Returns
    -------
    BenchResult
    """
    import cobra

    from omicsnet.knowledge import artefacts as art
    from omicsnet.knowledge.essentiality import essentiality_screen, screening_model

    repeats = 2 if ctx.quick else max(ctx.repeats, 3)
    details: dict[str, Any] = {"load_average_before": _load_average(), "repeats": repeats}
    rows: list[BenchRow] = []

    core = screening_model(cobra.io.load_model("textbook"))
    phenotypes = _screenable(core)

    def screen(model: Any, names: list[str], **kw: Any) -> Any:
        return essentiality_screen(model, names, progress=False, **kw)

    pruned_s, full_s, pruned, full = _time_pair(
        lambda: screen(core, phenotypes), lambda: screen(core, phenotypes, prune=False), repeats
    )
    same = bool(np.array_equal(pruned.matrix(), full.matrix()))
    lps = (sum(pruned.lp_count.values()), sum(full.lp_count.values()))
    rows.append(
        BenchRow(
            case=f"e_coli_core, {len(phenotypes)} phenotypes x 95 reactions",
            candidate="pruned screen",
            baseline="every knockout solved",
            candidate_value=pruned_s,
            baseline_value=full_s,
            target="<= 1.0",
            notes=f"{lps[0]} vs {lps[1]} LPs; essential calls {'identical' if same else 'DIFFER'}",
        )
    )
    details["core"] = {"lps_pruned": lps[0], "lps_full": lps[1], "same_calls": same}

    two_s, one_s, two, _ = _time_pair(
        lambda: screen(core, phenotypes, workers=2), lambda: screen(core, phenotypes), repeats
    )
    same_workers = bool(np.array_equal(two.matrix(), pruned.matrix()))
    rows.append(
        BenchRow(
            case=f"e_coli_core, {len(phenotypes)} phenotypes",
            candidate="pruned, 2 workers",
            baseline="pruned, 1 worker",
            candidate_value=two_s,
            baseline_value=one_s,
            notes=f"{os.cpu_count()} CPUs (shared); calls "
            f"{'identical' if same_workers else 'DIFFER'}; includes forking the workers",
        )
    )

    if not ctx.quick:
        big = screening_model(cobra.io.load_model("iJO1366"))
        biomass = _screenable(big)[:1]
        start = time.perf_counter()
        pruned_big = screen(big, biomass)
        pruned_big_s = time.perf_counter() - start
        start = time.perf_counter()
        full_big = screen(big, biomass, prune=False)
        full_big_s = time.perf_counter() - start
        same_big = bool(np.array_equal(pruned_big.matrix(), full_big.matrix()))
        lps_big = (sum(pruned_big.lp_count.values()), sum(full_big.lp_count.values()))
        rows.append(
            BenchRow(
                case="iJO1366, biomass x 2583 reactions",
                candidate="pruned screen",
                baseline="every knockout solved",
                candidate_value=pruned_big_s,
                baseline_value=full_big_s,
                target="<= 1.0",
                notes=f"{lps_big[0]} vs {lps_big[1]} LPs; one run each; essential calls "
                f"{'identical' if same_big else 'DIFFER'}",
            )
        )
        details["iJO1366_biomass"] = {
            "lps_pruned": lps_big[0],
            "lps_full": lps_big[1],
            "same_calls": same_big,
        }
    repo = art.repo_knowledge_dir()
    if repo is not None and (repo / "phenotype_graphs" / "iJO1366" / art.MANIFEST).is_file():
        manifest = art.read_manifest(repo / "phenotype_graphs" / "iJO1366")
        details["iJO1366_artefact_build"] = manifest.get("provenance", {})
    details["load_average_after"] = _load_average()
    return BenchResult(rows, details)
