"""Saliency maps over RT x m/z matrices: containers, top-region tables and plots.

Nothing here knows how a map was made. RISE (:mod:`omicsnet.explain.rise`) writes these
containers today and class-activation maps will write the same ones, so that both share
the tables, the plots and the comparisons:

* :class:`MapAxes` — the coordinates of the rows (retention time, minutes) and columns
  (m/z) of a map, taken from an :class:`~omicsnet.ms.binning.LCMSMatrix` (or any
  object or mapping with ``rt`` and ``mz``/``mz_edges``), else bin indices;
* :class:`SaliencyMap` — one map per class, ``(n_classes, n_rt, n_mz)``, for one sample or
  a class profile, with its axes, class names, method and parameters; saved and loaded
  as ``.npz``;
* :class:`SaliencyBatch` — maps of many samples plus the model's probabilities on the
  unperturbed inputs; :meth:`SaliencyBatch.class_profiles` averages each class's map over
  the correctly predicted samples of that class (DeepMSProfiler's class profiles);
* :func:`top_regions` — a table of the strongest regions of each class (RT range, m/z
  range, peak m/z, score) found as local maxima of the regions above a quantile;
* :func:`plot_maps` — heat maps with RT/m/z axes, one row per class and one column per map
  (e.g. RISE beside CAM for the same sample), with the top regions outlined;
  :func:`save_figure` writes any figure atomically;
* :func:`map_correlation` — per-class Pearson correlation of two maps (stability, method
  agreement).

Examples
--------
>>> import numpy as np
>>> values = np.zeros((2, 20, 30))
>>> values[1, 5:8, 10:14] = 1.0
>>> smap = SaliencyMap(values, classes=["healthy", "tumour"], method="example")
>>> table = top_regions(smap, k=1, classes=["tumour"])
>>> table[["class", "row_start", "row_end", "col_start", "col_end"]].to_dict("records")
[{'class': 'tumour', 'row_start': 5, 'row_end': 7, 'col_start': 10, 'col_end': 13}]
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError
from omicsnet.utils.io import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

MAP_FORMAT = "omicsnet.saliency"
MAP_FORMAT_VERSION = 1

RT_LABEL = "RT (min)"
MZ_LABEL = "m/z"
ROW_LABEL = "RT row"
COLUMN_LABEL = "m/z column"

REGION_COLUMNS = [
    "class",
    "rank",
    "score",
    "mean_score",
    "rt_start",
    "rt_end",
    "peak_rt",
    "mz_start",
    "mz_end",
    "peak_mz",
    "n_cells",
    "row",
    "col",
    "row_start",
    "row_end",
    "col_start",
    "col_end",
]


# ---------------------------------------------------------------------------- axes
@dataclass(frozen=True)
class MapAxes:
    """Coordinates of a map's rows (retention time) and columns (m/z).

    Attributes
    ----------
    rt
        One value per row: minutes when known, else the row index.
    mz
        One value per column: the m/z bin centre when known, else the column index.
    rt_label, mz_label
        Axis titles for plots (``"RT (min)"``/``"m/z"``, or ``"RT row"``/``"m/z column"``
        for bin indices).

    Examples
    --------
    >>> axes = MapAxes.resolve((2, 3))
    >>> axes.rt.tolist(), axes.mz.tolist(), axes.mz_label
    ([0.0, 1.0], [0.0, 1.0, 2.0], 'm/z column')
    """

    rt: np.ndarray
    mz: np.ndarray
    rt_label: str = ROW_LABEL
    mz_label: str = COLUMN_LABEL

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rt, n_mz)``.

        Examples
        --------
        >>> MapAxes.resolve((4, 5)).shape
        (4, 5)
        """
        return (len(self.rt), len(self.mz))

    @classmethod
    def resolve(cls, shape: Sequence[int], source: Any = None) -> MapAxes:
        """Axes for a map of ``shape`` ``(n_rt, n_mz)`` from whatever describes them.

        Parameters
        ----------
        shape
            ``(n_rt, n_mz)`` of the map (the model's input height and width).
        source
            ``None`` (bin indices); a :class:`MapAxes`; an object with ``rt`` and ``mz``
            or ``mz_edges`` attributes (an :class:`~omicsnet.ms.binning.LCMSMatrix`);
            a mapping with ``"rt"`` and ``"mz"``/``"mz_edges"`` keys; a matrix's
            ``metadata()`` or its binning parameters (``BinningParams`` or their dict:
            ``rt_start``, ``rt_step``, ``n_rt``, ``mz_start``, ``mz_step``, ``n_mz``; m/z are
            the bin centres); or a pair ``(rt, mz)``. When the source is finer than the map
            by a whole factor (the input was max-pooled, e.g. 1024 rows into 256),
            neighbouring coordinates are averaged in blocks.

        Raises
        ------
        ConfigError
            When the source's lengths do not match ``shape`` (nor divide into it).

        Examples
        --------
        >>> import numpy as np
        >>> axes = MapAxes.resolve((2, 2), {"rt": [0.5, 0.6, 0.7, 0.8], "mz": [50.5, 51.5]})
        >>> axes.rt.round(2).tolist(), axes.mz.tolist(), axes.rt_label
        ([0.55, 0.75], [50.5, 51.5], 'RT (min)')
        >>> grid = {"rt_start": 0.5, "rt_step": 0.016, "n_rt": 3,
        ...         "mz_start": 50.0, "mz_step": 1.0, "n_mz": 2}
        >>> MapAxes.resolve((3, 2), {"params": grid}).mz.tolist()  # a matrix's metadata()
        [50.5, 51.5]
        >>> MapAxes.resolve((3, 2), ([1.0, 2.0], [1.0, 2.0]))
        Traceback (most recent call last):
        ...
        omicsnet.errors.ConfigError: the map has 3 RT rows but its axes give 2 ...
        """
        n_rt, n_mz = int(shape[0]), int(shape[1])
        if source is None:
            return cls(np.arange(n_rt, dtype=float), np.arange(n_mz, dtype=float))
        if isinstance(source, MapAxes):
            rt, mz, labels = source.rt, source.mz, (source.rt_label, source.mz_label)
        else:
            rt, mz = _axes_arrays(source)
            labels = (RT_LABEL, MZ_LABEL)
        rt = _fit_axis(np.asarray(rt, dtype=float), n_rt, "RT rows")
        mz = _fit_axis(np.asarray(mz, dtype=float), n_mz, "m/z columns")
        return cls(rt, mz, *labels)

    def to_dict(self) -> dict[str, Any]:
        """The axis titles (the arrays are saved separately).

        Examples
        --------
        >>> MapAxes.resolve((1, 1)).to_dict()
        {'rt_label': 'RT row', 'mz_label': 'm/z column'}
        """
        return {"rt_label": self.rt_label, "mz_label": self.mz_label}


def _axes_arrays(source: Any) -> tuple[Any, Any]:
    if isinstance(source, (tuple, list)) and len(source) == 2:
        return source[0], source[1]
    if isinstance(source, Mapping) and "rt" not in source and "params" in source:
        source = source["params"]  # a matrix's metadata(): rebuild the grid from its binning
    if callable(getattr(source, "rt_grid", None)) and callable(getattr(source, "mz_edges", None)):
        source = {"rt": source.rt_grid(), "mz_edges": source.mz_edges()}  # BinningParams

    def get(name: str) -> Any:
        if isinstance(source, Mapping):
            return source.get(name)
        return getattr(source, name, None)

    rt, mz, edges = get("rt"), get("mz"), get("mz_edges")
    if rt is None and all(get(k) is not None for k in _GRID_KEYS):
        rt = float(get("rt_start")) + float(get("rt_step")) * np.arange(int(get("n_rt")))
        edges = float(get("mz_start")) + float(get("mz_step")) * np.arange(int(get("n_mz")) + 1)
        mz = None
    if mz is None and edges is not None:
        edges = np.asarray(edges, dtype=float)
        mz = (edges[:-1] + edges[1:]) / 2
    if rt is None or mz is None:
        raise ConfigError(
            "axes must be a MapAxes, an LCMSMatrix-like object or mapping with 'rt' and "
            "'mz' (or 'mz_edges'), a matrix's metadata or binning parameters, or a pair "
            f"(rt, mz); got {type(source).__name__}"
        )
    return rt, mz


_GRID_KEYS = ("rt_start", "rt_step", "n_rt", "mz_start", "mz_step", "n_mz")


def _fit_axis(values: np.ndarray, n: int, what: str) -> np.ndarray:
    if values.ndim != 1:
        raise ConfigError(f"axis of {what} must be one-dimensional, got shape {values.shape}")
    if len(values) == n:
        return values.copy()
    if n > 0 and len(values) > n and len(values) % n == 0:
        factor = len(values) // n
        logger.info("averaging %d %s coordinates in blocks of %d", len(values), what, factor)
        return values.reshape(n, factor).mean(axis=1)
    raise ConfigError(
        f"the map has {n} {what} but its axes give {len(values)} "
        "(pass axes of the model's input, or of a matrix that pools into it by a whole factor)"
    )


# ---------------------------------------------------------------------------- containers
@dataclass
class SaliencyMap:
    """Per-class saliency over an RT x m/z grid (one sample, or a class profile).

    Parameters
    ----------
    values
        ``(n_classes, n_rt, n_mz)`` array (a 2-D array is taken as one class).
    axes
        Anything :meth:`MapAxes.resolve` accepts (default: bin indices).
    classes
        One name per class (default ``class_0``, ``class_1``, ...).
    method
        What made the map (``"rise"``, ``"gradcam"``, ...).
    params
        The method's parameters (JSON-serialisable), saved with the map.

    Examples
    --------
    >>> import numpy as np
    >>> smap = SaliencyMap(np.ones((2, 3, 4)), classes=["a", "b"], method="demo")
    >>> smap.shape, smap.n_classes, smap["b"].shape
    ((3, 4), 2, (3, 4))
    """

    values: np.ndarray
    axes: Any = None
    classes: Sequence[str] | None = None
    method: str = "saliency"
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float32)
        if values.ndim == 2:
            values = values[None]
        if values.ndim != 3:
            raise ConfigError(
                f"a saliency map must be (n_classes, n_rt, n_mz); got shape {values.shape}"
            )
        self.values = values
        self.axes = MapAxes.resolve(values.shape[1:], self.axes)
        self.classes = _class_names(self.classes, values.shape[0])
        self.params = dict(self.params)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_rt, n_mz)``.

        Examples
        --------
        >>> SaliencyMap(np.zeros((1, 2, 5))).shape
        (2, 5)
        """
        return (int(self.values.shape[1]), int(self.values.shape[2]))

    @property
    def n_classes(self) -> int:
        """Number of classes.

        Examples
        --------
        >>> SaliencyMap(np.zeros((3, 2, 2))).n_classes
        3
        """
        return int(self.values.shape[0])

    def class_index(self, cls: int | str) -> int:
        """Index of a class given by name or index.

        Examples
        --------
        >>> SaliencyMap(np.zeros((2, 1, 1)), classes=["x", "y"]).class_index("y")
        1
        """
        return _class_index(list(self.classes or []), cls)

    def __getitem__(self, cls: int | str) -> np.ndarray:
        return self.values[self.class_index(cls)]

    def to_frame(self, cls: int | str) -> pd.DataFrame:
        """One class's map as a DataFrame: index RT, columns m/z.

        Examples
        --------
        >>> frame = SaliencyMap(np.arange(6.0).reshape(1, 2, 3)).to_frame(0)
        >>> frame.shape, frame.index.name, frame.columns.name
        ((2, 3), 'RT row', 'm/z column')
        """
        frame = pd.DataFrame(self[cls], index=self.axes.rt, columns=self.axes.mz)
        frame.index.name, frame.columns.name = self.axes.rt_label, self.axes.mz_label
        return frame

    def normalized(self) -> SaliencyMap:
        """A copy with each class's map scaled to ``[0, 1]`` (constant maps become 0).

        Examples
        --------
        >>> SaliencyMap(np.array([[[2.0, 4.0]]])).normalized().values.tolist()
        [[[0.0, 1.0]]]
        """
        return SaliencyMap(
            _normalize(self.values), self.axes, self.classes, self.method, dict(self.params)
        )

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
        """Write the map to an ``.npz`` file (arrays + JSON metadata), atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "map.npz"
        >>> smap = SaliencyMap(np.ones((1, 2, 2)), method="demo", params={"n": 1})
        >>> loaded = SaliencyMap.load(smap.save(path))
        >>> loaded.method, loaded.params, loaded.values.sum()
        ('demo', {'n': 1}, np.float32(4.0))
        """
        return _save_npz(path, "map", self.values, None, self, [], overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SaliencyMap:
        """Read a map written by :meth:`save`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = SaliencyMap(np.zeros((1, 1, 3))).save(pathlib.Path(tempfile.mkdtemp()) / "m")
        >>> SaliencyMap.load(path).shape
        (1, 3)
        """
        meta, arrays = _load_npz(path, "map")
        return cls(arrays["values"], meta["axes"], meta["classes"], meta["method"], meta["params"])


@dataclass
class SaliencyBatch:
    """Saliency maps of many samples, with the model's probabilities on the inputs.

    Parameters
    ----------
    values
        ``(n_samples, n_classes, n_rt, n_mz)`` maps.
    probabilities
        ``(n_samples, n_classes)`` scores of the unperturbed inputs (they give
        :attr:`predicted`).
    axes, classes, method, params
        As for :class:`SaliencyMap`.
    sample_ids
        One ID per sample (default ``"0"``, ``"1"``, ...).

    Examples
    --------
    >>> import numpy as np
    >>> batch = SaliencyBatch(np.ones((3, 2, 4, 4)), np.array([[0.9, 0.1]] * 3))
    >>> len(batch), batch.predicted.tolist(), batch[1].shape
    (3, [0, 0, 0], (4, 4))
    """

    values: np.ndarray
    probabilities: np.ndarray
    axes: Any = None
    classes: Sequence[str] | None = None
    method: str = "saliency"
    params: dict[str, Any] = field(default_factory=dict)
    sample_ids: Sequence[str] | None = None

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float32)
        if values.ndim != 4:
            raise ConfigError(
                "a saliency batch must be (n_samples, n_classes, n_rt, n_mz); "
                f"got shape {values.shape}"
            )
        probabilities = np.asarray(self.probabilities, dtype=np.float32)
        if probabilities.shape != values.shape[:2]:
            raise ConfigError(
                f"probabilities have shape {probabilities.shape}, expected {values.shape[:2]}"
            )
        self.values, self.probabilities = values, probabilities
        self.axes = MapAxes.resolve(values.shape[2:], self.axes)
        self.classes = _class_names(self.classes, values.shape[1])
        self.params = dict(self.params)
        ids = [str(i) for i in range(len(values))] if self.sample_ids is None else self.sample_ids
        ids = [str(s) for s in ids]
        if len(ids) != len(values):
            raise ConfigError(f"{len(ids)} sample IDs given for {len(values)} samples")
        self.sample_ids = ids

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def predicted(self) -> np.ndarray:
        """Index of the highest-scoring class of each sample.

        Examples
        --------
        >>> SaliencyBatch(np.zeros((2, 2, 1, 1)), [[0.2, 0.8], [0.7, 0.3]]).predicted.tolist()
        [1, 0]
        """
        return self.probabilities.argmax(axis=1)

    def __getitem__(self, sample: int | str) -> SaliencyMap:
        if isinstance(sample, str):
            ids = list(self.sample_ids or [])
            if sample not in ids:
                raise DataError(f"no sample {sample!r} in this batch")
            sample = ids.index(sample)
        params = {
            **self.params,
            "sample_id": (self.sample_ids or [])[sample],
            "probabilities": [float(v) for v in self.probabilities[sample]],
        }
        return SaliencyMap(self.values[sample], self.axes, self.classes, self.method, params)

    def class_profiles(
        self, y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray | None = None
    ) -> SaliencyMap:
        """Average each class's map over the correctly predicted samples of that class.

        Class ``c``'s profile is the mean, over samples whose true and predicted class are
        both ``c``, of their map for class ``c`` (DeepMSProfiler's class profiles). A class
        with no correctly predicted sample gets a map of NaN (and a warning). The number
        of samples averaged per class is in ``params["n_samples"]``.

        Parameters
        ----------
        y_true
            True class of each sample, as indices or class names.
        y_pred
            Predicted classes; default :attr:`predicted`.

        Raises
        ------
        DataError
            Wrong number of labels, or a label that is not a class.

        Examples
        --------
        >>> import numpy as np
        >>> values = np.stack([np.full((2, 1, 1), v) for v in (1.0, 3.0, 5.0)])
        >>> probs = [[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]]
        >>> batch = SaliencyBatch(values, probs, classes=["a", "b"])
        >>> profile = batch.class_profiles(["a", "a", "a"])
        >>> profile["a"].item(), bool(np.isnan(profile["b"]).all()), profile.params["n_samples"]
        (2.0, True, {'a': 2, 'b': 0})
        """
        classes = list(self.classes or [])
        truth = _label_indices(y_true, classes, len(self), "y_true")
        pred = (
            self.predicted
            if y_pred is None
            else _label_indices(y_pred, classes, len(self), "y_pred")
        )
        profiles = np.full(self.values.shape[1:], np.nan, dtype=np.float32)
        counts: dict[str, int] = {}
        for c, name in enumerate(classes):
            chosen = (truth == c) & (pred == c)
            counts[name] = int(chosen.sum())
            if counts[name]:
                profiles[c] = self.values[chosen, c].mean(axis=0)
            else:
                logger.warning(
                    "class %r has no correctly predicted sample: its profile is NaN", name
                )
        params = {
            **self.params,
            "profile": "mean over correctly predicted samples",
            "n_samples": counts,
        }
        return SaliencyMap(profiles, self.axes, classes, self.method, params)

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
        """Write the batch to an ``.npz`` file (arrays + JSON metadata), atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> batch = SaliencyBatch(np.ones((2, 1, 2, 2)), np.ones((2, 1)), sample_ids=["s1", "s2"])
        >>> path = batch.save(pathlib.Path(tempfile.mkdtemp()) / "maps.npz")
        >>> SaliencyBatch.load(path).sample_ids
        ['s1', 's2']
        """
        ids = list(self.sample_ids or [])
        return _save_npz(path, "batch", self.values, self.probabilities, self, ids, overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SaliencyBatch:
        """Read a batch written by :meth:`save`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> batch = SaliencyBatch(np.zeros((1, 1, 2, 3)), np.ones((1, 1)))
        >>> SaliencyBatch.load(batch.save(pathlib.Path(tempfile.mkdtemp()) / "b")).values.shape
        (1, 1, 2, 3)
        """
        meta, arrays = _load_npz(path, "batch")
        return cls(
            arrays["values"],
            arrays["probabilities"],
            meta["axes"],
            meta["classes"],
            meta["method"],
            meta["params"],
            meta["sample_ids"],
        )


def _class_names(classes: Sequence[str] | None, n: int) -> list[str]:
    if classes is None:
        return [f"class_{i}" for i in range(n)]
    names = [str(c) for c in classes]
    if len(names) != n:
        raise ConfigError(f"{len(names)} class names given for {n} classes")
    if len(set(names)) != len(names):
        raise ConfigError(f"class names must be unique: {names}")
    return names


def _class_index(classes: list[str], cls: int | str) -> int:
    if isinstance(cls, (int, np.integer)) and not isinstance(cls, bool):
        if not 0 <= int(cls) < len(classes):
            raise ConfigError(f"class index {cls} out of range for {len(classes)} classes")
        return int(cls)
    if str(cls) not in classes:
        raise ConfigError(f"unknown class {cls!r} (classes: {', '.join(classes)})")
    return classes.index(str(cls))


def _label_indices(labels: Any, classes: list[str], n: int, what: str) -> np.ndarray:
    array = np.asarray(labels)
    if array.shape != (n,):
        raise DataError(
            f"{what} has shape {array.shape}; expected one label for each of {n} samples"
        )
    if array.dtype.kind in "iu":
        bad = sorted({int(v) for v in array if not 0 <= v < len(classes)})
        if bad:
            raise DataError(f"{what} holds class indices {bad} outside 0..{len(classes) - 1}")
        return array.astype(int)
    lookup = {name: i for i, name in enumerate(classes)}
    unknown = sorted({str(v) for v in array} - set(lookup))
    if unknown:
        raise DataError(
            f"{what} holds labels {unknown} that are not classes ({', '.join(classes)})"
        )
    return np.array([lookup[str(v)] for v in array], dtype=int)


def _normalize(values: np.ndarray) -> np.ndarray:
    flat = values.reshape(values.shape[0], -1)
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(flat, axis=1, keepdims=True) if flat.size else flat
        hi = np.nanmax(flat, axis=1, keepdims=True) if flat.size else flat
    span = np.where(hi > lo, hi - lo, 1.0)
    return ((flat - lo) / span).reshape(values.shape).astype(np.float32)


def _save_npz(
    path: str | os.PathLike[str],
    kind: str,
    values: np.ndarray,
    probabilities: np.ndarray | None,
    owner: SaliencyMap | SaliencyBatch,
    sample_ids: list[str],
    overwrite: bool,
) -> Path:
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    axes: MapAxes = owner.axes
    meta = {
        "format": MAP_FORMAT,
        "format_version": MAP_FORMAT_VERSION,
        "kind": kind,
        "method": owner.method,
        "classes": list(owner.classes or []),
        "params": owner.params,
        "axes": axes.to_dict(),
        "sample_ids": sample_ids,
    }
    arrays = {"values": values, "rt": axes.rt, "mz": axes.mz}
    if probabilities is not None:
        arrays["probabilities"] = probabilities
    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.array(json.dumps(meta, default=str)), **arrays)
    return atomic_write_bytes(path, buffer.getvalue(), overwrite=overwrite)


def _load_npz(path: str | os.PathLike[str], kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as err:
        raise DataError(f"{path} is not a saved saliency file: {err}") from err
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (KeyError, ValueError) as err:
        raise DataError(f"{path} has no saliency metadata") from err
    if meta.get("format") != MAP_FORMAT or meta.get("kind") != kind:
        raise DataError(
            f"{path} holds {meta.get('format')}/{meta.get('kind')}, not {MAP_FORMAT}/{kind}"
        )
    meta["axes"] = MapAxes(arrays["rt"], arrays["mz"], **meta["axes"])
    return meta, arrays


def _as_map(smap: SaliencyMap | np.ndarray) -> SaliencyMap:
    return smap if isinstance(smap, SaliencyMap) else SaliencyMap(np.asarray(smap))


# ---------------------------------------------------------------------------- comparisons
def map_correlation(a: SaliencyMap | np.ndarray, b: SaliencyMap | np.ndarray) -> np.ndarray:
    """Pearson correlation of two maps, class by class (NaN cells are ignored).

    Parameters
    ----------
    a, b
        Maps of equal shape (:class:`SaliencyMap` or arrays ``(n_classes, n_rt, n_mz)``
        or ``(n_rt, n_mz)``).

    Returns
    -------
    numpy.ndarray
        One correlation per class (NaN where a map is constant).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(1, 3, 4)
    >>> map_correlation(x, 2 * x + 1).round(6).tolist(), map_correlation(x, -x).tolist()
    ([1.0], [-1.0])
    """
    va, vb = _as_map(a).values, _as_map(b).values
    if va.shape != vb.shape:
        raise ConfigError(f"maps of different shapes cannot be compared: {va.shape} vs {vb.shape}")
    out = np.full(va.shape[0], np.nan)
    for c in range(va.shape[0]):
        x, y = va[c].ravel().astype(float), vb[c].ravel().astype(float)
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep] - x[keep].mean(), y[keep] - y[keep].mean()
        denominator = np.sqrt((x * x).sum() * (y * y).sum())
        if denominator > 0:
            out[c] = float((x * y).sum() / denominator)
    return out


# ---------------------------------------------------------------------------- top regions
def top_regions(
    smap: SaliencyMap | np.ndarray,
    k: int = 10,
    *,
    quantile: float = 0.99,
    min_distance: int = 2,
    classes: Sequence[int | str] | None = None,
) -> pd.DataFrame:
    """The ``k`` strongest regions of each class's map, as a table.

    Cells at or above the map's ``quantile`` form connected regions (8-connectivity). A
    region with several local maxima (peaks at least ``min_distance`` cells apart) is
    split between them, each cell going to its nearest peak, so that two nearby signals
    are reported separately. Regions are ranked by their peak value.

    Parameters
    ----------
    smap
        A :class:`SaliencyMap` (or an array, with bin-index axes).
    k
        Regions kept per class.
    quantile
        Threshold of each class's map, in ``(0, 1)``; ``0.99`` keeps the top 1 % of cells.
    min_distance
        Minimum distance in cells between two peaks of one region.
    classes
        Classes to report (names or indices); default all.

    Returns
    -------
    pandas.DataFrame
        One row per region: ``class``, ``rank`` (1 = strongest), ``score`` (peak value),
        ``mean_score``, ``rt_start``/``rt_end``/``peak_rt`` and
        ``mz_start``/``mz_end``/``peak_mz`` (axis coordinates of the region's first and
        last row and column and of its peak), ``n_cells``, and the same positions as
        indices (``row``, ``col``, ``row_start``, ``row_end``, ``col_start``,
        ``col_end``; ends inclusive).

    Raises
    ------
    ConfigError
        For ``k < 1``, a quantile outside ``(0, 1)``, ``min_distance < 1`` or an unknown class.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.zeros((1, 30, 40))
    >>> values[0, 3:6, 4:8] = 2.0
    >>> values[0, 20:25, 30:33] = 1.0
    >>> axes = {"rt": 0.5 + 0.1 * np.arange(30), "mz": 100.5 + np.arange(40)}
    >>> table = top_regions(SaliencyMap(values, axes), k=5, quantile=0.9)
    >>> columns = ["rank", "score", "rt_start", "rt_end", "peak_mz", "n_cells"]
    >>> table[columns].round(2).values.tolist()
    [[1.0, 2.0, 0.8, 1.0, 104.5, 12.0], [2.0, 1.0, 2.5, 2.9, 130.5, 15.0]]
    """
    from scipy import ndimage

    if int(k) < 1:
        raise ConfigError(f"k must be a positive integer, got {k}")
    if not 0.0 < float(quantile) < 1.0:
        raise ConfigError(f"quantile must be in (0, 1), got {quantile}")
    if int(min_distance) < 1:
        raise ConfigError(f"min_distance must be >= 1, got {min_distance}")
    smap = _as_map(smap)
    names = list(smap.classes or [])
    chosen = range(smap.n_classes) if classes is None else [smap.class_index(c) for c in classes]
    rows: list[dict[str, Any]] = []
    structure = np.ones((3, 3), dtype=bool)
    for c in chosen:
        values = smap.values[c].astype(float)
        finite = np.isfinite(values)
        if not finite.any():
            logger.info("class %r: map is empty (NaN), no regions", names[c])
            continue
        lo, hi = float(values[finite].min()), float(values[finite].max())
        if hi <= lo:
            logger.info("class %r: map is constant, no regions", names[c])
            continue
        filled = np.where(finite, values, lo)
        threshold = float(np.quantile(filled[finite], quantile))
        above = (filled >= threshold) & (filled > lo)
        labels, n_components = ndimage.label(above, structure=structure)
        window = 2 * int(min_distance) + 1
        local_max = (filled == ndimage.maximum_filter(filled, size=window, mode="nearest")) & above
        plateaus, n_plateaus = ndimage.label(local_max, structure=structure)
        # one representative cell per plateau of equal maxima
        peak_cells = ndimage.labeled_comprehension(
            filled, plateaus, np.arange(1, n_plateaus + 1), _first_index, np.int64, -1, True
        )
        peaks_by_component: dict[int, list[tuple[int, int]]] = {}
        for flat in np.asarray(peak_cells, dtype=np.int64):
            r, col = divmod(int(flat), values.shape[1])
            peaks_by_component.setdefault(int(labels[r, col]), []).append((r, col))
        maxima = ndimage.maximum(filled, labels, np.arange(1, n_components + 1))
        order = np.argsort(-np.asarray(maxima, dtype=float), kind="stable")
        slices = ndimage.find_objects(labels)
        found: list[dict[str, Any]] = []
        for index in order:
            label = int(index) + 1
            if len(found) >= k and float(maxima[index]) < _kth_score(found, k):
                break
            box = slices[index]
            cells = np.argwhere(labels[box] == label) + np.array([box[0].start, box[1].start])
            peaks = peaks_by_component.get(label) or [
                tuple(cells[int(np.argmax(filled[cells[:, 0], cells[:, 1]]))])
            ]
            owner = _nearest_peak(cells, np.asarray(peaks))
            for p, (pr, pc) in enumerate(peaks):
                part = cells[owner == p]
                if len(part) == 0:
                    continue
                found.append(_region_row(names[c], filled, part, int(pr), int(pc), smap.axes))
        found.sort(key=lambda row: -row["score"])
        for rank, row in enumerate(found[:k], start=1):
            row["rank"] = rank
            rows.append(row)
    return pd.DataFrame(rows, columns=REGION_COLUMNS)


def _kth_score(found: list[dict[str, Any]], k: int) -> float:
    scores = sorted((row["score"] for row in found), reverse=True)
    return float(scores[k - 1]) if len(scores) >= k else float("-inf")


def _first_index(values: np.ndarray, positions: np.ndarray) -> int:
    return int(positions[0])


def _nearest_peak(cells: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    if len(peaks) == 1:
        return np.zeros(len(cells), dtype=int)
    distance = ((cells[:, None, :] - peaks[None, :, :]) ** 2).sum(axis=2)
    return distance.argmin(axis=1)


def _region_row(
    name: str, values: np.ndarray, cells: np.ndarray, pr: int, pc: int, axes: MapAxes
) -> dict[str, Any]:
    r0, c0 = cells.min(axis=0)
    r1, c1 = cells.max(axis=0)
    return {
        "class": name,
        "rank": 0,
        "score": float(values[pr, pc]),
        "mean_score": float(values[cells[:, 0], cells[:, 1]].mean()),
        "rt_start": float(axes.rt[r0]),
        "rt_end": float(axes.rt[r1]),
        "peak_rt": float(axes.rt[pr]),
        "mz_start": float(axes.mz[c0]),
        "mz_end": float(axes.mz[c1]),
        "peak_mz": float(axes.mz[pc]),
        "n_cells": len(cells),
        "row": pr,
        "col": pc,
        "row_start": int(r0),
        "row_end": int(r1),
        "col_start": int(c0),
        "col_end": int(c1),
    }


# ---------------------------------------------------------------------------- plots
def plot_maps(
    maps: SaliencyMap | Sequence[SaliencyMap],
    *,
    classes: Sequence[int | str] | None = None,
    titles: Sequence[str] | None = None,
    regions: int = 0,
    quantile: float = 0.99,
    normalize: bool = True,
    cmap: str = "inferno",
    panel_size: tuple[float, float] = (3.6, 2.8),
    sample: str | None = None,
    colorbar_labels: Sequence[str] | None = None,
) -> Figure:
    """Heat maps with RT/m/z axes: one row per class, one column per map.

    Give two maps (e.g. RISE and Grad-CAM of the same sample) to compare them side by
    side. RT runs up the vertical axis and m/z along the horizontal one, in the maps'
    own coordinates (minutes and m/z when known). A figure of one sample's maps says
    which sample in its title (with the predicted class and its probability when the
    maps came from a :class:`SaliencyBatch`); each panel says which class its map is
    evidence for; class profiles say how many samples each averages. Every colour bar
    says what it shows; with ``normalize`` all panels of a column share one.

    Parameters
    ----------
    maps
        One map or several; every map must have the classes shown.
    classes
        Classes to show (names or indices into the first map); default all of the first map.
    titles
        Column titles; default each map's method.
    regions
        Outline and number this many :func:`top_regions` per panel (0: none).
    quantile
        Threshold for those regions.
    normalize
        Scale each panel to ``[0, 1]`` so that maps of different methods share a colour bar.
    cmap
        Matplotlib colour map.
    panel_size
        Width and height of one panel in inches.
    sample
        The sample shown, for the title (default: the maps' ``params["sample_id"]``).
    colorbar_labels
        One colour-bar label per map (default: ``"saliency (scaled to 0-1)"``, or
        ``"intensity ..."`` for a map whose method is ``"input"``).

    Returns
    -------
    matplotlib.figure.Figure
        A figure that is not registered with pyplot (no GUI, nothing to close); write it
        with :func:`save_figure`.

    Examples
    --------
    >>> import numpy as np
    >>> smap = SaliencyMap(np.random.default_rng(0).random((2, 16, 24)), method="rise",
    ...                    params={"sample_id": "run_7"})
    >>> fig = plot_maps([smap, smap.normalized()], titles=["RISE", "copy"], regions=2)
    >>> fig.get_suptitle(), fig.axes[0].get_title()
    ('sample run_7', 'RISE for class class_0')
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    from omicsnet.utils.plotting import colorbar, sample_title, style

    maps = [maps] if isinstance(maps, SaliencyMap) else [_as_map(m) for m in maps]
    if not maps:
        raise ConfigError("plot_maps needs at least one map")
    first = maps[0]
    names = (
        list(first.classes or [])
        if classes is None
        else [first.classes[first.class_index(c)] for c in classes]  # type: ignore[index]
    )
    if titles is not None and len(titles) != len(maps):
        raise ConfigError(f"{len(titles)} titles given for {len(maps)} maps")
    if colorbar_labels is not None and len(colorbar_labels) != len(maps):
        raise ConfigError(f"{len(colorbar_labels)} colour-bar labels given for {len(maps)} maps")
    if sample is None:
        ids = {m.params.get("sample_id") for m in maps if m.method != "input"} - {None}
        sample = str(ids.pop()) if len(ids) == 1 else None
    with style():
        fig = Figure(
            figsize=(panel_size[0] * len(maps) + 0.6, panel_size[1] * len(names) + 0.4),
            layout="constrained",
        )
        grid = fig.subplots(len(names), len(maps), squeeze=False)
        for j, smap in enumerate(maps):
            shown = smap.normalized() if normalize else smap
            table = (
                top_regions(smap, regions, quantile=quantile, classes=names) if regions else None
            )
            column = titles[j] if titles is not None else smap.method
            column = METHOD_NAMES.get(column, column)  # "layercam" -> "LayerCAM"
            bar_label = (
                colorbar_labels[j]
                if colorbar_labels is not None
                else _colorbar_label(smap, normalize)
            )
            image = None
            for i, name in enumerate(names):
                ax = grid[i][j]
                image = ax.imshow(
                    shown[name],
                    origin="lower",
                    aspect="auto",
                    cmap=cmap,
                    extent=(*_extent(smap.axes.mz), *_extent(smap.axes.rt)),
                    interpolation="nearest",
                    vmin=0.0 if normalize else None,
                    vmax=1.0 if normalize else None,
                )
                if not normalize:
                    colorbar(image, ax, bar_label, fraction=0.046, pad=0.02)
                ax.set_title(_panel_title(smap, column, name))
                ax.set_xlabel(smap.axes.mz_label)
                ax.set_ylabel(smap.axes.rt_label)
                if table is None:
                    continue
                mz_step, rt_step = _step(smap.axes.mz), _step(smap.axes.rt)
                for row in table[table["class"] == name].itertuples():
                    ax.add_patch(
                        Rectangle(
                            (row.mz_start - mz_step / 2, row.rt_start - rt_step / 2),
                            row.mz_end - row.mz_start + mz_step,
                            row.rt_end - row.rt_start + rt_step,
                            fill=False,
                            edgecolor="cyan",
                            linewidth=1.0,
                        )
                    )
                    ax.annotate(str(row.rank), (row.peak_mz, row.peak_rt), color="cyan", fontsize=7)
            if normalize and image is not None:  # every panel on 0-1: one bar per column
                colorbar(image, [grid[i][j] for i in range(len(names))], bar_label,
                         fraction=0.05, shrink=min(1.0, 0.5 + 0.2 * len(names)),
                         aspect=12 * len(names))  # fmt: skip
        if sample is not None:
            sample_title(fig, sample, _prediction_note(maps))
    return fig


def _colorbar_label(smap: SaliencyMap, normalize: bool) -> str:
    what = "intensity" if smap.method == "input" else "saliency"
    return f"{what} (scaled to 0-1)" if normalize else what


def _panel_title(smap: SaliencyMap, column: str, name: str) -> str:
    """``"RISE for class benign"``; a class profile also says how many samples it averages."""
    if smap.method == "input":
        return column
    counts = smap.params.get("n_samples")
    if isinstance(counts, dict) and name in counts:  # a class profile: a mean over samples
        if "profile" not in column:
            column = f"{column} class profile"
        return f"{column}: {name} (mean of {counts[name]} samples)"
    return f"{column} for class {name}"


#: How the methods are named in figure titles.
METHOD_NAMES = {"rise": "RISE", "gradcam": "Grad-CAM", "layercam": "LayerCAM", "input": "input"}


def _prediction_note(maps: Sequence[SaliencyMap]) -> str | None:
    """``"predicted benign (p = 0.91)"`` from a map of a batch, when the probabilities are known."""
    for smap in maps:
        probabilities = smap.params.get("probabilities")
        classes = list(smap.classes or [])
        if isinstance(probabilities, list) and len(probabilities) == len(classes) and classes:
            best = int(np.argmax(probabilities))
            return f"predicted {classes[best]} (p = {probabilities[best]:.2f})"
    return None


def _step(axis: np.ndarray) -> float:
    return float(abs(axis[1] - axis[0])) if len(axis) > 1 else 1.0


def _extent(axis: np.ndarray) -> tuple[float, float]:
    half = _step(axis) / 2
    return (float(axis[0]) - half, float(axis[-1]) + half)
