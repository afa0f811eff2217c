"""Declarative search spaces: parameters written in a config, turned into Ax parameters.

A search space is a mapping ``name -> spec`` (or a list of specs with a ``name`` key).
Each spec has a ``type``:

``range``
    ``bounds: [low, high]``; ``value_type`` ``int`` or ``float`` (inferred from the
    bounds); ``scale: log`` for rates and sizes spanning orders of magnitude; ``step``
    for a grid (linear scale only).
``choice``
    ``values: [...]`` of one type (``int``, ``float``, ``str`` or ``bool``); ``ordered``
    (default: numbers are ordered, strings and booleans are not); ``dependents``, a
    mapping ``value -> [parameter names]`` that are only active for that value. This
    is how conditional parameters ("block 2 exists" → its width and depth) are written:
    Ax then leaves inactive parameters out of a trial's parameters.
``fixed``
    ``value``: a constant the task receives in every trial.

Users add their own types with :func:`register_parameter_type`: a function that turns a
spec mapping into a :class:`ParameterSpec`.

Examples
--------
>>> space = SearchSpace.from_config({
...     "lr": {"type": "range", "bounds": [1e-4, 1e-1], "scale": "log"},
...     "width": {"type": "range", "bounds": [16, 256]},
...     "activation": {"type": "choice", "values": ["relu", "tanh"]},
...     "epochs": {"type": "fixed", "value": 20},
... })
>>> space.names
['lr', 'width', 'activation', 'epochs']
>>> space["width"].value_type, space["lr"].scale
('int', 'log')
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omicsnet.config import check_keys
from omicsnet.errors import ConfigError

VALUE_TYPES = ("int", "float", "str", "bool")
ParameterValue = int | float | str | bool

_COMMON_KEYS = {"name", "type", "value_type", "description"}


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a search space.

    Attributes
    ----------
    name
        A Python identifier (Ax parses constraints and objectives by name).
    kind
        ``"range"``, ``"choice"`` or ``"fixed"``.
    value_type
        ``"int"``, ``"float"``, ``"str"`` or ``"bool"``.
    bounds
        ``(low, high)`` of a range parameter.
    values
        The values of a choice parameter, or the one value of a fixed parameter.
    scale
        ``"linear"`` or ``"log"`` (range parameters).
    step
        Grid step of a range parameter (linear scale).
    ordered
        Whether choice values are ordered.
    dependents
        Choice value → names of the parameters that are active only for that value.
    """

    name: str
    kind: str
    value_type: str
    bounds: tuple[float, float] | None = None
    values: tuple[ParameterValue, ...] = ()
    scale: str = "linear"
    step: float | None = None
    ordered: bool | None = None
    dependents: dict[ParameterValue, tuple[str, ...]] = field(default_factory=dict)

    def to_ax(self) -> Any:
        """The Ax ``RangeParameterConfig``/``ChoiceParameterConfig`` for this parameter.

        A fixed parameter becomes a one-value choice, which Ax stores as a fixed parameter.
        """
        from ax import ChoiceParameterConfig, RangeParameterConfig

        if self.kind == "range":
            assert self.bounds is not None
            return RangeParameterConfig(
                name=self.name,
                bounds=self.bounds,
                parameter_type=self.value_type,  # type: ignore[arg-type]
                step_size=self.step,
                scaling=self.scale,  # type: ignore[arg-type]
            )
        dependents = {value: list(names) for value, names in self.dependents.items()}
        return ChoiceParameterConfig(
            name=self.name,
            values=list(self.values),  # type: ignore[arg-type]
            parameter_type=self.value_type,  # type: ignore[arg-type]
            is_ordered=self.ordered,
            dependent_parameters=dependents or None,
        )

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a valid value of this parameter.

        Examples
        --------
        >>> spec = parse_parameter("width", {"type": "range", "bounds": [8, 64]})
        >>> spec.contains(8), spec.contains(65), spec.contains(9.5)
        (True, False, False)
        """
        if self.kind == "range":
            assert self.bounds is not None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return False
            if self.value_type == "int" and float(value) != int(value):
                return False
            return self.bounds[0] <= value <= self.bounds[1]
        return any(_same_value(value, allowed) for allowed in self.values)

    def describe(self) -> str:
        """One line for tables and logs.

        Examples
        --------
        >>> parse_parameter("lr", {"type": "range", "bounds": [1e-4, 0.1], "scale": "log"}
        ...                 ).describe()
        'lr: float in [0.0001, 0.1] (log)'
        """
        if self.kind == "range":
            assert self.bounds is not None
            scale = " (log)" if self.scale == "log" else ""
            step = f" step {self.step:g}" if self.step else ""
            return f"{self.name}: {self.value_type} in [{self.bounds[0]:g}, {self.bounds[1]:g}]" + (
                f"{step}{scale}"
            )
        if self.kind == "fixed":
            return f"{self.name}: fixed {self.values[0]!r}"
        text = f"{self.name}: one of {list(self.values)!r}"
        for value, names in self.dependents.items():
            text += f"; {value!r} activates {', '.join(names)}"
        return text


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return (type(a) is type(b) and a == b) or (_is_number(a) and _is_number(b) and a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _infer_value_type(values: Sequence[Any], where: str) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, str) for v in values):
        return "str"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(_is_number(v) for v in values):
        return "float"
    kinds = sorted({type(v).__name__ for v in values})
    raise ConfigError(f"{where}: values mix types ({', '.join(kinds)}); use one type")


def _coerce(value: Any, value_type: str, where: str) -> ParameterValue:
    ok = {
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "int": _is_number(value) and float(value).is_integer(),
        "float": _is_number(value),
    }[value_type]
    if not ok:
        raise ConfigError(f"{where}: {value!r} is not a {value_type}")
    if value_type == "int":
        return int(value)
    if value_type == "float":
        return float(value)
    return value  # type: ignore[no-any-return]


def _check_value_type(spec: Mapping[str, Any], where: str) -> str | None:
    value_type = spec.get("value_type")
    if value_type is not None and value_type not in VALUE_TYPES:
        raise ConfigError(f"{where}.value_type must be one of {', '.join(VALUE_TYPES)}")
    return value_type


def _parse_range(name: str, spec: Mapping[str, Any], where: str) -> ParameterSpec:
    check_keys(spec, _COMMON_KEYS | {"bounds", "scale", "step"}, where)
    bounds = spec.get("bounds")
    if (
        not isinstance(bounds, (list, tuple))
        or len(bounds) != 2
        or not all(_is_number(b) for b in bounds)
    ):
        raise ConfigError(f"{where}.bounds must be [low, high] numbers, got {bounds!r}")
    value_type = _check_value_type(spec, where) or _infer_value_type(bounds, f"{where}.bounds")
    if value_type not in ("int", "float"):
        raise ConfigError(f"{where}: a range parameter is int or float, not {value_type}")
    low, high = (_coerce(b, value_type, f"{where}.bounds") for b in bounds)
    if not low < high:  # type: ignore[operator]
        raise ConfigError(f"{where}.bounds: low {low} must be below high {high}")
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise ConfigError(f"{where}.scale must be 'linear' or 'log', got {scale!r}")
    if scale == "log" and low <= 0:  # type: ignore[operator]
        raise ConfigError(f"{where}: a log-scale range needs low > 0, got {low}")
    step = spec.get("step")
    if step is not None:
        if not _is_number(step) or step <= 0:
            raise ConfigError(f"{where}.step must be a positive number, got {step!r}")
        if scale == "log":
            raise ConfigError(f"{where}: step works on a linear scale only")
        n_steps = (high - low) / step  # type: ignore[operator]
        if not math.isclose(n_steps, round(n_steps), abs_tol=1e-9):
            raise ConfigError(f"{where}: step {step} does not divide [{low}, {high}] evenly")
        step = float(step)
    return ParameterSpec(
        name,
        "range",
        value_type,
        bounds=(low, high),
        scale=scale,
        step=step,  # type: ignore[arg-type]
    )


def _parse_choice(name: str, spec: Mapping[str, Any], where: str) -> ParameterSpec:
    check_keys(spec, _COMMON_KEYS | {"values", "ordered", "dependents"}, where)
    values = spec.get("values")
    if not isinstance(values, (list, tuple)) or not values:
        raise ConfigError(f"{where}.values must be a non-empty list, got {values!r}")
    value_type = _check_value_type(spec, where) or _infer_value_type(values, f"{where}.values")
    parsed = tuple(_coerce(v, value_type, f"{where}.values") for v in values)
    if len(set(parsed)) != len(parsed):
        raise ConfigError(f"{where}.values has duplicates: {list(values)!r}")
    ordered = spec.get("ordered")
    if ordered is None:
        ordered = value_type in ("int", "float")
    if not isinstance(ordered, bool):
        raise ConfigError(f"{where}.ordered must be true or false")
    dependents_cfg = spec.get("dependents") or {}
    if not isinstance(dependents_cfg, Mapping):
        raise ConfigError(f"{where}.dependents must map a value to a list of parameter names")
    dependents: dict[ParameterValue, tuple[str, ...]] = {}
    for key, names in dependents_cfg.items():
        value = _dependent_key(key, parsed, value_type, f"{where}.dependents")
        if isinstance(names, str) or not isinstance(names, (list, tuple)):
            raise ConfigError(f"{where}.dependents[{key!r}] must be a list of parameter names")
        dependents[value] = tuple(str(n) for n in names)
    return ParameterSpec(
        name, "choice", value_type, values=parsed, ordered=ordered, dependents=dependents
    )


def _dependent_key(
    key: Any, values: tuple[ParameterValue, ...], value_type: str, where: str
) -> ParameterValue:
    # YAML/JSON/TOML mapping keys may arrive as strings ("true", "2"): match them to a value.
    for value in values:
        if _same_value(key, value) or str(key).lower() == str(value).lower():
            return value
    raise ConfigError(f"{where}: {key!r} is not one of the values {list(values)!r}")


def _parse_fixed(name: str, spec: Mapping[str, Any], where: str) -> ParameterSpec:
    check_keys(spec, _COMMON_KEYS | {"value"}, where)
    if "value" not in spec:
        raise ConfigError(f"{where}: a fixed parameter needs a 'value'")
    value = spec["value"]
    value_type = _check_value_type(spec, where) or _infer_value_type([value], f"{where}.value")
    return ParameterSpec(
        name, "fixed", value_type, values=(_coerce(value, value_type, f"{where}.value"),)
    )


ParameterParser = Callable[[str, Mapping[str, Any], str], ParameterSpec]

_PARAMETER_TYPES: dict[str, ParameterParser] = {
    "range": _parse_range,
    "choice": _parse_choice,
    "fixed": _parse_fixed,
}


def register_parameter_type(name: str, parser: ParameterParser, *, overwrite: bool = False) -> None:
    """Add a parameter ``type`` that configs may use.

    Parameters
    ----------
    name
        The ``type:`` written in configs.
    parser
        ``parser(param_name, spec, where) -> ParameterSpec``; ``where`` names the config
        location for error messages. Build the result with :func:`parse_parameter`.
    overwrite
        Replace an existing type of that name.

    Examples
    --------
    Powers of two as an ordered choice:

    >>> def powers_of_two(name, spec, where):
    ...     low, high = spec["bounds"]
    ...     values = [2**k for k in range(low, high + 1)]
    ...     return parse_parameter(name, {"type": "choice", "values": values}, where)
    >>> register_parameter_type("pow2", powers_of_two, overwrite=True)
    >>> parse_parameter("batch_size", {"type": "pow2", "bounds": [4, 7]}).values
    (16, 32, 64, 128)
    """
    if name in _PARAMETER_TYPES and not overwrite:
        raise ConfigError(f"parameter type {name!r} already exists; pass overwrite=True")
    _PARAMETER_TYPES[name] = parser


def parameter_types() -> list[str]:
    """Names of the parameter types configs may use.

    Examples
    --------
    >>> {"range", "choice", "fixed"} <= set(parameter_types())
    True
    """
    return sorted(_PARAMETER_TYPES)


def parse_parameter(name: str, spec: Mapping[str, Any], where: str | None = None) -> ParameterSpec:
    """Turn one spec mapping into a :class:`ParameterSpec`, with clear errors.

    Examples
    --------
    >>> parse_parameter("dropout", {"type": "range", "bounds": [0.0, 0.9]}).value_type
    'float'
    >>> parse_parameter("dropout", {"type": "range", "bounds": [0.9, 0.1]})
    Traceback (most recent call last):
    ...
    omicsnet.errors.ConfigError: parameters.dropout.bounds: low 0.9 must be below high 0.1
    """
    where = where or f"parameters.{name}"
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ConfigError(
            f"{where}: parameter names must be Python identifiers (letters, digits, _), "
            f"got {name!r}"
        )
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where} must be a mapping with a 'type', got {spec!r}")
    kind = spec.get("type")
    if kind not in _PARAMETER_TYPES:
        raise ConfigError(
            f"{where}.type must be one of {', '.join(parameter_types())}, got {kind!r}"
        )
    result = _PARAMETER_TYPES[kind](name, spec, where)
    if not isinstance(result, ParameterSpec) or result.name != name:
        raise ConfigError(f"{where}: parameter type {kind!r} did not return a spec for {name!r}")
    return result


class SearchSpace:
    """An ordered set of :class:`ParameterSpec` plus linear parameter constraints.

    Parameters
    ----------
    parameters
        The parameters, in order.
    constraints
        Ax parameter constraints such as ``"width1 >= width2"`` or ``"a + b <= 1"``.

    Examples
    --------
    >>> space = SearchSpace.from_config(
    ...     {"block2": {"type": "choice", "values": [True, False],
    ...                 "dependents": {True: ["block2_width"]}},
    ...      "block2_width": {"type": "range", "bounds": [8, 64]}})
    >>> space.is_valid({"block2": True, "block2_width": 32})
    True
    >>> space.is_valid({"block2": False})
    True
    >>> space.problems({"block2": True})
    ['block2_width is missing']
    """

    def __init__(
        self, parameters: Sequence[ParameterSpec], constraints: Sequence[str] = ()
    ) -> None:
        self._parameters = {p.name: p for p in parameters}
        if len(self._parameters) != len(parameters):
            names = [p.name for p in parameters]
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ConfigError(f"parameters: duplicate names {', '.join(dup)}")
        if not parameters:
            raise ConfigError("parameters: a search space needs at least one parameter")
        self.constraints = [str(c) for c in constraints]
        self._check_dependents()

    @classmethod
    def from_config(
        cls,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        constraints: Sequence[str] | None = None,
    ) -> SearchSpace:
        """Parse the ``parameters`` section of a campaign config (mapping or list)."""
        specs: list[ParameterSpec] = []
        if isinstance(parameters, Mapping):
            for name, spec in parameters.items():
                specs.append(parse_parameter(str(name), spec))
        elif isinstance(parameters, (list, tuple)):
            for i, spec in enumerate(parameters):
                if not isinstance(spec, Mapping) or "name" not in spec:
                    raise ConfigError(f"parameters[{i}] must be a mapping with a 'name'")
                specs.append(parse_parameter(str(spec["name"]), spec, f"parameters[{i}]"))
        else:
            raise ConfigError("parameters must be a mapping name -> spec or a list of specs")
        constraints = list(constraints or [])
        if not all(isinstance(c, str) for c in constraints):
            raise ConfigError("parameter_constraints must be a list of strings like 'a <= b'")
        return cls(specs, constraints)

    def _check_dependents(self) -> None:
        owner: dict[str, str] = {}
        for spec in self._parameters.values():
            for value, names in spec.dependents.items():
                for name in names:
                    if name not in self._parameters:
                        raise ConfigError(
                            f"parameters.{spec.name}.dependents[{value!r}]: unknown parameter "
                            f"{name!r}"
                        )
                    if name in owner and owner[name] != spec.name:
                        raise ConfigError(
                            f"parameters.{name} depends on both {owner[name]} and {spec.name}"
                        )
                    owner[name] = spec.name
        self._owner = owner

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return list(self._parameters)

    def __getitem__(self, name: str) -> ParameterSpec:
        try:
            return self._parameters[name]
        except KeyError:
            raise ConfigError(f"no parameter {name!r} in the search space") from None

    def __iter__(self) -> Iterator[ParameterSpec]:
        return iter(self._parameters.values())

    def __len__(self) -> int:
        return len(self._parameters)

    def active(self, parameters: Mapping[str, Any]) -> list[str]:
        """Names that are active for these values (conditional parameters resolved)."""

        def is_active(name: str) -> bool:
            parent = self._owner.get(name)
            if parent is None:
                return True
            if not is_active(parent) or parent not in parameters:
                return False
            spec = self._parameters[parent]
            return any(
                name in names and _same_value(parameters[parent], value)
                for value, names in spec.dependents.items()
            )

        return [name for name in self._parameters if is_active(name)]

    def problems(self, parameters: Mapping[str, Any]) -> list[str]:
        """Why ``parameters`` is not a point of this space (empty when it is)."""
        found: list[str] = []
        active = set(self.active(parameters))
        for name in self._parameters:
            if name in active and name not in parameters:
                found.append(f"{name} is missing")
            elif name in parameters and name not in active:
                found.append(f"{name} is given but inactive")
            elif name in parameters and not self._parameters[name].contains(parameters[name]):
                found.append(f"{name}={parameters[name]!r} is outside {self[name].describe()}")
        found.extend(f"{name} is not a parameter" for name in parameters if name not in self)
        return found

    def __contains__(self, name: object) -> bool:
        return name in self._parameters

    def is_valid(self, parameters: Mapping[str, Any]) -> bool:
        """Whether ``parameters`` is a point of this space (constraints not checked)."""
        return not self.problems(parameters)

    def to_ax(self) -> list[Any]:
        """Ax parameter configs for ``Client.configure_experiment``."""
        return [spec.to_ax() for spec in self._parameters.values()]

    def describe(self) -> list[str]:
        """One line per parameter (see :meth:`ParameterSpec.describe`)."""
        return [spec.describe() for spec in self._parameters.values()] + [
            f"constraint: {c}" for c in self.constraints
        ]
