"""Write training_log.csv: a real small training run, logged as a training loop logs it, for specs/training_log.toml.

scikit-learn's MLPClassifier learns the digits bundled with scikit-learn (8×8 images) from a small training set,
one epoch per `partial_fit`; after each epoch the loop logs the cross-entropy on the training and the validation
set, the validation accuracy, and (as early stopping keeps it) the epoch with the lowest validation loss so far.
Deterministic: run it again and the file is the same.

    python specs/data/make_training_log.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

EPOCHS = 60
OUT = Path(__file__).with_name("training_log.csv")


def main() -> None:
    x, y = load_digits(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, train_size=300, test_size=600, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_train)
    x_train, x_val = scaler.transform(x_train), scaler.transform(x_val)
    net = MLPClassifier(hidden_layer_sizes=(64,), learning_rate_init=0.005, batch_size=32, random_state=0)
    classes = np.unique(y)
    best_epoch, best_loss = 0, np.inf
    rows = []
    for epoch in range(1, EPOCHS + 1):
        net.partial_fit(x_train, y_train, classes=classes)
        train_loss = log_loss(y_train, net.predict_proba(x_train), labels=classes)
        val_loss = log_loss(y_val, net.predict_proba(x_val), labels=classes)
        if val_loss < best_loss:
            best_epoch, best_loss = epoch, val_loss
        accuracy = float(np.mean(net.predict(x_val) == y_val))
        rows.append([epoch, f"{train_loss:.5f}", f"{val_loss:.5f}", f"{accuracy:.4f}", best_epoch])
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["epoch", "train_loss", "val_loss", "val_accuracy", "best_epoch"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
