"""The training plan of transcript → protein networks: regression with missing targets masked."""

from __future__ import annotations

import torch
from torch import Tensor

from omicsnet.train.plans import RegressionPlan


class MaskedRegressionPlan(RegressionPlan):
    """Mean squared error over measured targets only; per-protein metrics.

    Missing targets are ``NaN`` in the target tensor, or have ``mask`` 0 when the batch
    carries a ``"mask"`` (as :meth:`omicsnet.t2p.data.ScaledT2P.dataset` makes). They add
    nothing to the loss or its gradient. Metrics: ``mse``, and median and mean per-protein
    Pearson r and R² (see :mod:`omicsnet.t2p.evaluate`).

    Examples
    --------
    >>> import torch
    >>> plan = MaskedRegressionPlan()
    >>> outputs = torch.tensor([[1.0, 5.0], [2.0, 0.0]])
    >>> target = torch.tensor([[2.0, float("nan")], [2.0, 0.0]])
    >>> float(plan.compute_loss(outputs, target))  # (1 + 0 + 0) / 3 measured values
    0.3333333432674408
    """

    name = "masked_regression"

    def target(self, batch: dict[str, Tensor]) -> Tensor:
        target = batch["y"]
        if "mask" in batch:
            target = torch.where(batch["mask"] > 0, target, torch.full_like(target, float("nan")))
        return target

    def compute_loss(self, outputs: Tensor, target: Tensor) -> Tensor:
        target = target.to(outputs.dtype).view_as(outputs)
        observed = torch.isfinite(target)
        filled = torch.where(observed, target, outputs.detach())
        return ((outputs - filled) ** 2).sum() / observed.sum().clamp_min(1)

    def metrics(self, outputs: Tensor, target: Tensor) -> dict[str, float]:
        from omicsnet.t2p.evaluate import per_protein_metrics, summarize_metrics

        truth = target.double().reshape(len(target), -1).numpy()
        pred = outputs.double().reshape(len(outputs), -1).numpy()
        summary = summarize_metrics(per_protein_metrics(truth, pred))
        return {
            "mse": summary["mse"],
            "pearson": summary["pearson_r_mean"],
            "pearson_median": summary["pearson_r_median"],
            "r2": summary["r2_mean"],
            "r2_median": summary["r2_median"],
        }


__all__ = ["MaskedRegressionPlan"]
