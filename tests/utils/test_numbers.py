"""Numbers as people read them: CSV rounding and printed numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError, OutputExistsError
from omicsnet.utils.io import write_csv
from omicsnet.utils.numbers import format_frame, format_number, round_frame, round_significant


def test_float_noise_is_gone_from_csv(tmp_path):
    frame = pd.DataFrame(
        {
            "name": ["a", "b"],
            "r": [3.0999999999999996, 0.1 + 0.2],
            "p": [2.5267754555358124e-10, 0.5464500188827515],
            "n_params": [52700.0, np.nan],
            "count": [3, 4],
        }
    )
    path = write_csv(frame, tmp_path / "t.csv")
    assert path.read_text().splitlines() == [
        "name,r,p,n_params,count",
        "a,3.1,2.52678e-10,52700.0,3",
        "b,0.3,0.54645,,4",
    ]


def test_rounding_keeps_the_stated_precision():
    rng = np.random.default_rng(0)
    values = rng.standard_normal(2000) * 10.0 ** rng.integers(-12, 12, 2000)
    for digits in (1, 3, 6, 9):
        rounded = round_significant(values, digits)
        bound = 0.5 * 10.0 ** (1 - digits) * np.abs(values) * 1.0001
        assert np.all(np.abs(rounded - values) <= bound)
        # rounding twice changes nothing, and the shortest text of a value has <= digits digits
        assert np.array_equal(round_significant(rounded, digits), rounded)
        texts = [repr(float(v)).lstrip("-").split("e")[0] for v in rounded]
        mantissas = [t.replace(".", "").strip("0") for t in texts]
        assert max(len(m) for m in mantissas) <= digits


def test_whole_numbers_nan_and_inf_pass_through():
    values = np.array([1234567.0, -(2.0**52), np.nan, np.inf, -np.inf, 0.0])
    out = round_significant(values, 2)
    assert np.array_equal(out, values, equal_nan=True)


def test_exact_and_chosen_columns_are_respected(tmp_path):
    frame = pd.DataFrame({"mz": [100.190306123], "score": [0.123456789], "user": [0.987654321]})
    text = write_csv(frame, tmp_path / "a.csv", exact=["mz"], significant=3).read_text()
    assert text.splitlines()[1] == "100.190306123,0.123,0.988"
    only = round_frame(frame, 3, columns=["score"])
    assert only.loc[0, "user"] == 0.987654321 and only.loc[0, "score"] == 0.123


def test_write_csv_refuses_to_replace_unless_asked(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("mine\n")
    with pytest.raises(OutputExistsError):
        write_csv(pd.DataFrame({"a": [1.0]}), path, overwrite=False)
    assert path.read_text() == "mine\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e-4, "1.00e-04"),
        (0.000123456, "1.23e-04"),
        (0.0123456, "0.0123"),
        (0.5, "0.500"),
        (1.0, "1.00"),
        (0.978, "0.978"),
        (12.3456, "12.3"),
        (1234.56, "1235"),
        (2.5e7, "2.50e+07"),
        (0, "0"),
        (np.float32(0.25), "0.250"),
        (np.int64(7), "7"),
        (float("nan"), "nan"),
    ],
)
def test_format_number(value, text):
    assert format_number(value) == text


def test_small_values_are_never_printed_as_zero():
    for value in (1e-4, 3e-7, -5e-12):
        assert float(format_number(value)) != 0.0


def test_format_frame_uses_e_notation_for_small_values():
    frame = pd.DataFrame({"protein": ["A", "B"], "shap": [1.2e-4, 0.25], "mz": [924.8123, 160.0]})
    text = format_frame(frame, index=False, column_digits={"mz": 7})
    assert "1.20e-04" in text and " 0.000 " not in text and "924.8123" in text


def test_digits_must_be_positive():
    with pytest.raises(ConfigError, match="digits"):
        format_number(1.0, 0)
    with pytest.raises(ConfigError, match="significant"):
        round_significant([1.0], 0)
