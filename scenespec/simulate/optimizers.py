"""Optimizer update rules identical to torch.optim's, in numpy, and the spec models that configure them.

Each rule reproduces the single-tensor (`foreach=False`) code path of torch 2.13's
optimizer of the same name, operation by operation: the same state (initialised as
torch initialises it), the same order of weight decay, maximize, moments and bias
corrections, and the same formulas (e.g. `lerp` for Adam's first moment). The
hyperparameters have torch's names and defaults, so a path drawn by scenespec is the
path torch would take. Only rounding can differ: torch's CPU kernels fuse some
multiply-adds (FMA) and its sqrt is not always correctly rounded, so the two agree to
about 1e-15, not bit for bit.

Everything runs in float64 without torch: `descend` drives one rule from a start point
with a gradient callable and records positions and the gradients it used.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict, Unpack

import numpy as np
import numpy.typing as npt
from pydantic import Field, field_validator, model_validator

from scenespec.steps_done import report
from scenespec.validate.base import Pair, Seed, SpecModel
from scenespec.validate.drawable import Label

FloatArray = npt.NDArray[np.float64]


class Bounds(TypedDict, total=False):
    """Bounds of a number field, as `Field` takes them."""

    gt: float
    ge: float
    lt: float
    le: float


def _number(default: float, description: str, **bounds: Unpack[Bounds]) -> Any:
    """A finite float hyperparameter (TOML allows `inf` and `nan`, which no rule can use)."""
    return Field(default, allow_inf_nan=False, description=description, **bounds)


def _lr(default: float) -> Any:
    # torch accepts lr = 0, a path that never moves; we ask for a step that does.
    return _number(default, "Learning rate: the step size, > 0.", gt=0)


def _maximize() -> Any:
    return Field(False, description="Climb the objective instead of descending it (the gradient is negated first).")


def _l2_weight_decay(default: float = 0.0) -> Any:
    return _number(default, "L2 penalty: `weight_decay·p` is added to the gradient before the update.", ge=0)


class OptimizerBase(SpecModel):
    """What every optimizer has besides its hyperparameters: a name, a label, a start and gradient noise."""

    name: str = Field(description="The update rule.")
    label: Label | None = Field(None, description="Legend label (default: the rule's name).")
    start: Pair[float] | None = Field(
        None, description="Start point [x, y] of this optimizer (default: the source's common start)."
    )
    noise: float = _number(
        0.0,
        "Standard deviation of the Gaussian noise added to every gradient (stochastic gradients); 0: exact.",
        ge=0,
    )
    seed: Seed = Field(0, description="Seed of the gradient noise: the same seed gives the same path.")


class _SGDFields(OptimizerBase):
    """torch.optim.SGD's hyperparameters, shared by `sgd`, `momentum` and `nesterov`."""

    lr: float = _lr(1e-3)
    momentum: float = _number(
        0.0, "Momentum factor μ: the velocity b ← μ·b + (1 − dampening)·g; 0 is plain gradient descent.", ge=0
    )
    dampening: float = _number(0.0, "Dampening of momentum: the new gradient enters the velocity with 1 − dampening.")
    weight_decay: float = _l2_weight_decay()
    nesterov: bool = Field(False, description="Nesterov momentum: step along g + μ·b instead of b.")
    maximize: bool = _maximize()

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> _SGDFields:
        if self.nesterov and self.momentum <= 0:
            raise ValueError(f"nesterov needs momentum > 0 (as in torch.optim.SGD); got momentum = {self.momentum}")
        if self.nesterov and self.dampening != 0:
            raise ValueError(f"nesterov needs dampening = 0 (as in torch.optim.SGD); got dampening = {self.dampening}")
        return self


class SGDSpec(_SGDFields):
    """Stochastic gradient descent (torch.optim.SGD): p ← p − lr·g.

    With momentum μ: b ← μ·b + (1 − dampening)·g (b = g at the first step) and p ← p − lr·b.
    """

    name: Literal["sgd"] = Field("sgd", description="Selects this rule.")


class MomentumSpec(_SGDFields):
    """SGD with momentum (torch.optim.SGD, momentum 0.9 by default): b ← μ·b + g, p ← p − lr·b.

    The same path as article 004's v ← μ·v − lr·g, p ← p + v.
    """

    name: Literal["momentum"] = Field("momentum", description="Selects this rule.")
    momentum: float = _number(0.9, "Momentum factor μ: the velocity b ← μ·b + (1 − dampening)·g.", ge=0)


class NesterovSpec(_SGDFields):
    """Nesterov momentum (torch.optim.SGD with nesterov, momentum 0.9 by default): b ← μ·b + g, p ← p − lr·(g + μ·b)."""

    name: Literal["nesterov"] = Field("nesterov", description="Selects this rule.")
    momentum: float = _number(0.9, "Momentum factor μ, > 0: the velocity b ← μ·b + g.", ge=0)
    nesterov: bool = Field(True, description="Nesterov momentum: step along g + μ·b (false: plain momentum).")


class AdagradSpec(OptimizerBase):
    """AdaGrad (torch.optim.Adagrad): s ← s + g², p ← p − clr·g / (√s + eps), clr = lr / (1 + (t − 1)·lr_decay).

    Each coordinate's step shrinks with its accumulated squared gradients; article 004's AdaGrad is eps = 1e-7.
    """

    name: Literal["adagrad"] = Field("adagrad", description="Selects this rule.")
    lr: float = _lr(0.01)
    lr_decay: float = _number(0.0, "Learning-rate decay: step t uses lr / (1 + (t − 1)·lr_decay).", ge=0)
    weight_decay: float = _l2_weight_decay()
    initial_accumulator_value: float = _number(0.0, "Initial value of the sum of squared gradients s.", ge=0)
    eps: float = _number(1e-10, "Added to √s in the denominator, > 0.", gt=0)
    maximize: bool = _maximize()


class RMSpropSpec(OptimizerBase):
    """RMSprop (torch.optim.RMSprop): v ← α·v + (1 − α)·g², p ← p − lr·g / (√v + eps).

    centered divides by √(v − ḡ²) + eps, ḡ the running mean gradient; momentum μ steps p ← p − lr·b,
    b ← μ·b + g / (√v + eps).
    """

    name: Literal["rmsprop"] = Field("rmsprop", description="Selects this rule.")
    lr: float = _lr(0.01)
    alpha: float = _number(0.99, "Smoothing constant α of the running average of squared gradients.", ge=0)
    eps: float = _number(1e-8, "Added to the root mean square in the denominator, > 0.", gt=0)
    weight_decay: float = _l2_weight_decay()
    momentum: float = _number(0.0, "Momentum factor μ of the normalised step; 0: no momentum buffer.", ge=0)
    centered: bool = Field(False, description="Normalise by the variance of the gradient, not its mean square.")
    maximize: bool = _maximize()


class _AdamFields(OptimizerBase):
    """torch.optim.Adam's hyperparameters, shared by `adam` and `adamw`."""

    lr: float = _lr(1e-3)
    betas: Pair[float] = Field(
        (0.9, 0.999),
        description="[β₁, β₂], each in [0, 1): decay rates of the running averages of the gradient and its square.",
    )
    eps: float = _number(1e-8, "Added to the bias-corrected √v in the denominator, > 0.", gt=0)
    weight_decay: float = _l2_weight_decay()
    amsgrad: bool = Field(False, description="AMSGrad: normalise by the running maximum of v, so steps never grow.")
    maximize: bool = _maximize()

    @field_validator("betas")
    @classmethod
    def _betas_are_decay_rates(cls, betas: tuple[float, float]) -> tuple[float, float]:
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"betas[{index}] is a decay rate, in [0, 1); got {beta}")
        return betas


class AdamSpec(_AdamFields):
    """Adam (torch.optim.Adam): m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g²,
    p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps); amsgrad uses the running maximum of v.
    """

    name: Literal["adam"] = Field("adam", description="Selects this rule.")


class AdamWSpec(_AdamFields):
    """AdamW (torch.optim.AdamW): Adam with decoupled weight decay, p ← p·(1 − lr·weight_decay) before the Adam step.

    The decay never enters m or v, unlike `adam`'s weight_decay.
    """

    name: Literal["adamw"] = Field("adamw", description="Selects this rule.")
    weight_decay: float = _number(
        0.01, "Decoupled weight decay: p is multiplied by 1 − lr·weight_decay before each step.", ge=0
    )


Optimizer = SGDSpec | MomentumSpec | NesterovSpec | AdagradSpec | RMSpropSpec | AdamSpec | AdamWSpec
"""Any optimizer model."""

OptimizerSpec = Annotated[Optimizer, Field(discriminator="name")]
"""An optimizer in a spec, selected by its `name`."""

OPTIMIZER_NAMES: tuple[str, ...] = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


# --- The update rules -------------------------------------------------------------------------------------------


def lerp(start: FloatArray, end: FloatArray, weight: float) -> FloatArray:
    """torch.lerp: its formula switches form at weight 0.5 (to be exact at both ends), so ours does too."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Rule(ABC):
    """One optimizer's state for one parameter of `dim` coordinates, as torch keeps it in `optimizer.state[p]`."""

    @abstractmethod
    def update(self, param: FloatArray, grad: FloatArray) -> FloatArray:
        """The parameter after one step with gradient `grad`; the inputs are left unchanged."""


class SGDRule(Rule):
    """torch.optim.SGD; the momentum buffer starts as a copy of the first gradient, not as zeros."""

    def __init__(self, spec: SGDSpec | MomentumSpec | NesterovSpec, dim: int) -> None:
        self.spec = spec
        self.momentum_buffer: FloatArray | None = None

    def update(self, param: FloatArray, grad: FloatArray) -> FloatArray:
        s = self.spec
        grad = -grad if s.maximize else grad
        if s.weight_decay != 0:
            grad = grad + s.weight_decay * param
        if s.momentum != 0:
            if self.momentum_buffer is None:
                self.momentum_buffer = grad.copy()
            else:
                self.momentum_buffer = self.momentum_buffer * s.momentum + (1 - s.dampening) * grad
            grad = grad + s.momentum * self.momentum_buffer if s.nesterov else self.momentum_buffer
        return param + -s.lr * grad


class AdagradRule(Rule):
    """torch.optim.Adagrad; the sum of squares starts at `initial_accumulator_value`."""

    def __init__(self, spec: AdagradSpec, dim: int) -> None:
        self.spec = spec
        self.step = 0.0
        self.state_sum = np.full(dim, spec.initial_accumulator_value, dtype=np.float64)

    def update(self, param: FloatArray, grad: FloatArray) -> FloatArray:
        s = self.spec
        self.step += 1
        grad = -grad if s.maximize else grad
        if s.weight_decay != 0:
            grad = grad + s.weight_decay * param
        clr = s.lr / (1 + (self.step - 1) * s.lr_decay)
        self.state_sum = self.state_sum + grad * grad
        std = np.sqrt(self.state_sum) + s.eps
        return param + -clr * grad / std


class RMSpropRule(Rule):
    """torch.optim.RMSprop; its momentum buffer (unlike SGD's) and mean gradient start at zero."""

    def __init__(self, spec: RMSpropSpec, dim: int) -> None:
        self.spec = spec
        self.step = 0.0
        self.square_avg = np.zeros(dim)
        self.momentum_buffer = np.zeros(dim) if spec.momentum > 0 else None
        self.grad_avg = np.zeros(dim) if spec.centered else None

    def update(self, param: FloatArray, grad: FloatArray) -> FloatArray:
        s = self.spec
        grad = -grad if s.maximize else grad
        self.step += 1
        if s.weight_decay != 0:
            grad = grad + s.weight_decay * param
        self.square_avg = self.square_avg * s.alpha + (1 - s.alpha) * grad * grad
        if self.grad_avg is not None:
            self.grad_avg = lerp(self.grad_avg, grad, 1 - s.alpha)
            avg = np.sqrt(self.square_avg - self.grad_avg * self.grad_avg)
        else:
            avg = np.sqrt(self.square_avg)
        avg = avg + s.eps
        if self.momentum_buffer is not None:
            self.momentum_buffer = self.momentum_buffer * s.momentum + grad / avg
            return param + -s.lr * self.momentum_buffer
        return param + -s.lr * grad / avg


class AdamRule(Rule):
    """torch.optim.Adam, and AdamW, which torch 2.13 implements as Adam with `decoupled_weight_decay=True`."""

    def __init__(self, spec: AdamSpec | AdamWSpec, dim: int, *, decoupled_weight_decay: bool = False) -> None:
        self.spec = spec
        self.decoupled_weight_decay = decoupled_weight_decay
        self.step = 0.0
        self.exp_avg = np.zeros(dim)
        self.exp_avg_sq = np.zeros(dim)
        self.max_exp_avg_sq = np.zeros(dim) if spec.amsgrad else None

    def update(self, param: FloatArray, grad: FloatArray) -> FloatArray:
        s = self.spec
        beta1, beta2 = s.betas
        grad = -grad if s.maximize else grad
        self.step += 1
        if s.weight_decay != 0:
            if self.decoupled_weight_decay:
                param = param * (1 - s.lr * s.weight_decay)
            else:
                grad = grad + s.weight_decay * param
        self.exp_avg = lerp(self.exp_avg, grad, 1 - beta1)
        self.exp_avg_sq = self.exp_avg_sq * beta2 + (1 - beta2) * grad * grad
        bias_correction1 = 1 - beta1**self.step
        bias_correction2 = 1 - beta2**self.step
        step_size = s.lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        second_moment = self.exp_avg_sq
        if self.max_exp_avg_sq is not None:
            self.max_exp_avg_sq = np.maximum(self.max_exp_avg_sq, self.exp_avg_sq)
            second_moment = self.max_exp_avg_sq
        denom = np.sqrt(second_moment) / bias_correction2_sqrt + s.eps
        return param + -step_size * self.exp_avg / denom


def make_rule(spec: Optimizer, dim: int) -> Rule:
    """A fresh rule (empty state) for a parameter of `dim` coordinates."""
    match spec:
        case SGDSpec() | MomentumSpec() | NesterovSpec():
            return SGDRule(spec, dim)
        case AdagradSpec():
            return AdagradRule(spec, dim)
        case RMSpropSpec():
            return RMSpropRule(spec, dim)
        case AdamSpec():
            return AdamRule(spec, dim)
        case AdamWSpec():
            return AdamRule(spec, dim, decoupled_weight_decay=True)
    raise TypeError(f"not an optimizer spec: {spec!r}")


# --- Running a rule -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Descent:
    """The path of one optimizer.

    `positions[t]` is the position after t updates (row 0 is the start). `gradients[t]` is the
    gradient, noise included, observed at `positions[t]`: the one that took it to `positions[t + 1]`
    (the last row is observed at the final position too, for display). Once a position is not
    finite the rule diverged: that row keeps its inf/nan, and every later row is nan.
    """

    positions: FloatArray
    gradients: FloatArray


def descend(
    spec: Optimizer, start: npt.ArrayLike, gradient: Callable[[FloatArray], npt.ArrayLike], steps: int
) -> Descent:
    """Run `steps` updates of `spec`'s rule from `start`, in float64.

    `gradient(p)` takes a (d,) array (a copy: it may keep or change it) and returns the (d,)
    gradient at p. The observed gradient is `gradient(p) + spec.noise · z`, z drawn from
    `np.random.default_rng(spec.seed).standard_normal(d)` at each of the steps + 1 positions in
    turn (no draw when noise is 0). Divergence is not an error: floating-point warnings are
    silenced and the rows after the first non-finite position are nan, for the caller to report.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    position = np.array(start, dtype=np.float64)
    if position.ndim != 1 or position.size == 0:
        raise ValueError(f"start must be a non-empty vector, got shape {position.shape}")
    dim = position.size
    rng = np.random.default_rng(spec.seed)

    def observe(p: FloatArray) -> FloatArray:
        g = np.array(gradient(p.copy()), dtype=np.float64)
        if g.shape != (dim,):
            raise ValueError(f"the gradient at a point of shape ({dim},) must have that shape, got {g.shape}")
        if spec.noise != 0:
            g = g + spec.noise * rng.standard_normal(dim)
        return g

    rule = make_rule(spec, dim)
    positions = np.full((steps + 1, dim), np.nan)
    gradients = np.full((steps + 1, dim), np.nan)
    with np.errstate(all="ignore"):
        for t in range(steps + 1):
            report(t, steps)
            positions[t] = position
            if not np.isfinite(position).all():
                break
            gradients[t] = observe(position)
            if t < steps:
                position = rule.update(position, gradients[t].copy())
    return Descent(positions=positions, gradients=gradients)
