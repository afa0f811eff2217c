"""``omicsnet demo``: a small end-to-end run on built-in data, in well under a minute.

It generates paired transcript/protein data, trains the zoo's ``mlp`` with the shared
trainer (early stopping, checkpoints), evaluates it on held-out samples against a
mean-predictor baseline, saves it, reloads it and checks that the reloaded model predicts
exactly the same values. Each model family then adds a short step of its own (its
``FamilySpec.demo``, in the order of :data:`omicsnet.families.FAMILIES`), run in a
subfolder of the output named after the family.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omicsnet.families import DemoStep, family_demo_steps

logger = logging.getLogger(__name__)

DEMO_CONFIG: dict[str, Any] = {
    "model": {"name": "mlp", "config": {"hidden": [128, 64], "dropout": 0.1}},
    "data": {
        "dataset": "synthetic_omics",
        "params": {"n_samples": 600, "n_genes": 300, "n_proteins": 60, "seed": 0},
        "split": {"val": 0.15, "test": 0.15},
        "standardize": True,
    },
    "trainer": {
        "max_epochs": 150,
        "batch_size": 32,
        "lr": 1e-3,
        "weight_decay": 1e-4,
        "scheduler": "plateau",
        "early_stopping": 15,
        "grad_clip": 5.0,
    },
    "seed": 0,
}


#: Further demo steps, ``{subfolder: "module:function"}``; each function is called as
#: ``function(output / subfolder, quick=..., progress=...)`` and returns a :class:`DemoStep`.


@dataclass
class DemoReport:
    """What the demo measured."""

    output_dir: Path
    test_metrics: dict[str, float]
    baseline_r2: float
    ridge_r2: float
    reload_identical: bool
    epochs_run: int
    best_epoch: int | None
    steps: list[DemoStep] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the reload check and every step succeeded."""
        return self.reload_identical and all(step.ok for step in self.steps)

    def lines(self) -> list[str]:
        from omicsnet.utils.numbers import format_number as num

        m = self.test_metrics
        nan = float("nan")
        return [
            f"omicsnet demo: mlp on generated paired omics ({self.epochs_run} epochs, "
            f"best epoch {self.best_epoch})",
            f"  test R²       {num(m.get('r2', nan))}   (baselines on the same split: "
            f"mean predictor {num(self.baseline_r2)}, ridge regression {num(self.ridge_r2)})",
            f"  test Pearson  {num(m.get('pearson', nan))}",
            f"  test MSE      {num(m.get('mse', nan), 4)}",
            f"  reloaded model predicts identically: {'yes' if self.reload_identical else 'NO'}",
            f"  outputs in {self.output_dir} (model/, checkpoints/, history.csv, metrics.json"
            + (", history.png)" if (self.output_dir / "history.png").exists() else ")"),
        ] + [line for step in self.steps for line in step.lines]


def run_demo(
    output: str | os.PathLike[str] | None = None,
    *,
    quick: bool = False,
    overwrite: bool = False,
    progress: bool = True,
) -> DemoReport:
    """Run the demo and return its report.

    Parameters
    ----------
    output
        Output folder; default ``omicsnet-demo/<timestamp>`` in the working directory.
    quick
        Fewer samples and epochs (for tests and smoke checks).
    overwrite
        Replace an existing output folder.
    progress
        Show progress bars.

    Examples
    --------
    >>> import tempfile
    >>> report = run_demo(tempfile.mkdtemp() + "/demo", quick=True, progress=False)
    >>> report.ok
    True
    """
    import copy

    import torch

    from omicsnet.models.serialization import load
    from omicsnet.train.experiment import run_experiment

    config = copy.deepcopy(DEMO_CONFIG)
    if quick:
        config["data"]["params"].update(n_samples=200, n_genes=60, n_proteins=12)
        config["trainer"].update(max_epochs=8, early_stopping=4)
    out = Path(output) if output is not None else _default_output()
    result = run_experiment(config, output=out, overwrite=overwrite, progress=progress)

    # reload from disk and compare predictions on the test samples
    from omicsnet.data.registry import load_dataset

    data = load_dataset("synthetic_omics", **config["data"]["params"])
    reloaded = load(result.model_dir)
    x = torch.tensor(data.x.to_numpy()[:16], dtype=torch.float32)
    with torch.no_grad():
        identical = torch.equal(result.model.eval()(x), reloaded(x))

    mean_r2, ridge_r2 = _baseline_r2(result, data)
    _plot_history(result.history, out / "history.png")
    steps = [
        _run_step(spec, out / name, quick=quick, progress=progress)
        for name, spec in family_demo_steps().items()
    ]
    return DemoReport(
        out,
        result.test_metrics,
        mean_r2,
        ridge_r2,
        identical,
        len(result.history),
        result.best_epoch,
        steps,
    )


def _run_step(spec: str, step_dir: Path, *, quick: bool, progress: bool) -> DemoStep:
    module_name, _, function_name = spec.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    logger.info("demo step %s -> %s", spec, step_dir)
    step: DemoStep = function(step_dir, quick=quick, progress=progress)
    return step


def _baseline_r2(result: Any, data: Any) -> tuple[float, float]:
    """Test R² of a mean predictor and of ridge regression (penalty by CV), on the same split.

    Both are fitted on every non-test sample (the network's training plus validation).
    """
    import json

    import numpy as np
    from sklearn.linear_model import RidgeCV

    metrics = json.loads((result.output_dir / "metrics.json").read_text())
    test_ids = metrics["test_samples"]
    x_fit, x_test = data.x.drop(index=test_ids), data.x.loc[test_ids]
    y_fit = data.y.drop(index=test_ids).to_numpy(dtype=float)
    y_test = data.y.loc[test_ids].to_numpy(dtype=float)

    def r2(pred: np.ndarray) -> float:
        ss_res = ((y_test - pred) ** 2).sum(0)
        ss_tot = ((y_test - y_test.mean(0)) ** 2).sum(0)
        return float(np.mean(1 - ss_res / ss_tot))

    mean_pred = np.broadcast_to(y_fit.mean(0), y_test.shape)
    ridge = RidgeCV(alphas=np.logspace(-2, 3, 12)).fit(x_fit.to_numpy(), y_fit)
    return r2(mean_pred), r2(ridge.predict(x_test.to_numpy()))


def _plot_history(history: Any, path: Path) -> None:
    try:
        from omicsnet.utils.plotting import pyplot, save_figure

        plt = pyplot()
    except ImportError:
        logger.info("matplotlib not installed: skipping the learning-curve plot")
        return
    from omicsnet.utils.plotting import label_axes, style

    with style():
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120, layout="constrained")
        ax.plot(history["epoch"], history["train_loss"], label="training")
        if "val_loss" in history:
            ax.plot(history["epoch"], history["val_loss"], label="validation")
        best = history["val_loss"].idxmin() if "val_loss" in history else None
        if best is not None:
            ax.axvline(history["epoch"][best], ls=":", color="grey", label="best epoch")
        label_axes(ax, x="epoch", y="loss (MSE, log scale)")
        ax.set_yscale("log")
        ax.legend()
        ax.set_title("omicsnet demo: learning curve")
    save_figure(fig, path, dpi=120)


def _default_output() -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("omicsnet-demo") / stamp
