"""Property-based hardening: fed odd data, every estimator works or fails clearly.

Hypothesis throws arrays of random shape (no samples, no features, 1-D, 3-D),
dtype (floats, integers, bool, objects, strings, complex) and values (NaN,
infinities, huge, tiny and subnormal numbers, constant columns, duplicate
rows), odd labels and mixed-dtype DataFrames at ``fit``, ``predict`` and
``predict_proba`` of every public estimator. Each call must either work --
predictions of the right shape, labels from ``classes_``, finite probabilities
whose rows sum to one -- or raise a ``ValueError`` / ``TypeError`` with a clear
message, never an error from inside torch or skorch. Valid input must work; a
few documented data-dependent failures (training diverged on huge values, too
few samples to hold out a validation split) are accepted as clear errors. The
inputs are never modified and no ``ResourceWarning`` is emitted.

The number of examples comes from the Hypothesis profile (``tests/conftest.py``):
``ci`` by default, ``HYPOTHESIS_PROFILE=thorough`` for ten times more.
"""

import gc
import math
import re
import traceback
import warnings
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import pytest
from small_estimators import SMALL_PARAMS, make_small

import sklearn_rcloud
from sklearn_rcloud import SAEPEnsembleClassifier

pytest.importorskip("hypothesis")
pd = pytest.importorskip("pandas")

from hypothesis import event, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

ESTIMATOR_CLASSES = list(SMALL_PARAMS)
IDS = [cls.__name__ for cls in ESTIMATOR_CLASSES]
LIBRARY_NAMES = [
    name
    for name in sklearn_rcloud.__all__
    if isinstance(getattr(sklearn_rcloud, name), type)
]
FLOAT32_MAX = float(np.finfo(np.float32).max)
# Fit-free tests are cheap: run more of their examples.
MANY = 4 * settings().max_examples


def make_fast(cls, **params):
    """``make_small`` with even fewer epochs: these tests check contracts."""
    small = SMALL_PARAMS[cls]
    fast = {"random_state": 0}
    if "max_iter" in small:
        fast["max_iter"] = 3
    if "pretrain_max_iter" in small:
        fast.update(pretrain_max_iter=3, max_iter=2)
    if cls is SAEPEnsembleClassifier:
        fast["n_rounds"] = 2
    return make_small(cls, **{**fast, **params})


# ---------------------------------------------------------------- strategies
SCALES = [1.0, 1.0, 1.0, 1e-300, 1e-30, 1e-5, 1e5, 1e30, 1e38, 1e300]
SPECIALS = [
    np.nan,
    np.inf,
    -np.inf,
    0.0,
    -0.0,
    1e30,
    -1e38,
    3e38,
    1e300,
    1e-30,
    1e-300,
    5e-324,  # the smallest float64 subnormal
    1e-45,  # a float32 subnormal
]
INTEGER_KINDS = ["int8", "int16", "int32", "int64", "uint8"]
FINITE_SCALES = [scale for scale in SCALES if scale < 1e38]
FINITE_SPECIALS = [value for value in SPECIALS if np.isfinite(value)]
# Weighted by repetition: mostly numbers, now and then strings or complex.
X_KINDS = [
    *["float64"] * 6,
    "float32",
    "float32",
    "float16",
    "bool",
    *INTEGER_KINDS,
    "object",
    "object_str",
    "str",
    "complex",
    "list",
]
NUMERIC_KINDS = [kind for kind in X_KINDS if kind not in ("object_str", "complex")]


# A problem that may or may not make an input unusable: no outcome is required.
UNKNOWN = "unknown"


class Case(NamedTuple):
    """One drawn input: ``X``, ``y`` and what is wrong with them (or None)."""

    X: Any
    y: Any
    x_problem: Any = None
    y_problem: Any = None


def mostly(strategy, *rare):
    """``strategy`` most of the time, else one of the ``rare`` values."""
    # Not roll 0: Hypothesis favours the simplest value (0) when it explores.
    return st.integers(0, 9).flatmap(
        lambda roll: st.sampled_from(rare) if roll == 7 else strategy
    )


@st.composite
def float_matrices(draw, n_samples, n_features, messy):
    """float64 matrices, some scaled to huge or tiny values or with odd cells
    (messy: NaN and infinities too), constant columns or duplicate rows."""
    X = draw(
        arrays(
            np.float64,
            (n_samples, n_features),
            elements=st.floats(-10, 10, allow_nan=False, allow_infinity=False),
        )
    )
    if draw(st.integers(0, 2)) == 0:
        with np.errstate(over="ignore", under="ignore"):
            X = X * draw(st.sampled_from(SCALES if messy else FINITE_SCALES))
        if n_samples and n_features:
            for _ in range(draw(st.integers(1, 3))):
                row = draw(st.integers(0, n_samples - 1))
                column = draw(st.integers(0, n_features - 1))
                specials = SPECIALS if messy else FINITE_SPECIALS
                X[row, column] = draw(st.sampled_from(specials))
    if n_samples and n_features and draw(st.booleans()):
        column = draw(st.integers(0, n_features - 1))
        X[:, column] = draw(st.sampled_from([0.0, 1.0, 1e-300, 5e-324]))
    if n_samples > 1 and draw(st.booleans()):
        X[draw(st.integers(1, n_samples - 1))] = X[0]
    return X


@st.composite
def matrices(draw, n_samples, n_features, messy=True):
    """``X`` of the kinds of ``X_KINDS``; messy: sometimes 1-D or 3-D, and of
    strings or complex numbers too."""
    n_samples, n_features = draw(n_samples), draw(n_features)
    shape = (n_samples, n_features)
    kind = draw(st.sampled_from(X_KINDS if messy else NUMERIC_KINDS))
    if kind in INTEGER_KINDS or kind == "bool":
        X = draw(arrays(np.dtype(kind), shape))
    elif kind == "object_str":
        X = draw(
            arrays(
                object,
                shape,
                elements=st.one_of(st.text(max_size=3), st.floats(-5, 5)),
            )
        )
    else:
        X = draw(float_matrices(n_samples, n_features, messy))
        if kind in ("float32", "float16"):
            with np.errstate(over="ignore", under="ignore"):
                X = X.astype(kind)
        elif kind == "object":
            X = X.astype(object)
        elif kind == "str":
            X = X.astype(str)
        elif kind == "complex":
            X = X + 1j * draw(st.sampled_from([0.0, 1.0]))
    ndim = draw(st.sampled_from([2] * 16 + [1, 3])) if messy else 2
    if ndim == 1:
        X = X[:, 0] if n_features else X.ravel()
    elif ndim == 3:
        X = X[:, :, None]
    if kind == "list":
        X = X.tolist()
    return X


LABEL_SETS = {
    "int": np.array([-3, 11, 0, 7]),
    "str": np.array(["cat", "dog", "", "émeu"]),
    "bool": np.array([False, True]),
    "float": np.array([0.0, 1.0, 2.0, 3.0]),
    "continuous": np.array([0.5, 1.5, 2.25, 3.75]),
    "mixed": np.array(["a", 1, 2.5, True], dtype=object),
    "none": np.array(["a", "b", "c", None], dtype=object),
}
VALID_LABELS = ["int", "str", "bool", "float"]


@st.composite
def label_vectors(draw, n_samples, messy):
    """``(y, problem)``: labels for ``n_samples``, in an array, list or Series.

    Not messy: of one type, at least 2 classes. Messy, half of the time: of
    mixed types, continuous, with a missing label, of one class, or one too
    many or too few.
    """
    messy = messy and draw(st.booleans())
    kind = draw(st.sampled_from(list(LABEL_SETS) if messy else VALID_LABELS))
    label_set = LABEL_SETS[kind]
    n_classes = draw(st.integers(1 if messy else 2, len(label_set)))
    length = n_samples
    if messy:
        length = max(0, n_samples + draw(st.sampled_from([0, 0, -1, 1])))
    codes = draw(
        st.lists(st.integers(0, n_classes - 1), min_size=length, max_size=length)
    )
    if not messy:
        codes[:2] = [0, 1][:length]  # two classes at least
    y = label_set[np.asarray(codes, dtype=np.int64)]
    if messy and length and draw(st.booleans()):
        y = y.astype(float) if y.dtype.kind in "fiub" else y.astype(object)
        y[draw(st.integers(0, length - 1))] = np.nan
    container = draw(st.sampled_from(["array", "array", "list", "series"]))
    if container == "list":
        y = y.tolist()
    elif container == "series":
        y = pd.Series(y, dtype="category" if draw(st.booleans()) else None)
    return y, _label_problem(y, n_samples, kind)


def _label_problem(y, n_samples, kind):
    """What makes ``y`` unusable: None if nothing, UNKNOWN if it is not obvious."""
    values = list(y)
    if len(values) != n_samples:
        return "wrong length"
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
        return "missing label"
    if kind in ("mixed", "none"):
        return UNKNOWN
    if any(isinstance(v, float) and not float(v).is_integer() for v in values):
        return "continuous labels"
    if len(set(values)) < 2:
        return "fewer than 2 classes"
    return None


@st.composite
def fit_cases(draw, messy):
    """Messy: anything. Not messy: 2-D numbers (maybe huge, tiny or too large
    for float32, constant or duplicated) and valid labels."""
    if messy:
        n_samples, n_features = (
            mostly(st.integers(2, 40), 0, 1),
            mostly(st.integers(1, 6), 0),
        )
    else:
        n_samples, n_features = st.integers(2, 40), st.integers(1, 6)
    X = draw(matrices(n_samples, n_features, messy))
    n_rows = np.shape(X)[0] if np.ndim(X) else 0
    y, y_problem = draw(label_vectors(n_rows, messy))
    return Case(X, y, x_problem(X, min_samples=2), y_problem)


def x_problem(X, min_samples=1, n_features=None):
    """What makes ``X`` unusable (None if nothing), judged without the estimator."""
    a = np.asarray(X)
    if a.dtype.kind == "c":
        return "complex"
    if a.ndim != 2:
        return f"{a.ndim}-D"
    if a.shape[0] < min_samples:
        return "too few samples"
    if a.shape[1] < 1 or (n_features is not None and a.shape[1] != n_features):
        return "wrong number of features"
    try:
        values = a.astype(np.float64)
    except (TypeError, ValueError):
        return "not numeric"
    if not np.isfinite(values).all():
        return "not finite"
    if np.abs(values).max() > FLOAT32_MAX:
        return "too large for float32"
    return None


def is_sane(X, bound=1e6):
    """Valid data small enough that training must work on it."""
    return np.abs(np.asarray(X).astype(np.float64)).max() <= bound


# ------------------------------------------------------------------- checks
# Messages of errors from inside torch, or of Python errors no validation caught.
_INTERNAL_MESSAGE = re.compile(
    r"mat1|mat2|size mismatch|tensor|Tensor|dimension out of range|CUDA|"
    r"expected scalar type|must match the size|^'<' not supported between"
)
# The clear errors valid input may meet, depending on the data: too few samples
# to hold out a validation split (SAEP); on huge values (not ``is_sane``) also
# training that diverged or a Random Cloud whose activations overflow.
_ALLOWED_ON_SANE = re.compile(r"too few samples")
_ALLOWED_ON_HUGE = re.compile(r"too few samples|diverged|overflow float32")


def assert_clear_error(error, estimator):
    """``error`` is a validation error a user can act on, not an internal crash."""
    message = str(error)
    # Divergence too: TrainingDivergedError is a ValueError.
    if not isinstance(error, ValueError | TypeError):
        raise AssertionError(f"unexpected {type(error).__name__}") from error
    if not message.strip():
        raise AssertionError("error without a message") from error
    raiser = traceback.extract_tb(error.__traceback__)[-1].filename.replace("\\", "/")
    if "/torch/" in raiser or "/skorch/" in raiser:
        raise AssertionError(f"raised inside {raiser}") from error
    if _INTERNAL_MESSAGE.search(message):
        raise AssertionError("message of an internal error") from error
    own = type(estimator).__name__
    foreign = [
        name
        for name in LIBRARY_NAMES
        if name != own and re.search(rf"\b{name}\b", message)
    ]
    if foreign:
        raise AssertionError(f"{own}'s error names {foreign}") from error


def attempt(estimator, method, *args):
    """Call ``estimator.method(*args)``: its result, or the (clear) error."""
    try:
        return getattr(estimator, method)(*args), None
    except Exception as error:  # noqa: BLE001 (every exception is judged)
        assert_clear_error(error, estimator)
        return None, error


def check_predictions(estimator, X):
    """predict / predict_proba on valid ``X``: shapes, labels, probabilities."""
    n_samples = len(X)
    before = snapshot(X)
    proba = estimator.predict_proba(X)
    assert_unchanged(X, before)
    assert isinstance(proba, np.ndarray) and proba.dtype.kind == "f"
    assert proba.shape == (n_samples, len(estimator.classes_))
    assert np.isfinite(proba).all(), proba
    assert (proba >= 0).all() and (proba <= 1 + 1e-5).all(), proba
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    labels = estimator.predict(X)
    assert_unchanged(X, before)
    assert labels.shape == (n_samples,)
    assert labels.dtype == estimator.classes_.dtype
    assert set(labels.tolist()) <= set(estimator.classes_.tolist())
    np.testing.assert_array_equal(labels, estimator.classes_[proba.argmax(axis=1)])


def snapshot(obj):
    if isinstance(obj, pd.DataFrame | pd.Series):
        return obj.copy(deep=True)
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, list):
        return [snapshot(item) for item in obj]
    return obj


def assert_unchanged(obj, before):
    """``obj`` equals its ``snapshot``, bit for bit (NaN equal to NaN)."""
    if isinstance(obj, pd.DataFrame):
        pd.testing.assert_frame_equal(obj, before, check_exact=True)
    elif isinstance(obj, pd.Series):
        pd.testing.assert_series_equal(obj, before, check_exact=True)
    elif isinstance(obj, np.ndarray):
        assert obj.dtype == before.dtype and obj.shape == before.shape
        if obj.dtype == object:
            assert all(map(_same, obj.ravel().tolist(), before.ravel().tolist()))
        else:
            assert obj.tobytes() == before.tobytes()
    elif isinstance(obj, list):
        assert len(obj) == len(before)
        for item, item_before in zip(obj, before):
            assert_unchanged(item, item_before)
    else:
        assert _same(obj, before)


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


@contextmanager
def no_resource_warning():
    """Fail on a ``ResourceWarning`` of one example, finalizers included.

    Objects of the example left in reference cycles are collected here (the
    young generations: cheap); the ``leak_check`` fixture runs one full
    collection at the end.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        gc.collect(1)
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]


@pytest.fixture(scope="module", autouse=True)
def leak_check():
    """No ``ResourceWarning`` at a full collection after all the module's tests
    (a full collection takes 0.2 s: once, not per test or example)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, [str(w.message) for w in leaks]


def check_fit(estimator, X, y, problem, sane):
    """Fit; assert the outcome is right for the input; return the error if any."""
    X_before, y_before = snapshot(X), snapshot(y)
    fitted, error = attempt(estimator, "fit", X, y)
    assert_unchanged(X, X_before)
    assert_unchanged(y, y_before)
    if problem and problem != UNKNOWN:
        assert error is not None, f"fit accepted invalid input ({problem})"
        assert isinstance(error, ValueError), (problem, error)
    elif problem is None and error is not None:
        allowed = _ALLOWED_ON_SANE if sane else _ALLOWED_ON_HUGE
        assert allowed.search(str(error)), f"fit failed on valid input: {error!r}"
    if error is None:
        assert fitted is estimator
        assert len(estimator.classes_) == len(set(np.asarray(y).tolist()))
    # Shown by --hypothesis-show-statistics: how often each path is taken.
    if error is None:
        event("fit worked")
    elif problem:
        event(f"fit refused: {problem}")
    else:
        event(f"fit refused valid input: {str(error)[:48]}")
    return error


def check_wrong_feature_count(estimator, n_features):
    for width in {n_features - 1, n_features + 1} - {0}:
        X_other = np.zeros((3, width))
        for method in ("predict", "predict_proba"):
            with pytest.raises(ValueError, match="features") as info:
                getattr(estimator, method)(X_other)
            assert_clear_error(info.value, estimator)


# -------------------------------------------------------------------- tests
def fit_and_predict(cls, case):
    """Fit on ``case``; when that works, predict on it and on other data."""
    estimator = make_fast(cls)
    problem = case.x_problem or case.y_problem
    with no_resource_warning():
        error = check_fit(
            estimator, case.X, case.y, problem, not problem and is_sane(case.X)
        )
        if error is not None:
            return
        X = case.X
        check_predictions(estimator, X)
        n_features = np.shape(X)[1]
        assert estimator.n_features_in_ == n_features
        check_predictions(
            estimator, np.random.default_rng(0).normal(size=(5, n_features))
        )
        check_wrong_feature_count(estimator, n_features)


_RNG = np.random.RandomState(0)


@pytest.mark.filterwarnings("error::ResourceWarning")
@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=IDS)
@given(case=fit_cases(messy=False))
@example(case=Case(_RNG.rand(12, 3).astype(np.float16), [0, 1] * 6))
@example(case=Case(_RNG.rand(12, 3) > 0.5, ["no", "yes"] * 6))
@example(case=Case((np.arange(24) % 7).astype(np.uint8).reshape(12, 2), [0, 1] * 6))
@example(case=Case(np.full((12, 2), 3e38), [0, 1] * 6))  # may diverge: clear error
@example(case=Case(np.array([[0.0], [1.0]]), [0, 1]))  # SAEP: too few to split
def test_fit_and_predict_on_valid_arrays(cls, case):
    fit_and_predict(cls, case)


@pytest.mark.filterwarnings("error::ResourceWarning")
@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=IDS)
@given(case=fit_cases(messy=True))
@example(case=Case(np.zeros((2, 1)), [np.nan, "cat"], None, "missing label"))
@example(case=Case(np.zeros((2, 1)), ["a", 1], None, UNKNOWN))
def test_fit_and_predict_on_odd_arrays(cls, case):
    fit_and_predict(cls, case)


@pytest.fixture(scope="module")
def fitted_estimators():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(30, 4))
    y = np.array(["ant", "bee", "cow"])[(X[:, 0] * 3).astype(int)]
    return {cls: make_fast(cls).fit(X, y) for cls in ESTIMATOR_CLASSES}


@pytest.mark.filterwarnings("error::ResourceWarning")
@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=IDS)
@settings(max_examples=MANY)
@given(X=matrices(mostly(st.integers(1, 40), 0), mostly(st.just(4), 0, 1, 3, 5, 6)))
@example(X=np.full((2, 4), FLOAT32_MAX))
@example(X=np.full((2, 4), 5e-324))
def test_predict_on_odd_arrays(cls, fitted_estimators, X):
    estimator = fitted_estimators[cls]
    before = snapshot(X)
    with no_resource_warning():
        problem = x_problem(X, min_samples=1, n_features=4)
        for method in ("predict_proba", "predict"):
            _, error = attempt(estimator, method, X)
            assert_unchanged(X, before)
            assert (error is not None) == bool(problem), (problem, error)
            assert error is None or isinstance(error, ValueError), (problem, error)
        event(f"predict refused: {problem}" if problem else "predict worked")
        if not problem:
            check_predictions(estimator, X)


COLUMN_KINDS = [
    "int64",
    "float64",
    "float64_nan",
    "float32",
    "uint8",
    "bool",
    "boolean",
    "Int64",
    "Int64_na",
    "category_num",
    "category_str",
    "object_str",
    "string",
]
NON_NUMERIC = {"category_str", "object_str", "string"}
MISSING = {"float64_nan", "Int64_na"}


@st.composite
def frames(draw):
    """``(frame, y, problem, non_numeric_columns)``."""
    n_rows = draw(st.integers(2, 30))
    kinds = draw(st.lists(st.sampled_from(COLUMN_KINDS), min_size=1, max_size=5))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    columns = {}
    for index, kind in enumerate(kinds):
        numbers = rng.integers(0, 3, n_rows)
        if kind in ("int64", "uint8", "float32"):
            column = numbers.astype(kind)
        elif kind.startswith("float64"):
            column = rng.normal(size=n_rows)
        elif kind in ("bool", "boolean"):
            column = pd.array(numbers > 0, dtype=kind)
        elif kind.startswith("Int64"):
            column = pd.array(numbers, dtype="Int64")
        elif kind == "category_num":
            column = pd.Categorical(numbers * 1.5)
        elif kind == "category_str":
            column = pd.Categorical(np.array(["lo", "mid", "hi"])[numbers])
        elif kind == "object_str":
            column = np.array(["x", "y", "z"], dtype=object)[numbers]
        else:
            column = pd.array(np.array(["x", "y", "z"])[numbers], dtype="string")
        if kind in MISSING:
            column[draw(st.integers(0, n_rows - 1))] = None
        columns[f"{kind}_{index}"] = column
    frame = pd.DataFrame(columns)
    y = np.array(["no", "yes"])[np.arange(n_rows) % 2]
    non_numeric = [name for name, kind in zip(frame, kinds) if kind in NON_NUMERIC]
    missing = any(kind in MISSING for kind in kinds)
    problem = ("non-numeric" if non_numeric else None) or (
        "missing values" if missing else None
    )
    return frame, y, problem, non_numeric


@pytest.mark.filterwarnings("error::ResourceWarning")
@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=IDS)
@given(drawn=frames())
@example(
    drawn=(
        pd.DataFrame(
            {
                "a": np.arange(12),
                "b": np.linspace(0, 1, 12),
                "c": np.arange(12) % 3 == 0,
                "d": pd.Categorical(["x", "y"] * 6),
                "e": ["s"] * 12,
            }
        ),
        np.array([0, 1] * 6),
        "non-numeric",
        ["d", "e"],
    )
)
def test_dataframes_of_mixed_dtypes(cls, drawn):
    frame, y, problem, non_numeric = drawn
    estimator = make_fast(cls)
    with no_resource_warning():
        error = check_fit(estimator, frame, y, problem, sane=True)
        if non_numeric:
            assert all(repr(name) in str(error) for name in non_numeric), error
        if error is not None:
            return
        np.testing.assert_array_equal(estimator.feature_names_in_, frame.columns)
        check_predictions(estimator, frame)
        if frame.shape[1] > 1:
            shuffled = frame[frame.columns[::-1]]
            with pytest.raises(ValueError, match="feature names"):
                estimator.predict(shuffled)


# ------------------------------------------------ regressions found by the tests
@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=IDS)
def test_labels_of_mixed_types_are_a_clear_error(cls):
    X = np.random.default_rng(0).normal(size=(12, 3))
    y = np.array(["a", 1] * 6, dtype=object)
    estimator = make_fast(cls)
    with pytest.raises(TypeError, match="labels") as info:
        estimator.fit(X, y)
    assert_clear_error(info.value, estimator)


@pytest.mark.filterwarnings("ignore:No candidate network beat:UserWarning")
@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=IDS)
def test_non_numeric_columns_are_named(cls):
    frame = pd.DataFrame(
        {
            "size": [1.0, 2.0, 3.0, 4.0],
            "colour": pd.Categorical(["red", "blue", "red", "blue"]),
            "name": ["a", "b", "c", "d"],
        }
    )
    estimator = make_fast(cls)
    with pytest.raises(ValueError, match=r"non-numeric columns \['colour', 'name'\]"):
        estimator.fit(frame, [0, 1, 0, 1])
    fitted = make_fast(cls).fit(frame[["size"]], [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"non-numeric columns \['size'\]"):
        fitted.predict(frame[["colour"]].rename(columns={"colour": "size"}))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "y", [[0, 1], [0, 0, 1], ["a", "b", "b", "c"]], ids=["2", "3", "4"]
)
def test_saep_with_too_few_samples_to_split_is_a_clear_error(y, seed):
    X = np.linspace(0, 1, 2 * len(y)).reshape(len(y), 2)
    estimator = make_fast(SAEPEnsembleClassifier, random_state=seed)
    try:
        estimator.fit(X, y)
    except ValueError as error:
        assert_clear_error(error, estimator)
        assert "too few samples" in str(error)
        assert "validation_fraction" in str(error)
    else:
        check_predictions(estimator, X)


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=IDS)
@pytest.mark.parametrize(
    "y",
    [
        ["cat", np.nan] * 6,
        np.array(["cat", None] * 6, dtype=object),
        pd.Series(["cat", "dog", None] * 4, dtype="string"),
        pd.Series(pd.Categorical(["cat", "dog", np.nan] * 4)),
    ],
    ids=["list_nan", "object_none", "string_na", "category_nan"],
)
def test_missing_labels_are_a_clear_error(cls, y):
    # numpy made the list's NaN the label 'nan': a silently invented class.
    X = np.random.default_rng(0).normal(size=(12, 3))
    estimator = make_fast(cls)
    with pytest.raises(ValueError, match="missing labels") as info:
        estimator.fit(X, y)
    assert_clear_error(info.value, estimator)
