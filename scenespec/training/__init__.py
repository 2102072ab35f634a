"""Training loops behind the `trainer` and `classifier` sources, kept apart from the spec models that configure them.

`mlp`: a small neural-network regressor on 1-D data, trained one mini-batch at a time with
scikit-learn's `MLPRegressor.partial_fit`, recording what article 002's callback records.
`classifier`: a digit classifier (`MLPClassifier`) trained one epoch per `partial_fit`, recording the
held-out images' embedding at checkpoints, as article 003 looks at it.
"""

from scenespec.training.mlp import (
    Diverged,
    MlpRun,
    MlpSettings,
    batch_schedule,
    eval_indices,
    train_mlp,
)

__all__ = ["Diverged", "MlpRun", "MlpSettings", "batch_schedule", "eval_indices", "train_mlp"]
