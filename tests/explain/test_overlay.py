"""Annotated features over saliency maps: hit lists on a synthetic map, table reading."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import DataError
from omicsnet.explain.maps import SaliencyMap
from omicsnet.explain.overlay import overlay_features, plot_overlay
from omicsnet.ms.feature_tables import read_annotated_features
from omicsnet.utils.plotting import save_figure


@pytest.fixture
def two_class_map():
    """RT 0-9.5 min in 0.5 min rows, m/z 100-139 in 1 Da columns; one hot spot per class."""
    values = np.zeros((2, 20, 40))
    values[0, 4:7, 10:13] = [[0.5, 0.8, 0.5], [0.8, 1.0, 0.8], [0.5, 0.8, 0.5]]  # RT 2.5, m/z 111
    values[0, 15, 30] = 0.7  # a second, weaker region: RT 7.5, m/z 130
    values[1, 10, 20] = 1.0  # RT 5.0, m/z 120
    axes = {"rt": np.arange(20) * 0.5, "mz": 100.0 + np.arange(40)}
    return SaliencyMap(values, axes=axes, classes=["cancer", "healthy"], method="rise")


FEATURES = pd.DataFrame(
    {
        "id": ["F1", "F2", "F3", "F4", "F5"],
        "rt": [2.5, 7.4, 5.0, 1.0, 30.0],
        "mz": [111.2, 130.1, 120.0, 105.0, 111.0],
        "name": ["tryptophan", "carnitine", "lactate", "noise", "late eluter"],
        "level": ["1", "2", "1", "", "3"],
    }
)


def test_hit_list_matches_planted_regions(two_class_map):
    hits = overlay_features(two_class_map, FEATURES, top=2, quantile=0.99)
    cancer = hits[hits["class"] == "cancer"].set_index("id")
    assert cancer.loc["F1", "region_rank"] == 1 and cancer.loc["F1", "score"] == 1.0
    assert cancer.loc["F2", "region_rank"] == 2 and cancer.loc["F2", "score"] == 0.7
    assert not cancer.loc["F3", "in_top_region"] and not cancer.loc["F4", "in_top_region"]
    assert not cancer.loc["F5", "in_map"] and np.isnan(cancer.loc["F5", "score"])
    healthy = hits[hits["class"] == "healthy"].set_index("id")
    assert healthy.loc[healthy["in_top_region"]].index.tolist() == ["F3"]
    # ordered by class, then region rank; the feature columns are kept
    assert hits["id"].tolist()[:2] == ["F1", "F2"]
    assert {"name", "level", "percentile"} <= set(hits.columns)
    assert cancer.loc["F1", "percentile"] == 100.0


def test_feature_columns_named_like_outputs_are_kept_apart(two_class_map):
    table = FEATURES.assign(**{"class": "lipid", "score": 0.25})  # e.g. an ontology column
    hits = overlay_features(two_class_map, table, top=2)
    assert set(hits["class"]) == {"cancer", "healthy"}
    assert (hits["class_feature"] == "lipid").all() and (hits["score_feature"] == 0.25).all()
    first = hits.set_index(["class", "id"]).loc[("cancer", "F1")]
    assert first["score"] == 1.0


def test_plot_overlay_writes_a_figure(two_class_map, tmp_path):
    hits = overlay_features(two_class_map, FEATURES, top=2)
    path = save_figure(plot_overlay(two_class_map, hits), tmp_path / "overlay.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_reads_xcms_msdial_and_mzmine_columns(tmp_path):
    xcms = tmp_path / "xcms.tsv"
    pd.DataFrame(
        {"name": ["M100T60", "M200T120"], "mzmed": [100.0, 200.0], "rtmed": [60, 120]}
    ).to_csv(xcms, sep="\t", index=False)
    table = read_annotated_features(xcms)
    assert table[["id", "rt"]].values.tolist() == [["M100T60", 1.0], ["M200T120", 2.0]]
    msdial = pd.DataFrame(
        {
            "Alignment ID": [7],
            "Average Rt(min)": [3.2],
            "Average Mz": [181.07],
            "Metabolite name": ["glucose"],
            "Ontology": ["Hexoses"],
        }
    )
    row = read_annotated_features(msdial).iloc[0]
    assert (row["id"], row["rt"], row["mz"], row["name"], row["level"]) == (
        "7",
        3.2,
        181.07,
        "glucose",
        "Hexoses",
    )
    mzmine = pd.DataFrame({"row ID": [1], "row m/z": [55.04], "row retention time": [4.37]})
    assert read_annotated_features(mzmine)["rt"].tolist() == [4.37]


def test_table_errors_name_the_problem(tmp_path):
    with pytest.raises(DataError, match="no mz column found"):
        read_annotated_features(pd.DataFrame({"rt": [1.0], "intensity": [5]}))
    bad = pd.DataFrame({"mz": [100.0, "abc"], "rt": [1.0, 2.0]})
    with pytest.raises(DataError, match="non-numeric mz value.*row 1"):
        read_annotated_features(bad)
    with pytest.raises(DataError, match="column 'RT' \\(for rt\\) not found"):
        read_annotated_features(pd.DataFrame({"mz": [1.0]}), columns={"rt": "RT"})


def test_real_metabolights_maf_table(shared_data):
    maf = shared_data / "lcms/feature_tables/a_mtbl2_metabolite_profiling_mass_spectrometry_maf.csv"
    table = read_annotated_features(maf)
    assert len(table) == 4644
    # retention times are stored in seconds in the MAF file: converted to minutes
    assert table["rt"].max() < 30 and table["mz"].between(50, 2000).all()
    assert table["id"].is_unique
