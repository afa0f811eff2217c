"""Numbers as people read them: rounded to meaningful precision, small ones in scientific notation.

Two places show numbers to users, and both go through this module:

* tables written to CSV (:func:`round_significant`, used by
  :func:`omicsnet.utils.io.write_csv`): floats are rounded to a number of significant
  digits, so that a file says ``3.1`` and not ``3.0999999999999996``, and a float32
  probability says ``0.54645`` and not ``0.5464500188827515``. Whole numbers stored as
  floats (counts with a missing value, parameter counts) are left exactly as they are;
* numbers printed by the command line (:func:`format_number`, :func:`format_frame`): a
  few significant digits, and scientific notation for values too small (or too large) to
  read in fixed notation, so that ``1e-4`` is printed as ``1.00e-04`` and not ``0.000``.

Rounding to significant digits is done so that the shortest representation of the
result is the rounded decimal: ``x / 10**k`` for fractional steps and ``x * 10**k`` for
whole ones, both of which give the double closest to the decimal (multiplying by ``0.1``
would reintroduce the noise).

Examples
--------
>>> import numpy as np
>>> round_significant(np.array([3.0999999999999996, 2.5267754555358124e-10, 52700.0]), 6)
array([3.10000e+00, 2.52678e-10, 5.27000e+04])
>>> format_number(1.2e-4), format_number(0.5464500188827515), format_number(1234.5)
('1.20e-04', '0.546', '1234')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from omicsnet.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Significant digits kept in CSV files by default: a float32 carries about 7, and six
#: is more than any score, loss or probability in omicsnet means. Columns that need more
#: (m/z to a fraction of a ppm) pass their own precision.
CSV_SIGNIFICANT = 6

#: Below this magnitude (and from :data:`LARGE` up) printed numbers use scientific notation.
SMALL = 1e-3
LARGE = 1e6


def _check_digits(digits: int, what: str) -> int:
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 1:
        raise ConfigError(f"{what} must be a whole number >= 1, got {digits!r}")
    return int(digits)


def round_significant(values: Any, significant: int = CSV_SIGNIFICANT) -> np.ndarray:
    """Round floats to ``significant`` significant digits, leaving whole numbers exact.

    NaN and infinities pass through; so does every value that is already a whole number
    (below 2**53), so counts and IDs stored as floats keep every digit.

    Parameters
    ----------
    values
        A number or an array of numbers.
    significant
        Significant digits to keep (>= 1).

    Returns
    -------
    numpy.ndarray
        A float64 array of the same shape.

    Examples
    --------
    >>> round_significant([0.1 + 0.2, 123456.789, -0.000123456789, 7.0], 3).tolist()
    [0.3, 123000.0, -0.000123, 7.0]
    >>> round_significant(1234567.0, 2).tolist()   # a whole number is kept exactly
    1234567.0
    """
    significant = _check_digits(significant, "significant")
    x = np.array(values, dtype=np.float64, copy=True)
    finite = np.isfinite(x) & (x != 0)
    finite &= ~((np.abs(x) < 2.0**53) & (np.floor(x) == x))
    if not finite.any():
        return x
    v = x[finite]
    exponent = np.floor(np.log10(np.abs(v))).astype(np.int64)
    decimals = significant - 1 - exponent
    out = np.empty_like(v)
    frac = decimals >= 0
    if frac.any():  # round(v * 10**d) / 10**d: the division gives the double nearest the decimal
        scale = np.power(10.0, decimals[frac])
        out[frac] = np.round(v[frac] * scale) / scale
    if (~frac).any():  # round(v / 10**k) * 10**k with k > 0: a whole multiple, exact
        scale = np.power(10.0, -decimals[~frac])
        out[~frac] = np.round(v[~frac] / scale) * scale
    x[finite] = out
    return x


def round_frame(
    frame: pd.DataFrame,
    significant: int = CSV_SIGNIFICANT,
    *,
    columns: Iterable[str] | None = None,
    exact: Iterable[str] = (),
) -> pd.DataFrame:
    """A copy of ``frame`` with its float columns rounded by :func:`round_significant`.

    Parameters
    ----------
    frame
        Any table; non-float columns (integers, text, booleans, dates) are not touched.
    significant
        Significant digits of the rounded columns.
    columns
        Round only these columns (default: every float column). Use it when a table
        carries a user's own columns next to omicsnet's, which must stay as they were.
    exact
        Columns never rounded (e.g. m/z, which needs more digits than a score).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"id": ["a"], "mz": [100.190306], "p": [0.5464500188827515]})
    >>> round_frame(t, 3, exact=["mz"]).to_csv(index=False)
    'id,mz,p\\na,100.190306,0.546\\n'
    """
    import pandas as pd

    significant = _check_digits(significant, "significant")
    out = frame.copy()
    wanted = set(out.columns if columns is None else columns) - set(exact)
    for position, name in enumerate(out.columns):
        if name not in wanted:
            continue
        column = out.iloc[:, position]
        if not pd.api.types.is_float_dtype(column.dtype):
            continue
        rounded = round_significant(column.to_numpy(dtype=np.float64), significant)
        out.isetitem(position, pd.Series(rounded, index=out.index, name=name))
    if pd.api.types.is_float_dtype(out.index.dtype) and (
        columns is None or out.index.name in wanted
    ):
        out.index = pd.Index(
            round_significant(out.index.to_numpy(), significant), name=out.index.name
        )
    return out


def format_number(value: Any, digits: int = 3, *, trailing_zeros: bool = True) -> str:
    """A number as printed for people: ``digits`` significant digits, tiny ones in e-notation.

    Integers are printed whole; magnitudes below ``1e-3`` or from ``1e6`` up in
    scientific notation (``1.00e-04``); the rest in fixed notation with ``digits``
    significant digits (``1.00``, ``0.978``), never rounded to ``0.000``. Anything
    that is not a number is returned as ``str(value)``.

    Parameters
    ----------
    value
        A number (Python, numpy or torch scalar) or anything else.
    digits
        Significant digits (>= 1).
    trailing_zeros
        Keep them (``1.00``, for scores that line up); ``False`` prints ``922`` for
        ``922.000`` (coordinates such as m/z).

    Examples
    --------
    >>> [format_number(v) for v in (0.0001, 0.01234, 0.5, 1.0, 12.3456, 12345.6, 3e7, 0, 42)]
    ['1.00e-04', '0.0123', '0.500', '1.00', '12.3', '12346', '3.00e+07', '0', '42']
    >>> format_number(922.0, 6), format_number(922.0, 6, trailing_zeros=False)
    ('922.000', '922')
    >>> format_number(float("nan")), format_number("n/a"), format_number(True)
    ('nan', 'n/a', 'True')
    """
    digits = _check_digits(digits, "digits")
    if isinstance(value, (bool, np.bool_)) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    magnitude = abs(x)
    if magnitude < SMALL or magnitude >= LARGE:
        return f"{x:.{max(digits - 1, 0)}e}"
    if magnitude >= 10 ** (digits - 1):  # no decimals left: print the rounded whole number
        return f"{x:.0f}"
    if not trailing_zeros:
        return f"{x:.{digits}g}"
    return f"{x:#.{digits}g}"  # trailing zeros kept: 1.00 and 0.978 line up in a report


def format_frame(
    frame: pd.DataFrame,
    digits: int = 3,
    *,
    index: bool = True,
    column_digits: Mapping[str, int] | None = None,
) -> str:
    """A table as text, every float through :func:`format_number`.

    Parameters
    ----------
    frame
        The table.
    digits
        Significant digits of float columns.
    index
        Print the index.
    column_digits
        Other precision for some columns (e.g. ``{"mz": 7}``: m/z needs more digits);
        these are coordinates, printed without trailing zeros.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"set": ["a", "b"], "q": [0.00012, 0.5], "mz": [924.8123, 160.05]})
    >>> print(format_frame(t, index=False, column_digits={"mz": 6}))
    set        q      mz
      a 1.20e-04 924.812
      b    0.500  160.05
    """
    digits = _check_digits(digits, "digits")
    extra = {str(k): _check_digits(v, "column digits") for k, v in (column_digits or {}).items()}
    formatters = {
        name: (lambda v, d=extra[name]: format_number(v, d, trailing_zeros=False))
        for name in frame.columns
        if name in extra and _is_float_column(frame[name])
    }
    return frame.to_string(
        index=index,
        float_format=lambda v: format_number(v, digits),
        formatters=formatters or None,
    )


def _is_float_column(column: Any) -> bool:
    """Whether a pandas column holds floats."""
    import pandas as pd

    return bool(pd.api.types.is_float_dtype(column.dtype))


__all__ = [
    "CSV_SIGNIFICANT",
    "format_frame",
    "format_number",
    "round_frame",
    "round_significant",
]
