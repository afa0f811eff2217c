"""Train a fixed model on fixed data and save it; run under torchrun by test_distributed.py.

Usage: python ddp_script.py OUTPUT_FOLDER
"""

from __future__ import annotations

import os
import sys

import numpy as np
import torch

import omicsnet
from omicsnet.train.trainer import Trainer


def main(output: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(140, 8)).astype("float32")  # 140 samples: last global batch is partial
    y = np.tanh(x @ rng.normal(size=(8, 3))).astype("float32")
    data = omicsnet.ArrayDataset(x, y)
    torch.manual_seed(0)
    model = omicsnet.create_model("mlp", in_features=8, out_features=3, hidden=[32, 16])
    result = Trainer(
        max_epochs=4, batch_size=32, lr=0.01, scheduler="cosine", progress=False, device="cpu"
    ).fit(model, data, data)
    if int(os.environ.get("RANK", "0")) == 0:
        omicsnet.save(
            result.model,
            output,
            metadata={
                "world_size": int(os.environ.get("WORLD_SIZE", "1")),
                "final_train_loss": float(result.history["train_loss"].iloc[-1]),
            },
        )


if __name__ == "__main__":
    main(sys.argv[1])
