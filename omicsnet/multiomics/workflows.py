"""Fused against single-omics models and classical baselines, on the same seeded folds.

:func:`compare_fusion` cross-validates, on one set of stratified folds
(:func:`omicsnet.train.cv.stratified_kfold`):

* ``mlp[OMICS]``: a network on each omics alone (the single-omics models);
* ``early_fusion`` and ``intermediate_fusion`` on all omics;
* ``logreg[...]`` (multinomial logistic regression, its L2 strength chosen by a 3-fold
  CV inside the training fold) and ``rf[...]`` (random forest, 500 trees) on each omics
  alone and on all omics concatenated (``[all]``).

Every choice is made on the training fold only: the scaling (per feature, training
samples' mean and SD), the logistic regression's ``C``, and the networks' stopping epoch
(early stopping on a stratified 15 % of the training fold). The networks' settings are
fixed in advance (:data:`NETWORK_SETTINGS`), not tuned on the folds. Scores: per split
(macro F1, balanced accuracy, accuracy, from :func:`omicsnet.train.metrics`), and on the
pooled out-of-fold predictions with bootstrap confidence intervals
(:func:`omicsnet.train.metrics.classification_report`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> labels = pd.Series(np.repeat(["A", "B"], 20), index=[f"s{i}" for i in range(40)])
>>> shift = (labels == "B").to_numpy()[:, None] * 1.5
>>> omics = {"rna": pd.DataFrame(rng.normal(size=(40, 5)) + shift, index=labels.index),
...          "prot": pd.DataFrame(rng.normal(size=(40, 3)), index=labels.index)}
>>> result = compare_fusion(omics, labels, n_splits=2, models=["early_fusion", "logreg"], n_boot=50,
...                         trainer={"max_epochs": 5})
>>> sorted(result.summary.index)[:3]
['early_fusion', 'logreg[all]', 'logreg[prot]']
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

#: The model kinds :func:`compare_fusion` runs, in table order.
MODEL_KINDS = ("mlp", "early_fusion", "intermediate_fusion", "logreg", "rf")
#: Fixed network settings (architecture and trainer), chosen before looking at any fold.
NETWORK_SETTINGS: dict[str, Any] = {
    "mlp": {"hidden": [64], "dropout": 0.3},
    "early_fusion": {"hidden": [64], "latent_dim": 16, "dropout": 0.3},
    "intermediate_fusion": {
        "encoder_hidden": [64],
        "latent_dim": 16,
        "dropout": 0.3,
        "modality_dropout": 0.2,
    },
    "trainer": {
        "max_epochs": 300,
        "batch_size": 32,
        "lr": 1e-3,
        "weight_decay": 1e-4,
        "early_stopping": 30,
        "restore_best": True,
        "progress": False,
    },
}
#: Share of each training fold held out to stop the networks early.
INNER_VALIDATION = 0.15
TCGA_BREAST_DIR = "multiomics/breast_tcga"


@dataclass
class FusionComparison:
    """What :func:`compare_fusion` returns.

    Attributes
    ----------
    cv
        The :class:`~omicsnet.train.cv.CVResult` (one row per model and split).
    summary
        Per model: mean and SD over splits of ``f1_macro``, ``balanced_accuracy`` and
        ``accuracy``, and the pooled out-of-fold estimate with its bootstrap CI
        (``f1_macro_pooled``, ``f1_macro_ci_lower``, ``f1_macro_ci_upper``, the same for
        ``balanced_accuracy``), and the model's ``kind`` and ``input``.
    reports
        Model → :class:`~omicsnet.train.metrics.ClassificationReport` of its pooled
        out-of-fold probabilities.
    classes
        Class names in code order.
    omics
        The omics names.
    """

    cv: Any
    summary: pd.DataFrame
    reports: dict[str, Any]
    classes: list[str]
    omics: list[str]

    def best(self, kind: str | Sequence[str], *, input: str | None = None) -> str:
        """The model of ``kind`` (and ``input``) with the highest pooled macro F1.

        Examples
        --------
        >>> import pandas as pd
        >>> s = pd.DataFrame({"kind": ["mlp", "mlp"], "input": ["rna", "prot"],
        ...                   "f1_macro_pooled": [0.7, 0.8]}, index=["mlp[rna]", "mlp[prot]"])
        >>> FusionComparison(None, s, {}, [], []).best("mlp")
        'mlp[prot]'
        """
        kinds = [kind] if isinstance(kind, str) else list(kind)
        table = self.summary[self.summary["kind"].isin(kinds)]
        if input is not None:
            table = table[table["input"] == input]
        if table.empty:
            raise ConfigError(f"no model of kind {kinds} in this comparison")
        return str(table["f1_macro_pooled"].idxmax())


def load_tcga_breast_omics(
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    """The mixOmics TCGA breast cancer training set: mRNA, miRNA, protein and PAM50 subtype.

    150 tumours (45 Basal, 30 Her2, 75 LumA) measured in all three omics (200 mRNAs,
    184 miRNAs, 142 RPPA proteins), from ``multiomics/breast_tcga`` in the data directory.

    Examples
    --------
    >>> omics, subtype = load_tcga_breast_omics("/path/to/data")  # doctest: +SKIP
    >>> {k: v.shape for k, v in omics.items()}, subtype.value_counts().to_dict()  # doctest: +SKIP
    ({'mrna': (150, 200), 'mirna': (150, 184), 'protein': (150, 142)},
     {'LumA': 75, 'Basal': 45, 'Her2': 30})
    """
    from omicsnet.data.datasets import align_samples
    from omicsnet.data.tables import read_table
    from omicsnet.utils.paths import resolve_data_file

    omics = {
        name: read_table(resolve_data_file(f"{TCGA_BREAST_DIR}/train_{name}.csv", data_dir))
        for name in ("mrna", "mirna", "protein")
    }
    labels = read_table(
        resolve_data_file(f"{TCGA_BREAST_DIR}/train_subtype.csv", data_dir), numeric=False
    )
    first = omics["mrna"]
    for name, frame in omics.items():
        omics[name] = align_samples(first, frame, "mrna", name)
    labels = align_samples(first, labels, "mrna", "subtype")
    return omics, labels.iloc[:, 0].astype(str)


def _standardise(train: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    from omicsnet.data.scaling import Standardizer

    scaler = Standardizer().fit(train)
    return scaler.transform(train), scaler.transform(test)


def _fit_network(
    name: str,
    options: dict[str, Any],
    x_train: pd.DataFrame,
    y_train: np.ndarray,
    x_test: pd.DataFrame,
    n_classes: int,
    *,
    seed: int,
    trainer: Mapping[str, Any],
) -> tuple[np.ndarray, int | None]:
    import torch

    from omicsnet.data.datasets import ArrayDataset
    from omicsnet.data.splits import train_val_test_split
    from omicsnet.models.inference import predict_proba
    from omicsnet.models.registry import create_model
    from omicsnet.train.defaults import make_trainer

    inner, val, _ = train_val_test_split(
        len(x_train), val=INNER_VALIDATION, test=0.0, seed=seed, stratify=y_train
    )
    torch.manual_seed(seed)
    model = create_model(
        name,
        input_features=list(x_train.columns),
        out_features=n_classes,
        task="classification",
        **options,
    )
    targets = pd.DataFrame({"y": y_train}, index=x_train.index)
    fit = make_trainer(
        NETWORK_SETTINGS["trainer"],
        {"seed": seed, **dict(trainer)},
        model=model,
        n_train=len(inner),
    ).fit(
        model,
        ArrayDataset(x_train.iloc[inner], targets.iloc[inner]),
        ArrayDataset(x_train.iloc[val], targets.iloc[val]),
    )
    return predict_proba(fit.model, x_test.to_numpy(np.float32)), fit.best_epoch


def _fit_classical(
    kind: str, x_train: pd.DataFrame, y_train: np.ndarray, x_test: pd.DataFrame, *, seed: int
) -> np.ndarray:
    import warnings

    if kind == "logreg":
        from sklearn.linear_model import LogisticRegressionCV
        from sklearn.metrics import f1_score, make_scorer
        from sklearn.model_selection import StratifiedKFold

        model: Any = LogisticRegressionCV(
            Cs=np.logspace(-4, 2, 13),
            cv=StratifiedKFold(3, shuffle=True, random_state=seed),
            scoring=make_scorer(f1_score, average="macro"),
            max_iter=5000,
        )
    else:
        from sklearn.ensemble import RandomForestClassifier

        model = RandomForestClassifier(n_estimators=500, random_state=seed, n_jobs=1)
    with warnings.catch_warnings():  # scikit-learn's notices of coming default changes
        warnings.simplefilter("ignore", FutureWarning)
        model.fit(x_train.to_numpy(), y_train)
    return model.predict_proba(x_test.to_numpy())


def compare_fusion(
    omics: Mapping[str, pd.DataFrame],
    labels: pd.Series,
    *,
    n_splits: int = 5,
    seed: int = 0,
    models: Sequence[str] = MODEL_KINDS,
    trainer: Mapping[str, Any] | None = None,
    n_boot: int = 1000,
    progress: bool = False,
) -> FusionComparison:
    """Cross-validate fused, single-omics and classical models on the same folds.

    Parameters
    ----------
    omics
        ``{omics name: samples × features}``; every table must have the same samples
        (join them with :func:`omicsnet.data.omics.join_omics` first when they do not).
    labels
        Class of each sample (indexed by sample ID).
    n_splits
        Folds of the stratified k-fold (seeded by ``seed``).
    seed
        Seed of the folds, the inner validation splits, the networks and the forests.
    models
        Which kinds to run (see :data:`MODEL_KINDS`).
    trainer
        Trainer settings over :data:`NETWORK_SETTINGS` ``["trainer"]``.
    n_boot
        Bootstrap resamples of the pooled confidence intervals.
    progress
        A progress bar over the splits.

    Returns
    -------
    FusionComparison

    Raises
    ------
    DataError
        Tables whose samples differ from each other or from the labels.
    """
    from omicsnet.data.datasets import align_samples
    from omicsnet.data.omics import join_omics
    from omicsnet.train.cv import FoldOutput, cross_validate, stratified_kfold
    from omicsnet.train.metrics import classification_metrics, classification_report

    unknown = [m for m in models if m not in MODEL_KINDS]
    if unknown:
        raise ConfigError(f"unknown model kind {unknown[0]!r}; kinds: {', '.join(MODEL_KINDS)}")
    joined = join_omics(omics, policy="error")  # same samples everywhere, named on error
    labels = labels.copy()
    labels.index = labels.index.map(str)
    frame = align_samples(joined.x, labels.to_frame("label"), "omics", "labels")
    classes = sorted(frame["label"].astype(str).unique())
    if len(classes) < 2:
        raise DataError("labels: at least two classes are needed")
    y = frame["label"].astype(str).map({c: i for i, c in enumerate(classes)}).to_numpy(np.int64)
    names = [str(b[0]) for b in joined.blocks]
    inputs = {name: joined.block(name) for name in names}
    trainer = dict(trainer or {})

    def fit_predict(split: Any) -> dict[str, Any]:
        train, test = split.train, split.test
        fold_seed = seed * 1000 + order[split.name]
        outputs: dict[str, Any] = {}
        scaled = {n: _standardise(inputs[n].iloc[train], inputs[n].iloc[test]) for n in names}
        x_all = (
            pd.concat([scaled[n][0].add_prefix(f"{n}:") for n in names], axis=1),
            pd.concat([scaled[n][1].add_prefix(f"{n}:") for n in names], axis=1),
        )
        for kind in models:
            if kind == "mlp":
                for n in names:
                    proba, epoch = _fit_network(
                        "mlp", NETWORK_SETTINGS["mlp"] | {"in_features": scaled[n][0].shape[1]},
                        scaled[n][0], y[train], scaled[n][1], len(classes),
                        seed=fold_seed, trainer=trainer,
                    )  # fmt: skip
                    outputs[f"mlp[{n}]"] = FoldOutput(proba, info={"best_epoch": epoch})
            elif kind in ("early_fusion", "intermediate_fusion"):
                proba, epoch = _fit_network(
                    kind, NETWORK_SETTINGS[kind] | {"omics": joined.blocks},
                    x_all[0], y[train], x_all[1], len(classes), seed=fold_seed, trainer=trainer,
                )  # fmt: skip
                outputs[kind] = FoldOutput(proba, info={"best_epoch": epoch})
            else:
                for n in [*names, "all"]:
                    train_x, test_x = x_all if n == "all" else scaled[n]
                    outputs[f"{kind}[{n}]"] = _fit_classical(
                        kind, train_x, y[train], test_x, seed=fold_seed
                    )
        return outputs

    def score(name: str, split: Any, predicted: Any) -> dict[str, float]:
        metrics = classification_metrics(y[split.test], np.asarray(predicted), class_names=classes)
        return {k: metrics[k] for k in ("f1_macro", "balanced_accuracy", "accuracy")}

    splits = stratified_kfold(y, n_splits, seed=seed)
    order = {split.name: k for k, split in enumerate(splits)}
    cv = cross_validate(
        splits,
        fit_predict,
        score=score,
        n_samples=len(y),
        sample_ids=list(joined.x.index),
        progress=progress,
        desc="multi-omics CV",
    )
    per_split = cv.summary(["f1_macro", "balanced_accuracy", "accuracy"])
    reports = {}
    rows = {}
    for model in cv.models:
        proba = cv.out_of_fold(model)
        report = classification_report(y, proba, class_names=classes, n_boot=n_boot, seed=seed)
        reports[model] = report
        kind, _, rest = model.partition("[")
        row: dict[str, Any] = {
            "kind": kind,
            "input": rest.rstrip("]") if rest else "all (fused)",
        }
        for metric in ("f1_macro", "balanced_accuracy", "accuracy"):
            row[f"{metric}_mean"] = per_split.loc[model, f"{metric}_mean"]
            row[f"{metric}_sd"] = per_split.loc[model, f"{metric}_sd"]
        for metric in ("f1_macro", "balanced_accuracy"):
            row[f"{metric}_pooled"] = report.summary.loc[metric, "estimate"]
            row[f"{metric}_ci_lower"] = report.summary.loc[metric, "ci_lower"]
            row[f"{metric}_ci_upper"] = report.summary.loc[metric, "ci_upper"]
        rows[model] = row
    summary = pd.DataFrame.from_dict(rows, orient="index")
    return FusionComparison(cv, summary, reports, classes, names)


__all__ = [
    "MODEL_KINDS",
    "NETWORK_SETTINGS",
    "FusionComparison",
    "compare_fusion",
    "load_tcga_breast_omics",
]
