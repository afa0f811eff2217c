"""omicsnet: biology-guided multi-omics deep learning.

One model zoo, one trainer, one interpretation layer and one knowledge layer for
knowledge-constrained autoencoders, NAS-searched transcript → protein networks and raw
LC-MS ensembles.

Importing ``omicsnet`` is cheap: torch and the other heavy libraries load only when a
name that needs them is first used.

Examples
--------
>>> import omicsnet
>>> "mlp" in omicsnet.list_models()
True
>>> model = omicsnet.create_model("mlp", in_features=8, out_features=2)
>>> model.config["in_features"]
8
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omicsnet._version import __version__
from omicsnet.utils.compat import install_module_aliases

# public name -> module that defines it (imported on first access)
from omicsnet.utils.lazy import lazy_exports

install_module_aliases()  # old module paths of the families keep working, with a warning

_LAZY: dict[str, str] = {
    "register_model": "omicsnet.models.registry",
    "create_model": "omicsnet.models.registry",
    "list_models": "omicsnet.models.registry",
    "model_info": "omicsnet.models.registry",
    "OmicsModel": "omicsnet.models.base",
    "save": "omicsnet.models.serialization",
    "load": "omicsnet.models.serialization",
    "Trainer": "omicsnet.train.trainer",
    "TrainResult": "omicsnet.train.trainer",
    "seed_everything": "omicsnet.train.seeding",
    "get_data_dir": "omicsnet.utils.paths",
    "ArrayDataset": "omicsnet.data.datasets",
    "load_dataset": "omicsnet.data.registry",
    "list_datasets": "omicsnet.data.registry",
    "run_campaign": "omicsnet.search.campaign",
    "resume_campaign": "omicsnet.search.campaign",
    "load_campaign": "omicsnet.search.campaign",
}

__all__ = ["__version__", *sorted(_LAZY)]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from omicsnet.data.datasets import ArrayDataset as ArrayDataset
    from omicsnet.data.registry import list_datasets as list_datasets
    from omicsnet.data.registry import load_dataset as load_dataset
    from omicsnet.models.base import OmicsModel as OmicsModel
    from omicsnet.models.registry import (
        create_model as create_model,
    )
    from omicsnet.models.registry import (
        list_models as list_models,
    )
    from omicsnet.models.registry import (
        model_info as model_info,
    )
    from omicsnet.models.registry import (
        register_model as register_model,
    )
    from omicsnet.models.serialization import load as load
    from omicsnet.models.serialization import save as save
    from omicsnet.train.seeding import seed_everything as seed_everything
    from omicsnet.train.trainer import Trainer as Trainer
    from omicsnet.train.trainer import TrainResult as TrainResult
    from omicsnet.utils.paths import get_data_dir as get_data_dir


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
