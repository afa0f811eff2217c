"""Several omics joined side by side, and the policies for samples missing a modality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.data.omics import impute_training_means, join_omics
from omicsnet.errors import ConfigError, DataError


def _tables():
    rna = pd.DataFrame({"TP53": [1.0, 2.0, 3.0, 4.0]}, index=["s1", "s2", "s3", "s4"])
    prot = pd.DataFrame(
        {"TP53": [10.0, 30.0, 40.0], "EGFR": [1.0, 3.0, 4.0]}, index=["s4", "s3", "s1"]
    )
    return {"rna": rna, "prot": prot}


def test_drop_keeps_samples_measured_everywhere_in_the_first_tables_order():
    joined = join_omics(_tables())
    assert joined.x.index.tolist() == ["s1", "s3", "s4"]
    assert joined.dropped == ["s2"]
    assert joined.x.columns.tolist() == ["rna:TP53", "prot:TP53", "prot:EGFR"]
    assert joined.x.loc["s1"].tolist() == [1.0, 40.0, 4.0]  # rows matched by ID, not position
    assert joined.blocks == [["rna", 1], ["prot", 2]]
    assert joined.block("prot").columns.tolist() == ["TP53", "EGFR"]


def test_impute_keeps_every_sample_and_records_what_was_measured():
    joined = join_omics(_tables(), policy="impute")
    assert joined.x.index.tolist() == ["s1", "s2", "s3", "s4"] and joined.dropped == []
    assert joined.present.loc["s2"].tolist() == [True, False]
    assert np.isnan(joined.x.loc["s2", "prot:EGFR"])


def test_imputation_uses_training_samples_only():
    x = pd.DataFrame({"g": [1.0, 3.0, np.nan, 1000.0, np.nan]})
    filled = impute_training_means(x, [0, 1, 2])
    assert filled["g"].tolist() == [1.0, 3.0, 2.0, 1000.0, 2.0]  # 1000 (a test row) unused
    assert impute_training_means(pd.DataFrame({"g": [np.nan, 1.0]}), [0])["g"].tolist() == [
        0.0,
        1.0,
    ]


def test_error_policy_names_the_samples_like_the_table_readers():
    with pytest.raises(
        DataError,
        match=r"sample IDs differ between rna and prot: 1 only in rna \(e.g. \['s2'\]\), 0 only",
    ):
        join_omics(_tables(), policy="error")


def test_bad_arguments():
    with pytest.raises(ConfigError, match="missing_modality must be one of drop, impute, error"):
        join_omics(_tables(), policy="zero")
    with pytest.raises(ConfigError, match="without ':'"):
        join_omics({"a:b": _tables()["rna"]})
    dup = pd.DataFrame({"g": [1.0, 2.0]}, index=["s1", "s1"])
    with pytest.raises(DataError, match="rna: sample ID 's1' appears more than once"):
        join_omics({"rna": dup})
    with pytest.raises(DataError, match="no sample is measured in every omics"):
        join_omics({"a": dup.iloc[:1], "b": pd.DataFrame({"p": [1.0]}, index=["s9"])})
