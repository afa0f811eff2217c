"""A labelled peak set for NeatMS-style classifiers: a real mzML file plus its feature table.

:func:`write_labelled_peak_set` plants three kinds of features in one MS1 run, each at its
own m/z (so that no two features share an extracted-ion trace), and writes them with
:func:`omicsnet.ms.synthetic.write_synthetic_mzml`:

``High``
    a clean Gaussian elution profile, its feature bounds at apex − 2 to 3 σ and apex + 2
    to 3.5 σ (a well integrated peak);
``Low``
    one of three kinds, at random: *truncated* — a Gaussian whose signal stops abruptly
    at (or starts abruptly at) the apex, bounds over the part present; *partial* — a
    full Gaussian whose feature bounds cover only one flank (apex + 0.4 σ to apex +
    3.5 σ, or the mirror image), so that the peak spills into the margin; *noisy* — a
    Gaussian under a noise floor of 40-80 % of its apex;
``Noise``
    spikes of random height in a random 60 % of the scans of the window, bounds as wide
    as a peak's.

Every feature also gets a noise floor (spikes in half of the scans around it, up to
0-15 % of its apex unless said otherwise), and every scan random noise points elsewhere
in m/z. The feature table (``features.csv``: ``id, mz, mz_min, mz_max, rt, rt_min,
rt_max, label, kind``, RT in minutes) is the "plain" format of
:mod:`omicsnet.ms.feature_tables`.

Examples
--------
>>> import tempfile, pathlib
>>> peak_set = write_labelled_peak_set(pathlib.Path(tempfile.mkdtemp()), n_per_class=4)
>>> peak_set.table["label"].value_counts().sort_index().to_dict()
{'High': 4, 'Low': 4, 'Noise': 4}
>>> peak_set.mzml.name, peak_set.features.name
('peaks.mzML', 'features.csv')
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError

logger = logging.getLogger(__name__)

CLASSES = ("High", "Low", "Noise")
"""The NeatMS classes, in the order used for class codes."""

LOW_KINDS = ("Low (truncated)", "Low (partial)", "Low (noisy)")
"""The three ways a feature is made ``Low`` (column ``kind`` of the table)."""


@dataclass
class LabelledPeakSet:
    """What :func:`write_labelled_peak_set` wrote.

    Attributes
    ----------
    mzml
        The MS1 run.
    features
        The feature table (plain format, RT in minutes, with a ``label`` column).
    table
        The same table as a DataFrame (index ``id``).
    """

    mzml: Path
    features: Path
    table: pd.DataFrame


def write_labelled_peak_set(
    folder: str | os.PathLike[str],
    *,
    n_per_class: int = 100,
    seed: int = 0,
    rt_step: float = 0.02,
    noise_peaks: int = 10,
    noise: float = 1.0,
    overwrite: bool = False,
) -> LabelledPeakSet:
    """Write ``peaks.mzML`` and ``features.csv`` with ``n_per_class`` features per class.

    Parameters
    ----------
    folder
        Output folder: new, empty, or written by omicsnet (see
        :mod:`omicsnet.utils.output`).
    n_per_class
        Features of each class (High, Low, Noise).
    seed
        Seed of everything random (positions, widths, heights, noise).
    rt_step
        Minutes between MS1 scans.
    noise_peaks
        Random noise points per scan over m/z 50-1000.
    noise
        Scale of every feature's noise floor (1: spikes up to 0-15 % of the apex for
        High and most Low peaks, 40-80 % for noisy Low peaks; 0: no floor).
    overwrite
        Replace what omicsnet wrote in ``folder`` before.

    Returns
    -------
    LabelledPeakSet

    Raises
    ------
    OutputExistsError
        ``folder`` holds files and ``overwrite`` is false, or it holds files omicsnet did
        not write.
    """
    from omicsnet.ms.synthetic import PlantedPeak, write_synthetic_mzml
    from omicsnet.utils.output import atomic_directory, check_output_dir

    if int(n_per_class) < 1:
        raise ConfigError(f"n_per_class must be at least 1; got {n_per_class}")
    if noise < 0:
        raise ConfigError(f"noise must be >= 0; got {noise}")
    if not rt_step > 0:
        raise ConfigError(f"rt_step must be positive; got {rt_step}")
    out = Path(folder)
    check_output_dir(out, overwrite=overwrite)  # before any work
    mzml, features = out / "peaks.mzML", out / "features.csv"
    rng = np.random.default_rng(seed)
    n_total = 3 * int(n_per_class)
    # RT span grows with the number of features so that traces stay sparse in time too
    rt_end = max(4.0, 0.02 * n_total)
    times = np.round(np.arange(0.5, 0.5 + rt_end + 1.0, rt_step), 6)
    labels = np.repeat(np.arange(3), int(n_per_class))
    rng.shuffle(labels)
    # distinct m/z per feature, >= 0.5 apart, with a random fractional part
    mzs = 100.0 + 0.7 * np.arange(n_total) + rng.uniform(0.0, 0.2, n_total)

    planted: list[PlantedPeak] = []
    rows = []

    def spikes(mz: float, lo: float, hi: float, fraction: float, top: float) -> None:
        scans = times[(times >= lo) & (times <= hi)]
        for t in scans[rng.random(len(scans)) < fraction]:
            planted.append(PlantedPeak(mz, float(t), float(rng.uniform(0.05, 1.0) * top), 0.0))

    def half_gaussian(mz: float, apex: float, sigma: float, height: float, rising: bool) -> None:
        if rising:
            scans = times[(times >= apex - 3.5 * sigma) & (times <= apex)]
        else:
            scans = times[(times >= apex) & (times <= apex + 3.5 * sigma)]
        for t in scans:
            value = height * np.exp(-0.5 * ((t - apex) / sigma) ** 2)
            planted.append(PlantedPeak(mz, float(t), float(value), 0.0))

    for k in range(n_total):
        mz = float(mzs[k])
        label = CLASSES[labels[k]]
        apex = float(rng.uniform(1.0, 0.5 + rt_end - 0.5))
        sigma = float(rng.uniform(0.04, 0.08))
        height = float(10 ** rng.uniform(4.5, 7.0))
        floor = float(rng.uniform(0.0, 0.15)) * noise
        kind = label
        if label == "High":
            planted.append(PlantedPeak(mz, apex, height, sigma))
            lo = apex - float(rng.uniform(2.0, 3.0)) * sigma
            hi = apex + float(rng.uniform(2.0, 3.5)) * sigma
        elif label == "Low":
            kind = LOW_KINDS[int(rng.integers(len(LOW_KINDS)))]
            if kind == "Low (truncated)":
                rising = bool(rng.random() < 0.5)
                half_gaussian(mz, apex, sigma, height, rising)
                lo, hi = (apex - 3.0 * sigma, apex) if rising else (apex, apex + 3.0 * sigma)
            elif kind == "Low (partial)":
                planted.append(PlantedPeak(mz, apex, height, sigma))
                if rng.random() < 0.5:
                    lo, hi = apex + 0.4 * sigma, apex + 3.5 * sigma
                else:
                    lo, hi = apex - 3.5 * sigma, apex - 0.4 * sigma
            else:  # a weak peak drowned in noise
                planted.append(PlantedPeak(mz, apex, height, sigma))
                lo, hi = apex - 2.5 * sigma, apex + 2.5 * sigma
                floor = float(rng.uniform(0.4, 0.8)) * noise
        else:
            lo, hi = apex - 2.5 * sigma, apex + 2.5 * sigma
            floor = max(floor, 0.05)
            spikes(mz, lo - (hi - lo), hi + (hi - lo), 0.6, height)
        spikes(mz, lo - (hi - lo), hi + (hi - lo), 0.5, height * floor)
        half = mz * 5e-6
        rows.append(
            {
                "id": f"F{k + 1:04d}",
                "mz": round(mz, 6),
                "mz_min": round(mz - half, 6),
                "mz_max": round(mz + half, 6),
                "rt": round(apex, 6),
                "rt_min": round(lo, 6),
                "rt_max": round(hi, 6),
                "label": label,
                "kind": kind,
            }
        )
    table = pd.DataFrame(rows).set_index("id")
    with atomic_directory(out, overwrite=overwrite) as tmp:
        write_synthetic_mzml(
            tmp / mzml.name,
            peaks=planted,
            scan_times=times.tolist(),
            noise_peaks=noise_peaks,
            noise_level=2000.0,
            min_relative_height=1e-3,
            chromatogram=False,
            seed=seed,
        )
        table.to_csv(tmp / features.name)
    logger.info("wrote %s (%d scans) and %s (%d features)", mzml, len(times), features, n_total)
    return LabelledPeakSet(mzml, features, table)


__all__ = ["CLASSES", "LabelledPeakSet", "write_labelled_peak_set"]
