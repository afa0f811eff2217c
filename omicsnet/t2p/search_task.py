"""The transcript → protein search task: one point of the search space → one trial.

:func:`run_trial` is the campaign task (``task: omicsnet.t2p.search_task:run_trial``, or
``task: t2p``): it loads the data named in the campaign's ``task_options`` once per
process, builds one split, trains the model with the **searched** batch size and learning
rate, and returns validation loss, median per-protein Pearson r, parameter count and
inference latency. The space itself (parameter names, :func:`trial_config`) is
:mod:`omicsnet.t2p.space`.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omicsnet.t2p.space import trial_config

logger = logging.getLogger(__name__)

# ------------------------------------------------------------------------- the task
TASK_OPTION_KEYS = {
    "data",
    "split",
    "top_variable",
    "max_epochs",
    "early_stopping",
    "trainer",
    "save_model",
}
_PREPARED: dict[str, Any] = {}
_DATA: dict[str, Any] = {}


def run_trial(parameters: dict[str, Any], context: Any) -> dict[str, float]:
    """Train and score one architecture of the search space (the campaign task).

    Task options (``task_options`` of the campaign config):

    ``data``
        Paired data spec (:func:`omicsnet.t2p.workflows.load_data`): ``{cohorts: ucec}``,
        ``{rna: FILE, protein: FILE}`` or ``{synthetic: {...}}``; default UCEC.
    ``split``
        Split spec (:func:`omicsnet.t2p.workflows.get_split`); default the standard
        0.8/0.1/0.1 split with seed 0. Validation samples drive early stopping and the
        objective.
    ``top_variable``
        Restrict the inputs to that many most variable transcripts plus the own mRNAs.
    ``max_epochs``, ``early_stopping``, ``trainer``
        Training budget, patience and further trainer settings.
    ``save_model``
        Save the trained network in the trial folder (``model/``).

    The data are loaded and split once per worker process and reused by later trials.

    Returns
    -------
    dict
        ``val_loss`` (best validation masked MSE), ``val_median_r`` (median per-protein
        Pearson r on the validation samples), ``test_median_r``, ``test_mse``,
        ``n_params``, ``latency_ms`` (forward pass of 64 samples), ``epochs`` and
        ``train_seconds``. The trial folder gets ``t2p_trial.json`` (the config, with the
        batch size and learning rate used, and the metrics).

    Examples
    --------
    >>> import tempfile
    >>> from omicsnet.search import TrialContext
    >>> options = {"data": {"synthetic": {"n_samples": 60, "n_genes": 20, "n_proteins": 4}},
    ...            "max_epochs": 3}
    >>> context = TrialContext(trial_index=0, seed=0, out_dir=tempfile.mkdtemp(),
    ...                        options=options)
    >>> metrics = run_trial({"lr": 0.01, "batch_size": 8, "residual": True}, context)
    >>> metrics["n_params"]  # a linear head 20 x 4 + 4 biases + 4 residual gains
    88.0
    """
    from omicsnet.config import check_keys
    from omicsnet.search.tasks import forward_latency_ms
    from omicsnet.t2p.evaluate import per_protein_metrics
    from omicsnet.t2p.workflows import fit_config, predict
    from omicsnet.utils.io import atomic_write_text

    options = dict(getattr(context, "options", None) or {})
    check_keys(options, TASK_OPTION_KEYS, "task_options")
    config = trial_config(parameters)
    scaled = _prepared_split(options, context)
    device = str(getattr(context, "device", "cpu") or "cpu")
    started = time.perf_counter()
    result = fit_config(
        config,
        scaled,
        max_epochs=int(options.get("max_epochs", 200)),
        early_stopping=options.get("early_stopping", 20),
        trainer=options.get("trainer"),
        seed=int(getattr(context, "seed", 0)),
        device=device,
    )
    seconds = time.perf_counter() - started
    model = result.model
    metrics: dict[str, float] = {
        "val_loss": float(result.val_loss),
        "n_params": float(sum(p.numel() for p in model.parameters())),
        "epochs": float(len(result.history)),
        "train_seconds": seconds,
    }
    if len(scaled.val_ids):
        table = per_protein_metrics(scaled.y_val, predict(model, scaled.x_val), scaled.proteins)
        metrics["val_median_r"] = float(table["pearson_r"].median())
    if result.test_metrics:
        metrics["test_median_r"] = float(result.test_metrics["pearson_r_median"])
        metrics["test_mse"] = float(result.test_metrics["mse"])
    metrics["latency_ms"] = forward_latency_ms(model, device=device)
    out_dir = Path(getattr(context, "out_dir", "."))
    atomic_write_text(
        out_dir / "t2p_trial.json",
        json.dumps({"config": config.as_dict(), "metrics": metrics}, indent=2),
        overwrite=True,
    )
    if options.get("save_model"):
        from omicsnet.models.serialization import save

        save(model, out_dir / "model", overwrite=True, metadata={"t2p_trial": config.as_dict()})
    return {k: v for k, v in metrics.items() if math.isfinite(v)}


def _prepared_split(options: Mapping[str, Any], context: Any) -> Any:
    """The scaled split named by the task options, loaded once per process.

    The data are kept too (one data set per process), so that campaigns on other splits
    of the same data (the inner campaigns of :mod:`omicsnet.t2p.nested`) do not read the
    files again.
    """
    from omicsnet.t2p.workflows import load_data, prepare_split

    data_key = json.dumps(
        {
            "data": options.get("data", {"cohorts": "ucec"}),
            "base_dir": str(getattr(context, "base_dir", ".")),
            "data_dir": getattr(context, "data_dir", None),
        },
        sort_keys=True,
        default=str,
    )
    key = json.dumps(
        {
            "data": data_key,
            "split": options.get("split"),
            "top_variable": options.get("top_variable"),
        },
        sort_keys=True,
        default=str,
    )
    if key not in _PREPARED:
        if data_key not in _DATA:
            _DATA.clear()  # one data set per process at a time
            _DATA[data_key] = load_data(
                options.get("data", {"cohorts": "ucec"}),
                base_dir=getattr(context, "base_dir", "."),
                data_dir=getattr(context, "data_dir", None),
            )
        _PREPARED.clear()  # one split per process at a time
        _PREPARED[key] = prepare_split(
            _DATA[data_key], options.get("split"), top_variable=options.get("top_variable")
        )
        logger.info("t2p task data ready: %s", key)
    return _PREPARED[key]


# ------------------------------------------------------------------------- checks
