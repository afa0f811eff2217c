"""Dual-polarity LC-MS cohorts: pairing tables, paired datasets and a generated cohort.

The dual-polarity model ``lcms_dual`` takes ``(batch, 2, RT, m/z)`` inputs: the
positive-mode and the negative-mode matrix of one sample. Runs arrive as separate files, so
a **pairing table** (CSV/TSV, one row per run) says which sample and which polarity each
run is::

    file,label,sample,polarity
    healthy_1_pos.mzML,healthy,healthy_1,positive
    healthy_1_neg.mzML,healthy,healthy_1,negative

Rows are joined to input files by run name (:func:`~omicsnet.ms.arrays.sample_id`),
runs are paired by ``sample`` with
:func:`~omicsnet.lcms.dual.pair_polarities` (clear errors for unpaired runs), and the
two runs of a sample must carry the same ``label``.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import DataError, DataNotFoundError

logger = logging.getLogger(__name__)

PAIRING_COLUMNS = ("file", "sample", "polarity")
"""Columns every pairing table needs (a ``label`` column too for training)."""


def read_pairing_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a pairing table: one row per run with ``file``, ``sample``, ``polarity``.

    Returns
    -------
    pandas.DataFrame
        Indexed by run ID (the file name without data suffixes), columns ``sample``,
        ``polarity`` and ``label`` when present.

    Raises
    ------
    DataNotFoundError, DataError
        Missing table, missing columns, empty cells or a run listed twice (named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pairs.csv"
    >>> _ = p.write_text("file,sample,polarity\\ns1_pos.npy,s1,pos\\ns1_neg.npy,s1,neg\\n")
    >>> read_pairing_table(p)["sample"].to_dict()
    {'s1_pos': 's1', 's1_neg': 's1'}
    """
    from omicsnet.ms.arrays import _id_list, sample_id

    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"pairing table {file} not found")
    sep = "\t" if file.suffix.lower() in (".tsv", ".txt") else ","
    try:
        table = pd.read_csv(file, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read pairing table {file}: {err}") from err
    missing = [c for c in PAIRING_COLUMNS if c not in table.columns]
    if missing:
        raise DataError(
            f"{file}: a dual-polarity table needs columns {', '.join(PAIRING_COLUMNS)}; "
            f"{missing} not found (columns: {', '.join(map(str, table.columns))})"
        )
    keep = [c for c in ("sample", "polarity", "label") if c in table.columns]
    frame = table[keep].apply(lambda column: column.str.strip())
    frame.index = pd.Index([sample_id(f) for f in table["file"]], name="run")
    empty = frame.index[(frame[["sample", "polarity"]] == "").any(axis=1)].tolist()
    if empty:
        raise DataError(f"{file}: empty sample or polarity for runs: {_id_list(empty)}")
    repeated = frame.index[frame.index.duplicated()].unique().tolist()
    if repeated:
        raise DataError(f"{file}: runs listed more than once: {_id_list(repeated)}")
    return frame


def pair_runs(
    x: np.ndarray, run_ids: list[str], table: pd.DataFrame, where: str
) -> tuple[np.ndarray, list[str], list[int]]:
    """Pair ``(runs, 1, RT, m/z)`` matrices into ``(samples, 2, RT, m/z)`` by the table.

    Returns the paired array, the sample IDs and, per sample, the index of its
    positive-mode run. Every run must have a row in ``table`` (see
    :func:`read_pairing_table`); pairing errors name the samples.

    Examples
    --------
    >>> table = pd.DataFrame({"sample": ["s1", "s1"], "polarity": ["neg", "pos"]},
    ...                      index=["r1", "r2"])
    >>> x, ids, first = pair_runs(np.stack([np.zeros((1, 2, 2)), np.ones((1, 2, 2))]),
    ...                           ["r1", "r2"], table, "pairs.csv")
    >>> x.shape, ids, first, float(x[0, 0].sum())
    ((1, 2, 2, 2), ['s1'], [1], 4.0)
    """
    from omicsnet.lcms.dual import pair_polarities
    from omicsnet.ms.arrays import _id_list

    no_row = sorted(set(run_ids) - set(table.index))
    if no_row:
        raise DataError(f"{where}: {len(no_row)} run(s) without a row: {_id_list(no_row)}")
    samples = [str(table.at[r, "sample"]) for r in run_ids]
    polarities = [str(table.at[r, "polarity"]) for r in run_ids]
    paired, ids = pair_polarities(list(x), samples, polarities)
    positive = {"positive", "pos", "+"}
    first = {
        s: i
        for i, (s, p) in enumerate(zip(samples, polarities, strict=True))
        if p.lower() in positive
    }
    return paired, ids, [first[s] for s in ids]


def pair_lcms_arrays(data: Any, table_path: str | os.PathLike[str]) -> Any:
    """Pair a labelled per-run :class:`~omicsnet.ms.arrays.LCMSArrays` by sample.

    Parameters
    ----------
    data
        One run per row, ``(runs, 1, RT, m/z)`` (e.g. from
        :func:`~omicsnet.ms.arrays.load_lcms_arrays`).
    table_path
        The pairing table (``file``, ``sample``, ``polarity``; the label table itself).

    Returns
    -------
    LCMSArrays
        ``(samples, 2, RT, m/z)`` (channel 0 positive), indexed by sample ID, with each
        sample's positive-mode file.

    Raises
    ------
    DataError
        Unpaired runs, a sample whose two runs have different labels (named), runs
        missing from the table.
    """
    from omicsnet.ms.arrays import LCMSArrays

    table = read_pairing_table(table_path)
    where = Path(table_path).name
    x, ids, first = pair_runs(data.x, list(data.sample_ids), table, where)
    run_samples = [str(table.at[r, "sample"]) for r in data.sample_ids]
    codes: dict[str, set[int]] = {}
    for sample, code in zip(run_samples, data.y.tolist(), strict=True):
        codes.setdefault(sample, set()).add(int(code))
    disagree = sorted(s for s, c in codes.items() if len(c) > 1)
    if disagree:
        detail = ", ".join(
            f"{s} ({' vs '.join(sorted(data.class_names[c] for c in codes[s]))})"
            for s in disagree[:10]
        )
        raise DataError(
            f"{where}: the positive- and negative-mode runs of {len(disagree)} sample(s) "
            f"have different labels: {detail}"
        )
    logger.info("paired %d runs into %d dual-polarity samples", len(data), len(ids))
    return LCMSArrays(
        x,
        data.y[first],
        sample_ids=ids,
        class_names=data.class_names,
        files=[data.files[i] for i in first],
        axes=data.axes,
        binning=data.binning,
    )


@dataclass
class DualPolarityCohort:
    """A generated dual-polarity cohort (see :func:`write_dual_polarity_cohort`).

    Attributes
    ----------
    root
        The folder: ``runs/`` (mzML), ``matrices/`` (``.npz`` plus a copy of the table) and
        ``labels.csv``.
    labels
        The pairing/label table: ``file``, ``label``, ``sample``, ``polarity``, ``batch``.
    planted
        Class-specific peaks with a ``polarity`` column.
    binning
        The :class:`~omicsnet.ms.binning.BinningParams` of the matrices.
    """

    root: Path
    labels: pd.DataFrame
    planted: pd.DataFrame
    binning: Any

    @property
    def matrices(self) -> Path:
        """The folder of converted matrices (with ``labels.csv``)."""
        return self.root / "matrices"


def write_dual_polarity_cohort(
    out_dir: str | os.PathLike[str],
    *,
    n_per_class: int = 6,
    classes: tuple[str, ...] = ("healthy", "cancer"),
    n_rt: int = 64,
    n_mz: int = 64,
    seed: int = 0,
    overwrite: bool = False,
    **options: Any,
) -> DualPolarityCohort:
    """Write positive- and negative-mode mzML runs of one cohort, their matrices and table.

    Each mode is a :func:`~omicsnet.ms.synthetic.write_synthetic_cohort` with the
    same classes, samples and batches; the negative mode uses ``seed + 1`` so its planted
    peaks sit at other RT/m/z positions. Run ``<class>_<i>`` becomes
    ``runs/<class>_<i>_pos.mzML`` and ``runs/<class>_<i>_neg.mzML``; both are converted to
    ``n_rt x n_mz`` matrices in ``matrices/`` on one grid, and ``labels.csv`` (also copied
    into ``matrices/``) pairs them.

    Parameters
    ----------
    out_dir
        Output folder (must not exist unless ``overwrite``).
    n_per_class, classes, seed
        Cohort design (see ``write_synthetic_cohort``).
    n_rt, n_mz
        Matrix size.
    options
        Further ``write_synthetic_cohort`` options (``rt_range``, ``scan_interval``, ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> cohort = write_dual_polarity_cohort(pathlib.Path(tempfile.mkdtemp()) / "c",
    ...     n_per_class=1, n_rt=16, n_mz=16, rt_range=(0.5, 3.5), scan_interval=0.1)
    >>> cohort.labels["file"].tolist()[:2], cohort.labels["polarity"].tolist()[:2]
    (['healthy_1_pos.mzML', 'healthy_1_neg.mzML'], ['positive', 'negative'])
    >>> sorted(p.name for p in cohort.matrices.iterdir())[:2]
    ['cancer_1_neg.mzML.npz', 'cancer_1_pos.mzML.npz']
    """
    import dataclasses
    import tempfile

    from omicsnet.ms.arrays import sample_id
    from omicsnet.ms.binning import convert_files
    from omicsnet.ms.synthetic import write_synthetic_cohort
    from omicsnet.utils.output import atomic_directory

    modes = (("positive", "pos", 0), ("negative", "neg", 1))
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        runs, matrices = tmp / "runs", tmp / "matrices"
        runs.mkdir()
        with tempfile.TemporaryDirectory() as scratch:
            cohorts = [
                write_synthetic_cohort(
                    Path(scratch) / tag,
                    n_per_class=n_per_class,
                    classes=classes,
                    seed=seed + offset,
                    **options,
                )
                for _, tag, offset in modes
            ]
            rows = []
            for index, row in enumerate(cohorts[0].labels.to_dict("records")):
                sample = sample_id(row["file"])
                for (polarity, tag, _), cohort in zip(modes, cohorts, strict=True):
                    name = f"{sample}_{tag}.mzML"
                    shutil.move(cohort.files[index], runs / name)
                    rows.append(
                        {
                            "file": name,
                            "label": row["label"],
                            "sample": sample,
                            "polarity": polarity,
                            "batch": row["batch"],
                        }
                    )
        grid = cohorts[0].binning  # both modes share RT and m/z ranges
        binning = dataclasses.replace(
            grid,
            n_rt=n_rt,
            n_mz=n_mz,
            rt_step=grid.rt_step * grid.n_rt / n_rt,
            mz_step=grid.mz_step * grid.n_mz / n_mz,
        )
        labels = pd.DataFrame(rows)
        files = [runs / f for f in labels["file"]]
        result = convert_files(files, binning, use_cache=False, workers=1, progress=False)
        if result.failures:
            raise DataError(f"converting the generated runs failed: {result.failures[0][1]}")
        for path, matrix in result.matrices.items():
            matrix.save(matrices / f"{Path(path).name}.npz")
        labels.to_csv(tmp / "labels.csv", index=False)
        labels.to_csv(matrices / "labels.csv", index=False)
    planted = pd.concat(
        [c.planted.assign(polarity=m[0]) for m, c in zip(modes, cohorts, strict=True)],
        ignore_index=True,
    )
    root = Path(out_dir)
    return DualPolarityCohort(root, labels, planted, binning)
