"""The optimizers' names, without their models: a theme's colours per optimizer are checked against them, and a
theme is read by every command, most of which simulate nothing (importing the models costs 20 ms)."""

from __future__ import annotations

OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
"""Every optimizer's `name`, in the order the docs list them (`optimizers.Optimizer` has one model per name)."""
