"""Loaders of the bundled tabular datasets, in scikit-learn's style."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

_PACKAGE = "sklearn_rcloud.datasets"
_SUBSETS = ("train", "test", "all")
ADULT_CATEGORICAL = (
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
)
ABALONE_CATEGORICAL = ("sex",)


def _read_csv(filename, categorical=()):
    """Feature names, feature rows and targets of one bundled CSV.

    Numeric cells become floats (empty: NaN); cells of ``categorical``
    columns stay strings (empty: NaN).
    """
    with (
        resources.files(_PACKAGE)
        .joinpath("data", filename)
        .open("r", encoding="ascii", newline="") as handle
    ):
        rows = list(csv.reader(handle))
    header, body = rows[0][:-1], rows[1:]
    is_text = [name in categorical for name in header]
    data = [
        [
            (value if text else float(value)) if value else np.nan
            for value, text in zip(row[:-1], is_text)
        ]
        for row in body
    ]
    target = np.array([row[-1] for row in body])
    return header, data, target


def _files(stem, subset):
    if subset not in _SUBSETS:
        raise ValueError(f"subset must be one of {_SUBSETS}, got {subset!r}.")
    if subset == "all":
        return [f"{stem}_train.csv", f"{stem}_test.csv"]
    return [f"{stem}_{subset}.csv"]


def _load(
    files,
    descr,
    return_X_y,
    as_frame,
    target_dtype=str,
    categorical=(),
    regression=False,
):
    feature_names, data, targets = None, [], []
    for filename in files:
        feature_names, rows, target = _read_csv(filename, categorical)
        data.extend(rows)
        targets.append(target)
    target = np.concatenate(targets).astype(target_dtype)
    data = np.array(data, dtype=object if categorical else np.float64)
    descr_text = resources.files(_PACKAGE).joinpath("descr", descr).read_text()
    frame = None
    if as_frame:
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError("as_frame=True requires pandas.") from error
        data = pd.DataFrame(data, columns=feature_names)
        for name in feature_names:
            kind = "category" if name in categorical else "float64"
            data[name] = data[name].astype(kind)
        target = pd.Series(target, name="target")
        frame = pd.concat([data, target], axis=1)
    if return_X_y:
        return data, target
    bunch = Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=np.asarray(feature_names, dtype=object),
        categorical_features=list(categorical),
        DESCR=descr_text,
        filename=files[0] if len(files) == 1 else files,
        data_module=f"{_PACKAGE}.data",
    )
    if not regression:
        # A regression target has no classes (as scikit-learn's load_diabetes).
        bunch.target_names = np.unique(np.asarray(target))
    return bunch


def _load_regression(name, return_X_y, as_frame, categorical=()):
    """A single-file regression dataset, its target as float64."""
    return _load(
        [f"{name}.csv"],
        f"{name}.rst",
        return_X_y,
        as_frame,
        np.float64,
        categorical,
        regression=True,
    )


_LOADER_DOC = """Load the {title} dataset ({task}).

    Read more in its ``DESCR``.

    Parameters
    ----------{subset_doc}
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return pandas objects (requires pandas): ``data`` a DataFrame,
        ``target`` a Series, and ``frame`` both together.{frame_note}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` of shape {shape}, ``target``{target_note}, ``feature_names``,
        ``categorical_features``,{target_names} ``frame``, ``DESCR``,
        ``filename``.
    (data, target) : tuple if ``return_X_y`` is True
    """

_SUBSET_DOC = """
    subset : {{'train', 'test', 'all'}}, default='train'
        The published {split} split, or both subsets concatenated (training
        rows first)."""


def load_sonar(*, return_X_y=False, as_frame=False):
    return _load(["sonar.csv"], "sonar.rst", return_X_y, as_frame)


def load_ionosphere(*, return_X_y=False, as_frame=False):
    return _load(["ionosphere.csv"], "ionosphere.rst", return_X_y, as_frame)


def load_pima_diabetes(*, return_X_y=False, as_frame=False):
    return _load(
        ["pima_diabetes.csv"], "pima_diabetes.rst", return_X_y, as_frame, np.int64
    )


def load_banknote(*, return_X_y=False, as_frame=False):
    return _load(["banknote.csv"], "banknote.rst", return_X_y, as_frame, np.int64)


def load_optdigits(*, subset="train", return_X_y=False, as_frame=False):
    return _load(
        _files("optdigits", subset), "optdigits.rst", return_X_y, as_frame, np.int64
    )


def load_adult(*, subset="train", return_X_y=False, as_frame=False):
    return _load(
        _files("adult", subset),
        "adult.rst",
        return_X_y,
        as_frame,
        categorical=ADULT_CATEGORICAL,
    )


def load_concrete(*, return_X_y=False, as_frame=False):
    return _load_regression("concrete", return_X_y, as_frame)


def load_energy_efficiency(*, return_X_y=False, as_frame=False):
    return _load_regression("energy_efficiency", return_X_y, as_frame)


def load_airfoil_self_noise(*, return_X_y=False, as_frame=False):
    return _load_regression("airfoil_self_noise", return_X_y, as_frame)


def load_abalone(*, return_X_y=False, as_frame=False):
    return _load_regression("abalone", return_X_y, as_frame, ABALONE_CATEGORICAL)


def load_wine_quality_red(*, return_X_y=False, as_frame=False):
    return _load_regression("wine_quality_red", return_X_y, as_frame)


def _doc(title, shape, subset_doc="", frame_note="", target=None):
    if target is None:
        task, target_note, target_names = "classification", "", " ``target_names``,"
    else:
        task, target_names = "regression", ""
        target_note = f" (float64: {target})"
    return _LOADER_DOC.format(
        title=title,
        task=task,
        shape=shape,
        subset_doc=subset_doc,
        frame_note=frame_note,
        target_note=target_note,
        target_names=target_names,
    )


load_sonar.__doc__ = _doc("Sonar (mines vs. rocks)", "(208, 60)")
load_ionosphere.__doc__ = _doc("Ionosphere", "(351, 34)")
load_pima_diabetes.__doc__ = _doc("Pima Indians Diabetes", "(768, 8)")
load_banknote.__doc__ = _doc("Banknote Authentication", "(1372, 4)")
load_optdigits.__doc__ = _doc(
    "Optical Recognition of Handwritten Digits",
    "(3823, 64) for the training subset, (1797, 64) for the test subset",
    _SUBSET_DOC.format(split="writer-independent 3,823/1,797"),
)
load_adult.__doc__ = _doc(
    "Adult (Census Income)",
    "(32561, 14) for the training subset, (16281, 14) for the test subset",
    _SUBSET_DOC.format(split="UCI 32,561/16,281"),
    """ Categorical columns (``categorical_features``)
        get pandas' ``category`` dtype; without ``as_frame`` the data is an
        object array of floats and strings, with NaN for missing cells.
        Encode the categoricals (e.g. ``OneHotEncoder`` in a
        ``ColumnTransformer``) before fitting a network.""",
)
load_concrete.__doc__ = _doc(
    "Concrete Compressive Strength",
    "(1030, 8)",
    target="compressive strength in MPa",
)
load_energy_efficiency.__doc__ = _doc(
    "Energy Efficiency (ENB2012)", "(768, 8)", target="heating load in kWh/m^2"
)
load_airfoil_self_noise.__doc__ = _doc(
    "Airfoil Self-Noise", "(1503, 5)", target="scaled sound pressure level in dB"
)
load_abalone.__doc__ = _doc(
    "Abalone",
    "(4177, 8)",
    frame_note=""" The categorical column ``sex`` (``'M'``, ``'F'``,
        ``'I'``) gets pandas' ``category`` dtype and the other seven
        ``float64``; without ``as_frame`` the data is an object array whose
        first column holds the strings and the others Python floats. Encode
        ``sex`` (e.g. ``OneHotEncoder`` in a ``ColumnTransformer``) before
        fitting a network.""",
    target="number of shell rings",
)
load_wine_quality_red.__doc__ = _doc(
    "Wine Quality (red)", "(1599, 11)", target="quality score on a 0-10 scale"
)
