"""Feature tables from peak pickers (MZmine, XCMS, MetaboLights MAF, plain), with the user's IDs.

A feature table says where each detected peak lies: an m/z range and a retention-time
range. :func:`read_feature_table` recognises four layouts by their columns and turns each
into one :class:`FeatureTable` whose ``features`` frame has, per feature, its ID (the
user's own, as text) and ``mz``, ``mz_min``, ``mz_max``, ``rt``, ``rt_min``, ``rt_max``
with retention times **in minutes** (the unit of :func:`omicsnet.ms.mzml.read_ms_run`).

==========  ======================================================  =========================
format      recognised by the columns                               RT unit in the file
==========  ======================================================  =========================
``mzmine``  ``row m/z``, ``row retention time`` and per sample      minutes (MZmine 2 export)
            ``<sample> Peak RT start|RT end|m/z min|m/z max``
``xcms``    ``mzmin``, ``mzmax``, ``rtmin``, ``rtmax`` (centres      seconds (XCMS convention)
            ``mz``/``mzmed``, ``rt``/``rtmed`` optional):
            ``featureDefinitions``, ``peakTable``, ``diffreport``
``plain``   ``mz_min``, ``mz_max``, ``rt_min``, ``rt_max``           minutes unless told
            (and an ``id`` column)
``maf``     ``mass_to_charge``, ``retention_time`` (MetaboLights     seconds
            MAF / mzTab-like tables without bounds: the bounds are
            ``mz ± mz_ppm`` and ``rt ± rt_half_width``)
==========  ======================================================  =========================

Feature IDs come from the table: MZmine ``row ID``; XCMS ``name``/``feature_id``/``id`` or
its unnamed row-name column (``FT0001``); plain ``id``/``feature_id``/``name``; MAF
``identifier`` (``database_identifier`` when empty). A table without any ID column gets
1-based row numbers (``"1"``, ``"2"``, ...), which is how MZmine numbers its rows; this is
noted in :attr:`FeatureTable.notes`. IDs are kept as written (text, leading zeros kept).

An aligned MZmine table holds one set of peak columns per sample: pass ``sample=`` (the
file name as in the table, ``sample_1.mzML``, or its stem ``sample_1``); rows where that
sample has no peak (MZmine writes zeros) are kept with ``present = False``.

The table as read (every cell as text) is kept in :attr:`FeatureTable.original` so that
predictions can be added as new columns to a faithful copy of the user's file
(:meth:`FeatureTable.with_columns`, :meth:`FeatureTable.write_copy`).

Tables of *annotated* features (a compound name and an annotation level per feature, as
MS-DIAL, MZmine, XCMS and MetaboLights MAF exports have them) are read by
:func:`read_annotated_features` into ``id, rt (minutes), mz, name, level``: what the
saliency-map overlays of :mod:`omicsnet.explain.overlay` need.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "xcms.csv"
>>> _ = p.write_text(",mz,mzmin,mzmax,rt,rtmin,rtmax\\nFT01,100.5,100.49,100.51,60,54,66\\n")
>>> table = read_feature_table(p)
>>> table.format, table.rt_unit, table.ids
('xcms', 'second', ['FT01'])
>>> table.features[["rt_min", "rt_max"]].to_numpy().tolist()   # minutes
[[0.9, 1.1]]
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from omicsnet.errors import ConfigError, DataError, DataNotFoundError, shown

logger = logging.getLogger(__name__)

FORMATS = ("auto", "mzmine", "xcms", "plain", "maf")
"""Accepted values of ``format=``."""

RT_UNITS = ("auto", "minute", "second")
"""Accepted values of ``rt_unit=``."""

FEATURE_COLUMNS = ("mz", "mz_min", "mz_max", "rt", "rt_min", "rt_max")
"""Numeric columns of :attr:`FeatureTable.features` (retention times in minutes)."""

DEFAULT_RT_UNIT = {"mzmine": "minute", "xcms": "second", "plain": "minute", "maf": "second"}

EXPECTED_COLUMNS = {
    "mzmine": "'row m/z', 'row retention time' and per sample '<sample> Peak RT start', "
    "'<sample> Peak RT end', '<sample> Peak m/z min', '<sample> Peak m/z max'",
    "xcms": "'mzmin', 'mzmax', 'rtmin', 'rtmax' (and 'mz'/'mzmed', 'rt'/'rtmed')",
    "plain": "'id', 'mz_min', 'mz_max', 'rt_min', 'rt_max'",
    "maf": "'mass_to_charge', 'retention_time' (bounds from mz_ppm and rt_half_width)",
}

_MZMINE_PEAK = re.compile(
    r"^(?P<sample>.+?) Peak (?P<field>m/z min|m/z max|m/z|RT start|RT end|RT|height|area)$"
)
_MZMINE_FIELDS = {
    "m/z": "mz",
    "m/z min": "mz_min",
    "m/z max": "mz_max",
    "RT": "rt",
    "RT start": "rt_min",
    "RT end": "rt_max",
}
_XCMS_BOUNDS = {"mzmin": "mz_min", "mzmax": "mz_max", "rtmin": "rt_min", "rtmax": "rt_max"}
_XCMS_CENTRES = {"mz": "mz", "mzmed": "mz", "rt": "rt", "rtmed": "rt"}
_PLAIN_ALIASES = {
    "mz_min": ("mz_min", "mz min"),
    "mz_max": ("mz_max", "mz max"),
    "rt_min": ("rt_min", "rt start", "rt_start"),
    "rt_max": ("rt_max", "rt end", "rt_end"),
    "mz": ("mz", "m/z"),
    "rt": ("rt", "retention_time", "retention time"),
}
_ID_COLUMNS = ("row id", "feature_id", "featureid", "id", "name", "feature")


@dataclass
class FeatureTable:
    """A feature table read by :func:`read_feature_table`.

    Attributes
    ----------
    path
        The file read (``None`` for tables built in memory).
    format
        ``"mzmine"``, ``"xcms"``, ``"plain"`` or ``"maf"``.
    rt_unit
        Unit of the retention times **in the file** (``"minute"``/``"second"``);
        ``features`` always holds minutes.
    features
        Index ``feature_id`` (the user's IDs, text), columns :data:`FEATURE_COLUMNS`
        (minutes), ``present`` (the feature has a peak in the chosen sample) and
        ``row`` (0-based row of the file).
    original
        The file as read, every cell as text, for writing a copy with added columns.
    sample
        The sample whose peaks were taken (aligned MZmine tables), else ``None``.
    samples
        Samples found in the table (MZmine), else empty.
    notes
        What was assumed (ID source, units, bounds), one sentence each.
    """

    path: Path | None
    format: str
    rt_unit: str
    features: pd.DataFrame
    original: pd.DataFrame
    sample: str | None = None
    samples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.features)

    @property
    def ids(self) -> list[str]:
        """The feature IDs in file order.

        Examples
        --------
        >>> feature_table_from_bounds(["a", "b"], [1, 2], [1.1, 2.1], [0, 0], [1, 1]).ids
        ['a', 'b']
        """
        return [str(i) for i in self.features.index]

    def with_columns(self, columns: dict[str, Any]) -> pd.DataFrame:
        """A copy of the original table with new columns, aligned on feature IDs.

        Parameters
        ----------
        columns
            ``{column name: pandas Series indexed by feature ID}`` (features missing from
            a series get an empty cell), or sequences in file order.

        Raises
        ------
        DataError
            A new column's name is already used in the table, or a series holds IDs that
            are not in the table.

        Examples
        --------
        >>> t = feature_table_from_bounds(["a", "b"], [1, 2], [1.1, 2.1], [0, 0], [1, 1])
        >>> t.with_columns({"quality": pd.Series({"b": "High"})})["quality"].tolist()
        ['', 'High']
        """
        copy = self.original.copy()
        for name, values in columns.items():
            if name in copy.columns:
                raise DataError(
                    f"column {name!r} already exists in {self.path or 'the feature table'}; "
                    "choose another column name"
                )
            if isinstance(values, pd.Series):
                unknown = values.index.difference(self.features.index)
                if len(unknown):
                    raise DataError(
                        f"values for column {name!r} name feature IDs not in the table, "
                        f"e.g. {str(unknown[0])!r}"
                    )
                aligned = values.reindex(self.features.index)
                cells = ["" if _is_missing(v) else _cell(v) for v in aligned.tolist()]
            else:
                cells = [_cell(v) for v in values]
                if len(cells) != len(self.features):
                    raise DataError(
                        f"{len(cells)} values for column {name!r} but the table has "
                        f"{len(self.features)} features"
                    )
            column = [""] * len(copy)
            for row, cell in zip(self.features["row"].tolist(), cells, strict=True):
                column[int(row)] = cell
            copy[name] = column
        return copy

    def write_copy(
        self,
        out: str | os.PathLike[str],
        columns: dict[str, Any],
        *,
        overwrite: bool = False,
    ) -> Path:
        """Write the original table plus ``columns`` to ``out`` (atomically).

        The separator of the input file is kept. The input file itself is only replaced
        when ``out`` is that file and ``overwrite=True``.

        Raises
        ------
        OutputExistsError
            ``out`` exists (the input file included) and ``overwrite`` is false.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> t = feature_table_from_bounds(["a"], [1], [1.1], [0], [1])
        >>> out = t.write_copy(pathlib.Path(tempfile.mkdtemp()) / "o.csv", {"q": ["High"]})
        >>> out.read_text().splitlines()[1]
        'a,1.0,1.1,0.0,1.0,High'
        """
        from omicsnet.utils.io import atomic_write_text

        frame = self.with_columns(columns)
        sep = _separator_for(self.path) if self.path is not None else ","
        if self.path is not None and Path(out).resolve() == self.path.resolve() and not overwrite:
            from omicsnet.utils.io import OutputExistsError

            raise OutputExistsError(
                f"{out} is the input feature table; write the predictions elsewhere or pass "
                "overwrite=True (--overwrite) to replace it"
            )
        return atomic_write_text(out, frame.to_csv(sep=sep, index=False), overwrite=overwrite)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _cell(value: Any) -> str:
    """A new cell: floats rounded to 6 significant digits (no ``0.5464500188827515``)."""
    if _is_missing(value):
        return ""
    if isinstance(value, (float, np.floating)):
        from omicsnet.utils.numbers import round_significant

        return repr(float(round_significant(float(value))))
    return str(value)


# ---------------------------------------------------------------------------- reading
def read_feature_table(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    sample: str | None = None,
    rt_unit: str = "auto",
    mz_ppm: float = 10.0,
    rt_half_width: float = 10.0,
) -> FeatureTable:
    """Read an MZmine, XCMS, MetaboLights MAF or plain feature table.

    Parameters
    ----------
    path
        CSV or TSV (the separator is sniffed from the header line; ``.gz`` allowed).
    format
        ``"auto"`` (recognise by columns) or one of ``mzmine``, ``xcms``, ``plain``,
        ``maf``.
    sample
        Aligned MZmine tables: which sample's peaks to take (``sample_1.mzML`` or
        ``sample_1``). Needed when the table holds more than one sample.
    rt_unit
        Unit of the table's retention times: ``"auto"`` (the format's convention, see
        the module docs), ``"minute"`` or ``"second"``.
    mz_ppm, rt_half_width
        MAF tables only (no bounds in the file): m/z bounds ``mz ± mz_ppm`` (ppm) and RT
        bounds ``rt ± rt_half_width`` (in the table's RT unit).

    Returns
    -------
    FeatureTable

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    DataError
        Unreadable file, columns of no known format (the message lists the columns found
        and those each format needs), an unknown sample, duplicated IDs, non-numeric
        bounds (the message names the row and column).
    ConfigError
        Bad ``format``/``rt_unit``/tolerances.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "peaks.tsv"
    >>> _ = p.write_text("id\\tmz_min\\tmz_max\\trt_min\\trt_max\\n"
    ...                  "007\\t99.9\\t100.1\\t1.0\\t1.2\\n")
    >>> t = read_feature_table(p)
    >>> t.format, t.ids, t.rt_unit
    ('plain', ['007'], 'minute')
    >>> q = pathlib.Path(tempfile.mkdtemp()) / "odd.csv"
    >>> _ = q.write_text("a,b\\n1,2\\n")
    >>> read_feature_table(q)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    omicsnet.errors.DataError: ...odd.csv: not a known feature table; columns found: 'a', 'b'; ...
    """
    if format not in FORMATS:
        raise ConfigError(f"feature table format must be one of {FORMATS}; got {format!r}")
    if rt_unit not in RT_UNITS:
        raise ConfigError(f"rt_unit must be one of {RT_UNITS}; got {rt_unit!r}")
    if not (mz_ppm > 0 and rt_half_width > 0):
        raise ConfigError(
            f"mz_ppm and rt_half_width must be positive; got {mz_ppm} and {rt_half_width}"
        )
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"feature table {file} does not exist")
    original = _read_text_table(file)
    detected = detect_format(list(original.columns)) if format == "auto" else format
    if detected is None:
        found = ", ".join(repr(c) for c in original.columns[:40])
        more = f" (and {len(original.columns) - 40} more)" if len(original.columns) > 40 else ""
        expected = "; ".join(f"{name}: {cols}" for name, cols in EXPECTED_COLUMNS.items())
        raise DataError(
            f"{file}: not a known feature table; columns found: {found}{more}; "
            f"expected the columns of one of these formats — {expected}"
        )
    unit = DEFAULT_RT_UNIT[detected] if rt_unit == "auto" else rt_unit
    notes = [
        f"retention times in the file are taken to be in {unit}s"
        + (f" ({detected} convention)" if rt_unit == "auto" else " (as given)")
    ]
    samples: list[str] = []
    chosen: str | None = None
    if detected == "mzmine":
        samples, chosen, bounds, present = _mzmine_bounds(original, file, sample)
    elif detected == "xcms":
        lowered = {c.strip().lower() for c in original.columns}
        centres = {k: v for k, v in _XCMS_CENTRES.items() if k in lowered}
        bounds = _named_bounds(original, file, {**_XCMS_BOUNDS, **centres}, "xcms")
        present = np.ones(len(original), dtype=bool)
    elif detected == "plain":
        mapping = {
            col: key
            for key, aliases in _PLAIN_ALIASES.items()
            for col in original.columns
            if col.strip().lower() in aliases
        }
        bounds = _named_bounds(original, file, mapping, "plain")
        present = np.ones(len(original), dtype=bool)
    else:
        bounds = _maf_bounds(original, file, mz_ppm, rt_half_width)
        present = np.ones(len(original), dtype=bool)
        notes.append(
            f"the table has no bounds: m/z ± {mz_ppm:g} ppm and RT ± {rt_half_width:g} "
            f"{unit}s around each feature were used"
        )
    ids, id_note = _feature_ids(original, detected, file)
    notes.append(id_note)
    divisor = 60.0 if unit == "second" else 1.0  # a division, as the mzML reader converts
    features = pd.DataFrame(
        {col: bounds[col] / (divisor if col.startswith("rt") else 1.0) for col in FEATURE_COLUMNS},
        index=pd.Index(ids, name="feature_id"),
    )
    features["present"] = present
    features["row"] = np.arange(len(original), dtype=np.int64)
    logger.info(
        "%s: %s feature table, %d features%s; RT in %ss",
        file,
        detected,
        len(features),
        f" (sample {chosen})" if chosen else "",
        unit,
    )
    return FeatureTable(
        path=file,
        format=detected,
        rt_unit=unit,
        features=features,
        original=original,
        sample=chosen,
        samples=samples,
        notes=notes,
    )


def detect_format(columns: list[str]) -> str | None:
    """The feature-table format whose columns are present, or ``None``.

    Examples
    --------
    >>> detect_format(["row m/z", "row retention time", "s.mzML Peak RT start",
    ...                "s.mzML Peak RT end", "s.mzML Peak m/z min", "s.mzML Peak m/z max"])
    'mzmine'
    >>> detect_format(["name", "mz", "mzmin", "mzmax", "rt", "rtmin", "rtmax", "npeaks"])
    'xcms'
    >>> detect_format(["mass_to_charge", "retention_time"]), detect_format(["x"])
    ('maf', None)
    """
    names = {c.strip().lower() for c in columns}
    if {"row m/z", "row retention time"} <= names and _mzmine_samples(columns):
        return "mzmine"
    if set(_XCMS_BOUNDS) <= names:
        return "xcms"
    if all(any(a in names for a in _PLAIN_ALIASES[k]) for k in ("mz_min", "mz_max")) and all(
        any(a in names for a in _PLAIN_ALIASES[k]) for k in ("rt_min", "rt_max")
    ):
        return "plain"
    if {"mass_to_charge", "retention_time"} <= names:
        return "maf"
    return None


def feature_table_from_bounds(
    ids: list[str],
    mz_min: Any,
    mz_max: Any,
    rt_min: Any,
    rt_max: Any,
) -> FeatureTable:
    """A plain feature table built in memory (retention times in minutes).

    Examples
    --------
    >>> t = feature_table_from_bounds(["p1"], [100.0], [100.1], [1.0], [1.5])
    >>> float(t.features.loc["p1", "rt"]), t.format
    (1.25, 'plain')
    """
    lo_mz, hi_mz = np.asarray(mz_min, float), np.asarray(mz_max, float)
    lo_rt, hi_rt = np.asarray(rt_min, float), np.asarray(rt_max, float)
    original = pd.DataFrame(
        {
            "id": [str(i) for i in ids],
            "mz_min": [repr(float(v)) for v in lo_mz],
            "mz_max": [repr(float(v)) for v in hi_mz],
            "rt_min": [repr(float(v)) for v in lo_rt],
            "rt_max": [repr(float(v)) for v in hi_rt],
        }
    )
    _check_unique([str(i) for i in ids], Path("<memory>"))
    features = pd.DataFrame(
        {
            "mz": (lo_mz + hi_mz) / 2,
            "mz_min": lo_mz,
            "mz_max": hi_mz,
            "rt": (lo_rt + hi_rt) / 2,
            "rt_min": lo_rt,
            "rt_max": hi_rt,
        },
        index=pd.Index([str(i) for i in ids], name="feature_id"),
    )
    features["present"] = True
    features["row"] = np.arange(len(features), dtype=np.int64)
    return FeatureTable(None, "plain", "minute", features, original, notes=[])


# ---------------------------------------------------------------------------- helpers
def _separator_for(path: Path) -> str:
    with _open_text(path) as handle:
        header = handle.readline()
    return "\t" if header.count("\t") > header.count(",") else ","


def _open_text(path: Path) -> Any:
    import gzip

    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _read_text_table(path: Path) -> pd.DataFrame:
    """The table with every cell as text (nothing converted, nothing turned into NaN).

    ``omicsnet.data.tables.read_table`` is not used here: MetaboLights ``*_maf.csv``
    files are tab-separated despite their name (so the separator is sniffed), and the
    cells must stay verbatim for the copy written back with predictions.
    """
    try:
        sep = _separator_for(path)
        frame = pd.read_csv(
            path, sep=sep, dtype=str, keep_default_na=False, na_filter=False, compression="infer"
        )
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read feature table {path}: {err}") from err
    # a trailing separator on every line (MZmine 2 exports) makes an empty, unnamed column
    trailing = [
        c for c in frame.columns if c.startswith("Unnamed: ") and (frame[c].str.strip() == "").all()
    ]
    frame = frame.drop(columns=trailing)
    if frame.empty and len(frame.columns) == 0:
        raise DataError(f"feature table {path} has no columns")
    return frame


def _numeric(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """Column as float; empty cells and NA/NaN become NaN, other text is an error."""
    text = frame[column].str.strip()
    missing = text.isin(["", "NA", "NaN", "nan", "N/A", "null"])
    values = pd.to_numeric(text.where(~missing), errors="coerce")
    bad = values.isna() & ~missing
    infinite = np.isinf(values.to_numpy(dtype=np.float64))
    for what, where in (("non-numeric", bad.to_numpy()), ("infinite", infinite)):
        if bool(where.any()):
            row = int(np.flatnonzero(where)[0])
            raise DataError(
                f"{path}: {what} value in column {shown(column)} at "
                f"data row {row + 1} (line {row + 2} of the file)"
            )
    return values.to_numpy(dtype=np.float64)


def _mzmine_samples(columns: list[str]) -> list[str]:
    found: dict[str, set[str]] = {}
    for column in columns:
        match = _MZMINE_PEAK.match(column)
        if match:
            found.setdefault(match["sample"], set()).add(match["field"])
    needed = {"RT start", "RT end", "m/z min", "m/z max"}
    return [s for s, fields in found.items() if needed <= fields]


def _mzmine_bounds(
    frame: pd.DataFrame, path: Path, sample: str | None
) -> tuple[list[str], str, dict[str, np.ndarray], np.ndarray]:
    samples = _mzmine_samples(list(frame.columns))
    if sample is None:
        if len(samples) > 1:
            raise DataError(
                f"{path} is an aligned MZmine table with {len(samples)} samples "
                f"({', '.join(samples)}); choose one with sample= (--sample)"
            )
        chosen = samples[0]
    else:
        matches = [s for s in samples if sample in (s, Path(s).stem, s.removesuffix(".gz"))]
        if not matches:
            matches = [s for s in samples if Path(s).stem == Path(sample).stem]
        if len(matches) != 1:
            raise DataError(
                f"{path}: sample {sample!r} is not in the table; samples: {', '.join(samples)}"
            )
        chosen = matches[0]
    bounds: dict[str, np.ndarray] = {}
    for field_name, key in _MZMINE_FIELDS.items():
        column = f"{chosen} Peak {field_name}"
        if column in frame.columns:
            bounds[key] = _numeric(frame, column, path)
    if "mz" not in bounds:
        bounds["mz"] = (bounds["mz_min"] + bounds["mz_max"]) / 2
    if "rt" not in bounds:
        bounds["rt"] = (bounds["rt_min"] + bounds["rt_max"]) / 2
    # MZmine writes 0 (or nothing) in every column of a sample without a peak in that row
    stacked = np.stack([bounds[k] for k in ("mz_min", "mz_max", "rt_min", "rt_max")])
    present = ~np.all((stacked == 0) | np.isnan(stacked), axis=0)
    for key in bounds:
        bounds[key] = np.where(present, bounds[key], np.nan)
    return samples, chosen, bounds, present


def _named_bounds(
    frame: pd.DataFrame, path: Path, mapping: dict[str, str], fmt: str
) -> dict[str, np.ndarray]:
    by_lower = {c.strip().lower(): c for c in frame.columns}
    bounds: dict[str, np.ndarray] = {}
    for source, key in mapping.items():
        column = by_lower.get(source.strip().lower(), source)
        if column not in frame.columns:
            raise DataError(
                f"{path}: column {source!r} missing for a {fmt} table; columns found: "
                f"{', '.join(repr(c) for c in frame.columns)}; expected {EXPECTED_COLUMNS[fmt]}"
            )
        bounds.setdefault(key, _numeric(frame, column, path))
    for key in ("mz_min", "mz_max", "rt_min", "rt_max"):
        if key not in bounds:
            raise DataError(
                f"{path}: no {key} column; columns found: "
                f"{', '.join(repr(c) for c in frame.columns)}; expected {EXPECTED_COLUMNS[fmt]}"
            )
    bounds.setdefault("mz", (bounds["mz_min"] + bounds["mz_max"]) / 2)
    bounds.setdefault("rt", (bounds["rt_min"] + bounds["rt_max"]) / 2)
    return bounds


def _maf_bounds(
    frame: pd.DataFrame, path: Path, mz_ppm: float, rt_half_width: float
) -> dict[str, np.ndarray]:
    by_lower = {c.strip().lower(): c for c in frame.columns}
    mz = _numeric(frame, by_lower["mass_to_charge"], path)
    rt = _numeric(frame, by_lower["retention_time"], path)
    delta = mz * mz_ppm * 1e-6
    return {
        "mz": mz,
        "mz_min": mz - delta,
        "mz_max": mz + delta,
        "rt": rt,
        "rt_min": rt - rt_half_width,
        "rt_max": rt + rt_half_width,
    }


def _feature_ids(frame: pd.DataFrame, fmt: str, path: Path) -> tuple[list[str], str]:
    by_lower = {c.strip().lower(): c for c in frame.columns}
    candidates: list[str] = []
    if fmt == "maf":
        candidates = [by_lower[c] for c in ("identifier", "database_identifier") if c in by_lower]
    else:
        candidates = [by_lower[c] for c in _ID_COLUMNS if c in by_lower]
        first = frame.columns[0]
        if fmt == "xcms" and (first.startswith("Unnamed: ") or first == ""):
            candidates.insert(0, first)  # R's write.csv(row.names = TRUE): FT0001, ...
    for column in candidates:
        values = frame[column].str.strip()
        if (values != "").all():
            ids = values.tolist()
            _check_unique(ids, path)
            return ids, f"feature IDs from column {column!r}"
    ids = [str(i + 1) for i in range(len(frame))]
    return ids, "the table has no feature-ID column: features are numbered 1, 2, ... by row"


def _check_unique(ids: list[str], path: Path) -> None:
    seen: set[str] = set()
    for row, value in enumerate(ids):
        if value in seen:
            raise DataError(
                f"{path}: feature ID {value!r} appears more than once (again at data row "
                f"{row + 1}); feature IDs must be unique"
            )
        seen.add(value)


__all__ = [
    "FEATURE_COLUMNS",
    "FORMATS",
    "FeatureTable",
    "detect_format",
    "feature_table_from_bounds",
    "read_feature_table",
]


# ---------------------------------------------------------------------------- annotated
#: Recognised column names (lower-cased) for each field, in order of preference.
COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "feature_id", "alignment id", "row id", "featureid", "peak id", "identifier"),
    "mz": ("mz", "m/z", "average mz", "precursor m/z", "row m/z", "mzmed", "mass_to_charge"),
    "rt": (
        "rt",
        "rt (min)",
        "retention time",
        "average rt(min)",
        "rt(min)",
        "row retention time",
        "rtmed",
        "rt_min",
        "retention_time",
    ),
    "name": (
        "name",
        "metabolite name",
        "compound",
        "compound name",
        "identity",
        "annotation",
        "description",
        "metabolite_identification",
    ),
    "level": (
        "level",
        "annotation level",
        "msi level",
        "ontology",
        "annotation tag (vs1.0)",
        "confidence",
        "reliability",
    ),
}


def read_annotated_features(
    path_or_frame: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: dict[str, str] | None = None,
    rt_unit: str = "auto",
) -> pd.DataFrame:
    """Read a feature table into columns ``id, rt (minutes), mz, name, level``.

    Parameters
    ----------
    path_or_frame
        A delimited text file (comma, tab or semicolon, sniffed; optionally gzipped), e.g.
        an MS-DIAL alignment export, an MZmine CSV, an XCMS ``peakTable`` or a MetaboLights
        MAF file, or a DataFrame.
    columns
        Explicit mapping from our fields (``id``, ``rt``, ``mz``, ``name``, ``level``) to the
        table's column names; the rest are found by :data:`COLUMN_SYNONYMS`.
    rt_unit
        ``"min"``, ``"s"``, or ``"auto"``: seconds when the column name says so (XCMS
        ``rtmed``, ``... (s)``) or when the largest RT exceeds 200 (an LC run of more than
        200 minutes is rare; say ``rt_unit="min"`` for one), else minutes.

    Returns
    -------
    pandas.DataFrame
        The standard columns first (``name`` and ``level`` empty strings when absent,
        ``id`` the row number as text when absent), then the table's other columns.

    Examples
    --------
    >>> xcms = pd.DataFrame({"name": ["M100T600"], "mzmed": [100.1], "rtmed": [600.0]})
    >>> read_annotated_features(xcms)[["id", "rt", "mz"]].values.tolist()
    [['M100T600', 10.0, 100.1]]
    """
    if isinstance(path_or_frame, pd.DataFrame):
        table, source = path_or_frame.copy(), "the feature table"
    else:
        table, source = _read_delimited(path_or_frame), str(path_or_frame)
    lower = {str(c).strip().lower(): c for c in table.columns}
    chosen: dict[str, Any] = {}
    for key, synonyms in COLUMN_SYNONYMS.items():
        if columns and key in columns:
            if columns[key] not in table.columns:
                raise DataError(
                    f"{source}: column {columns[key]!r} (for {key}) not found; "
                    f"columns are {list(table.columns)}"
                )
            chosen[key] = columns[key]
            continue
        chosen[key] = next((lower[s] for s in synonyms if s in lower), None)
    missing = [f for f in ("mz", "rt") if chosen[f] is None]
    if missing:
        raise DataError(
            f"{source}: no {' or '.join(missing)} column found among {list(table.columns)}; "
            f"expected one of {[COLUMN_SYNONYMS[f] for f in missing]} or pass columns={{...}}"
        )
    out = pd.DataFrame(index=table.index)
    # XCMS tables name features in a 'name' column (M100T600): that is an ID, not a compound
    name_is_id = chosen["id"] is None and chosen["name"] is not None and _looks_like_xcms(table)
    if name_is_id:
        chosen["id"], chosen["name"] = chosen["name"], None
    has_ids = chosen["id"] is not None and table[chosen["id"]].notna().all()
    has_ids = has_ids and (table[chosen["id"]].astype(str).str.strip() != "").all()
    out["id"] = table[chosen["id"]].astype(str) if has_ids else table.index.astype(str)
    if chosen["id"] is not None and not has_ids:
        logger.info("%s: column %r has empty IDs; using row numbers", source, chosen["id"])
    for key in ("mz", "rt"):
        values = pd.to_numeric(table[chosen[key]], errors="coerce")
        bad = values.index[values.isna()]
        if len(bad):
            raise DataError(
                f"{source}: {len(bad)} non-numeric {key} value(s) in column "
                f"{shown(chosen[key])}, first at row {bad[0]}"
            )
        out[key] = values.astype(float)
    unit = rt_unit
    if unit == "auto":
        name = str(chosen["rt"]).lower()
        in_seconds = name in ("rtmed", "rt_s") or "(s)" in name or "sec" in name
        unit = "s" if in_seconds or out["rt"].max() > 200 else "min"
    if unit not in ("s", "min"):
        raise ConfigError(f"rt_unit must be 'min', 's' or 'auto', not {rt_unit!r}")
    if unit == "s":
        out["rt"] = out["rt"] / 60.0
    for key in ("name", "level"):
        out[key] = table[chosen[key]].fillna("").astype(str) if chosen[key] else ""
    used = {c for c in chosen.values() if c is not None}
    rest = table[[c for c in table.columns if c not in used]]
    return pd.concat([out, rest], axis=1).reset_index(drop=True)


def _read_delimited(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A feature table with typed columns (numbers as numbers), read as
    :func:`read_feature_table` reads files: separator sniffed, gzip allowed."""
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"feature table {file} not found")
    try:
        with _open_text(file) as handle:
            header = handle.readline()
        seps = {sep: header.count(sep) for sep in ("\t", ",", ";")}
        sep = max(seps, key=lambda s: seps[s])
        return pd.read_csv(file, sep=sep, compression="infer", encoding_errors="replace")
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise DataError(f"{file}: cannot read as a delimited table ({err})") from err


def _looks_like_xcms(table: pd.DataFrame) -> bool:
    columns = {str(c).lower() for c in table.columns}
    return {"mzmed", "rtmed"} <= columns
