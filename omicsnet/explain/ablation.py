"""Check saliency maps by removing what they point at; find background categories.

Two analyses, both on any classifier given as a ``predict_proba(x) -> (n, n_classes)``
callable (a zoo model, an ensemble's ``predict_proba``, a function), so single models and
ensembles are treated alike:

* :func:`deletion_insertion` — the causal metrics of Petsiuk et al. (2018): delete cells
  from the input in order of decreasing saliency (or insert them into an empty input) and
  record the target class's score after each step; a good map makes the deletion curve
  fall fast (low area under the curve) and the insertion curve rise fast (high AUC).
  Each map is compared with **random orders** of the same cells, so the numbers say how
  much better than chance the map is.
* :func:`background_category_analysis` — DeepMSProfiler's test for a "background
  category" (Deng et al. 2024): progressively remove the top-scoring signals of each
  class (cells, m/z columns or RT rows ranked by that class's saliency profile) and record
  every class's accuracy. In a single multi-class model one class often depends on no
  signal at all — it is what the model answers when the other classes' evidence is
  missing — so removing its own signals leaves its accuracy intact;
  :func:`background_categories` flags such classes, and an ensemble should have none.
  :func:`plot_background` draws the curves.

Examples
--------
>>> import numpy as np, torch
>>> def predict_proba(x):  # class 1 when the top-left corner is bright
...     logit = 10 * (torch.as_tensor(x)[:, 0, :2, :2].mean(dim=(1, 2)) - 0.5)
...     return torch.stack([1 - torch.sigmoid(logit), torch.sigmoid(logit)], dim=1)
>>> saliency = np.zeros((6, 6))
>>> saliency[:2, :2] = 1.0
>>> result = deletion_insertion(predict_proba, torch.ones(1, 1, 6, 6), saliency, targets=[1],
...                             steps=6, n_random=4)
>>> summary = result.summary()
>>> bool(summary.loc["deletion", "saliency_auc"] < summary.loc["deletion", "random_auc"])
True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from omicsnet.errors import ConfigError, DataError
from omicsnet.explain.maps import SaliencyBatch, SaliencyMap, _label_indices
from omicsnet.explain.rise import _positive_int, image_batch, make_scorer
from omicsnet.models.inference import eval_mode, model_device

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)

MODES = ("deletion", "insertion")
UNITS = ("pixel", "mz", "rt")

PredictProba = Callable[[torch.Tensor], Any]


# ---------------------------------------------------------------------------- predictions
def as_predict_proba(
    model: nn.Module | PredictProba,
    *,
    activation: str = "softmax",
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> Callable[[Any], np.ndarray]:
    """Wrap a model (or any callable) as a batched ``predict_proba(x) -> ndarray``.

    The wrapper takes a tensor or array ``(n, channels, height, width)``, runs it in
    chunks of ``batch_size`` without gradients on the model's device (modules are put in
    eval mode for the call), applies ``activation`` and returns ``(n, n_classes)``
    float32 probabilities on the CPU.

    Parameters
    ----------
    model
        A ``torch.nn.Module`` returning logits, or a callable (use ``activation="none"``
        when it already returns probabilities, as an ensemble's ``predict_proba`` does).
    activation
        ``"softmax"``, ``"sigmoid"`` or ``"none"``.
    batch_size
        Inputs per call of the model.
    device
        Default: the model's device, else CPU.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> predict = as_predict_proba(nn.Sequential(nn.Flatten(), nn.Linear(4, 3)))
    >>> probs = predict(torch.rand(5, 1, 2, 2))
    >>> probs.shape, bool(np.allclose(probs.sum(axis=1), 1.0))
    ((5, 3), True)
    """
    batch_size = _positive_int(batch_size, "batch_size")
    scorer = make_scorer(model, activation)
    run_device = model_device(model, device)

    def predict_proba(x: Any) -> np.ndarray:
        images = image_batch(x)[0]
        with eval_mode(model, no_grad=False), torch.no_grad():
            parts = [
                scorer(images[i : i + batch_size].to(run_device)).cpu()
                for i in range(0, len(images), batch_size)
            ]
        return torch.cat(parts).numpy()

    return predict_proba


def _resolve_predict(model: nn.Module | PredictProba) -> Callable[[torch.Tensor], np.ndarray]:
    """Modules get a softmax wrapper; other callables are used as they are (outputs → numpy)."""
    if isinstance(model, nn.Module):
        return as_predict_proba(model)
    if not callable(model):
        raise ConfigError(
            f"expected a model or a predict_proba callable, got {type(model).__name__}"
        )

    def predict(batch: torch.Tensor) -> np.ndarray:
        out = model(batch)
        if isinstance(out, torch.Tensor):
            out = out.detach().cpu().numpy()
        out = np.asarray(out, dtype=np.float32)
        if out.ndim != 2 or len(out) != len(batch):
            raise ConfigError(
                f"predict_proba returned shape {out.shape} for {len(batch)} inputs; "
                "expected (n_inputs, n_classes)"
            )
        return out

    return predict


def _predict_all(
    predict: Callable[[torch.Tensor], np.ndarray], x: torch.Tensor, batch_size: int
) -> np.ndarray:
    return np.concatenate([predict(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


# ---------------------------------------------------------------------------- deletion / insertion
@dataclass
class CurveResult:
    """Deletion/insertion curves and their areas, saliency order vs random orders.

    Attributes
    ----------
    curves
        Long table: ``sample``, ``target``, ``mode`` (``deletion``/``insertion``),
        ``order`` (``saliency``/``random``; random curves are averaged over the random
        orders), ``fraction`` of cells removed or inserted, ``score`` of the target class.
    auc
        ``sample``, ``target``, ``mode``, ``order``, ``auc`` (trapezoid over the fraction
        axis, in score units) and ``auc_std`` (spread over random orders; 0 for saliency).
    """

    curves: pd.DataFrame
    auc: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Mean AUCs per mode, and how often the saliency order beats random.

        Returns
        -------
        pandas.DataFrame
            Index ``mode``; columns ``saliency_auc``, ``random_auc``, ``difference``
            (saliency − random; negative is good for deletion, positive for insertion),
            ``saliency_better`` (fraction of samples where the map beats the mean random
            order) and ``n_samples``.

        Examples
        --------
        >>> auc = pd.DataFrame({"sample": [0, 0], "target": [1, 1],
        ...                     "mode": ["deletion"] * 2, "order": ["saliency", "random"],
        ...                     "auc": [0.2, 0.5], "auc_std": [0.0, 0.1]})
        >>> CurveResult(pd.DataFrame(), auc).summary().loc["deletion", "saliency_better"]
        np.float64(1.0)
        """
        wide = self.auc.pivot_table(index=["mode", "sample"], columns="order", values="auc")
        if "random" not in wide.columns:  # n_random=0
            wide["random"] = np.nan
        rows = {}
        for mode, part in wide.groupby(level="mode"):
            sign = -1.0 if mode == "deletion" else 1.0
            better = sign * (part["saliency"] - part["random"]) > 0
            rows[mode] = {
                "saliency_auc": float(part["saliency"].mean()),
                "random_auc": float(part["random"].mean()),
                "difference": float((part["saliency"] - part["random"]).mean()),
                "saliency_better": float(better.mean()),
                "n_samples": len(part),
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "mode"
        return frame

    def plot(self) -> Figure:
        """Mean curves, saliency order against random orders, one panel per mode.

        Examples
        --------
        >>> curves = pd.DataFrame({"sample": 0, "target": 0, "mode": "deletion",
        ...                        "order": ["saliency"] * 2 + ["random"] * 2,
        ...                        "fraction": [0.0, 1.0] * 2, "score": [1.0, 0.0, 1.0, 0.5]})
        >>> len(CurveResult(curves, pd.DataFrame()).plot().axes)
        1
        """
        from matplotlib.figure import Figure

        from omicsnet.utils.plotting import label_axes, percent_axis, style

        modes = [m for m in MODES if m in set(self.curves["mode"])]
        with style():
            fig = Figure(figsize=(4.0 * max(1, len(modes)), 3.2), layout="constrained")
            axes = fig.subplots(1, max(1, len(modes)), squeeze=False)[0]
            for ax, mode in zip(axes, modes, strict=False):
                part = self.curves[self.curves["mode"] == mode]
                for order, dash in (("saliency", "-"), ("random", "--")):
                    mean = part[part["order"] == order].groupby("fraction")["score"].mean()
                    label = "most salient first" if order == "saliency" else "random order"
                    ax.plot(mean.index, mean.values, linestyle=dash, label=label)
                ax.set_title(mode)
                verb = "removed" if mode == "deletion" else "inserted"
                label_axes(ax, x=(f"cells {verb}", "%"), y="target-class score (mean)")
                percent_axis(ax, "x")
                ax.legend()
        return fig


def deletion_insertion(
    predict_proba: nn.Module | PredictProba,
    x: Any,
    saliency: SaliencyBatch | SaliencyMap | np.ndarray,
    targets: Sequence[int | str] | np.ndarray | None = None,
    *,
    steps: int = 32,
    n_random: int = 3,
    modes: Sequence[str] = MODES,
    fill_value: float = 0.0,
    batch_size: int = 64,
    seed: int = 0,
) -> CurveResult:
    """Deletion and insertion curves of saliency maps against random orders.

    For each sample, the cells are ordered by decreasing saliency of its target class.
    **Deletion** sets the first ``k`` cells (all channels) to ``fill_value``; **insertion**
    starts from an input of ``fill_value`` and restores the first ``k`` cells; ``k`` goes
    from 0 to all cells in ``steps`` equal steps and the target class's score is recorded
    at each. The same is done for ``n_random`` random orders (seeded).

    Parameters
    ----------
    predict_proba
        A model (softmax applied) or a callable returning ``(n, n_classes)`` probabilities
        for a float tensor ``(n, channels, height, width)``.
    x
        Inputs, as for :func:`~omicsnet.explain.rise.rise_maps`.
    saliency
        A :class:`SaliencyBatch` of these samples, a :class:`SaliencyMap` (class
        profiles: each sample uses its target class's profile), or an array
        ``(n, height, width)``, ``(n, n_classes, height, width)`` or one shared
        ``(height, width)`` map.
    targets
        Class of each sample whose score is tracked (indices, or names when ``saliency``
        has class names); default the model's prediction on the unperturbed input.
    steps
        Points on each curve after the start.
    n_random
        Random orders per sample (their curves and AUCs are averaged).
    modes
        ``"deletion"`` and/or ``"insertion"``.
    fill_value
        Value of removed (or not yet inserted) cells.
    batch_size
        Perturbed inputs per call of ``predict_proba``.
    seed
        Seed of the random orders.

    Returns
    -------
    CurveResult

    Raises
    ------
    ConfigError
        For bad parameters or a saliency map whose shape does not fit the inputs.

    Examples
    --------
    >>> import numpy as np, torch
    >>> predict = lambda x: torch.softmax(torch.stack([x[:, 0, 0, 0], -x[:, 0, 0, 0]], 1), 1)
    >>> saliency = np.arange(16.0)[::-1].reshape(4, 4)  # cell (0, 0) first
    >>> result = deletion_insertion(predict, torch.full((1, 1, 4, 4), 3.0), saliency,
    ...                             targets=[0], steps=4, n_random=2)
    >>> auc = result.auc.set_index(["mode", "order"])["auc"]
    >>> [round(float(auc[mode, "saliency"]), 3) for mode in ("deletion", "insertion")]
    [0.562, 0.935]
    >>> bool(auc["deletion", "saliency"] <= auc["deletion", "random"])
    True
    """
    steps = _positive_int(steps, "steps")
    if isinstance(n_random, bool) or not isinstance(n_random, (int, np.integer)) or n_random < 0:
        raise ConfigError(f"n_random must be a non-negative integer, got {n_random!r}")
    batch_size = _positive_int(batch_size, "batch_size")
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        raise ConfigError(f"modes must be among {MODES}, got {list(modes)}")
    predict = _resolve_predict(predict_proba)
    images = image_batch(x)[0]
    n, _, height, width = images.shape
    classes = list(getattr(saliency, "classes", None) or [])
    if targets is None:
        target_idx = _predict_all(predict, images, batch_size).argmax(axis=1)
    elif classes:
        target_idx = _label_indices(targets, classes, n, "targets")
    else:
        try:
            target_idx = np.asarray(targets, dtype=int).reshape(-1)
        except (TypeError, ValueError) as err:
            raise DataError(
                "targets must be class indices when the saliency maps carry no class names"
            ) from err
        if len(target_idx) != n:
            raise DataError(f"{len(target_idx)} targets given for {n} samples")
    maps = _per_sample_saliency(saliency, target_idx, n, (height, width))
    counts = np.round(np.linspace(0, height * width, steps + 1)).astype(int)
    fractions = counts / (height * width)
    rng = np.random.default_rng(seed)
    curve_rows: list[pd.DataFrame] = []
    auc_rows: list[dict[str, Any]] = []
    for i in range(n):
        target = int(target_idx[i])
        values = np.where(np.isfinite(maps[i]), maps[i], -np.inf).ravel()
        orders = {"saliency": [np.argsort(-values, kind="stable")]}
        orders["random"] = [rng.permutation(height * width) for _ in range(n_random)]
        for mode in modes:
            for order_name, perms in orders.items():
                if not perms:
                    continue
                scores = np.stack(
                    [
                        _curve(
                            predict, images[i], perm, counts, mode, fill_value, batch_size, target
                        )
                        for perm in perms
                    ]
                )
                areas = np.array([_trapezoid(s, fractions) for s in scores])
                curve_rows.append(
                    pd.DataFrame(
                        {
                            "sample": i,
                            "target": target,
                            "mode": mode,
                            "order": order_name,
                            "fraction": fractions,
                            "score": scores.mean(axis=0),
                        }
                    )
                )
                auc_rows.append(
                    {
                        "sample": i,
                        "target": target,
                        "mode": mode,
                        "order": order_name,
                        "auc": float(areas.mean()),
                        "auc_std": float(areas.std()),
                    }
                )
    return CurveResult(pd.concat(curve_rows, ignore_index=True), pd.DataFrame(auc_rows))


def _curve(
    predict: Callable[[torch.Tensor], np.ndarray],
    image: torch.Tensor,
    order: np.ndarray,
    counts: np.ndarray,
    mode: str,
    fill_value: float,
    batch_size: int,
    target: int,
) -> np.ndarray:
    height, width = image.shape[1:]
    rank = torch.empty(height * width, dtype=torch.long)
    rank[torch.as_tensor(order)] = torch.arange(height * width)
    fill = torch.full_like(image, float(fill_value))
    scores = []
    for start in range(0, len(counts), batch_size):
        chunk = torch.as_tensor(counts[start : start + batch_size])
        chosen = (rank[None, :] < chunk[:, None]).reshape(-1, 1, height, width)
        if mode == "deletion":
            batch = torch.where(chosen, fill, image)
        else:
            batch = torch.where(chosen, image, fill)
        probs = predict(batch)
        if target >= probs.shape[1]:
            raise ConfigError(f"target class {target} but the model has {probs.shape[1]} classes")
        scores.append(probs[:, target])
    return np.concatenate(scores).astype(float)


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    return float(((y[1:] + y[:-1]) / 2 * np.diff(x)).sum())


def _per_sample_saliency(
    saliency: SaliencyBatch | SaliencyMap | np.ndarray,
    targets: np.ndarray,
    n: int,
    shape: tuple[int, int],
) -> np.ndarray:
    if isinstance(saliency, SaliencyBatch):
        if len(saliency) != n:
            raise ConfigError(f"the saliency batch has {len(saliency)} samples, the inputs {n}")
        values = saliency.values[np.arange(n), targets]
    elif isinstance(saliency, SaliencyMap):
        values = saliency.values[targets]
    else:
        array = np.asarray(saliency, dtype=float)
        if array.ndim == 2:
            values = np.broadcast_to(array, (n, *array.shape))
        elif array.ndim == 3 and len(array) == n:
            values = array
        elif array.ndim == 4 and len(array) == n:
            values = array[np.arange(n), targets]
        else:
            raise ConfigError(
                f"saliency of shape {array.shape} does not fit {n} inputs: give (height, width), "
                "(n, height, width) or (n, n_classes, height, width)"
            )
    if values.shape[1:] != shape:
        raise ConfigError(f"saliency maps are {values.shape[1:]} but the inputs are {shape}")
    return np.asarray(values, dtype=float)


# ---------------------------------------------------------------------------- background categories
def remove_top_signals(
    x: Any,
    saliency: np.ndarray,
    fraction: float,
    *,
    unit: str = "pixel",
    fill_value: float = 0.0,
) -> tuple[torch.Tensor, int]:
    """Set the highest-saliency part of every input to ``fill_value``.

    Parameters
    ----------
    x
        Inputs, as for :func:`~omicsnet.explain.rise.rise_maps`.
    saliency
        One ``(height, width)`` map ranking the cells (NaN ranks last).
    fraction
        Share of the units to remove, in ``[0, 1]`` (rounded to whole units).
    unit
        ``"pixel"`` (cells), ``"mz"`` (whole columns, ranked by their highest cell) or
        ``"rt"`` (whole rows).
    fill_value
        Value written into removed units.

    Returns
    -------
    (inputs with the signals removed, number of units removed)

    Examples
    --------
    >>> import numpy as np, torch
    >>> saliency = np.array([[0.0, 5.0, 1.0], [0.0, 4.0, 2.0]])
    >>> out, removed = remove_top_signals(torch.ones(1, 1, 2, 3), saliency, 0.34, unit="mz")
    >>> out[0, 0].tolist(), removed
    ([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]], 1)
    """
    if unit not in UNITS:
        raise ConfigError(f"unit must be one of {UNITS}, got {unit!r}")
    if not 0.0 <= float(fraction) <= 1.0:
        raise ConfigError(f"fraction must be in [0, 1], got {fraction}")
    images = image_batch(x)[0].clone()
    values = np.asarray(saliency, dtype=float)
    if values.shape != tuple(images.shape[2:]):
        raise ConfigError(
            f"saliency map is {values.shape} but the inputs are {tuple(images.shape[2:])}"
        )
    values = np.where(np.isfinite(values), values, -np.inf)
    if unit == "pixel":
        scores = values.ravel()
    elif unit == "mz":
        scores = values.max(axis=0)
    else:
        scores = values.max(axis=1)
    n_removed = round(float(fraction) * len(scores))
    if n_removed == 0:
        return images, 0
    top = torch.as_tensor(np.argsort(-scores, kind="stable")[:n_removed])
    if unit == "pixel":
        flat = images.view(images.shape[0], images.shape[1], -1)
        flat[:, :, top] = float(fill_value)
    elif unit == "mz":
        images[:, :, :, top] = float(fill_value)
    else:
        images[:, :, top, :] = float(fill_value)
    return images, n_removed


def background_category_analysis(
    models: Mapping[str, nn.Module | PredictProba] | nn.Module | PredictProba,
    x: Any,
    y: Sequence[int | str] | np.ndarray,
    saliency: SaliencyMap | Mapping[str, SaliencyMap],
    *,
    fractions: Sequence[float] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2),
    unit: str = "pixel",
    fill_value: float = 0.0,
    batch_size: int = 64,
    progress: bool = True,
) -> pd.DataFrame:
    """Per-class accuracy as each class's top signals are progressively removed.

    For every model, every class ``r`` and every fraction ``f``, the top ``f`` of the
    units (cells, m/z columns or RT rows) of class ``r``'s saliency profile are removed
    from every input, and the accuracy (recall) and mean true-class probability of each
    true class are recorded. A class whose accuracy survives the removal of its own
    signals depends on none of them: a *background category*
    (:func:`background_categories`).

    Parameters
    ----------
    models
        ``{name: model or predict_proba}`` (e.g. each sub-model and the ensemble), or a
        single one (named ``"model"``). Modules get a softmax; callables must return
        probabilities.
    x
        Inputs, as for :func:`~omicsnet.explain.rise.rise_maps`.
    y
        True class of each input (indices or class names).
    saliency
        Class profiles ranking the signals: one :class:`SaliencyMap` for all models, or
        ``{name: SaliencyMap}`` with each model's own profiles (same classes).
    fractions
        Shares of the units removed, in ``[0, 1]``; 0 (nothing removed) is always added.
    unit
        ``"pixel"``, ``"mz"`` or ``"rt"`` (see :func:`remove_top_signals`).
    fill_value
        Value of removed units.
    batch_size
        Inputs per call of a model.
    progress
        Show a progress bar.

    Returns
    -------
    pandas.DataFrame
        ``model``, ``removed_class``, ``fraction``, ``n_removed``, ``true_class``,
        ``n_samples``, ``accuracy``, ``mean_probability``.

    Raises
    ------
    ConfigError
        Missing profiles for a model, classes that disagree, bad fractions or unit.
    DataError
        Labels that are not classes.

    Examples
    --------
    >>> import numpy as np, torch
    >>> x = torch.zeros(4, 1, 4, 4)
    >>> x[:2, 0, 0, 0] = 1.0  # class "a" samples light up cell (0, 0)
    >>> predict = lambda v: torch.stack([v[:, 0, 0, 0], 1 - v[:, 0, 0, 0]], dim=1)
    >>> profile = np.zeros((2, 4, 4))
    >>> profile[0, 0, 0] = 1.0
    >>> profile[1, 3, 3] = 1.0
    >>> table = background_category_analysis(
    ...     {"m": predict}, x, ["a", "a", "b", "b"], SaliencyMap(profile, classes=["a", "b"]),
    ...     fractions=[0.1], progress=False)
    >>> removed_a = table[(table.removed_class == "a") & (table.fraction == 0.1)]
    >>> removed_a.set_index("true_class")["accuracy"].to_dict()
    {'a': 0.0, 'b': 1.0}
    """
    from tqdm.auto import tqdm

    if unit not in UNITS:
        raise ConfigError(f"unit must be one of {UNITS}, got {unit!r}")
    batch_size = _positive_int(batch_size, "batch_size")
    wanted = sorted({0.0, *(float(f) for f in fractions)})
    if any(not 0.0 <= f <= 1.0 for f in wanted):
        raise ConfigError(f"fractions must lie in [0, 1], got {list(fractions)}")
    if not isinstance(models, Mapping):
        models = {"model": models}
    if not models:
        raise ConfigError("no models given")
    profiles = _profiles_by_model(saliency, list(models))
    classes = list(next(iter(profiles.values())).classes or [])
    images = image_batch(x)[0]
    truth = _label_indices(y, classes, len(images), "y")
    rows: list[dict[str, Any]] = []
    total = len(models) * (1 + len(classes) * (len(wanted) - 1))
    with tqdm(total=total, desc="background categories", disable=not progress) as bar:
        for name, model in models.items():
            predict = _resolve_predict(model)
            profile = profiles[name]
            baseline = _predict_all(predict, images, batch_size)
            bar.update(1)
            for r, removed in enumerate(classes):
                ranking = profile.values[r]
                if not np.isfinite(ranking).any():
                    logger.warning(
                        "model %r: the profile of class %r is empty (no correctly predicted "
                        "sample); its signals cannot be removed",
                        name,
                        removed,
                    )
                    bar.update(len(wanted) - 1)
                    continue
                for fraction in wanted:
                    if fraction == 0.0:
                        probs, n_removed = baseline, 0
                    else:
                        perturbed, n_removed = remove_top_signals(
                            images, ranking, fraction, unit=unit, fill_value=fill_value
                        )
                        probs = _predict_all(predict, perturbed, batch_size)
                        bar.update(1)
                    if probs.shape[1] != len(classes):
                        raise ConfigError(
                            f"model {name!r} returns {probs.shape[1]} classes but the profiles "
                            f"have {len(classes)}"
                        )
                    predicted = probs.argmax(axis=1)
                    for c, true_class in enumerate(classes):
                        members = truth == c
                        count = int(members.sum())
                        rows.append(
                            {
                                "model": name,
                                "removed_class": removed,
                                "fraction": fraction,
                                "n_removed": n_removed,
                                "true_class": true_class,
                                "n_samples": count,
                                "accuracy": float((predicted[members] == c).mean())
                                if count
                                else float("nan"),
                                "mean_probability": float(probs[members, c].mean())
                                if count
                                else float("nan"),
                            }
                        )
    return pd.DataFrame(rows)


def _profiles_by_model(
    saliency: SaliencyMap | Mapping[str, SaliencyMap], names: list[str]
) -> dict[str, SaliencyMap]:
    if isinstance(saliency, SaliencyMap):
        profiles = dict.fromkeys(names, saliency)
    elif isinstance(saliency, Mapping):
        missing = [n for n in names if n not in saliency]
        if missing:
            raise ConfigError(f"no saliency profiles for models {missing}")
        profiles = {n: saliency[n] for n in names}
    else:
        raise ConfigError(
            "saliency must be a SaliencyMap or {model name: SaliencyMap}, "
            f"got {type(saliency).__name__}"
        )
    reference = list(next(iter(profiles.values())).classes or [])
    for name, profile in profiles.items():
        if list(profile.classes or []) != reference:
            raise ConfigError(
                f"profiles of model {name!r} have classes {profile.classes}, others {reference}"
            )
    return profiles


def background_categories(
    table: pd.DataFrame, *, min_drop: float = 0.1, fraction: float | None = None
) -> pd.DataFrame:
    """Summarise :func:`background_category_analysis`: which classes need no signal.

    Parameters
    ----------
    table
        The analysis table.
    min_drop
        A class is a background category when removing its own top signals lowers its
        accuracy by less than this (and it had some accuracy to lose).
    fraction
        Removal level to judge at; default the largest in the table.

    Returns
    -------
    pandas.DataFrame
        One row per model and class: ``baseline_accuracy``, ``own_removed_accuracy``,
        ``own_drop``, ``others_removed_accuracy`` (mean over the other classes' removals),
        ``background`` (bool).

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "model": "m", "removed_class": ["a"] * 4 + ["b"] * 4,
    ...     "fraction": [0.0, 0.0, 0.2, 0.2] * 2, "true_class": ["a", "b"] * 4,
    ...     "accuracy": [1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]})
    >>> background_categories(table)[["class", "own_drop", "background"]].values.tolist()
    [['a', 1.0, False], ['b', 0.0, True]]
    """
    if table.empty:
        raise DataError("the background-category table is empty")
    level = float(table["fraction"].max()) if fraction is None else float(fraction)
    if not np.isclose(table["fraction"], level).any():
        raise ConfigError(f"no rows at fraction {level} (have {sorted(set(table['fraction']))})")
    rows = []
    for model, part in table.groupby("model", sort=False):
        base = part[part["fraction"] == 0.0].groupby("true_class", sort=False)["accuracy"].first()
        at = part[np.isclose(part["fraction"], level)]
        for cls in base.index:
            own = at[(at["removed_class"] == cls) & (at["true_class"] == cls)]["accuracy"]
            others = at[(at["removed_class"] != cls) & (at["true_class"] == cls)]["accuracy"]
            own_acc = float(own.iloc[0]) if len(own) else float("nan")
            drop = float(base[cls]) - own_acc
            rows.append(
                {
                    "model": model,
                    "class": cls,
                    "fraction": level,
                    "baseline_accuracy": float(base[cls]),
                    "own_removed_accuracy": own_acc,
                    "own_drop": drop,
                    "others_removed_accuracy": float(others.mean())
                    if len(others)
                    else float("nan"),
                    "background": bool(base[cls] > 0 and np.isfinite(drop) and drop < min_drop),
                }
            )
    return pd.DataFrame(rows)


def plot_background(table: pd.DataFrame) -> Figure:
    """Accuracy of each true class against the share of signals removed.

    One row of panels per model, one column per removed class; the removed class's own
    curve is drawn thick.

    Examples
    --------
    >>> table = pd.DataFrame({"model": "m", "removed_class": "a", "fraction": [0.0, 0.1],
    ...                       "true_class": "a", "accuracy": [1.0, 0.5]})
    >>> len(plot_background(table).axes)
    1
    """
    from matplotlib.figure import Figure

    from omicsnet.utils.plotting import LINE_COLOURS, label_axes, percent_axis, style

    if table.empty:
        raise DataError("the background-category table is empty")
    models = list(dict.fromkeys(table["model"]))
    removed = list(dict.fromkeys(table["removed_class"]))
    true_classes = list(dict.fromkeys(table["true_class"]))
    colour = {c: LINE_COLOURS[i % len(LINE_COLOURS)] for i, c in enumerate(true_classes)}
    dashes = ("-", "--", "-.", ":")
    dash = {c: dashes[i % len(dashes)] for i, c in enumerate(true_classes)}
    with style():
        fig = Figure(figsize=(3.2 * len(removed), 2.6 * len(models) + 0.3), layout="constrained")
        grid = fig.subplots(len(models), len(removed), squeeze=False, sharey=True, sharex=True)
        for i, model in enumerate(models):
            for j, cls in enumerate(removed):
                ax = grid[i][j]
                part = table[(table["model"] == model) & (table["removed_class"] == cls)]
                for true_class, curve in part.groupby("true_class", sort=False):
                    curve = curve.sort_values("fraction")
                    ax.plot(
                        curve["fraction"],
                        curve["accuracy"],
                        marker="o",
                        markersize=3,
                        color=colour[true_class],
                        linestyle=dash[true_class],
                        linewidth=2.5 if true_class == cls else 1.2,
                        label=str(true_class),
                    )
                ax.set_title(f"{model}: {cls} signals removed", fontsize=8)
                ax.set_ylim(-0.05, 1.05)
                percent_axis(ax, "x")
                label_axes(
                    ax,
                    x=("top-saliency cells removed", "%") if i == len(models) - 1 else None,
                    y="accuracy" if j == 0 else None,
                )
        grid[0][0].legend(title="true class", fontsize=7)
    return fig
