"""Feature standardisation fitted on training samples only."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class Standardizer:
    """Centre and scale each feature with statistics of the training samples.

    Fit on the training split only and apply the same transform to validation and test
    samples, so that no statistic of held-out samples leaks into training. Constant
    features are centred and left unscaled.

    Examples
    --------
    >>> train = pd.DataFrame({"g": [1.0, 3.0]})
    >>> scaler = Standardizer().fit(train)
    >>> scaler.transform(pd.DataFrame({"g": [5.0]}))["g"].item()  # (5 - mean 2) / std 1
    3.0
    """

    mean_: pd.Series | None = None
    scale_: pd.Series | None = None

    def fit(self, frame: pd.DataFrame) -> Standardizer:
        self.mean_ = frame.mean(axis=0)
        std = frame.std(axis=0, ddof=0)
        self.scale_ = std.where(std > 1e-12, 1.0)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("Standardizer.transform() called before fit()")
        return (frame - self.mean_) / self.scale_

    def fit_transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return self.fit(frame).transform(frame)
