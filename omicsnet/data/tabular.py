"""The container every dataset loader returns: inputs, targets and the task.

Examples
--------
>>> import pandas as pd
>>> x = pd.DataFrame({"g": [0.0, 1.0]}, index=["a", "b"])
>>> TabularData(x, x.rename(columns={"g": "p"}), "regression").task
'regression'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class TabularData:
    """Inputs and targets of one dataset, samples in rows.

    Attributes
    ----------
    x
        Inputs (e.g. transcript abundances), samples × features.
    y
        Targets: samples × outputs for regression, or one column of class labels.
    task
        ``"regression"`` or ``"classification"``.
    description
        One line about what the data is and where it comes from.
    classes
        For classification, the class names in label order (``y`` holds codes).
    omics_blocks
        For several omics side by side (:func:`omicsnet.data.omics.join_omics`), the
        column blocks ``[[omics, width], ...]`` of ``x``; empty for one table.
    missing_modality
        The policy applied to samples missing an omics (``"drop"``, ``"impute"``,
        ``"error"``); ``""`` for one table.
    dropped
        Samples dropped because an omics was missing.
    """

    x: pd.DataFrame
    y: pd.DataFrame
    task: str
    description: str = ""
    classes: list[str] = field(default_factory=list)
    omics_blocks: list[list[str | int]] = field(default_factory=list)
    missing_modality: str = ""
    dropped: list[str] = field(default_factory=list)


__all__ = ["TabularData"]
