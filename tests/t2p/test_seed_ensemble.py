"""Seed ensembles in k×2 cross-validation: the single network stays, the mean is its own row."""

from __future__ import annotations

import numpy as np
import pytest

from omicsnet.errors import ConfigError
from omicsnet.t2p.workflows import (
    cross_validate,
    ensemble_name,
    fit_config,
    restrict_transcripts,
    synthetic_t2p,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

CONFIG = {"block1_exists": True, "block1_type": "fc", "block1_layers": 1, "block1_width": 8,
          "block1_dropout": 0.3, "lr": 0.01, "batch_size": 8, "residual": True}  # fmt: skip


def _data():
    return synthetic_t2p(n_samples=40, n_genes=12, n_proteins=4, seed=3)


def test_ensemble_row_is_the_mean_of_independently_seeded_networks():
    from omicsnet.t2p.data import t2p_splits
    from omicsnet.t2p.evaluate import per_protein_metrics, summarize_metrics

    data = _data()
    table = cross_validate(data, {"net": CONFIG}, k=1, baselines=[], top_variable=6,
                           max_epochs=4, early_stopping=None, seeds=3, device="cpu")  # fmt: skip
    single = cross_validate(data, {"net": CONFIG}, k=1, baselines=[], top_variable=6,
                            max_epochs=4, early_stopping=None, device="cpu")  # fmt: skip
    label = ensemble_name("net", 3)
    assert set(table["model"]) == {"net", label, "mrna_protein_r"}
    # the single network is exactly the run without an ensemble
    np.testing.assert_allclose(
        table[table["model"] == "net"]["mse"].to_numpy(),
        single[single["model"] == "net"]["mse"].to_numpy(),
        rtol=1e-6,
    )
    # the ensemble row, recomputed by hand: three seeds, predictions averaged
    for split in t2p_splits(data, scheme="kx2", k=1, seed=0, val=0.1):
        restricted = restrict_transcripts(data.scaled(split), 6)
        members = [
            fit_config(CONFIG, restricted, max_epochs=4, early_stopping=None,
                       seed=(split.repeat or 0) + 1000 * m, device="cpu")
            .predictions.to_numpy()
            for m in range(3)
        ]  # fmt: skip
        expected = summarize_metrics(
            per_protein_metrics(restricted.y_test, np.mean(members, axis=0), restricted.proteins)
        )
        row = table[(table["model"] == label) & (table["split"] == split.name)].iloc[0]
        assert row["mse"] == pytest.approx(expected["mse"], rel=1e-6)
        assert row["pearson_r_median"] == pytest.approx(expected["pearson_r_median"], rel=1e-6)
        # averaging can only lower the squared error below the members' mean (Jensen)
        member_mse = [
            summarize_metrics(per_protein_metrics(restricted.y_test, p, restricted.proteins))["mse"]
            for p in members
        ]
        assert row["mse"] <= np.mean(member_mse) + 1e-9


@pytest.mark.parametrize("seeds", [0, -1, 1.5, True])
def test_bad_seed_counts_are_refused(seeds):
    with pytest.raises(ConfigError, match="seeds must be a whole number"):
        cross_validate(_data(), {"net": CONFIG}, k=1, baselines=[], seeds=seeds, device="cpu")
