"""Old import paths that keep working for one release, with a warning.

When the model families moved into packages of their own (``omicsnet.kcae``,
``omicsnet.lcms``, ...), the module and function paths the docs named before kept
working: importing one gives the new module (or function) and a :class:`FutureWarning`
that names the new path. The aliases are resolved by name when first used, so the
layered core never imports the packages above it.

Examples
--------
>>> import importlib, warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     old = importlib.import_module("omicsnet.data.compendium")
>>> old.__name__, "omicsnet.kcae.compendium" in str(caught[0].message)
('omicsnet.kcae.compendium', True)
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

REMOVAL = "a future release"

#: Old module path -> new module path (the layout of the family packages).
MOVED_MODULES: dict[str, str] = {
    # kcae
    "omicsnet.kcae_workflows": "omicsnet.kcae.workflows",
    "omicsnet.models.kcae": "omicsnet.kcae.model",
    "omicsnet.data.compendium": "omicsnet.kcae.compendium",
    # t2p
    "omicsnet.data.t2p": "omicsnet.t2p.data",
    "omicsnet.data.cptac": "omicsnet.t2p.cptac",
    "omicsnet.models.residual_mlp": "omicsnet.t2p.model",
    # raw MS, shared by the LC-MS families
    "omicsnet.data.mzml": "omicsnet.ms.mzml",
    "omicsnet.data.lcms_matrix": "omicsnet.ms.binning",
    "omicsnet.data.mzml_synthetic": "omicsnet.ms.synthetic",
    "omicsnet.data.feature_tables": "omicsnet.ms.feature_tables",
    "omicsnet.data.mz_whitelist": "omicsnet.ms.whitelist",
    "omicsnet.data.lcms_arrays": "omicsnet.ms.arrays",
    # lcms
    "omicsnet.lcms_workflows": "omicsnet.lcms.workflows",
    "omicsnet.lcms_study": "omicsnet.lcms.study",
    "omicsnet.models.lcms": "omicsnet.lcms.densenet",
    "omicsnet.models.lcms_cnn": "omicsnet.lcms.cnn",
    "omicsnet.models.lcms_dual": "omicsnet.lcms.dual",
    "omicsnet.data.dual_polarity": "omicsnet.lcms.dual_polarity",
    # lcms_image
    "omicsnet.lcms_image_workflows": "omicsnet.lcms_image.workflows",
    "omicsnet.models.lcms_image": "omicsnet.lcms_image.model",
    "omicsnet.data.pseudo_images": "omicsnet.lcms_image.pseudo_images",
    # peaks
    "omicsnet.peaks_workflows": "omicsnet.peaks.workflows",
    "omicsnet.models.peak_cnn": "omicsnet.peaks.model",
    "omicsnet.data.peak_matrices": "omicsnet.peaks.matrices",
    "omicsnet.data.peak_synthetic": "omicsnet.peaks.synthetic",
}


def _warn(old: str, new: str) -> None:
    warnings.warn(
        f"{old} moved to {new}; the old path works until {REMOVAL}",
        FutureWarning,
        stacklevel=3,
    )


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self.new = new
        self.spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        _warn(spec.name, self.new)
        module = importlib.import_module(self.new)
        self.spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # the import system stored the new module under the old name and overwrote its
        # __spec__ with the alias's: give the module its own spec back
        module.__spec__ = self.spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds the old module paths of :data:`MOVED_MODULES` (and only those)."""

    def find_spec(
        self, fullname: str, path: Any = None, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED_MODULES.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new))


def install_module_aliases() -> None:
    """Make the old module paths importable (idempotent; done by ``import omicsnet``)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def moved_attributes(
    module: str, moved: Mapping[str, str]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved to other modules (with a warning).

    Parameters
    ----------
    module
        The old module's ``__name__``.
    moved
        Old attribute name -> new module path that defines it.

    Examples
    --------
    >>> import warnings
    >>> getattr_ = moved_attributes("old_place", {"dumps": "json"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getattr_("dumps").__module__
    'json'
    >>> str(caught[0].message)
    'old_place.dumps moved to json.dumps; the old path works until a future release'
    """

    def module_getattr(name: str) -> Any:
        new = moved.get(name)
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        _warn(f"{module}.{name}", f"{new}.{name}")
        return getattr(importlib.import_module(new), name)

    return module_getattr


__all__ = ["MOVED_MODULES", "install_module_aliases", "moved_attributes"]
