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


def sample_id(file_name: str) -> str:
    """The sample ID of a file name: its name without folder and ``.npy`` suffix.

    Examples
    --------
    >>> sample_id("runs/C01.npy"), sample_id("C01")
    ('C01', 'C01')
    """
    name = Path(str(file_name).strip()).name
    return name[: -len(".npy")] if name.lower().endswith(".npy") else name


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
    ) -> None:
        super().__init__(x, y, sample_ids=sample_ids, target_dtype=torch.int64)
        self.class_names = [str(c) for c in class_names]
        self.files = [Path(f) for f in files]
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


def load_lcms_arrays(
    folder: str | os.PathLike[str],
    labels: str | os.PathLike[str] = "labels.csv",
    *,
    file_column: str = "file",
    label_column: str = "label",
    classes: Sequence[str] | None = None,
    channel: int | None = None,
) -> LCMSArrays:
    """Load a folder of ``.npy`` LC-MS matrices and join their labels by file name.

    Parameters
    ----------
    folder
        Folder holding ``<sample>.npy`` files (``(RT, m/z)`` or ``(RT, m/z, channels)``).
    labels
        Label table (see :func:`read_labels`); a relative path is taken inside ``folder``.
    file_column, label_column
        Its columns.
    classes
        Class order (codes ``0..C-1``); default: the sorted class names. Labels outside
        it are an error.
    channel
        Channel to keep; ``None`` requires all channels to be identical and keeps one.

    Returns
    -------
    LCMSArrays
        Samples sorted by ID (never by directory order).

    Raises
    ------
    DataNotFoundError
        Folder or label table missing, or no ``.npy`` file.
    DataError
        Labels without files or files without labels (every ID listed), unreadable
        or pickled arrays, shape mismatches, non-finite values, differing channels.

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
    root = Path(folder)
    if not root.is_dir():
        raise DataNotFoundError(f"array folder {root} not found")
    label_path = Path(labels)
    if not label_path.is_absolute():
        label_path = root / label_path
    table = read_labels(label_path, file_column=file_column, label_column=label_column)
    files = {
        sample_id(p.name): p for p in root.iterdir() if p.suffix.lower() == ".npy" and p.is_file()
    }
    if not files:
        raise DataNotFoundError(f"no .npy arrays in {root}")
    no_file = sorted(set(table.index) - set(files))
    no_label = sorted(set(files) - set(table.index))
    if no_file or no_label:
        parts = []
        if no_file:
            parts.append(f"{len(no_file)} labelled sample(s) without a file: {_id_list(no_file)}")
        if no_label:
            parts.append(f"{len(no_label)} file(s) without a label: {_id_list(no_label)}")
        raise DataError(
            f"labels and array files do not match in {root} ({label_path.name}): "
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
    ids = sorted(files)
    matrices = []
    shape: tuple[int, ...] | None = None
    for sid in ids:
        file = files[sid]
        try:
            array = np.load(file, allow_pickle=False)
        except (OSError, ValueError, EOFError) as err:
            raise DataError(f"cannot read array {file}: {err}") from err
        if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.number):
            raise DataError(f"{file} does not hold a numeric array")
        matrix = _as_matrix(array, file, channel)
        if shape is None:
            shape = matrix.shape
        elif matrix.shape != shape:
            raise DataError(
                f"{file}: matrix shape {matrix.shape} differs from {shape} ({files[ids[0]].name})"
            )
        if not np.isfinite(matrix).all():
            raise DataError(f"{file}: {int((~np.isfinite(matrix)).sum())} NaN/infinite values")
        matrices.append(np.asarray(matrix, dtype=np.float32))
    x = np.stack(matrices)[:, None]
    codes = {name: i for i, name in enumerate(names)}
    y = np.array([codes[table[sid]] for sid in ids], dtype=np.int64)
    logger.info(
        "loaded %d LC-MS arrays %s from %s (%s)", len(ids), x.shape[1:], root, ", ".join(names)
    )
    return LCMSArrays(x, y, sample_ids=ids, class_names=names, files=[files[s] for s in ids])


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
    from omicsnet.data.paths import resolve_data_file

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
    "RTShift",
    "RandomErasing",
    "default_augmentation",
    "load_deepmsprofiler_arrays",
    "load_lcms_arrays",
    "read_labels",
    "sample_id",
]
