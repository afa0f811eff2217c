"""Training a transcript → protein network on one scaled split, with missing targets masked.

:func:`train_t2p` builds a ``residual_mlp`` from a (JSON) config, fills in the residual
indices from the data, trains it with the shared :class:`~omicsnet.train.Trainer` using the
batch size and learning rate it is given, and scores it per protein on the test samples.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from omicsnet.errors import ConfigError
from omicsnet.t2p.plans import MaskedRegressionPlan

logger = logging.getLogger(__name__)


@dataclass
class T2PTrainResult:
    """What :func:`train_t2p` returns.

    Attributes
    ----------
    model
        The trained ``residual_mlp`` (best validation epoch restored).
    val_loss
        Best validation loss (masked MSE; or the best value of the ``monitor`` given in
        ``trainer_config``), or the final training loss without validation samples.
    test_metrics
        :func:`~omicsnet.t2p.evaluate.summarize_metrics` of the test predictions.
    per_protein
        :func:`~omicsnet.t2p.evaluate.per_protein_metrics` on the test samples.
    predictions
        Test samples × proteins predictions.
    history
        The trainer's per-epoch history.
    batch_size, lr
        The values actually used.
    """

    model: Any
    val_loss: float
    test_metrics: dict[str, float]
    per_protein: pd.DataFrame
    predictions: pd.DataFrame
    history: pd.DataFrame
    batch_size: int
    lr: float


RESIDUAL_INITS = ("fit", "ones")


def build_t2p_model(
    model_config: dict[str, Any],
    scaled: Any,
    *,
    residual_set: str = "own",
    residual_init: str = "fit",
) -> Any:
    """Build a ``residual_mlp`` sized to a scaled split, with its residual indices filled in.

    Parameters
    ----------
    model_config
        ``{"blocks": [...], "residual": {"enabled": bool, "indices": list or None},
        "linear_path": bool}``; ``in_features``/``out_features`` come from the data.
        ``indices: None`` (or absent) uses ``residual_set``. ``linear_path: true`` adds a
        linear path with one unit per training sample (see ``residual_init``).
    scaled
        A :class:`~omicsnet.t2p.data.ScaledT2P`.
    residual_set
        ``"own"``, ``"correlated"``, ``"uncorrelated"`` or ``"random"`` (see
        :func:`omicsnet.t2p.data.residual_indices`).
    residual_init
        ``"fit"`` (default): with the residual path on, the network starts as the
        one-to-one linear model: each residual gain is the least-squares slope of the
        protein on its residual transcript over the training samples, the output layer's
        bias the matching intercept and its weights zero (they receive gradients from the
        first step, as in zero-initialised residual branches). With a linear path, the
        start is the two-stage :func:`~omicsnet.t2p.linear.own_residual_ridge` fit
        instead, its ridge frozen in the linear path, so the blocks learn only what a
        well-regularised linear model misses. ``"ones"``: gains 1, the default
        initialisation of the output layer, and a trainable linear path.
    """
    from omicsnet.models import create_model
    from omicsnet.t2p.data import residual_indices

    config = dict(model_config)
    for key in ("in_features", "out_features"):
        if key in config and config[key] != _data_width(scaled, key):
            raise ConfigError(
                f"model_config {key}={config[key]} does not match the data "
                f"({_data_width(scaled, key)})"
            )
        config.pop(key, None)
    if bool(config.pop("linear_path", False)):
        config["linear_rank"] = len(scaled.x_train)
        config["linear_trainable"] = residual_init != "fit"
    residual = dict(config.get("residual", {"enabled": True}))
    if residual.get("enabled", True) and residual.get("indices") is None:
        residual["indices"] = residual_indices(scaled, residual_set)
    residual.setdefault("enabled", True)
    config["residual"] = residual
    if residual_init not in RESIDUAL_INITS:
        raise ConfigError(f"residual_init must be one of {RESIDUAL_INITS}, got {residual_init!r}")
    model = create_model(
        "residual_mlp",
        in_features=len(scaled.transcripts),
        out_features=len(scaled.proteins),
        input_features=scaled.transcripts,
        output_features=scaled.proteins,
        **config,
    )
    if residual_init == "fit" and (model.residual_enabled or model.linear_rank):
        indices = residual["indices"] if model.residual_enabled else [-1] * model.n_outputs
        _start_from_linear_fit(model, scaled, np.asarray(indices))
    return model


def _start_from_linear_fit(model: Any, scaled: Any, indices: np.ndarray) -> None:
    """Set the residual gains, output bias and linear path to the closed-form linear fit.

    Without a linear path: each protein's least-squares fit on its residual transcript
    (:func:`~omicsnet.t2p.linear.own_mrna_fit`). With one: the two-stage
    :func:`~omicsnet.t2p.linear.own_residual_ridge`, whose ridge (solved in sample
    space) becomes the linear path — inputs → one unit per training sample (the centred
    training inputs) → outputs (the dual coefficients) — and is frozen. The output layer's
    weights start at zero, so the untrained network predicts exactly that linear fit.
    """
    from omicsnet.t2p.linear import own_mrna_fit, own_residual_ridge

    x = scaled.x_train.astype(np.float64)
    y = scaled.y_train.astype(np.float64)
    offset = 0.0
    if model.linear_rank:
        intercept, slope, ridge = own_residual_ridge(x, y, indices)
        offset = ridge.y_mean_
        logger.info("linear path: ridge penalty %g (leave-one-out)", float(ridge.alpha_[0]))
        with torch.no_grad():
            model.linear_in.weight.copy_(torch.as_tensor(ridge.xc_, dtype=torch.float32))
            model.linear_in.bias.copy_(
                torch.as_tensor(-(ridge.xc_ @ ridge.x_mean_), dtype=torch.float32)
            )
            model.linear_out.weight.copy_(torch.as_tensor(ridge.dual_.T, dtype=torch.float32))
    else:
        intercept, slope = own_mrna_fit(x, y, indices)
    with torch.no_grad():
        if model.residual_enabled:
            model.residual_gain.copy_(torch.as_tensor(slope, dtype=torch.float32))
        model.head.bias.copy_(torch.as_tensor(intercept + offset, dtype=torch.float32))
        model.head.weight.zero_()


def _data_width(scaled: Any, key: str) -> int:
    return len(scaled.transcripts) if key == "in_features" else len(scaled.proteins)


def train_t2p(
    model_config: dict[str, Any],
    scaled: Any,
    *,
    batch_size: int = 64,
    lr: float = 1e-3,
    max_epochs: int = 200,
    early_stopping: int | None = 20,
    trainer_config: dict[str, Any] | None = None,
    residual_set: str = "own",
    residual_init: str = "fit",
    seed: int = 0,
    device: str = "auto",
    progress: bool = False,
) -> T2PTrainResult:
    """Train a ``residual_mlp`` on one scaled split and score it on its test samples.

    Parameters
    ----------
    model_config
        Blocks and residual of the network (see :func:`build_t2p_model`).
    scaled
        A :class:`~omicsnet.t2p.data.ScaledT2P` (validation samples drive early stopping
        and the best epoch; without them the training loss does).
    batch_size, lr
        Mini-batch size and learning rate, passed to the trainer and really used (the
        original code ignored the searched batch size).
    max_epochs, early_stopping
        Epoch budget and patience (``None``: no early stopping).
    trainer_config
        Further :class:`~omicsnet.train.Trainer` arguments (``optimizer``,
        ``weight_decay``, ``scheduler``, ``grad_clip``...). ``batch_size`` and ``lr``
        belong to the arguments above.
    residual_set, residual_init
        Which transcript each protein's residual uses when the config gives no indices,
        and how the residual path starts (see :func:`build_t2p_model`).
    seed, device, progress
        Trainer seed, device (``"auto"``: CUDA when present) and progress bar.

    Returns
    -------
    T2PTrainResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from omicsnet.t2p.data import t2p_from_tables, t2p_splits
    >>> rng = np.random.default_rng(0)
    >>> rna = pd.DataFrame(rng.normal(size=(40, 6)), columns=list("ABCDEF"))
    >>> protein = rna[["A", "B"]] + 0.1 * rng.normal(size=(40, 2))
    >>> data = t2p_from_tables(rna, protein, genes_in_rows=False)
    >>> scaled = data.scaled(next(iter(t2p_splits(data, scheme="standard"))))
    >>> result = train_t2p({"blocks": []}, scaled, batch_size=8, max_epochs=30, lr=0.05,
    ...                    device="cpu")
    >>> result.test_metrics["pearson_r_median"] > 0.9
    True
    """
    from omicsnet.t2p.evaluate import per_protein_metrics, summarize_metrics
    from omicsnet.train.defaults import make_trainer

    options = dict(trainer_config or {})
    for key in ("batch_size", "lr"):
        if key in options:
            raise ConfigError(f"pass {key} as train_t2p({key}=...), not in trainer_config")
    if int(batch_size) < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    from omicsnet.train.seeding import seed_everything

    seed_everything(seed)  # the initial weights, too, follow the seed
    model = build_t2p_model(
        model_config, scaled, residual_set=residual_set, residual_init=residual_init
    )
    train_data = scaled.dataset("train")
    val_data = scaled.dataset("val") if len(scaled.val_ids) else None
    trainer = make_trainer(
        None,
        {
            "batch_size": int(batch_size),
            "lr": float(lr),
            "max_epochs": int(max_epochs),
            "early_stopping": early_stopping if val_data is not None else None,
            "seed": seed,
            "device": device,
            "progress": progress,
            **options,
        },
        model=model,  # with batch norm, a last batch of one sample is dropped
        n_train=len(train_data),
    )
    fit = trainer.fit(model, train_data, val_data, plan=MaskedRegressionPlan())
    model = fit.model
    if len(scaled.test_ids):
        outputs = trainer.predict(model, scaled.dataset("test")).numpy()
    else:
        outputs = np.zeros((0, len(scaled.proteins)), dtype=np.float32)
    table = per_protein_metrics(scaled.y_test, outputs, scaled.proteins)
    val_loss = (
        float(fit.best_score)
        if fit.best_score is not None
        else float(fit.history["train_loss"].iloc[-1])
    )
    return T2PTrainResult(
        model=model,
        val_loss=val_loss,
        test_metrics=summarize_metrics(table) if len(scaled.test_ids) else {},
        per_protein=table,
        predictions=pd.DataFrame(outputs, index=scaled.test_ids, columns=scaled.proteins),
        history=fit.history,
        batch_size=int(batch_size),
        lr=float(lr),
    )
