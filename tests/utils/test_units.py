"""The unit store of long jobs: units round-trip, other settings are refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from omicsnet.errors import ConfigError
from omicsnet.utils.units import SETTINGS_FILE, UnitStore, fingerprint


def test_units_round_trip_and_reopen(tmp_path):
    settings = {"seed": 3, "graph": fingerprint(np.arange(5)), "g": None, "w": 2.5}
    store = UnitStore.open(tmp_path / "units", settings)
    store.write(2, nodes=np.array([4, 1], dtype=np.int64), edges=np.zeros(0, dtype=np.int64))
    again = UnitStore.open(tmp_path / "units", dict(settings))  # same run: taken as it is
    unit = again.read(2)
    assert unit["nodes"].tolist() == [4, 1] and unit["nodes"].dtype == np.int64
    assert unit["edges"].shape == (0,)
    assert again.read(0) is None and again.finished() == [2]
    assert not list((tmp_path / "units").glob("*.tmp*"))  # atomic writes leave nothing


def test_a_store_of_other_settings_is_refused_naming_what_differs(tmp_path):
    UnitStore.open(tmp_path / "units", {"seed": 0, "prizes": fingerprint(np.ones(3))})
    with pytest.raises(ConfigError) as err:
        UnitStore.open(tmp_path / "units", {"seed": 0, "prizes": fingerprint(np.ones(4))})
    message = str(err.value)
    assert "another run" in message and "prizes" in message and "seed" not in message
    assert "\n" not in message


def test_a_damaged_unit_is_computed_again_and_a_foreign_settings_file_refused(tmp_path):
    store = UnitStore.open(tmp_path / "units", {"seed": 0})
    store.write(0, x=np.arange(3))
    (tmp_path / "units" / "unit_000000.npz").write_bytes(b"not a zip")
    assert store.read(0) is None
    other = tmp_path / "other"
    other.mkdir()
    (other / SETTINGS_FILE).write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ConfigError, match="not a unit store"):
        UnitStore.open(other, {"seed": 0})


def test_fingerprints_tell_inputs_apart():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=["x", "y"])
    assert fingerprint(frame) == fingerprint(frame.copy())
    assert fingerprint(frame) != fingerprint(frame.rename(index={"y": "z"}))
    assert fingerprint(np.array(["A", "B"], dtype=object)) == fingerprint(np.array(["A", "B"]))
    assert fingerprint(1) != fingerprint(1.0)
