"""LC-MS intensity matrices stored as ``.npy`` arrays (DeepMSProfiler's format), and augmentations.

DeepMSProfiler keeps one array per run, ``(RT, m/z, 3)`` ``float32`` raw intensities whose
three channels are identical copies, and a table mapping file names to classes. Its code
paired labels with files by directory order; :func:`load_lcms_arrays` joins them **by
name** and refuses any mismatch, listing the IDs:

* a label whose file is missing, a file without a label, a file listed twice, arrays of
  different shapes, non-finite values or (by default) channels that are not identical are
  errors naming the file;
* arrays are read with ``np.load(..., allow_pickle=False)``;
* one channel is kept: ``x`` is ``(N, 1, RT, m/z)`` ``float32`` raw intensities (the
  ``lcms_densenet`` model transforms them itself); ``y`` the class codes.

Augmentations for training are composable, seeded callables on ``(batch, C, RT, m/z)``
tensors: :class:`RTShift` (shift along RT with zero fill: retention-time drift),
:class:`IntensityJitter` (log-normal gain per sample, m/z column or cell: ionisation
variability) and :class:`RandomErasing` (zero a random rectangle). :class:`AugmentedDataset`
applies them to every training batch while keeping the fast batching of
:class:`~omicsnet.data.datasets.ArrayDataset`.

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ["H01", "C01", "C02"]:
...     np.save(folder / f"{name}.npy", np.ones((40, 40, 3), "f4"))  # 3 identical channels
>>> table = "file,label\\nC01.npy,cancer\\nC02.npy,cancer\\nH01.npy,healthy\\n"
>>> _ = (folder / "labels.csv").write_text(table)
>>> arrays = load_lcms_arrays(folder)
>>> arrays.x.shape, arrays.class_names, arrays.sample_ids
((3, 1, 40, 40), ['cancer', 'healthy'], ['C01', 'C02', 'H01'])
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from omicsnet.data.datasets import ArrayDataset
from omicsnet.errors import ConfigError, DataError, DataNotFoundError

logger = logging.getLogger(__name__)

DEEPMSPROFILER_FOLDER = "lcms/deepmsprofiler"
"""The DeepMSProfiler example arrays, relative to the data directory."""

_SHOWN = 10  # IDs listed in an error message


def _id_list(ids: Sequence[str]) -> str:
    ids = sorted(ids)
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return ", ".join(ids[:_SHOWN]) + more


SAMPLE_SUFFIXES = (".npy", ".npz", ".gz", ".mzml", ".mzxml")
"""Suffixes (any case) stripped from file names to get sample IDs: see :func:`sample_id`."""

MATRIX_SUFFIXES = (".npy", ".npz")
RUN_SUFFIXES = (".mzml", ".mzxml", ".mzml.gz", ".mzxml.gz")


def sample_id(file_name: str) -> str:
    """The sample ID of a file name: the name without folders and without data suffixes.

    The suffixes ``.npy``, ``.npz``, ``.gz``, ``.mzML`` and ``.mzXML`` (any case) are
    stripped from the end, repeatedly. This is **the rule that joins labels to inputs**: a
    label table may list ``run``, ``run.mzML``, ``run.mzML.gz`` or ``run.npy``, and each
    matches the array ``run.npy``, the converted matrix ``run.mzML.npz`` (as
    ``omicsnet lcms convert`` names it) and the raw file ``run.mzML.gz``.

    Examples
    --------
    >>> sample_id("runs/C01.npy"), sample_id("C01")
    ('C01', 'C01')
    >>> sample_id("out/H01.mzML.npz"), sample_id("H01.mzXML.gz"), sample_id("H01.MZML")
    ('H01', 'H01', 'H01')
    >>> sample_id("run.v2.mzML")   # other dots are part of the ID
    'run.v2'
    """
    name = Path(str(file_name).strip()).name
    stripped = True
    while stripped:
        stripped = False
        for suffix in SAMPLE_SUFFIXES:
            if name.lower().endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)]
                stripped = True
    return name


def input_kind(path: str | os.PathLike[str]) -> str | None:
    """``"npy"``, ``"npz"`` or ``"run"`` (mzML/mzXML, optionally gzipped) by file name, else None.

    Examples
    --------
    >>> input_kind("a.npy"), input_kind("a.mzML.npz"), input_kind("a.mzXML.gz"), input_kind("a.csv")
    ('npy', 'npz', 'run', None)
    """
    name = Path(path).name.lower()
    if name.endswith(".npy"):
        return "npy"
    if name.endswith(".npz"):
        return "npz"
    if name.endswith(RUN_SUFFIXES):
        return "run"
    return None


class LCMSArrays(ArrayDataset):
    """A labelled cohort of LC-MS matrices: an :class:`ArrayDataset` with class names and files.

    It trains and evaluates directly (``Trainer.fit(model, arrays)``).

    Parameters
    ----------
    x
        ``(N, 1, RT, m/z)`` float32 raw intensities.
    y
        ``(N,)`` integer class codes.
    sample_ids
        One ID per sample (the file stems).
    class_names
        Class of each code (``class_names[y[i]]``).
    files
        The array file of each sample.
    axes
        RT and m/z coordinates of the matrices' rows and columns (``{"rt": ..., "mz_edges":
        ...}``, as converted matrices record them), or ``None`` when unknown (``.npy``
        arrays); RISE maps take their axes from it.
    binning
        The :class:`~omicsnet.ms.binning.BinningParams` (as a dict) the matrices were
        converted with, or ``None``.

    Examples
    --------
    >>> arrays = LCMSArrays(np.zeros((2, 1, 4, 4), "f4"), np.array([1, 0]), sample_ids=["a", "b"],
    ...                     class_names=["healthy", "cancer"], files=[Path("a.npy"), Path("b.npy")])
    >>> arrays.labels.tolist(), arrays.x.shape
    (['cancer', 'healthy'], (2, 1, 4, 4))
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        sample_ids: Sequence[str],
        class_names: Sequence[str],
        files: Sequence[Path],
        axes: dict[str, np.ndarray] | None = None,
        binning: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(x, y, sample_ids=sample_ids, target_dtype=torch.int64)
        self.class_names = [str(c) for c in class_names]
        self.files = [Path(f) for f in files]
        self.axes = axes
        self.binning = binning
        if len(self.files) != len(self):
            raise DataError(f"{len(self.files)} files for {len(self)} samples")
        codes = self.tensors["y"]
        if len(codes) and (int(codes.min()) < 0 or int(codes.max()) >= len(self.class_names)):
            raise DataError(f"class codes must lie in [0, {len(self.class_names)})")

    @property
    def x(self) -> np.ndarray:
        """Inputs ``(N, 1, RT, m/z)`` as a NumPy array (shares memory with the tensor)."""
        return self.tensors["x"].numpy()

    @property
    def y(self) -> np.ndarray:
        """Class codes ``(N,)``."""
        return self.tensors["y"].numpy()

    @property
    def labels(self) -> pd.Series:
        """Class name of each sample, indexed by sample ID."""
        return pd.Series(
            [self.class_names[c] for c in self.y.tolist()],
            index=pd.Index(self.sample_ids, name="sample"),
            name="label",
        )

    def subset(self, indices: Sequence[int] | np.ndarray | Tensor) -> LCMSArrays:
        """The samples at ``indices`` (class names and files kept).

        Examples
        --------
        >>> arrays = LCMSArrays(np.zeros((3, 1, 4, 4), "f4"), np.array([0, 1, 1]),
        ...                     sample_ids=["a", "b", "c"], class_names=["x", "y"],
        ...                     files=[Path(f"{s}.npy") for s in "abc"])
        >>> part = arrays.subset([2])
        >>> part.sample_ids, part.files[0].name, part.class_names
        (['c'], 'c.npy', ['x', 'y'])
        """
        idx = np.asarray(indices, dtype=np.int64).ravel()
        part = super().subset(idx)
        return LCMSArrays(
            part.tensors["x"],
            part.tensors["y"],
            sample_ids=part.sample_ids,
            class_names=self.class_names,
            files=[self.files[i] for i in idx.tolist()],
            axes=self.axes,
            binning=self.binning,
        )

    def __repr__(self) -> str:
        shape = tuple(self.tensors["x"].shape)
        return f"LCMSArrays(x={shape}, classes={self.class_names})"


def read_labels(
    path: str | os.PathLike[str], *, file_column: str = "file", label_column: str = "label"
) -> pd.Series:
    """Read a label table (CSV or TSV) into a Series: sample ID → class name.

    File names may carry a ``.npy`` suffix or not; a sample listed twice is an error.

    Parameters
    ----------
    path
        The table (``.csv``; ``.tsv``/``.txt`` are read tab-separated).
    file_column, label_column
        Column names of the file names and the classes.

    Raises
    ------
    DataNotFoundError
        The table does not exist.
    DataError
        Missing columns, empty labels or repeated samples (all named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = p.write_text("file,label\\nC01.npy,cancer\\nH01,healthy\\n")
    >>> read_labels(p).to_dict()
    {'C01': 'cancer', 'H01': 'healthy'}
    """
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"label table {file} not found")
    sep = "\t" if file.suffix.lower() in (".tsv", ".txt") else ","
    try:
        table = pd.read_csv(file, sep=sep, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read label table {file}: {err}") from err
    missing = [c for c in (file_column, label_column) if c not in table.columns]
    if missing:
        raise DataError(
            f"{file}: columns {missing} not found (columns: {', '.join(map(str, table.columns))})"
        )
    ids = [sample_id(f) for f in table[file_column]]
    labels = [str(v).strip() for v in table[label_column]]
    empty = [i for i, lab in zip(ids, labels, strict=True) if not i or not lab]
    if empty:
        raise DataError(f"{file}: empty file name or label for samples: {_id_list(empty)}")
    series = pd.Series(labels, index=pd.Index(ids, name="sample"), name="label")
    repeated = series.index[series.index.duplicated()].unique().tolist()
    if repeated:
        raise DataError(f"{file}: samples listed more than once: {_id_list(repeated)}")
    return series


def _as_matrix(array: np.ndarray, file: Path, channel: int | None) -> np.ndarray:
    if array.ndim == 2:
        return array
    if array.ndim != 3:
        raise DataError(
            f"{file}: expected an (RT, m/z) or (RT, m/z, channels) array, got shape {array.shape}"
        )
    n_channels = array.shape[-1]
    if channel is not None:
        if not -n_channels <= channel < n_channels:
            raise ConfigError(f"{file}: channel {channel} requested but the array has {n_channels}")
        return array[..., channel]
    first = array[..., 0]
    for c in range(1, n_channels):
        if not np.array_equal(first, array[..., c]):
            raise DataError(
                f"{file}: channel {c} differs from channel 0; pass channel=N to choose one "
                "(DeepMSProfiler's channels are identical copies)"
            )
    return first


@dataclass
class LCMSInputs:
    """Unlabelled LC-MS matrices read by :func:`read_lcms_inputs`, sorted by sample ID.

    Attributes
    ----------
    sample_ids
        One ID per sample (see :func:`sample_id`).
    x
        ``(N, 1, RT, m/z)`` ``float32`` intensities.
    files
        The file each sample came from.
    kind
        ``"npy"`` (bare arrays), ``"npz"`` (converted matrices) or ``"run"`` (mzML/mzXML
        files converted on the fly).
    axes
        ``{"rt": ..., "mz_edges": ...}`` of converted matrices, ``None`` for ``.npy`` arrays.
    binning
        The binning parameters (dict) of converted matrices, ``None`` for ``.npy`` arrays.
    """

    sample_ids: list[str]
    x: np.ndarray
    files: list[Path]
    kind: str
    axes: dict[str, np.ndarray] | None = None
    binning: dict[str, Any] | None = None


def _list_inputs(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> tuple[list[Path], str]:
    """Files named by ``inputs`` (a folder, a file or several) and a description for errors."""
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if not items:
        raise DataNotFoundError("no LC-MS inputs given")
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and input_kind(p))
            if not found:
                raise DataNotFoundError(
                    f"no .npy arrays, .npz matrices or mzML/mzXML files in {path}"
                )
            files.extend(found)
        elif path.is_file():
            if input_kind(path) is None:
                raise DataError(
                    f"{path}: not an LC-MS input (expected .npy, .npz, .mzML, .mzXML, "
                    "optionally .gz)"
                )
            files.append(path)
        else:
            raise DataNotFoundError(f"LC-MS input {path} not found")
    where = str(Path(items[0])) if len(items) == 1 else f"{len(items)} inputs"
    return files, where


def read_lcms_inputs(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    channel: int | None = None,
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    workers: int = 2,
    progress: bool = False,
) -> LCMSInputs:
    """Read LC-MS matrices from a folder or files: ``.npy`` arrays, ``.npz`` matrices or mzML.

    All inputs must be of one kind:

    * ``.npy``: ``(RT, m/z)`` or ``(RT, m/z, channels)`` arrays (DeepMSProfiler's format),
      read with ``allow_pickle=False``; no axes.
    * ``.npz``: :class:`~omicsnet.ms.binning.LCMSMatrix` files written by
      ``omicsnet lcms convert``; they must share one RT/m/z grid and one set of binning
      parameters, which become :attr:`LCMSInputs.axes` and :attr:`LCMSInputs.binning`.
    * mzML/mzXML (optionally ``.gz``): converted with
      :func:`~omicsnet.ms.binning.convert_files` under ``binning`` (default: the
      DeepMSProfiler preset), through the conversion cache; any failed file is an error
      listing every failure.

    Parameters
    ----------
    inputs
        A folder (its files with those suffixes), one file, or a list of files/folders.
    channel
        ``.npy`` only: channel to keep; ``None`` requires identical channels.
    binning
        mzML only: :class:`~omicsnet.ms.binning.BinningParams`, a preset name or a
        mapping.
    cache_dir, use_cache, workers, progress
        mzML only: passed to :func:`~omicsnet.ms.binning.convert_files`.

    Raises
    ------
    DataNotFoundError
        Missing inputs, or a folder without any.
    DataError
        Mixed kinds, two files with one sample ID, unreadable files, different shapes or
        grids, non-finite values, failed conversions (all named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.ms.binning import _demo_matrix
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["b.mzML.npz", "a.mzML.npz"]:
    ...     _ = _demo_matrix().save(folder / name)
    >>> inputs = read_lcms_inputs(folder)
    >>> inputs.sample_ids, inputs.x.shape, inputs.kind, inputs.axes["mz_edges"].tolist()
    (['a', 'b'], (2, 1, 2, 3), 'npz', [50.0, 51.0, 52.0, 53.0])
    """
    files, where = _list_inputs(inputs)
    kinds = sorted({str(input_kind(f)) for f in files})
    if len(kinds) > 1:
        examples = ", ".join(next(f.name for f in files if input_kind(f) == kind) for kind in kinds)
        raise DataError(
            f"{where} mixes input kinds ({', '.join(kinds)}: e.g. {examples}); "
            "pass one kind (e.g. only the converted .npz matrices)"
        )
    by_id: dict[str, Path] = {}
    for file in files:
        sid = sample_id(file.name)
        if sid in by_id and by_id[sid] != file:
            raise DataError(
                f"{by_id[sid]} and {file} both give sample ID {sid!r}; rename one "
                f"(suffixes {', '.join(SAMPLE_SUFFIXES)} are ignored when joining labels)"
            )
        by_id[sid] = file
    ids = sorted(by_id)
    kind = kinds[0]
    axes: dict[str, np.ndarray] | None = None
    params: dict[str, Any] | None = None
    if kind == "npy":
        matrices = [_read_npy(by_id[sid], channel) for sid in ids]
    elif kind == "npz":
        matrices, axes, params = _read_npz([by_id[sid] for sid in ids])
    else:
        matrices, axes, params = _convert_runs(
            [by_id[sid] for sid in ids], binning, cache_dir, use_cache, workers, progress
        )
    shape = matrices[0].shape
    for sid, matrix in zip(ids, matrices, strict=True):
        if matrix.shape != shape:
            raise DataError(
                f"{by_id[sid]}: matrix shape {matrix.shape} differs from {shape} "
                f"({by_id[ids[0]].name})"
            )
        if not np.isfinite(matrix).all():
            raise DataError(
                f"{by_id[sid]}: {int((~np.isfinite(matrix)).sum())} NaN/infinite values"
            )
        if not np.any(matrix):
            logger.warning(
                "%s: the matrix is all zero (no signal in the RT x m/z range): whatever a model "
                "predicts for it means nothing",
                by_id[sid],
            )
    x = np.stack([np.asarray(m, dtype=np.float32) for m in matrices])[:, None]
    return LCMSInputs(ids, x, [by_id[sid] for sid in ids], kind, axes, params)


def _read_npy(file: Path, channel: int | None) -> np.ndarray:
    try:
        array = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise DataError(f"cannot read array {file}: {err}") from err
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.number):
        raise DataError(f"{file} does not hold a numeric array")
    return _as_matrix(array, file, channel)


def _grid_check(
    file: Path, rt: np.ndarray, edges: np.ndarray, params: dict[str, Any], first: Any
) -> None:
    ref_file, ref_rt, ref_edges, ref_params = first
    same_grid = (
        rt.shape == ref_rt.shape
        and edges.shape == ref_edges.shape
        and np.allclose(rt, ref_rt, rtol=0, atol=1e-9)
        and np.allclose(edges, ref_edges, rtol=0, atol=1e-9)
    )
    if not same_grid or params != ref_params:
        changed = sorted(k for k in params if params.get(k) != ref_params.get(k))
        detail = f" (parameters differ: {', '.join(changed)})" if changed else ""
        raise DataError(
            f"{file} was binned on another RT/m/z grid than {ref_file.name}{detail}; "
            "convert every file with the same parameters"
        )


def _read_npz(files: list[Path]) -> tuple[list[np.ndarray], dict[str, np.ndarray], dict[str, Any]]:
    from omicsnet.ms.binning import LCMSMatrix

    loaded = [(file, LCMSMatrix.load(file)) for file in files]
    first_file, first = loaded[0]
    reference = (first_file, first.rt, first.mz_edges, first.params.to_dict())
    for file, matrix in loaded[1:]:
        _grid_check(file, matrix.rt, matrix.mz_edges, matrix.params.to_dict(), reference)
    axes = {"rt": first.rt, "mz_edges": first.mz_edges}
    return [matrix.values for _, matrix in loaded], axes, first.params.to_dict()


def _convert_runs(
    files: list[Path],
    binning: Any,
    cache_dir: str | os.PathLike[str] | None,
    use_cache: bool,
    workers: int,
    progress: bool,
) -> tuple[list[np.ndarray], dict[str, np.ndarray], dict[str, Any]]:
    from omicsnet.ms.binning import convert_files

    result = convert_files(
        files,
        binning,
        cache_dir=cache_dir,
        use_cache=use_cache,
        workers=workers,
        progress=progress,
    )
    if result.failures:
        reasons = "; ".join(reason for _, reason in result.failures[:_SHOWN])
        more = f" and {result.n_failed - _SHOWN} more" if result.n_failed > _SHOWN else ""
        raise DataError(
            f"{result.n_failed} of {len(files)} file(s) failed to convert: {reasons}{more}"
        )
    matrices = [result.matrices[os.fspath(f)] for f in files]
    params = result.params
    return (
        [m.values for m in matrices],
        {"rt": matrices[0].rt, "mz_edges": matrices[0].mz_edges},
        params.to_dict(),
    )


def _label_path(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    labels: str | os.PathLike[str],
) -> Path:
    """A relative label path is looked for inside a folder input first, then as given."""
    path = Path(labels)
    if path.is_absolute() or not isinstance(inputs, (str, os.PathLike)):
        return path
    root = Path(inputs)
    if root.is_dir() and ((root / path).is_file() or not path.is_file()):
        return root / path
    return path


def load_lcms_arrays(
    folder: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    labels: str | os.PathLike[str] = "labels.csv",
    *,
    file_column: str = "file",
    label_column: str = "label",
    classes: Sequence[str] | None = None,
    channel: int | None = None,
    binning: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
    workers: int = 2,
    progress: bool = False,
) -> LCMSArrays:
    """Load labelled LC-MS matrices (``.npy``, converted ``.npz`` or mzML) joined by name.

    Labels are joined to inputs by sample ID (:func:`sample_id`: the file name without
    ``.npy``/``.npz``/``.gz``/``.mzML``/``.mzXML``), never by directory order; so
    ``run.mzML.npz`` matches a label row ``run``, ``run.mzML`` or ``run.mzML.gz``.

    Parameters
    ----------
    folder
        A folder of inputs, or a list of files (see :func:`read_lcms_inputs`).
    labels
        Label table (see :func:`read_labels`); a relative path is looked for inside
        ``folder`` first, then relative to the working directory.
    file_column, label_column
        Its columns.
    classes
        Class order (codes ``0..C-1``); default: the sorted class names. Labels outside
        it are an error.
    channel
        ``.npy`` only: channel to keep; ``None`` requires all channels to be identical.
    binning, cache_dir, use_cache, workers, progress
        mzML inputs only: conversion settings (see :func:`read_lcms_inputs`).

    Returns
    -------
    LCMSArrays
        Samples sorted by ID (never by directory order), with the matrices' RT/m/z axes
        and binning parameters when the inputs were converted matrices or mzML files.

    Raises
    ------
    DataNotFoundError
        Folder or label table missing, or no input file.
    DataError
        Labels without files or files without labels (every ID listed), unreadable
        or pickled arrays, shape or grid mismatches, non-finite values, differing channels.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["A1", "B1", "B2"]:
    ...     np.save(folder / f"{name}.npy", np.ones((32, 32), "f4"))
    >>> _ = (folder / "labels.csv").write_text("file,label\\nA1.npy,a\\nB1.npy,b\\nB9.npy,b\\n")
    >>> load_lcms_arrays(folder)
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: labels and array files do not match in ...
    """
    label_path = _label_path(folder, labels)
    if isinstance(folder, (str, os.PathLike)) and not Path(folder).exists():
        raise DataNotFoundError(f"array folder {folder} not found")
    table = read_labels(label_path, file_column=file_column, label_column=label_column)
    inputs = read_lcms_inputs(
        folder,
        channel=channel,
        binning=binning,
        cache_dir=cache_dir,
        use_cache=use_cache,
        workers=workers,
        progress=progress,
    )
    where = str(folder) if isinstance(folder, (str, os.PathLike)) else "the inputs"
    no_file = sorted(set(table.index) - set(inputs.sample_ids))
    no_label = sorted(set(inputs.sample_ids) - set(table.index))
    if no_file or no_label:
        parts = []
        if no_file:
            parts.append(f"{len(no_file)} labelled sample(s) without a file: {_id_list(no_file)}")
        if no_label:
            parts.append(f"{len(no_label)} file(s) without a label: {_id_list(no_label)}")
        raise DataError(
            f"labels and array files do not match in {where} ({label_path.name}): "
            + "; ".join(parts)
        )
    names = sorted(set(table)) if classes is None else [str(c) for c in classes]
    if len(set(names)) != len(names):
        raise ConfigError(f"classes repeat a name: {names}")
    unknown = sorted(set(table) - set(names))
    if unknown:
        bad = [s for s, lab in table.items() if lab in unknown]
        raise DataError(
            f"{label_path}: labels {unknown} are not among classes {names} "
            f"(samples: {_id_list(bad)})"
        )
    codes = {name: i for i, name in enumerate(names)}
    y = np.array([codes[table[sid]] for sid in inputs.sample_ids], dtype=np.int64)
    logger.info(
        "loaded %d LC-MS matrices %s from %s (%s)",
        len(y),
        inputs.x.shape[1:],
        where,
        ", ".join(names),
    )
    return LCMSArrays(
        inputs.x,
        y,
        sample_ids=inputs.sample_ids,
        class_names=names,
        files=inputs.files,
        axes=inputs.axes,
        binning=inputs.binning,
    )


def load_deepmsprofiler_arrays(data_dir: str | os.PathLike[str] | None = None) -> LCMSArrays:
    """The 18 DeepMSProfiler example serum runs (C = adenocarcinoma, H = healthy, N = nodule).

    Parameters
    ----------
    data_dir
        Data directory holding ``lcms/deepmsprofiler/`` (default: ``OMICSNET_DATA``).

    Examples
    --------
    >>> arrays = load_deepmsprofiler_arrays("../shared/data")  # doctest: +SKIP
    >>> arrays.x.shape, arrays.class_names  # doctest: +SKIP
    ((18, 1, 341, 341), ['cancer', 'healthy', 'nodule'])
    """
    from omicsnet.utils.paths import resolve_data_file

    return load_lcms_arrays(resolve_data_file(DEEPMSPROFILER_FOLDER, data_dir))


# ---------------------------------------------------------------------- augmentations
Transform = Callable[..., Tensor]


def _as_batch(x: Tensor) -> tuple[Tensor, int]:
    if x.ndim < 2:
        raise DataError(f"augmentations need (..., RT, m/z) tensors, got shape {tuple(x.shape)}")
    ndim = x.ndim
    while x.ndim < 4:
        x = x.unsqueeze(0)
    return x, ndim


def _restore(x: Tensor, ndim: int) -> Tensor:
    while x.ndim > ndim:
        x = x.squeeze(0)
    return x


def _uniform(n: int, generator: torch.Generator | None) -> Tensor:
    return torch.rand(n, generator=generator)


class RTShift:
    """Shift each sample along the RT axis (rows) by a random whole number of rows, zero fill.

    Parameters
    ----------
    max_shift
        Largest shift in rows; each sample gets an integer in ``[-max_shift, max_shift]``.
    p
        Probability that a sample is shifted.

    Examples
    --------
    >>> x = torch.arange(1.0, 6.0).view(1, 1, 5, 1)
    >>> RTShift(2)(x, generator=torch.Generator().manual_seed(0)).view(-1).tolist()
    [0.0, 0.0, 1.0, 2.0, 3.0]
    """

    def __init__(self, max_shift: int, p: float = 1.0) -> None:
        if int(max_shift) < 0:
            raise ConfigError(f"RTShift max_shift must be >= 0, got {max_shift}")
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"RTShift p must be in [0, 1], got {p}")
        self.max_shift, self.p = int(max_shift), float(p)

    def __call__(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        batch, ndim = _as_batch(x)
        n = len(batch)
        shifts = torch.randint(-self.max_shift, self.max_shift + 1, (n,), generator=generator)
        apply = _uniform(n, generator) < self.p
        out = batch.clone()
        rows = batch.shape[-2]
        for i, (shift, on) in enumerate(zip(shifts.tolist(), apply.tolist(), strict=True)):
            if not on or shift == 0:
                continue
            out[i].zero_()
            if abs(shift) >= rows:
                continue
            if shift > 0:
                out[i, :, shift:] = batch[i, :, :-shift]
            else:
                out[i, :, :shift] = batch[i, :, -shift:]
        return _restore(out, ndim)

    def __repr__(self) -> str:
        return f"RTShift(max_shift={self.max_shift}, p={self.p})"


class IntensityJitter:
    """Multiply intensities by log-normal gains ``exp(sigma * N(0, 1))``.

    Parameters
    ----------
    sigma
        Standard deviation of the log gain (0.1 ≈ ±10 %).
    per
        ``"mz"``: one gain per sample and m/z column (ion-specific response, the default;
        survives the model's per-sample max scaling), ``"sample"``: one per sample,
        ``"cell"``: one per matrix cell.
    p
        Probability that a sample is jittered.

    Examples
    --------
    >>> x = torch.ones(2, 1, 3, 4)
    >>> out = IntensityJitter(0.1)(x, generator=torch.Generator().manual_seed(0))
    >>> bool((out[:, :, 0] == out[:, :, 2]).all())   # the same gain down each m/z column
    True
    >>> bool((out != 1).any())
    True
    """

    PER = ("mz", "sample", "cell")

    def __init__(self, sigma: float = 0.1, per: str = "mz", p: float = 1.0) -> None:
        if sigma < 0:
            raise ConfigError(f"IntensityJitter sigma must be >= 0, got {sigma}")
        if per not in self.PER:
            raise ConfigError(f"IntensityJitter per must be one of {self.PER}, got {per!r}")
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"IntensityJitter p must be in [0, 1], got {p}")
        self.sigma, self.per, self.p = float(sigma), per, float(p)

    def __call__(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        batch, ndim = _as_batch(x)
        n, _, rows, cols = batch.shape
        shape = {"mz": (n, 1, 1, cols), "sample": (n, 1, 1, 1), "cell": (n, 1, rows, cols)}[
            self.per
        ]
        gains = torch.exp(self.sigma * torch.randn(shape, generator=generator))
        apply = (_uniform(n, generator) < self.p).view(n, 1, 1, 1)
        gains = torch.where(apply, gains, torch.ones(()))
        return _restore(batch * gains.to(batch.device, batch.dtype), ndim)

    def __repr__(self) -> str:
        return f"IntensityJitter(sigma={self.sigma}, per={self.per!r}, p={self.p})"


class RandomErasing:
    """Set a random rectangle of each sample to ``value`` (Zhong et al. 2020).

    Parameters
    ----------
    p
        Probability that a sample gets a rectangle.
    area
        Range of the rectangle's area as a fraction of the matrix.
    aspect
        Range of its height/width ratio (drawn log-uniformly).
    value
        Fill value (0: no signal).

    Examples
    --------
    >>> x = torch.ones(4, 1, 20, 20)
    >>> out = RandomErasing(p=1.0, area=(0.1, 0.1))(x, generator=torch.Generator().manual_seed(0))
    >>> [round(float((o == 0).float().mean()), 2) for o in out]  # ~10 %, whole cells
    [0.1, 0.1, 0.1, 0.09]
    """

    def __init__(
        self,
        p: float = 0.5,
        area: tuple[float, float] = (0.02, 0.1),
        aspect: tuple[float, float] = (0.3, 3.3),
        value: float = 0.0,
    ) -> None:
        if not 0.0 <= p <= 1.0:
            raise ConfigError(f"RandomErasing p must be in [0, 1], got {p}")
        if not 0.0 < area[0] <= area[1] <= 1.0:
            raise ConfigError(f"RandomErasing area must satisfy 0 < low <= high <= 1, got {area}")
        if not 0.0 < aspect[0] <= aspect[1]:
            raise ConfigError(f"RandomErasing aspect must satisfy 0 < low <= high, got {aspect}")
        self.p, self.area, self.aspect, self.value = (
            float(p),
            tuple(area),
            tuple(aspect),
            float(value),
        )

    def __call__(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        batch, ndim = _as_batch(x)
        n, _, rows, cols = batch.shape
        draws = torch.rand(n, 5, generator=generator).tolist()
        out = batch.clone()
        log_lo, log_hi = math.log(self.aspect[0]), math.log(self.aspect[1])
        for i, (u_apply, u_area, u_aspect, u_row, u_col) in enumerate(draws):
            if u_apply >= self.p:
                continue
            target = (self.area[0] + u_area * (self.area[1] - self.area[0])) * rows * cols
            ratio = math.exp(log_lo + u_aspect * (log_hi - log_lo))
            height = min(rows, max(1, round(math.sqrt(target * ratio))))
            width = min(cols, max(1, round(target / height)))
            top = int(u_row * (rows - height + 1))
            left = int(u_col * (cols - width + 1))
            out[i, :, top : top + height, left : left + width] = self.value
        return _restore(out, ndim)

    def __repr__(self) -> str:
        return (
            f"RandomErasing(p={self.p}, area={self.area}, aspect={self.aspect}, value={self.value})"
        )


class Compose:
    """Apply augmentations in order, passing the same generator to each.

    Examples
    --------
    >>> aug = Compose([RTShift(3), IntensityJitter(0.2), RandomErasing(p=0.5)])
    >>> x = torch.rand(2, 1, 16, 16)
    >>> a = aug(x, generator=torch.Generator().manual_seed(7))
    >>> b = aug(x, generator=torch.Generator().manual_seed(7))
    >>> a.shape, torch.equal(a, b)
    (torch.Size([2, 1, 16, 16]), True)
    """

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise ConfigError(f"augmentation {t!r} is not callable")

    def __call__(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        for transform in self.transforms:
            x = transform(x, generator=generator)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"


def default_augmentation(max_shift: int = 5, sigma: float = 0.1, erase_p: float = 0.3) -> Compose:
    """RT shift, m/z-wise intensity jitter and random erasing, with mild defaults.

    Examples
    --------
    >>> default_augmentation(max_shift=8).transforms[0]
    RTShift(max_shift=8, p=1.0)
    >>> [type(t).__name__ for t in default_augmentation().transforms]
    ['RTShift', 'IntensityJitter', 'RandomErasing']
    """
    return Compose([RTShift(max_shift), IntensityJitter(sigma), RandomErasing(p=erase_p)])


class AugmentedDataset(ArrayDataset):
    """An :class:`ArrayDataset` whose batches (and samples) pass through an augmentation.

    Use it for training data only. It shares the base dataset's tensors (no copy), keeps
    the trainer's fast batched path, and augments ``x`` fresh at every batch.

    Parameters
    ----------
    base
        The dataset to augment.
    transform
        A callable ``(x, generator=...) -> x`` such as :class:`Compose`.
    seed
        ``None`` (default): draw from torch's global generator, which the
        :class:`~omicsnet.train.trainer.Trainer` seeds and saves in its checkpoints, so a
        run is reproducible from the trainer's seed and resumes exactly. An integer: use
        a private generator with that seed (reproducible, independent of the global RNG).

    Examples
    --------
    >>> base = ArrayDataset(torch.rand(6, 1, 16, 16), torch.tensor([0, 1, 0, 1, 0, 1]))
    >>> data = AugmentedDataset(base, RTShift(2), seed=0)
    >>> data.batch(torch.tensor([0, 1]))["x"].shape, len(data)
    (torch.Size([2, 1, 16, 16]), 6)
    """

    def __init__(
        self, base: ArrayDataset, transform: Transform, *, seed: int | None = None
    ) -> None:
        if not isinstance(base, ArrayDataset):
            raise ConfigError(f"AugmentedDataset needs an ArrayDataset, got {type(base).__name__}")
        if not callable(transform):
            raise ConfigError(f"augmentation {transform!r} is not callable")
        self.base = base
        self.tensors = base.tensors
        self.sample_ids = list(base.sample_ids)
        self.feature_names = list(base.feature_names)
        self.target_names = list(base.target_names)
        self.transform = transform
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed) if seed is not None else None

    def _augment(self, sample: dict[str, Tensor]) -> dict[str, Tensor]:
        sample = dict(sample)
        sample["x"] = self.transform(sample["x"], generator=self.generator)
        return sample

    def batch(self, indices: Tensor) -> dict[str, Tensor]:
        """The samples at ``indices``, augmented."""
        return self._augment(super().batch(indices))

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        return self._augment(super().__getitem__(index))

    def subset(self, indices: Sequence[int] | np.ndarray | Tensor) -> AugmentedDataset:
        """The samples at ``indices``, with the same augmentation.

        Examples
        --------
        >>> base = ArrayDataset(torch.rand(4, 1, 8, 8), torch.tensor([0, 1, 0, 1]))
        >>> type(AugmentedDataset(base, RTShift(1)).subset([0, 2])).__name__
        'AugmentedDataset'
        """
        return AugmentedDataset(self.base.subset(indices), self.transform, seed=self.seed)

    def __repr__(self) -> str:
        return f"AugmentedDataset({self.base!r}, {self.transform!r})"


__all__ = [
    "DEEPMSPROFILER_FOLDER",
    "AugmentedDataset",
    "Compose",
    "IntensityJitter",
    "LCMSArrays",
    "LCMSInputs",
    "RTShift",
    "RandomErasing",
    "default_augmentation",
    "input_kind",
    "load_deepmsprofiler_arrays",
    "load_lcms_arrays",
    "read_labels",
    "read_lcms_inputs",
    "sample_id",
]
