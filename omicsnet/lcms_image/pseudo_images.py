"""DeepLCMS pseudo-images: MS1 points → intensity-weighted RT × m/z histogram → blurred image.

DeepLCMS (Cseresznye et al. 2023) turns each LC-MS run into a picture for an image CNN:

1. keep the MS1 data points with intensity ≥ ``min_intensity`` (5000);
2. a 2-D histogram over retention time (rows) and m/z (columns), ``n_rt`` × ``n_mz`` bins
   (500 × 500 or 1000 × 1000), each point weighted by its intensity;
3. divide by the image's maximum; Gaussian blur with ``blur_sigma`` (2 bins);
4. scale to ``0 … 255`` (the blurred image's maximum becomes 255);
5. ``log1p`` — values end in ``[0, log 256]``.

:func:`pseudo_images_from_files` runs this on mzML/mzXML files through the shared reader
(:func:`~omicsnet.ms.mzml.read_ms_run`); :func:`pseudo_images_from_arrays` on RT × m/z
matrices (:class:`~omicsnet.ms.binning.LCMSMatrix` files or the DeepMSProfiler
``.npy`` arrays), taking every matrix cell as one point at its RT and m/z. Both are
vectorised: one ``np.bincount`` per cohort (matrices) or per file (points) and one
``gaussian_filter`` over the stack. All images of a cohort share one RT and one m/z range
(given, or the union of the runs' ranges), so that a pixel means the same (RT, m/z) window
in every sample. The result, a :class:`PseudoImageSet`, keeps the bin edges, sample IDs and
parameters, is saved as ``.npz`` with a JSON entry (never pickled), and joins labels by
name into an :class:`~omicsnet.ms.arrays.LCMSArrays` ready for the trainer.

DeepLCMS's augmentations are composable transforms with the call signature of
:mod:`omicsnet.ms.arrays` (``transform(x, generator=None)`` on ``(batch, C, RT, m/z)``
tensors), so they mix with :class:`~omicsnet.ms.arrays.RandomErasing` in a
:class:`~omicsnet.ms.arrays.Compose`: :class:`RandomShift2D` (RT and m/z shifts of up
to ±5 pixels, zero fill), :class:`RandomRotation` (±5°), :class:`ColorJitter` (brightness
and contrast); :func:`shifted_copies` makes the paper's nine fixed shifted copies per image
and :func:`deeplcms_augmentation` composes the online ones.

Examples
--------
>>> import numpy as np
>>> params = PseudoImageParams(n_rt=4, n_mz=4, min_intensity=10.0, blur_sigma=0.0)
>>> image = pseudo_image_from_points(
...     rt=[0.1, 0.9, 0.9], mz=[100.0, 199.0, 199.0], intensity=[5.0, 20.0, 20.0],
...     params=params, rt_range=(0.0, 1.0), mz_range=(100.0, 200.0))
>>> np.round(np.expm1(image), 1).tolist()[3]  # the two points above threshold: one cell
[0.0, 0.0, 0.0, 255.0]
>>> float(np.expm1(image).sum())
255.0
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from omicsnet.errors import ConfigError, DataError, DataNotFoundError
from omicsnet.utils.io import atomic_write_bytes

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import torch
    from matplotlib.figure import Figure

    from omicsnet.ms.arrays import Compose, LCMSArrays

logger = logging.getLogger(__name__)

IMAGES_FORMAT = "omicsnet.pseudo_images"
IMAGES_FORMAT_VERSION = 1


# ---------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class PseudoImageParams:
    """How a run becomes a pseudo-image. The defaults are DeepLCMS's 500 × 500 images.

    Parameters
    ----------
    n_rt, n_mz
        Histogram bins along retention time (image rows) and m/z (columns).
    min_intensity
        Points below this intensity are dropped (DeepLCMS: 5000).
    blur_sigma
        Standard deviation of the Gaussian blur in bins (0: no blur).
    scale_max
        The blurred image is scaled so that its maximum is this value (DeepLCMS: 255).
    log
        Apply ``log1p`` last.
    rt_range, mz_range
        ``(low, high)`` of the histogram (minutes, m/z); ``None``: the union of the
        cohort's ranges (points) or the matrices' own axes (matrices).
    ms_level
        MS level read from files.

    Examples
    --------
    >>> PseudoImageParams().n_rt, PseudoImageParams(n_rt=1000, n_mz=1000).n_mz
    (500, 1000)
    >>> PseudoImageParams.from_dict(PseudoImageParams(blur_sigma=1.5).to_dict()).blur_sigma
    1.5
    >>> PseudoImageParams(n_rt=0)
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: n_rt must be a positive integer; got 0
    """

    n_rt: int = 500
    n_mz: int = 500
    min_intensity: float = 5000.0
    blur_sigma: float = 2.0
    scale_max: float = 255.0
    log: bool = True
    rt_range: tuple[float, float] | None = None
    mz_range: tuple[float, float] | None = None
    ms_level: int = 1

    def __post_init__(self) -> None:
        for name in ("n_rt", "n_mz", "ms_level"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{name} must be a positive integer; got {value!r}")
            object.__setattr__(self, name, int(value))
        for name in ("min_intensity", "blur_sigma", "scale_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise ConfigError(f"{name} must be a number; got {value!r}")
            if not math.isfinite(float(value)) or float(value) < 0:
                raise ConfigError(f"{name} must be finite and >= 0; got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.scale_max <= 0:
            raise ConfigError(f"scale_max must be positive; got {self.scale_max!r}")
        object.__setattr__(self, "log", bool(self.log))
        for name in ("rt_range", "mz_range"):
            value = getattr(self, name)
            if value is None:
                continue
            pair = tuple(float(v) for v in value)
            if len(pair) != 2 or not all(map(math.isfinite, pair)) or not pair[0] < pair[1]:
                raise ConfigError(f"{name} must be (low, high) with low < high; got {value!r}")
            object.__setattr__(self, name, pair)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary.

        Examples
        --------
        >>> PseudoImageParams(rt_range=(0.5, 10)).to_dict()["rt_range"]
        [0.5, 10.0]
        """
        data = dataclasses.asdict(self)
        for name in ("rt_range", "mz_range"):
            if data[name] is not None:
                data[name] = list(data[name])
        return data

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PseudoImageParams:
        """Build from a mapping; unknown keys are an error.

        Examples
        --------
        >>> PseudoImageParams.from_dict({"bins": 3})
        Traceback (most recent call last):
        ...
        omicsnet.errors.ConfigError: unknown pseudo-image parameter(s): bins (known: n_rt, ...
        """
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(
                f"unknown pseudo-image parameter(s): {', '.join(unknown)} "
                f"(known: {', '.join(known)})"
            )
        return cls(**dict(values))

    def replace(self, **changes: Any) -> PseudoImageParams:
        """A copy with some parameters changed.

        Examples
        --------
        >>> PseudoImageParams().replace(n_rt=1000).n_rt
        1000
        """
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------------------- core transform
def _bin_index(values: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Bin of each value on ``n`` equal bins over ``[lo, hi]`` (right edge included); -1 outside."""
    index = np.floor((values - lo) * (n / (hi - lo))).astype(np.int64)
    index[values == hi] = n - 1
    index[(values < lo) | (values > hi)] = -1
    return index


def _finish(histograms: np.ndarray, params: PseudoImageParams) -> np.ndarray:
    """Normalise, blur, scale to ``0 … scale_max`` and log a stack ``(n, n_rt, n_mz)``.

    Each image is divided by its maximum (in float64, whatever the intensities), then
    blurred, rescaled and logged in float32 in place: one blur call for the whole stack.
    """
    from scipy.ndimage import gaussian_filter

    stack = np.asarray(histograms, dtype=np.float64)  # bincount of nothing is int64
    n = len(stack)
    peak = stack.reshape(n, -1).max(axis=1) if stack.size else np.zeros(n)
    images = stack.astype(np.float32)
    images *= (1.0 / np.where(peak > 0, peak, 1.0)).astype(np.float32)[:, None, None]
    if params.blur_sigma > 0:
        images = gaussian_filter(images, sigma=(0.0, params.blur_sigma, params.blur_sigma))
    peak = images.reshape(n, -1).max(axis=1) if images.size else np.zeros(n, np.float32)
    factor = np.where(peak > 0, params.scale_max / np.where(peak > 0, peak, 1.0), 0.0)
    images *= factor.astype(np.float32)[:, None, None]
    if params.log:
        np.log1p(images, out=images)
    return images


def _histograms(
    sample: np.ndarray,
    rt: np.ndarray,
    mz: np.ndarray,
    intensity: np.ndarray,
    n_samples: int,
    params: PseudoImageParams,
    rt_range: tuple[float, float],
    mz_range: tuple[float, float],
) -> np.ndarray:
    keep = intensity >= params.min_intensity
    rows = _bin_index(rt[keep], *rt_range, params.n_rt)
    cols = _bin_index(mz[keep], *mz_range, params.n_mz)
    inside = (rows >= 0) & (cols >= 0)
    flat = (sample[keep][inside] * params.n_rt + rows[inside]) * params.n_mz + cols[inside]
    counts = np.bincount(
        flat,
        weights=intensity[keep][inside].astype(np.float64),
        minlength=n_samples * params.n_rt * params.n_mz,
    )
    return counts.reshape(n_samples, params.n_rt, params.n_mz)


def pseudo_image_from_points(
    rt: Any,
    mz: Any,
    intensity: Any,
    params: PseudoImageParams | None = None,
    *,
    rt_range: tuple[float, float] | None = None,
    mz_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """One pseudo-image ``(n_rt, n_mz)`` from data points (the DeepLCMS transform).

    Parameters
    ----------
    rt, mz, intensity
        One value per data point (retention time in minutes).
    params
        The transform (default :class:`PseudoImageParams`).
    rt_range, mz_range
        Histogram ranges; default ``params``'s, else the points' own (above threshold).

    Returns
    -------
    numpy.ndarray
        ``float32`` image; all zero when no point reaches ``min_intensity``.

    Examples
    --------
    >>> image = pseudo_image_from_points([1.0, 2.0], [150.0, 450.0], [1e4, 1e6],
    ...                                  PseudoImageParams(n_rt=8, n_mz=8))
    >>> image.shape, round(float(image.max()), 4) == round(float(np.log1p(255)), 4)
    ((8, 8), True)
    """
    params = params or PseudoImageParams()
    rt_v, mz_v, inten = (np.asarray(v, dtype=np.float64).ravel() for v in (rt, mz, intensity))
    if not len(rt_v) == len(mz_v) == len(inten):
        raise DataError(
            f"rt, mz and intensity need one value per point; got {len(rt_v)}, {len(mz_v)}, "
            f"{len(inten)}"
        )
    keep = inten >= params.min_intensity
    rt_r = rt_range or params.rt_range or _data_range(rt_v[keep], "RT")
    mz_r = mz_range or params.mz_range or _data_range(mz_v[keep], "m/z")
    hist = _histograms(np.zeros(len(rt_v), np.int64), rt_v, mz_v, inten, 1, params, rt_r, mz_r)
    return _finish(hist, params)[0]


def _data_range(values: np.ndarray, what: str) -> tuple[float, float]:
    if len(values) == 0:
        return (0.0, 1.0)
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:  # a single value: a window of one unit around it
        lo, hi = lo - 0.5, hi + 0.5
    return (lo, hi)


# ---------------------------------------------------------------------------- image sets
@dataclass
class PseudoImageSet:
    """Pseudo-images of a cohort, with their common bin edges and provenance.

    Attributes
    ----------
    images
        ``float32`` ``(n_samples, n_rt, n_mz)``.
    rt_edges, mz_edges
        ``n_rt + 1`` and ``n_mz + 1`` bin edges (minutes, m/z; or row/column indices for
        matrices without axes).
    sample_ids
        One ID per image (file stems).
    params
        The :class:`PseudoImageParams` used.
    sources
        The file each image came from.
    info
        Per-sample counts (``points_used``) and what the images were made from.

    Examples
    --------
    >>> s = PseudoImageSet(np.zeros((2, 3, 4), "f4"), np.arange(4.0), np.arange(5.0),
    ...                    ["a", "b"], PseudoImageParams(n_rt=3, n_mz=4))
    >>> s.axes()["rt"].tolist(), len(s)
    ([0.5, 1.5, 2.5], 2)
    """

    images: np.ndarray
    rt_edges: np.ndarray
    mz_edges: np.ndarray
    sample_ids: list[str]
    params: PseudoImageParams
    sources: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.images = np.asarray(self.images, dtype=np.float32)
        if self.images.ndim != 3:
            raise DataError(f"pseudo-images must be (n, n_rt, n_mz); got {self.images.shape}")
        n, h, w = self.images.shape
        self.rt_edges = np.asarray(self.rt_edges, dtype=np.float64)
        self.mz_edges = np.asarray(self.mz_edges, dtype=np.float64)
        if len(self.rt_edges) != h + 1 or len(self.mz_edges) != w + 1:
            raise DataError(
                f"images of {h} x {w} pixels need {h + 1} RT and {w + 1} m/z edges; got "
                f"{len(self.rt_edges)} and {len(self.mz_edges)}"
            )
        self.sample_ids = [str(s) for s in self.sample_ids]
        if len(self.sample_ids) != n:
            raise DataError(f"{len(self.sample_ids)} sample IDs for {n} images")
        if len(set(self.sample_ids)) != n:
            repeated = sorted({s for s in self.sample_ids if self.sample_ids.count(s) > 1})
            raise DataError(f"sample IDs repeat: {', '.join(repeated)}")
        self.sources = [str(s) for s in self.sources] or list(self.sample_ids)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def axes(self) -> dict[str, np.ndarray]:
        """Bin centres ``{"rt", "mz"}``: the axes of saliency maps over these images."""
        return {
            "rt": (self.rt_edges[:-1] + self.rt_edges[1:]) / 2,
            "mz": (self.mz_edges[:-1] + self.mz_edges[1:]) / 2,
        }

    def tensor(self) -> torch.Tensor:
        """The images as a ``(n, 1, n_rt, n_mz)`` float tensor (the models' input).

        Examples
        --------
        >>> PseudoImageSet(np.zeros((2, 3, 4)), np.arange(4.0), np.arange(5.0), ["a", "b"],
        ...                PseudoImageParams(n_rt=3, n_mz=4)).tensor().shape
        torch.Size([2, 1, 3, 4])
        """
        import torch

        return torch.from_numpy(np.ascontiguousarray(self.images))[:, None]

    def subset(self, ids: Sequence[str]) -> PseudoImageSet:
        """The images of the given sample IDs, in that order.

        Raises
        ------
        DataError
            IDs not in the set (listed).
        """
        where = {s: i for i, s in enumerate(self.sample_ids)}
        missing = [s for s in ids if s not in where]
        if missing:
            raise DataError(f"samples not among the pseudo-images: {', '.join(missing[:10])}")
        idx = [where[s] for s in ids]
        return PseudoImageSet(
            self.images[idx],
            self.rt_edges,
            self.mz_edges,
            list(ids),
            self.params,
            [self.sources[i] for i in idx],
            dict(self.info),
        )

    def to_arrays(
        self, labels: pd.Series | Mapping[str, str], *, classes: Sequence[str] | None = None
    ) -> LCMSArrays:
        """Join labels (sample ID → class) by name; images without a label are an error.

        Label keys may be file names (``run.mzML.gz``, ``run.npy``): suffixes are dropped.

        Labels for samples without an image are an error too, so nothing is silently
        dropped. Returns ``x`` ``(n, 1, n_rt, n_mz)`` sorted by sample ID.

        Examples
        --------
        >>> s = PseudoImageSet(np.zeros((2, 3, 4)), np.arange(4.0), np.arange(5.0),
        ...                    ["b1", "a1"], PseudoImageParams(n_rt=3, n_mz=4))
        >>> arrays = s.to_arrays({"a1": "x", "b1": "y"})
        >>> arrays.sample_ids, arrays.y.tolist(), arrays.x.shape
        (['a1', 'b1'], [0, 1], (2, 1, 3, 4))
        >>> s.to_arrays({"a1": "x"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        omicsnet.errors.DataError: labels and pseudo-images do not match: 1 image(s) without ...
        """
        from omicsnet.ms.arrays import LCMSArrays

        table = {_stem(Path(str(k))): str(v) for k, v in dict(labels).items()}
        no_label = sorted(set(self.sample_ids) - set(table))
        no_image = sorted(set(table) - set(self.sample_ids))
        if no_label or no_image:
            parts = []
            if no_label:
                parts.append(
                    f"{len(no_label)} image(s) without a label: {', '.join(no_label[:10])}"
                )
            if no_image:
                parts.append(
                    f"{len(no_image)} labelled sample(s) without an image: "
                    f"{', '.join(no_image[:10])}"
                )
            raise DataError("labels and pseudo-images do not match: " + "; ".join(parts))
        names = sorted(set(table.values())) if classes is None else [str(c) for c in classes]
        unknown = sorted(set(table.values()) - set(names))
        if unknown:
            raise DataError(f"labels {unknown} are not among classes {names}")
        ids = sorted(self.sample_ids)
        part = self.subset(ids)
        codes = {c: i for i, c in enumerate(names)}
        return LCMSArrays(
            part.images[:, None],
            np.array([codes[table[s]] for s in ids], dtype=np.int64),
            sample_ids=ids,
            class_names=names,
            files=[Path(s) for s in part.sources],
        )

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write one ``.npz`` (arrays + a JSON entry), atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> s = PseudoImageSet(np.ones((1, 2, 2)), np.arange(3.0), np.arange(3.0), ["a"],
        ...                    PseudoImageParams(n_rt=2, n_mz=2))
        >>> back = PseudoImageSet.load(s.save(pathlib.Path(tempfile.mkdtemp()) / "img.npz"))
        >>> back.sample_ids, back.params == s.params, float(back.images.sum())
        (['a'], True, 4.0)
        """
        meta = {
            "format": IMAGES_FORMAT,
            "format_version": IMAGES_FORMAT_VERSION,
            "sample_ids": self.sample_ids,
            "sources": self.sources,
            "params": self.params.to_dict(),
            "info": self.info,
        }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            images=self.images,
            rt_edges=self.rt_edges,
            mz_edges=self.mz_edges,
            metadata=np.frombuffer(json.dumps(meta, default=_json_default).encode(), np.uint8),
        )
        return atomic_write_bytes(path, buffer.getvalue(), overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PseudoImageSet:
        """Read a file written by :meth:`save` (no pickles).

        Raises
        ------
        DataNotFoundError
            No such file.
        DataError
            Not a pseudo-image file.
        """
        file = Path(path)
        if not file.is_file():
            raise DataNotFoundError(f"{file}: no such pseudo-image file")
        try:
            with np.load(file, allow_pickle=False) as archive:
                images, rt_edges, mz_edges = (
                    archive["images"],
                    archive["rt_edges"],
                    archive["mz_edges"],
                )
                meta = json.loads(archive["metadata"].tobytes().decode("utf-8"))
            if meta.get("format") != IMAGES_FORMAT:
                raise ValueError(f"format is {meta.get('format')!r}")
            return cls(
                images,
                rt_edges,
                mz_edges,
                list(meta["sample_ids"]),
                PseudoImageParams.from_dict(meta["params"]),
                list(meta.get("sources", [])),
                dict(meta.get("info", {})),
            )
        except (OSError, ValueError, KeyError, TypeError, ConfigError, DataError) as err:
            raise DataError(f"{file}: not an omicsnet pseudo-image file ({err})") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


# ---------------------------------------------------------------------------- from files
def _run_points(path: Path, ms_level: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from omicsnet.ms.mzml import read_ms_run

    run = read_ms_run(path, ms_level=ms_level)
    counts = np.diff(run.offsets)
    return np.repeat(run.rt, counts), np.asarray(run.mz, np.float64), run.intensity


def pseudo_images_from_files(
    files: Sequence[str | os.PathLike[str]],
    params: PseudoImageParams | None = None,
    *,
    sample_ids: Sequence[str] | None = None,
    progress: bool = True,
) -> PseudoImageSet:
    """Pseudo-images of mzML/mzXML files (plain or gzipped) on one common RT × m/z grid.

    Each file is read once with the shared reader (MS1 spectra); only the points above
    ``min_intensity`` are kept in memory until the ranges (given, or the union over the
    files) are known, then all histograms are made in one pass.

    Parameters
    ----------
    files
        The runs.
    params
        The transform.
    sample_ids
        One ID per file; default the file names without ``.gz``/``.mzML``/``.mzXML``.
    progress
        Progress bar over the files.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.ms.synthetic import write_synthetic_mzml
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_synthetic_mzml(folder / "a.mzML", peaks=[(300.0, 1.0, 1e6, 0.1)], n_scans=20)
    >>> _ = write_synthetic_mzml(folder / "b.mzML", peaks=[(500.0, 2.0, 1e6, 0.1)], n_scans=20)
    >>> images = pseudo_images_from_files(sorted(folder.glob("*.mzML")),
    ...     PseudoImageParams(n_rt=32, n_mz=32, mz_range=(100, 600)), progress=False)
    >>> images.images.shape, images.sample_ids
    ((2, 32, 32), ['a', 'b'])
    """
    from tqdm.auto import tqdm

    params = params or PseudoImageParams()
    paths = [Path(f) for f in files]
    if not paths:
        raise DataNotFoundError("no mzML/mzXML files given")
    ids = [str(s) for s in sample_ids] if sample_ids is not None else [_stem(p) for p in paths]
    if len(ids) != len(paths):
        raise ConfigError(f"{len(ids)} sample IDs for {len(paths)} files")
    points: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for path in tqdm(paths, desc="pseudo-images", unit="file", disable=not progress):
        rt, mz, intensity = _run_points(path, params.ms_level)
        keep = intensity >= params.min_intensity
        if not keep.any():
            logger.warning("%s: no MS1 point reaches intensity %g", path, params.min_intensity)
        points.append((rt[keep], mz[keep], np.asarray(intensity[keep], np.float64)))
    rt_all = np.concatenate([p[0] for p in points])
    mz_all = np.concatenate([p[1] for p in points])
    rt_range = params.rt_range or _data_range(rt_all, "RT")
    mz_range = params.mz_range or _data_range(mz_all, "m/z")
    sample = np.repeat(np.arange(len(points)), [len(p[0]) for p in points])
    hist = _histograms(
        sample,
        rt_all,
        mz_all,
        np.concatenate([p[2] for p in points]),
        len(points),
        params,
        rt_range,
        mz_range,
    )
    return PseudoImageSet(
        _finish(hist, params),
        np.linspace(*rt_range, params.n_rt + 1),
        np.linspace(*mz_range, params.n_mz + 1),
        ids,
        params,
        [str(p) for p in paths],
        {"made_from": "points", "points_used": [len(p[0]) for p in points]},
    )


def _stem(path: Path) -> str:
    """``run.mzML.gz`` / ``run.mzML.npz`` / ``run.npy`` → ``run``."""
    name = path.name
    for suffix in (".npz", ".npy", ".gz", ".mzML", ".mzml", ".mzXML", ".mzxml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


# ---------------------------------------------------------------------------- from matrices
def _axis_edges(centres: np.ndarray) -> np.ndarray:
    step = float(centres[1] - centres[0]) if len(centres) > 1 else 1.0
    return np.concatenate([[centres[0] - step / 2], centres + step / 2])


def _monotone(bins: np.ndarray) -> bool:
    """Whether the in-range bins never decrease (then runs of equal bins are contiguous)."""
    inside = bins[bins >= 0]
    return bool(len(inside)) and bool((np.diff(inside) >= 0).all())


def _sum_into_bins(values: np.ndarray, bins: np.ndarray, n_bins: int, axis: int) -> np.ndarray:
    """Sum slices of ``values`` along ``axis`` into bins (non-decreasing; -1: outside)."""
    keep = np.flatnonzero(bins >= 0)
    part = np.take(values, keep, axis=axis)
    kept_bins = bins[keep]
    starts = np.flatnonzero(np.r_[True, np.diff(kept_bins) != 0])
    if len(starts) == len(kept_bins):  # one slice per bin (up-sampling): nothing to add
        summed = part
    else:  # run sums as differences of a cumulative sum (np.add.reduceat loops per run)
        total = np.cumsum(part, axis=axis)
        ends = np.take(total, np.r_[starts[1:], len(kept_bins)] - 1, axis=axis)
        before = np.take(total, np.maximum(starts - 1, 0), axis=axis)
        first = [slice(None)] * values.ndim
        first[axis] = slice(0, 1)
        before[tuple(first)] = 0.0
        summed = ends - before
    shape = list(values.shape)
    shape[axis] = n_bins
    out = np.zeros(shape, dtype=np.float64)
    index = [slice(None)] * values.ndim
    index[axis] = kept_bins[starts]
    out[tuple(index)] = summed
    return out


def pseudo_images_from_arrays(
    x: Any,
    params: PseudoImageParams | None = None,
    *,
    rt: Any = None,
    mz: Any = None,
    sample_ids: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
) -> PseudoImageSet:
    """Pseudo-images of RT × m/z matrices ``(n, RT, m/z)`` (or ``(n, 1, RT, m/z)``).

    Every cell is one point at its row's RT and its column's m/z with the cell's intensity,
    so the DeepLCMS transform applies unchanged; the histogram spans the matrices' axes
    (or ``params``'s ranges). The grid is the same for every cell of every sample, so the
    histogram is two sums over runs of rows and columns that share a bin (differences of
    cumulative sums; a ``np.bincount`` over the cells when the axes are not sorted).

    Parameters
    ----------
    x
        Raw intensities (e.g. :class:`~omicsnet.ms.arrays.LCMSArrays` ``.x``).
    params
        The transform. With fewer matrix rows than ``n_rt`` some image rows get no cell
        (the blur fills them); choose ``n_rt``/``n_mz`` at most the matrix size to avoid that.
    rt, mz
        Row times and column m/z (bin centres); default row and column indices.
    sample_ids, sources
        One ID (default ``"0"``, ``"1"``, ...) and one source name per matrix.

    Examples
    --------
    >>> x = np.zeros((2, 10, 10), "f4")
    >>> x[0, 2, 3] = x[1, 7, 8] = 1e6
    >>> s = pseudo_images_from_arrays(x, PseudoImageParams(n_rt=5, n_mz=5, blur_sigma=0))
    >>> [np.unravel_index(int(i.argmax()), i.shape) for i in s.images]
    [(np.int64(1), np.int64(1)), (np.int64(3), np.int64(4))]
    """
    params = params or PseudoImageParams()
    values = np.asarray(x)
    if values.ndim == 4 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim == 2:
        values = values[None]
    if values.ndim != 3:
        raise DataError(f"matrices must be (n, RT, m/z) or (n, 1, RT, m/z); got {values.shape}")
    n, h, w = values.shape
    rt_c = np.arange(h, dtype=np.float64) if rt is None else np.asarray(rt, np.float64)
    mz_c = np.arange(w, dtype=np.float64) if mz is None else np.asarray(mz, np.float64)
    if rt_c.shape != (h,) or mz_c.shape != (w,):
        raise DataError(
            f"matrices of {h} x {w} cells need {h} RT and {w} m/z values; got "
            f"{rt_c.shape[0]} and {mz_c.shape[0]}"
        )
    if not np.isfinite(values).all():
        raise DataError(f"{int((~np.isfinite(values)).sum())} NaN/infinite matrix values")
    rt_edges = _axis_edges(rt_c)
    mz_edges = _axis_edges(mz_c)
    rt_range = params.rt_range or (float(rt_edges[0]), float(rt_edges[-1]))
    mz_range = params.mz_range or (float(mz_edges[0]), float(mz_edges[-1]))
    # bins of each row and column, computed once for all samples
    rows = _bin_index(rt_c, *rt_range, params.n_rt)
    cols = _bin_index(mz_c, *mz_range, params.n_mz)
    kept = values >= params.min_intensity
    if (rows >= 0).all() and (cols >= 0).all():
        used = kept.reshape(n, -1).sum(axis=1)
    else:
        used = kept[:, rows >= 0][:, :, cols >= 0].reshape(n, -1).sum(axis=1)
    if _monotone(rows) and _monotone(cols):
        # a fixed grid: sum runs of rows, then of columns, sharing a bin (no per-cell index)
        masked = np.where(kept, values, 0).astype(np.float64)
        hist = _sum_into_bins(_sum_into_bins(masked, rows, params.n_rt, 1), cols, params.n_mz, 2)
    else:
        sample, r, c = np.nonzero(kept)
        inside = (rows[r] >= 0) & (cols[c] >= 0)
        sample, r, c = sample[inside], r[inside], c[inside]
        flat = (sample * params.n_rt + rows[r]) * params.n_mz + cols[c]
        hist = np.bincount(
            flat,
            weights=values[sample, r, c].astype(np.float64),
            minlength=n * params.n_rt * params.n_mz,
        ).reshape(n, params.n_rt, params.n_mz)
    ids = [str(s) for s in sample_ids] if sample_ids is not None else [str(i) for i in range(n)]
    return PseudoImageSet(
        _finish(hist, params),
        np.linspace(*rt_range, params.n_rt + 1),
        np.linspace(*mz_range, params.n_mz + 1),
        ids,
        params,
        list(sources) if sources is not None else ids,
        {
            "made_from": "matrices",
            "points_used": used.tolist(),
            "rt_axis": "index" if rt is None else "minutes",
            "mz_axis": "index" if mz is None else "m/z",
        },
    )


def pseudo_images_from_matrices(
    files: Sequence[str | os.PathLike[str]], params: PseudoImageParams | None = None
) -> PseudoImageSet:
    """Pseudo-images of saved :class:`~omicsnet.ms.binning.LCMSMatrix` files (``.npz``).

    The matrices must share their RT and m/z axes (same binning).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from omicsnet.ms.binning import _demo_matrix
    >>> path = _demo_matrix().save(pathlib.Path(tempfile.mkdtemp()) / "run.mzML.npz")
    >>> s = pseudo_images_from_matrices([path], PseudoImageParams(n_rt=2, n_mz=3,
    ...                                 min_intensity=1, blur_sigma=0))
    >>> s.sample_ids, s.images.shape
    (['run'], (1, 2, 3))
    """
    from omicsnet.ms.binning import LCMSMatrix

    paths = [Path(f) for f in files]
    if not paths:
        raise DataNotFoundError("no matrix files given")
    matrices = [LCMSMatrix.load(p) for p in paths]
    first = matrices[0]
    for path, matrix in zip(paths[1:], matrices[1:], strict=True):
        if matrix.shape != first.shape or not (
            np.array_equal(matrix.rt, first.rt) and np.array_equal(matrix.mz_edges, first.mz_edges)
        ):
            raise DataError(
                f"{path}: its RT/m/z axes differ from {paths[0]} (shape {matrix.shape} vs "
                f"{first.shape}); convert all files with the same binning parameters"
            )
    return pseudo_images_from_arrays(
        np.stack([m.values for m in matrices]),
        params,
        rt=first.rt,
        mz=first.mz,
        sample_ids=[_stem(p) for p in paths],
        sources=[str(p) for p in paths],
    )


def plot_pseudo_image(
    images: PseudoImageSet, sample: int | str = 0, *, cmap: str = "viridis"
) -> Figure:
    """A figure of one pseudo-image with RT and m/z axes (not registered with pyplot).

    Examples
    --------
    >>> s = PseudoImageSet(np.random.default_rng(0).random((1, 8, 8)), np.arange(9.0),
    ...                    np.arange(9.0), ["a"], PseudoImageParams(n_rt=8, n_mz=8))
    >>> len(plot_pseudo_image(s, "a").axes)
    2
    """
    from matplotlib.figure import Figure

    from omicsnet.utils.plotting import colorbar, label_axes, style

    index = images.sample_ids.index(sample) if isinstance(sample, str) else int(sample)
    with style():
        fig = Figure(figsize=(5.0, 4.0), layout="constrained")
        ax = fig.subplots()
        shown = ax.imshow(
            images.images[index],
            origin="lower",
            aspect="auto",
            cmap=cmap,
            extent=(
                images.mz_edges[0],
                images.mz_edges[-1],
                images.rt_edges[0],
                images.rt_edges[-1],
            ),
        )
        colorbar(
            shown,
            ax,
            "log(1 + scaled intensity)" if images.params.log else "intensity (scaled)",
        )
        label_axes(
            ax,
            x="m/z column" if images.info.get("mz_axis") == "index" else "m/z",
            y="RT row" if images.info.get("rt_axis") == "index" else ("RT", "min"),
        )
        ax.set_title(f"sample {images.sample_ids[index]}: pseudo-image")
    return fig


# ---------------------------------------------------------------------------- augmentations
def _as_batch(x: torch.Tensor) -> tuple[torch.Tensor, int]:
    from omicsnet.ms.arrays import _as_batch as as_batch

    return as_batch(x)


def _restore(x: torch.Tensor, ndim: int) -> torch.Tensor:
    from omicsnet.ms.arrays import _restore as restore

    return restore(x, ndim)


def _check_p(p: float, name: str) -> float:
    if not 0.0 <= float(p) <= 1.0:
        raise ConfigError(f"{name} p must be in [0, 1], got {p}")
    return float(p)


def _shift(image: torch.Tensor, dr: int, dc: int) -> torch.Tensor:
    """Shift ``(..., rows, cols)`` by whole pixels, zero fill."""
    import torch

    out = torch.zeros_like(image)
    rows, cols = image.shape[-2:]
    if abs(dr) >= rows or abs(dc) >= cols:
        return out
    src_r = slice(max(0, -dr), rows - max(0, dr))
    dst_r = slice(max(0, dr), rows - max(0, -dr))
    src_c = slice(max(0, -dc), cols - max(0, dc))
    dst_c = slice(max(0, dc), cols - max(0, -dc))
    out[..., dst_r, dst_c] = image[..., src_r, src_c]
    return out


class RandomShift2D:
    """Shift each image by random whole pixels along RT and m/z (zero fill).

    Parameters
    ----------
    max_shift
        Largest shift in pixels along each axis (DeepLCMS: 5).
    p
        Probability that an image is shifted.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 5, 5)
    >>> x[0, 0, 2, 2] = 1.0
    >>> out = RandomShift2D(2)(x, generator=torch.Generator().manual_seed(1))
    >>> float(out.sum()), out.shape
    (1.0, torch.Size([1, 1, 5, 5]))
    """

    def __init__(self, max_shift: int = 5, p: float = 1.0) -> None:
        if int(max_shift) < 0:
            raise ConfigError(f"RandomShift2D max_shift must be >= 0, got {max_shift}")
        self.max_shift, self.p = int(max_shift), _check_p(p, "RandomShift2D")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        import torch

        batch, ndim = _as_batch(x)
        n = len(batch)
        shifts = torch.randint(-self.max_shift, self.max_shift + 1, (n, 2), generator=generator)
        apply = torch.rand(n, generator=generator) < self.p
        out = batch.clone()
        for i in range(n):
            dr, dc = (int(v) for v in shifts[i])
            if apply[i] and (dr or dc):
                out[i] = _shift(batch[i], dr, dc)
        return _restore(out, ndim)

    def __repr__(self) -> str:
        return f"RandomShift2D(max_shift={self.max_shift}, p={self.p})"


class RandomRotation:
    """Rotate each image by a random angle in ``[-degrees, degrees]`` about its centre.

    Bilinear resampling (``grid_sample``), zero outside the image, all images of a batch
    in one call.

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(3, 1, 12, 12)
    >>> torch.allclose(RandomRotation(0)(x), x, atol=1e-5)
    True
    >>> RandomRotation(5)(x, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([3, 1, 12, 12])
    """

    def __init__(self, degrees: float = 5.0, p: float = 1.0) -> None:
        if not 0 <= float(degrees) <= 180:
            raise ConfigError(f"RandomRotation degrees must be in [0, 180], got {degrees}")
        self.degrees, self.p = float(degrees), _check_p(p, "RandomRotation")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        import torch
        from torch.nn import functional as F

        batch, ndim = _as_batch(x)
        if self.degrees == 0 or self.p == 0:
            return x
        n = len(batch)
        angles = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(self.degrees)
        apply = torch.rand(n, generator=generator) < self.p
        angles = torch.where(apply, angles, torch.zeros(()))
        cos, sin = torch.cos(angles), torch.sin(angles)
        zero = torch.zeros_like(cos)
        theta = torch.stack(
            [torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1
        )
        theta = theta.to(batch.device, batch.dtype)
        grid = F.affine_grid(theta, list(batch.shape), align_corners=False)
        out = F.grid_sample(batch, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return _restore(out, ndim)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, p={self.p})"


class ColorJitter:
    """Random brightness (gain) and contrast (spread about the image mean) per image.

    ``out = clamp((x * b - m) * c + m, min=0)`` with ``b`` uniform in
    ``[1 - brightness, 1 + brightness]``, ``c`` in ``[1 - contrast, 1 + contrast]`` and ``m``
    the brightened image's mean: torchvision's ``ColorJitter`` for one-channel images.

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(2, 1, 6, 6)
    >>> torch.equal(ColorJitter(0.0, 0.0)(x), x)
    True
    >>> bool((ColorJitter(0.3, 0.3)(x, generator=torch.Generator().manual_seed(0)) >= 0).all())
    True
    """

    def __init__(self, brightness: float = 0.2, contrast: float = 0.2, p: float = 1.0) -> None:
        for name, value in (("brightness", brightness), ("contrast", contrast)):
            if not 0 <= float(value) < 1:
                raise ConfigError(f"ColorJitter {name} must be in [0, 1), got {value}")
        self.brightness, self.contrast = float(brightness), float(contrast)
        self.p = _check_p(p, "ColorJitter")

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        import torch

        batch, ndim = _as_batch(x)
        if self.brightness == 0 and self.contrast == 0:
            return x
        n = len(batch)
        draws = torch.rand(n, 3, generator=generator)
        gain = 1 + (draws[:, 0] * 2 - 1) * self.brightness
        spread = 1 + (draws[:, 1] * 2 - 1) * self.contrast
        apply = draws[:, 2] < self.p
        gain = torch.where(apply, gain, torch.ones(())).view(n, 1, 1, 1).to(batch)
        spread = torch.where(apply, spread, torch.ones(())).view(n, 1, 1, 1).to(batch)
        bright = batch * gain
        mean = bright.mean(dim=(1, 2, 3), keepdim=True)
        return _restore(((bright - mean) * spread + mean).clamp_min(0.0), ndim)

    def __repr__(self) -> str:
        return f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, p={self.p})"


def shifted_copies(x: torch.Tensor, shift: int = 5) -> torch.Tensor:
    """DeepLCMS's nine copies of each image: shifts ``{-shift, 0, +shift}`` along RT × m/z.

    Returns ``(9 n, C, H, W)`` ordered sample by sample (copy 4 of each is the original).
    Make copies **after** splitting samples into folds, so that no copy of a test sample
    is trained on.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(2, 1, 12, 12)
    >>> x[:, :, 6, 6] = 1.0
    >>> copies = shifted_copies(x, 5)
    >>> copies.shape, torch.equal(copies[4], x[0])
    (torch.Size([18, 1, 12, 12]), True)
    >>> [tuple(int(i) for i in (c[0] == 1).nonzero()[0]) for c in copies[:3]]
    [(1, 1), (1, 6), (1, 11)]
    """
    import torch

    batch, _ = _as_batch(x)
    offsets = [(dr, dc) for dr in (-shift, 0, shift) for dc in (-shift, 0, shift)]
    copies = [torch.stack([_shift(img, dr, dc) for dr, dc in offsets]) for img in batch]
    return torch.cat(copies)


def deeplcms_augmentation(
    max_shift: int = 5,
    degrees: float = 5.0,
    brightness: float = 0.2,
    contrast: float = 0.2,
    erase_p: float = 0.25,
) -> Compose:
    """RT/m/z shifts, rotation, colour jitter and random erasing, as in DeepLCMS.

    Examples
    --------
    >>> [type(t).__name__ for t in deeplcms_augmentation().transforms]
    ['RandomShift2D', 'RandomRotation', 'ColorJitter', 'RandomErasing']
    """
    from omicsnet.ms.arrays import Compose, RandomErasing

    transforms: list[Any] = [
        RandomShift2D(max_shift),
        RandomRotation(degrees),
        ColorJitter(brightness, contrast),
    ]
    if erase_p > 0:
        transforms.append(RandomErasing(p=erase_p))
    return Compose(transforms)


__all__ = [
    "ColorJitter",
    "PseudoImageParams",
    "PseudoImageSet",
    "RandomRotation",
    "RandomShift2D",
    "deeplcms_augmentation",
    "plot_pseudo_image",
    "pseudo_image_from_points",
    "pseudo_images_from_arrays",
    "pseudo_images_from_files",
    "pseudo_images_from_matrices",
    "shifted_copies",
]
