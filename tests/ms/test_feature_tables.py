"""Feature tables: formats recognised, IDs kept, RT units, clear errors, faithful copies."""

from __future__ import annotations

import pytest

from omicsnet.errors import DataError
from omicsnet.ms.feature_tables import detect_format, read_feature_table
from omicsnet.utils.io import OutputExistsError

XCMS_HEADER = '"","mzmed","mz","mzmin","mzmax","rt","rtmin","rtmax","npeaks","WT.1","KO.1"'


def test_xcms_table_with_row_names_reads_without_key_errors(tmp_path):
    path = tmp_path / "xcms.csv"
    path.write_text(
        XCMS_HEADER + "\n"
        '"FT0001",150.1,150.1,150.098,150.102,95.4,90,102,2,1e5,2e5\n'
        '"FT0002",200.2,200.2,200.19,200.21,300,294,306,2,NA,3e4\n'
    )
    table = read_feature_table(path)
    assert table.format == "xcms" and table.rt_unit == "second"
    assert table.ids == ["FT0001", "FT0002"]
    features = table.features
    assert features.loc["FT0001", "rt_min"] == pytest.approx(1.5)  # 90 s
    assert features.loc["FT0002", "rt_max"] == pytest.approx(5.1)  # 306 s
    assert features.loc["FT0001", "mz_min"] == pytest.approx(150.098)
    assert "XCMS" not in " ".join(table.notes)  # notes are about units and IDs
    assert any("seconds" in note for note in table.notes)


def test_xcms_diffreport_uses_its_name_column(tmp_path):
    path = tmp_path / "diffreport.tsv"
    path.write_text(
        "name\tfold\ttstat\tpvalue\tmzmed\tmzmin\tmzmax\trtmed\trtmin\trtmax\tnpeaks\n"
        "M150T95\t2.1\t3.2\t0.01\t150.1\t150.09\t150.11\t95\t90\t100\t4\n"
    )
    table = read_feature_table(path)  # no 'mz'/'rt' columns: the medians are the centres
    assert (table.format, table.ids, table.rt_unit) == ("xcms", ["M150T95"], "second")
    assert table.features.loc["M150T95", "rt"] == pytest.approx(95 / 60)
    assert table.features.loc["M150T95", "mz"] == pytest.approx(150.1)


def test_plain_table_keeps_ids_as_written_and_units_can_be_given(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("id,mz_min,mz_max,rt_min,rt_max\n007,99.9,100.1,60,90\n1e3,200,200.1,120,150\n")
    minutes = read_feature_table(path)
    assert minutes.ids == ["007", "1e3"]
    assert minutes.rt_unit == "minute"
    assert minutes.features.loc["007", "rt_max"] == 90
    seconds = read_feature_table(path, rt_unit="second")
    assert seconds.features.loc["007", "rt_max"] == pytest.approx(1.5)
    assert any("as given" in note for note in seconds.notes)


def test_unknown_columns_error_lists_found_and_expected(tmp_path):
    path = tmp_path / "weird.csv"
    path.write_text("feature,mass,time\nA,100,1\n")
    with pytest.raises(DataError) as err:
        read_feature_table(path)
    message = str(err.value)
    assert "weird.csv" in message
    assert "'feature', 'mass', 'time'" in message
    for expected in ("'row m/z'", "'mzmin'", "'mz_min'", "'mass_to_charge'"):
        assert expected in message


def test_bad_cells_and_duplicate_ids_name_the_row(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,mz_min,mz_max,rt_min,rt_max\na,1,2,3,4\nb,1,two,3,4\n")
    with pytest.raises(DataError, match=r"value in column 'mz_max' at data row 2 \(line 3") as err:
        read_feature_table(bad)
    assert "two" not in str(err.value)  # the cell's content is not echoed
    dup = tmp_path / "dup.csv"
    dup.write_text("id,mz_min,mz_max,rt_min,rt_max\na,1,2,3,4\na,1,2,3,4\n")
    with pytest.raises(DataError, match="feature ID 'a' appears more than once"):
        read_feature_table(dup)


def test_missing_cells_are_kept_as_missing_bounds(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("id,mz_min,mz_max,rt_min,rt_max\na,1,2,3,4\nb,,2,NA,4\n")
    table = read_feature_table(path)
    assert table.features.loc["b", ["mz_min", "rt_min"]].isna().all()


def test_copy_with_new_columns_is_faithful_and_input_is_protected(tmp_path):
    path = tmp_path / "plain.csv"
    text = "id,mz_min,mz_max,rt_min,rt_max,note\nx1,99.90,100.10,1.0,1.2,keep me\nx2,5,6,1,2,\n"
    path.write_text(text)
    table = read_feature_table(path)
    import pandas as pd

    out = table.write_copy(tmp_path / "out.csv", {"quality": pd.Series({"x2": "High"})})
    lines = out.read_text().splitlines()
    assert lines[0] == "id,mz_min,mz_max,rt_min,rt_max,note,quality"
    assert lines[1] == "x1,99.90,100.10,1.0,1.2,keep me,"  # cells verbatim, '99.90' kept
    assert lines[2] == "x2,5,6,1,2,,High"
    with pytest.raises(OutputExistsError, match="input feature table"):
        table.write_copy(path, {"quality": ["a", "b"]})
    assert path.read_text() == text
    with pytest.raises(DataError, match="already exists"):
        table.with_columns({"note": ["a", "b"]})


def test_detect_format():
    assert detect_format(["id", "mzmin", "mzmax", "rtmin", "rtmax"]) == "xcms"  # XCMS names
    assert detect_format(["id", "mz_min", "mz_max", "rt_min", "rt_max"]) == "plain"
    assert detect_format(["row m/z", "row retention time"]) is None  # no peak columns


def test_real_mzmine_aligned_and_unaligned_tables(shared_data):
    folder = shared_data / "lcms/feature_tables/neatms"
    with pytest.raises(DataError, match="aligned MZmine table with 3 samples.*sample_1.mzML"):
        read_feature_table(folder / "aligned_features.csv")
    with pytest.raises(DataError, match="sample 'sample_9' is not in the table"):
        read_feature_table(folder / "aligned_features.csv", sample="sample_9")
    aligned = read_feature_table(folder / "aligned_features.csv", sample="sample_1")
    single = read_feature_table(folder / "unaligned_features/sample_1.csv")
    assert aligned.format == single.format == "mzmine"
    assert aligned.sample == single.sample == "sample_1.mzML"
    assert len(aligned) == 9118 and len(single) == 5764
    assert aligned.ids[:3] == ["1", "2", "3"]  # no ID column: MZmine row numbers
    assert any("numbered" in note for note in aligned.notes)
    # the aligned table holds exactly the unaligned sample's peaks (zeros elsewhere)
    present = aligned.features[aligned.features["present"]]
    assert int(aligned.features["present"].sum()) == len(single)

    def keys(frame):
        return set(zip(frame["mz_min"].round(6), frame["rt_min"].round(6), strict=True))

    assert keys(present) == keys(single.features)
    assert single.features["rt_max"].max() < 6  # minutes (a 5.5-min run)
    # the trailing comma of MZmine exports makes no phantom column in the copy
    assert not [c for c in aligned.original.columns if c.startswith("Unnamed")]


def test_real_metabolights_maf_table(shared_data):
    path = (
        shared_data / "lcms/feature_tables/a_mtbl2_metabolite_profiling_mass_spectrometry_maf.csv"
    )
    table = read_feature_table(path, mz_ppm=5, rt_half_width=6)
    assert (table.format, table.rt_unit, len(table)) == ("maf", "second", 4644)
    first = table.features.iloc[0]
    assert first["mz"] == pytest.approx(99.52934)
    assert first["mz_max"] - first["mz_min"] == pytest.approx(2 * 99.52934 * 5e-6)
    assert first["rt"] == pytest.approx(21.38202 / 60)
    assert first["rt_max"] - first["rt_min"] == pytest.approx(12 / 60)
    assert table.ids[:2] == ["1", "2"]  # empty 'identifier' column: row numbers
