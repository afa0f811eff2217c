"""``omicsnet lcms train|predict --arch lcms_dual`` on a generated dual-polarity cohort."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from omicsnet.cli import main
from omicsnet.lcms.dual import LCMSDualPolarity
from omicsnet.lcms.dual_polarity import write_dual_polarity_cohort
from omicsnet.lcms.workflows import saved_input_record
from omicsnet.models.serialization import load

TINY = ["--arch", "lcms_dual", "--tiny", "--models", "1", "--epochs", "2", "--pre-pool", "1"]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return write_dual_polarity_cohort(
        tmp_path_factory.mktemp("dual") / "cohort",
        n_per_class=4,
        n_rt=32,
        n_mz=32,
        rt_range=(0.5, 4.5),
        scan_interval=0.1,
        noise_peaks=5,
    )


def test_generated_cohort_pairs_every_sample(cohort):
    table = cohort.labels
    assert len(table) == 16 and table["sample"].nunique() == 8
    modes = table.groupby("sample")["polarity"].apply(lambda p: sorted(p)).tolist()
    assert modes == [["negative", "positive"]] * 8
    assert len(list(cohort.matrices.glob("*.npz"))) == 16
    # the two modes plant their class peaks at different m/z
    planted = cohort.planted
    positive = set(planted.loc[planted.polarity == "positive", "mz"].round(3))
    negative = set(planted.loc[planted.polarity == "negative", "mz"].round(3))
    assert positive and not positive & negative


def test_train_cv_and_predict_dual_model_from_the_cli(cohort, tmp_path, capsys, one_torch_thread):
    ensemble = tmp_path / "ens"
    code = main(["lcms", "train", "--arrays", str(cohort.matrices), "--out", str(ensemble),
                 *TINY, "-q"])  # fmt: skip
    assert code == 0
    assert "8 samples from 16 runs (cancer 4, healthy 4)" in capsys.readouterr().out
    model = load(ensemble)
    assert isinstance(model.members[0], LCMSDualPolarity)
    record = saved_input_record(ensemble)
    assert record["architecture"] == "lcms_dual" and record["input_shape"] == [32, 32]

    predictions = tmp_path / "pred.csv"
    pairs = cohort.root / "labels.csv"
    code = main(["lcms", "predict", "--model", str(ensemble), "--arrays", str(cohort.matrices),
                 "--pairs", str(pairs), "--out", str(predictions), "-q"])  # fmt: skip
    assert code == 0
    frame = pd.read_csv(predictions, index_col="sample")
    assert sorted(frame.index) == sorted(cohort.labels["sample"].unique())
    np.testing.assert_allclose(frame[["cancer", "healthy"]].sum(axis=1), 1.0, rtol=1e-5)

    capsys.readouterr()
    code = main(["lcms", "predict", "--model", str(ensemble), "--arrays", str(cohort.matrices),
                 "--out", str(tmp_path / "x.csv"), "-q"])  # fmt: skip
    assert code == 2 and "dual-polarity (lcms_dual) model" in capsys.readouterr().err

    cv = tmp_path / "cv"
    code = main(["lcms", "train", "--arrays", str(cohort.matrices), "--out", str(cv),
                 "--cv", "2", "--no-augment", *TINY, "-q"])  # fmt: skip
    assert code == 0
    cv_predictions = pd.read_csv(cv / "cv_predictions.csv", index_col=0)
    assert sorted(cv_predictions.index) == sorted(cohort.labels["sample"].unique())
    assert set(cv_predictions["fold"]) == {0, 1}


def test_unpaired_run_and_disagreeing_labels_are_clear_cli_errors(cohort, tmp_path, capsys):
    table = cohort.labels
    folder = tmp_path / "unpaired"
    folder.mkdir()
    dropped = "healthy_2_neg.mzML"
    for name in table["file"]:
        if name != dropped:
            shutil.copy(cohort.matrices / f"{name}.npz", folder)
    table[table.file != dropped].to_csv(folder / "labels.csv", index=False)
    code = main(["lcms", "train", "--arrays", str(folder), "--out", str(tmp_path / "o"),
                 *TINY, "-q"])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "1 unpaired sample(s): healthy_2 (no negative-mode run)" in err

    relabelled = table.copy()
    relabelled.loc[relabelled.file == "healthy_1_neg.mzML", "label"] = "cancer"
    relabelled.to_csv(tmp_path / "bad_labels.csv", index=False)
    bad = str(tmp_path / "bad_labels.csv")
    code = main(["lcms", "train", "--arrays", str(cohort.matrices), "--labels", bad,
                 "--out", str(tmp_path / "o"), *TINY, "-q"])  # fmt: skip
    assert code == 2
    assert "have different labels: healthy_1 (cancer vs healthy)" in capsys.readouterr().err
