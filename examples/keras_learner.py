"""Article 002 with your own Keras network: train it with `model.fit` and watch it learn.

Run from the repository root: `python examples/keras_learner.py` writes keras_learner.gif;
`python examples/keras_learner.py out.gif --live` also shows each frame while training (a window, or the
notebook cell's output).
Keras 3 picks its backend from KERAS_BACKEND before it is first imported; this example uses torch.
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np

from scenespec.keras import SceneCallback

SPEC = Path(__file__).with_name("keras_learner.toml")


def sine_data(n: int = 2000, noise: float = 0.15, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """sin(2x) with Gaussian noise on x in [-3, 3], as specs/learner_sine.toml's data."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, n)
    return x.reshape(-1, 1), np.sin(2 * x) + rng.normal(0, noise, n)


def network(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(1,)),
            keras.layers.Dense(32, activation="tanh", name="dense_1"),
            keras.layers.Dense(32, activation="tanh", name="dense_2"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    return model


def main(out: str = "keras_learner.gif", epochs: int = 15, live: bool = False) -> None:
    x, y = sine_data()
    model = network()
    record = SceneCallback(SPEC, source="net", data=(x, y), eval_points=200, every=10, out=out, live=live)
    model.fit(x, y, batch_size=32, epochs=epochs, shuffle=True, verbose=0, callbacks=[record])
    print(f"{out}: {len(record.trace.steps)} recorded batches")


if __name__ == "__main__":
    args = [arg for arg in sys.argv[1:] if arg != "--live"]
    main(*args[:1], live="--live" in sys.argv[1:])
