"""The torch.optim class behind each scenespec optimizer name: the independent reference of the optimizer tests."""

from __future__ import annotations

import torch

TORCH_OPTIMIZERS: dict[str, type[torch.optim.Optimizer]] = {
    "sgd": torch.optim.SGD,
    "momentum": torch.optim.SGD,  # SGD with momentum 0.9 by default
    "nesterov": torch.optim.SGD,  # SGD with momentum 0.9 and nesterov=True by default
    "adagrad": torch.optim.Adagrad,
    "rmsprop": torch.optim.RMSprop,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
}
