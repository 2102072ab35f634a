"""A PyTorch loop recorded with `scenespec.Recorder`: a line y = w·x + b trained by SGD with momentum, and the
path its (w, b) takes across the loss surface.

Run from the repository root: `python examples/torch_trajectory.py` writes torch_trajectory.gif, and the
recording to runs/torch_trajectory beside it, where examples/torch_trajectory.toml reads it: afterwards
`scenespec render examples/torch_trajectory.toml` draws the same run again without training (with other
frames, fps or size through `--set`). `python examples/torch_trajectory.py out.gif` writes elsewhere.

The model is `torch.nn.Linear(1, 1)` and the loss the mean squared error, so the loss over (w, b) is a bowl
that numpy can draw point by point: the recorder keeps it once, as a grid, beside the data. Momentum makes
the weights overshoot the minimum along the bowl's long axis and swing back, which is what the animation
shows. Float64 throughout, so the recording can be checked to the last digits (tests/test_torch_example.py).
"""

import sys
from pathlib import Path

import numpy as np
import torch

import scenespec

SPEC = Path(__file__).with_name("torch_trajectory.toml")
RUN = Path("runs") / "torch_trajectory"  # beside the output; the spec's source path points there

LR, MOMENTUM = 0.02, 0.9
START = (-1.5, 3.0)  # (w, b) before the first update, far from the minimum so that the path is long
STEPS, EVERY = 120, 2
W_RANGE, B_RANGE, GRID = (-2.5, 4.0), (-3.0, 4.0), 121  # the loss surface's grid over (w, b)


def make_data(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """y = 1.5x − 1 with Gaussian noise, x in [−1, 3] (sorted, so the fit line is drawn left to right).

    x is not centred on 0, so w and b pull against each other: the bowl is a tilted ellipse, not a circle."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1.0, 3.0, n))
    return x, 1.5 * x - 1.0 + rng.normal(0.0, 0.5, n)


def loss_surface(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean squared error of the line (w, b) on the data, at every point of a grid over (w, b)."""
    grid_w, grid_b = np.meshgrid(np.linspace(*W_RANGE, GRID), np.linspace(*B_RANGE, GRID))
    residuals = grid_w[..., None] * x + grid_b[..., None] - y
    return grid_w, grid_b, np.mean(residuals**2, axis=-1)


def train(folder: Path | None, steps: int = STEPS, every: int = EVERY) -> scenespec.Recorder:
    """Train the line for `steps` updates, recording (w, b), the loss and the predictions after each one
    (step 0 is the start) into `folder` (None: in memory only); every `every`-th step is kept, and the last."""
    x, y = make_data()
    inputs, targets = torch.tensor(x).unsqueeze(1), torch.tensor(y).unsqueeze(1)
    model = torch.nn.Linear(1, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.fill_(START[0])
        model.bias.fill_(START[1])
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    (w_best, b_best), *_ = np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)
    grid_w, grid_b, grid_loss = loss_surface(x, y)
    with scenespec.Recorder(folder, every=every) as rec:
        rec.static(x=x, y=y, grid_w=grid_w, grid_b=grid_b, grid_loss=grid_loss, w_best=[w_best], b_best=[b_best])
        for step in range(steps + 1):
            pred = model(inputs)
            loss = torch.nn.functional.mse_loss(pred, targets)
            # the model after `step` updates: its weights, its loss and its line (tensors are detached for us)
            rec.log(step, w=model.weight[0, 0], b=model.bias[0], loss=loss, pred=pred.squeeze(1))
            if step < steps:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return rec


def main(out: str | Path = "torch_trajectory.gif", steps: int = STEPS, every: int = EVERY) -> scenespec.Trace:
    """Train, record beside `out`, render the recording from memory to `out`; returns the recorded trace."""
    rec = train(Path(out).parent / RUN, steps, every)
    trace = rec.trace()
    scenespec.load(SPEC).render(out, traces={"fit": trace})
    print(f"{out}: {len(trace.steps)} recorded steps of {steps}; the recording is in {rec.path}")
    return trace


if __name__ == "__main__":
    main(*sys.argv[1:2])
