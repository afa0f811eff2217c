"""The model zoo.

Every model family registers its builder with :func:`register_model`; users create models
by name with :func:`create_model` and list them with :func:`list_models`. Built-in models
are imported on first use of the registry, so ``import omicsnet.models`` stays light.

Examples
--------
>>> from omicsnet.models import create_model, list_models
>>> "mlp" in list_models()
True
>>> create_model("mlp", in_features=4, out_features=1).config["out_features"]
1
"""

from omicsnet.models.registry import (
    create_model,
    list_models,
    model_info,
    register_model,
)

__all__ = ["create_model", "list_models", "model_info", "register_model"]
