"""The `projection` transform: PCA against numpy's SVD, the Procrustes alignment (orthogonal, reducing the motion
between checkpoints), t-SNE's trustworthiness and determinism, 3D, the pipeline, and located errors.

The embeddings are a small network's logits on the held-out digits, recorded after some epochs of training here
(sklearn's MLPClassifier; the digits ship with scikit-learn), as the classifier source records them.
"""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_located, line_of, write_spec
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from scenespec.errors import SpecError
from scenespec.pipeline import load_and_validate, prepare
from scenespec.resolve.trace import Trace
from scenespec.transform import projection
from scenespec.transform.align import align_to, mean_displacement
from scenespec.transform.apply import clear_memo
from scenespec.transform.projection import ProjectionTransform, project

EPOCHS = (0, 1, 2, 4, 8, 16)


@cache
def digits_logits() -> tuple[np.ndarray, np.ndarray]:
    """Logits of a 64-32-10 network on the 540 held-out digits after each of EPOCHS epochs (steps × 540 × 10)."""
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.3, random_state=0, stratify=digits.target
    )
    net = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    net.partial_fit(x_train[:1], y_train[:1], classes=np.arange(10))  # creates the weights
    rows, epoch = [], 0
    for target in EPOCHS:
        while epoch < target:
            for start in range(0, len(x_train), 64):
                net.partial_fit(x_train[start : start + 64], y_train[start : start + 64])
            epoch += 1
        hidden = np.maximum(x_test @ net.coefs_[0] + net.intercepts_[0], 0)
        rows.append(hidden @ net.coefs_[1] + net.intercepts_[1])
    return np.array(rows), y_test


def svd_projection(points: np.ndarray, dims: int) -> np.ndarray:
    """The principal-component coordinates by numpy alone: the centred points on the first right singular vectors."""
    centred = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:dims].T


def assert_equal_up_to_signs(layout: np.ndarray, expected: np.ndarray) -> None:
    """Each column equal to the expected column or to its negative (a principal axis has no sign)."""
    for column in range(expected.shape[1]):
        sign = np.sign(layout[:, column] @ expected[:, column])
        np.testing.assert_allclose(layout[:, column], sign * expected[:, column], rtol=1e-9, atol=1e-9)


def displacement(layouts: np.ndarray) -> float:
    """Mean distance a point moves from one checkpoint to the next, over the layouts' RMS radius (written out)."""
    total = 0.0
    for before, after in itertools.pairwise(layouts):
        radius = [np.sqrt(((x - x.mean(axis=0)) ** 2).sum(axis=1).mean()) for x in (before, after)]
        total += np.mean([np.linalg.norm(a - b) for a, b in zip(after, before, strict=True)]) / np.mean(radius)
    return total / (len(layouts) - 1)


# --- PCA ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dims", [2, 3])
def test_pca_without_alignment_equals_numpys_svd_projection(dims: int) -> None:
    logits, _ = digits_logits()
    layouts = project(logits, "pca", dims, align=False)
    assert layouts.shape == (len(EPOCHS), 540, dims)
    for layout, points in zip(layouts, logits, strict=True):
        assert_equal_up_to_signs(layout, svd_projection(points, dims))


@pytest.mark.parametrize("dims", [2, 3])
def test_alignment_only_turns_each_layout(dims: int) -> None:
    logits, _ = digits_logits()
    free = project(logits, "pca", dims, align=False)
    aligned = project(logits, "pca", dims)
    np.testing.assert_allclose(aligned[0], free[0], atol=1e-12)  # the first keeps its orientation
    turned = 0
    for before, after in zip(free, aligned, strict=True):
        np.testing.assert_allclose(after.mean(axis=0), 0, atol=1e-12)  # centred
        rotation, *_ = np.linalg.lstsq(before, after, rcond=None)
        np.testing.assert_allclose(before @ rotation, after, atol=1e-9)  # a linear map of the free layout...
        np.testing.assert_allclose(rotation.T @ rotation, np.eye(dims), atol=1e-9)  # ... that is orthogonal
        turned += not np.allclose(rotation, np.eye(dims), atol=1e-6)
    assert turned > 0  # the alignment did something
    # distances within a layout, and so its scale, are kept
    a, b = aligned[-1][:50], free[-1][:50]
    np.testing.assert_allclose(
        np.linalg.norm(a[:, None] - a[None], axis=-1), np.linalg.norm(b[:, None] - b[None], axis=-1), atol=1e-9
    )


def test_procrustes_undoes_a_known_rotation_reflection_and_shift() -> None:
    reference = np.random.default_rng(1).normal(size=(30, 2))
    angle = 2.0
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.diag([1.0, -1.0])
    moved = reference @ turn + np.array([5.0, -3.0])
    np.testing.assert_allclose(align_to(moved, reference), reference - reference.mean(axis=0), atol=1e-12)


def test_alignment_reduces_the_motion_between_checkpoints() -> None:
    logits, _ = digits_logits()
    free = project(logits, "pca", 2, align=False)
    aligned = project(logits, "pca", 2)
    # measured on these 6 checkpoints: 0.505 of the layout's radius aligned against 0.974 without (flips and
    # swaps of the axes between checkpoints); on 16 checkpoints (epochs 0-60) 0.227 against 0.487
    assert displacement(aligned) == pytest.approx(mean_displacement(aligned), rel=1e-12)
    assert displacement(aligned) < 0.7 * displacement(free)


def test_unit_scale_gives_every_checkpoint_the_same_spread_and_keeps_its_shape() -> None:
    logits, _ = digits_logits()
    kept = ProjectionTransform(kind="projection", of="clf.embedding").compute(logits, True)
    unit = ProjectionTransform(kind="projection", of="clf.embedding", scale="unit").compute(logits, True)
    radius = np.sqrt(np.mean(np.sum(unit**2, axis=2), axis=1))
    np.testing.assert_allclose(radius, 1.0, rtol=1e-12)
    np.testing.assert_allclose(unit.mean(axis=1), 0.0, atol=1e-12)
    for step in range(len(kept)):  # the same layout, shrunk or grown about its centre (so still aligned)
        centred = kept[step] - kept[step].mean(axis=0)
        scale = np.sqrt(np.mean(np.sum(centred**2, axis=1)))
        np.testing.assert_allclose(unit[step] * scale, centred, atol=1e-9)
    assert radius.size == len(logits) and not np.allclose(np.sqrt(np.mean(np.sum(kept**2, axis=2), axis=1)), 1.0)


def test_fit_last_projects_every_checkpoint_on_the_last_axes() -> None:
    logits, _ = digits_logits()
    layouts = project(logits, "pca", 2, fit="last")
    last = logits[-1]
    _, _, vt = np.linalg.svd(last - last.mean(axis=0), full_matrices=False)
    signs = np.sign(np.sum(layouts[-1] * ((last - last.mean(axis=0)) @ vt[:2].T), axis=0))
    for layout, points in zip(layouts, logits, strict=True):  # one map for all: the last's centre and axes
        np.testing.assert_allclose(layout, (points - last.mean(axis=0)) @ vt[:2].T * signs, atol=1e-9)


# --- t-SNE --------------------------------------------------------------------------------------------------------

TSNE_STEPS = [0, 2, 5]  # epochs 0, 2 and 16


def test_tsne_layouts_are_trustworthy_aligned_and_follow_each_other() -> None:
    logits, _ = digits_logits()
    embeddings = logits[TSNE_STEPS]
    followed = project(embeddings, "tsne", 2, max_iter=500)
    assert followed.shape == (3, 540, 2)
    # measured: 0.989, 0.989, 0.992 (a separate run of the last checkpoint: 0.994)
    for layout, points in zip(followed, embeddings, strict=True):
        assert trustworthiness(points, layout, n_neighbors=5) > 0.95
    separate = project(embeddings, "tsne", 2, max_iter=500, align=False)
    # measured on these checkpoints: 0.388 of the layout's radius followed against 1.152 for separate runs (on 16
    # checkpoints, epochs 0-60: 0.108 against 0.530)
    assert displacement(followed) < 0.5 * displacement(separate)


def test_tsne_is_deterministic_by_seed_and_3d() -> None:
    logits, _ = digits_logits()
    small = logits[-2:, ::4]  # 2 checkpoints × 135 points
    settings = {"perplexity": 20.0, "max_iter": 250, "init": "random"}
    first = project(small, "tsne", 3, seed=7, **settings)
    assert first.shape == (2, 135, 3)
    np.testing.assert_array_equal(project(small, "tsne", 3, seed=7, **settings), first)
    assert not np.allclose(project(small, "tsne", 3, seed=8, **settings), first)
    # started from PCA, the run does not depend on the seed at all
    settings["init"] = "pca"
    np.testing.assert_array_equal(project(small, "tsne", 2, seed=1, **settings), project(small, "tsne", 2, **settings))


# --- in a spec ----------------------------------------------------------------------------------------------------

SPEC = """\
[scene]
size = [3.0, 2.0]
dpi = 30

[sources.clf]
kind = "trace"
path = "run.npz"

[transforms.layout]
kind = "projection"
of = "clf.embedding"
method = "pca"

[[panels]]
layers = [{ kind = "scatter", x = "transforms.layout", y = "transforms.layout" }]
"""


def embedding_trace(path: Path) -> Trace:
    logits, labels = digits_logits()
    trace = Trace(
        steps=np.array(EPOCHS),
        static={"labels": labels.astype(np.int64)},
        stepped={"embedding": logits, "accuracy": np.linspace(0.1, 0.9, len(EPOCHS))},
    )
    trace.save(path)
    return trace


def test_a_spec_computes_the_projection_with_the_sources_steps(tmp_path: Path) -> None:
    embedding_trace(tmp_path / "run.npz")
    clear_memo()
    prepared = prepare(write_spec(tmp_path, SPEC))
    field = prepared.traces["transforms"].field("layout")
    np.testing.assert_array_equal(field.steps, EPOCHS)
    np.testing.assert_allclose(field.data, project(digits_logits()[0], "pca", 2), atol=1e-12)
    # a static (points × features) array is laid out once, as a static field
    Trace(steps=np.arange(2), static={"final": digits_logits()[0][-1]}, stepped={"t": np.zeros(2)}).save(
        tmp_path / "run.npz"
    )
    prepared = prepare(write_spec(tmp_path, SPEC.replace("clf.embedding", "clf.final")))
    field = prepared.traces["transforms"].field("layout")
    assert field.steps is None
    assert_equal_up_to_signs(field.data, svd_projection(digits_logits()[0][-1], 2))


def check(tmp_path: Path, text: str, needle: str, key: str, *fragments: str, run: bool = False) -> None:
    embedding_trace(tmp_path / "run.npz")
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        prepare(spec) if run else load_and_validate(spec)
    assert_located(info.value, spec, line_of(text, needle), key, *fragments)


def test_a_series_is_not_points_times_features(tmp_path: Path) -> None:
    text = SPEC.replace('of = "clf.embedding"', 'of = "clf.accuracy"')
    check(
        tmp_path,
        text,
        "clf.accuracy",
        "transforms.layout.of",
        "projection needs points × features per step",
        "one number per step",
        run=True,
    )


def test_fewer_features_than_dimensions(tmp_path: Path) -> None:
    text = SPEC.replace('method = "pca"', 'method = "pca"\ndims = 3')
    embedding_trace(tmp_path / "run.npz")
    logits, _ = digits_logits()
    Trace(steps=np.array(EPOCHS), stepped={"embedding": logits[:, :, :2]}).save(tmp_path / "run.npz")
    spec = write_spec(tmp_path, text)
    with pytest.raises(SpecError) as info:
        prepare(spec)
    assert_located(info.value, spec, line_of(text, "dims = 3"), "transforms.layout.dims", "2 features")


def test_non_finite_embeddings_are_refused(tmp_path: Path) -> None:
    logits, _ = digits_logits()
    broken = logits.copy()
    broken[3, 10, 4] = np.nan
    Trace(steps=np.array(EPOCHS), stepped={"embedding": broken}).save(tmp_path / "run.npz")
    spec = write_spec(tmp_path, SPEC)
    with pytest.raises(SpecError) as info:
        prepare(spec)
    assert_located(info.value, spec, line_of(SPEC, "clf.embedding"), "transforms.layout.of", "NaN", "checkpoint 3")


def test_tsne_settings_with_pca_and_fit_with_tsne_are_located(tmp_path: Path) -> None:
    text = SPEC.replace('method = "pca"', 'method = "pca"\nperplexity = 10.0')
    check(tmp_path, text, "perplexity", "transforms.layout.perplexity", "t-SNE setting")
    text = SPEC.replace('method = "pca"', 'method = "tsne"\nfit = "last"')
    check(tmp_path, text, "fit =", "transforms.layout.fit", "t-SNE has none")
    text = SPEC.replace('method = "pca"', "dims = 4")
    check(tmp_path, text, "dims = 4", "transforms.layout.dims", "2 or 3")


def test_align_with_fit_last_is_refused_as_doing_nothing(tmp_path: Path) -> None:
    text = SPEC.replace('method = "pca"', 'method = "pca"\nfit = "last"\nalign = true')
    check(tmp_path, text, "[transforms.layout]", "transforms.layout", 'align does nothing with fit = "last"')
    text = SPEC.replace('method = "pca"', 'method = "pca"\nfit = "last"')  # align left to its default: fine
    assert load_and_validate(write_spec(tmp_path, text))[1].transforms["layout"].fit == "last"


def test_a_perplexity_as_large_as_the_points_is_located(tmp_path: Path) -> None:
    text = SPEC.replace('method = "pca"', 'method = "tsne"\nperplexity = 600.0')
    check(tmp_path, text, "perplexity", "transforms.layout.perplexity", "less than the 540 points", run=True)


def test_the_point_budget_knows_the_projections_size_before_anything_runs(tmp_path: Path) -> None:
    # 540 points × 2 dimensions per step, worked out from the trace file's headers and the transform's `dims`
    text = SPEC + "\n[limits]\nmax_points_per_frame = 1000\n"
    check(tmp_path, text, 'kind = "scatter"', "panels[0].layers[0].x", "1,080 points drawn per frame")
    load_and_validate(write_spec(tmp_path, SPEC + "\n[limits]\nmax_points_per_frame = 1080\n"))


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_a_grown_run_projects_only_its_new_checkpoints(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A live render projects the run again at each checkpoint: the layouts already computed are reused, and the
    result is the same as projecting the whole run at once."""
    import sklearn.decomposition
    import sklearn.manifold

    logits, _ = digits_logits()
    small = logits[:, ::5]  # 108 points
    table: dict[str, object] = {"kind": "projection", "of": "clf.embedding", "method": method}
    if method == "tsne":
        table |= {"perplexity": 10.0, "max_iter": 250}
    spec = ProjectionTransform.model_validate(table)
    whole = project(small, method, 2, perplexity=10.0, max_iter=250)
    calls: list[int] = []
    name = "TSNE" if method == "tsne" else "PCA"
    module = sklearn.manifold if method == "tsne" else sklearn.decomposition
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    projection._prefixes.clear()
    np.testing.assert_array_equal(spec.compute(small[:3], True), whole[:3])
    assert len(calls) == 3
    np.testing.assert_array_equal(spec.compute(small, True), whole)  # the 3 new checkpoints only
    assert len(calls) == 6
    np.testing.assert_array_equal(spec.compute(small, True), whole)  # nothing new
    assert len(calls) == 6
    changed = small.copy()
    changed[1] += 0.5  # an earlier checkpoint differs: nothing is reused
    np.testing.assert_array_equal(
        spec.compute(changed, True), project(changed, method, 2, perplexity=10.0, max_iter=250)
    )
    assert len(calls) == 6 + 6 + 6
