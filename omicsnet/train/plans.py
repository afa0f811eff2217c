"""Training plans: what loss a model is trained on and which metrics are reported.

A plan is separate from both the model and the trainer (after scvi-tools): the same
``mlp`` trains as a regressor or a classifier depending on its plan, and model families
with special objectives (autoencoder pretraining, ensembles) bring their own plan.

Batches are dictionaries of tensors: ``"x"`` holds the inputs and ``"y"`` the targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor
from torch.nn import functional as F

from omicsnet.errors import ConfigError, DataError


class TrainingPlan:
    """Base plan: ``loss`` for one batch, ``metrics`` for a whole evaluation pass.

    Subclasses override :meth:`compute_loss` and, optionally, :meth:`metrics`.
    """

    name = "base"
    input_key = "x"
    target_key: str | None = "y"

    def forward(self, model: Any, batch: dict[str, Tensor]) -> Tensor:
        """Run the model on the batch's inputs."""
        return model(batch[self.input_key])

    def target(self, batch: dict[str, Tensor]) -> Tensor:
        """The tensor the outputs are compared with."""
        if self.target_key is None or self.target_key not in batch:
            raise ConfigError(f"plan {self.name!r} needs targets under {self.target_key!r}")
        return batch[self.target_key]

    def step(self, model: Any, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Return ``(loss, outputs)`` for one batch."""
        outputs = self.forward(model, batch)
        return self.compute_loss(outputs, self.target(batch)), outputs

    def compute_loss(self, outputs: Tensor, target: Tensor) -> Tensor:
        raise TypeError(f"{type(self).__name__} must define compute_loss()")

    def metrics(self, outputs: Tensor, target: Tensor) -> dict[str, float]:
        """Metrics over a whole evaluation pass (outputs and targets concatenated)."""
        return {}

    def check_data(self, data: Any) -> None:
        """Refuse training data this plan cannot learn from (the trainer calls it first)."""


def _targets_of(data: Any, key: str | None) -> Tensor | None:
    """The targets of an in-memory dataset (an augmented one's base), else ``None``."""
    tensors = getattr(getattr(data, "base", data), "tensors", None)
    if key is None or not isinstance(tensors, dict) or key not in tensors:
        return None
    return tensors[key]


def _check_classes(plan: TrainingPlan, data: Any) -> None:
    """A classifier needs at least two classes among its training targets."""
    y = _targets_of(data, plan.target_key)
    if y is None or y.numel() == 0:
        return
    present = torch.unique(y.reshape(-1).long() if not y.is_floating_point() else y.reshape(-1))
    if len(present) < 2:
        raise DataError(
            f"the training samples all belong to one class ({present.tolist()}): a classifier "
            "cannot learn anything from them (its accuracy would be 1.0 by construction); "
            "add samples of another class"
        )


class RegressionPlan(TrainingPlan):
    """Mean squared error; reports MSE, mean R² and mean Pearson r over outputs.

    Examples
    --------
    >>> import torch
    >>> plan = RegressionPlan()
    >>> y = torch.tensor([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    >>> plan.metrics(y * 2, y)["pearson"]
    1.0
    """

    name = "regression"

    def compute_loss(self, outputs: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(outputs, target.to(outputs.dtype).view_as(outputs))

    def metrics(self, outputs: Tensor, target: Tensor) -> dict[str, float]:
        outputs = outputs.double().reshape(len(outputs), -1)
        target = target.double().reshape(len(target), -1)
        residual = ((outputs - target) ** 2).sum(0)
        centred = target - target.mean(0)
        total = (centred**2).sum(0)
        r2 = 1.0 - residual / total.clamp_min(1e-12)
        oc = outputs - outputs.mean(0)
        denom = (oc.pow(2).sum(0) * total).sqrt()
        pearson = (oc * centred).sum(0) / denom.clamp_min(1e-12)
        valid = total > 1e-12
        return {
            "mse": float(residual.sum() / target.numel()),
            "r2": float(r2[valid].mean()) if bool(valid.any()) else float("nan"),
            "pearson": round(float(pearson[valid].mean()), 12)
            if bool(valid.any())
            else float("nan"),
        }


class ReconstructionPlan(RegressionPlan):
    """Autoencoder pretraining: the target is the input itself."""

    name = "reconstruction"
    target_key = None

    def target(self, batch: dict[str, Tensor]) -> Tensor:
        return batch[self.input_key]


class ClassificationPlan(TrainingPlan):
    """Cross-entropy over classes (integer labels); reports accuracy and balanced accuracy.

    Examples
    --------
    >>> import torch
    >>> plan = ClassificationPlan()
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    >>> plan.metrics(logits, torch.tensor([0, 1, 1]))["accuracy"]
    0.6666666666666666
    """

    name = "classification"

    def check_data(self, data: Any) -> None:
        _check_classes(self, data)

    def compute_loss(self, outputs: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(outputs, target.long().view(-1))

    def metrics(self, outputs: Tensor, target: Tensor) -> dict[str, float]:
        predicted = outputs.argmax(1)
        target = target.long().view(-1)
        recalls = [
            float((predicted[target == c] == c).double().mean()) for c in target.unique().tolist()
        ]
        return {
            "accuracy": float((predicted == target).double().mean()),
            "balanced_accuracy": sum(recalls) / len(recalls),
        }


class WeightedClassificationPlan(ClassificationPlan):
    """Cross-entropy with per-class weights (for unbalanced cohorts).

    Parameters
    ----------
    weights
        One weight per class (e.g. from :func:`balanced_class_weights`).

    Examples
    --------
    >>> import torch
    >>> plan = WeightedClassificationPlan([1.0, 3.0])
    >>> logits, y = torch.zeros(2, 2), torch.tensor([0, 1])
    >>> round(float(plan.compute_loss(logits, y)), 4)   # weighted mean of log 2
    0.6931
    """

    name = "weighted_classification"

    def __init__(self, weights: Sequence[float]) -> None:
        self.weights = torch.as_tensor([float(w) for w in weights], dtype=torch.float32)
        if self.weights.ndim != 1 or len(self.weights) < 2 or bool((self.weights <= 0).any()):
            raise ConfigError(f"class weights must be >= 2 positive numbers, got {list(weights)}")

    def compute_loss(self, outputs: Tensor, target: Tensor) -> Tensor:
        weight = self.weights.to(device=outputs.device, dtype=outputs.dtype)
        return F.cross_entropy(outputs, target.long().view(-1), weight=weight)


def balanced_class_weights(y: Any, n_classes: int | None = None) -> list[float]:
    """Class weights ``n / (n_classes * count_c)`` (scikit-learn's "balanced").

    Parameters
    ----------
    y
        Integer class codes.
    n_classes
        Number of classes (default ``max(y) + 1``).

    Raises
    ------
    ConfigError
        When a class has no sample (its weight would be infinite).

    Examples
    --------
    >>> balanced_class_weights([0, 0, 0, 1])
    [0.6666666666666666, 2.0]
    """
    import numpy as np

    codes = (
        np.asarray(torch.as_tensor(y).cpu().numpy() if isinstance(y, Tensor) else y)
        .astype(int)
        .ravel()
    )
    n = int(n_classes if n_classes is not None else codes.max() + 1)
    counts = np.bincount(codes, minlength=n)
    if (counts == 0).any():
        raise ConfigError(
            f"classes {np.flatnonzero(counts == 0).tolist()} have no training samples"
        )
    return (len(codes) / (n * counts)).tolist()


class BinaryPlan(TrainingPlan):
    """Binary cross-entropy on logits; reports accuracy at 0.5 and ROC AUC."""

    name = "binary"

    def check_data(self, data: Any) -> None:
        _check_classes(self, data)

    def compute_loss(self, outputs: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            outputs, target.to(outputs.dtype).view_as(outputs)
        )

    def metrics(self, outputs: Tensor, target: Tensor) -> dict[str, float]:
        scores = outputs.reshape(-1).double()
        labels = target.reshape(-1).double()
        return {
            "accuracy": float(((scores > 0).double() == labels).double().mean()),
            "auc": roc_auc(scores, labels),
        }


def roc_auc(scores: Tensor, labels: Tensor) -> float:
    """ROC AUC by the rank-sum (Mann–Whitney U) formula, with ties averaged.

    Examples
    --------
    >>> import torch
    >>> roc_auc(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1]))
    0.75
    """
    from scipy.stats import rankdata

    labels_np = labels.cpu().numpy().astype(bool)
    n_pos, n_neg = int(labels_np.sum()), int((~labels_np).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores.cpu().numpy())
    return float((ranks[labels_np].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


PLANS: dict[str, type[TrainingPlan]] = {  # plans that need no arguments
    plan.name: plan for plan in (RegressionPlan, ReconstructionPlan, ClassificationPlan, BinaryPlan)
}


def resolve_plan(plan: TrainingPlan | str | None, model: Any) -> TrainingPlan:
    """Return a plan: the given one, one by name, the model's own, or one for its task.

    Examples
    --------
    >>> from omicsnet.models import create_model
    >>> type(resolve_plan(None, create_model("mlp", task="classification"))).__name__
    'ClassificationPlan'
    """
    if isinstance(plan, TrainingPlan):
        return plan
    if plan is None:
        own = getattr(model, "training_plan", None)
        if callable(own):
            return own()
        plan = getattr(model, "task", "regression")
    try:
        return PLANS[str(plan)]()
    except KeyError:
        raise ConfigError(
            f"unknown training plan {plan!r}; choose one of {', '.join(PLANS)}"
        ) from None
