"""Loaders of the bundled tabular datasets, in scikit-learn's style."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_banknote", "load_ionosphere", "load_pima_diabetes", "load_sonar"]

_PACKAGE = "sklearn_rcloud.datasets"


def _read_csv(filename):
    with (
        resources.files(_PACKAGE)
        .joinpath("data", filename)
        .open("r", encoding="ascii", newline="") as handle
    ):
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    data = np.array([[float(v) for v in row[:-1]] for row in body])
    target = np.array([row[-1] for row in body])
    return header[:-1], data, target


def _load(name, return_X_y, as_frame, target_dtype):
    feature_names, data, target = _read_csv(f"{name}.csv")
    target = target.astype(target_dtype)
    descr = resources.files(_PACKAGE).joinpath("descr", f"{name}.rst").read_text()
    frame = None
    if as_frame:
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError("as_frame=True requires pandas.") from error
        data = pd.DataFrame(data, columns=feature_names)
        target = pd.Series(target, name="target")
        frame = pd.concat([data, target], axis=1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=np.asarray(feature_names, dtype=object),
        target_names=np.unique(np.asarray(target)),
        DESCR=descr,
        filename=f"{name}.csv",
        data_module=f"{_PACKAGE}.data",
    )


_LOADER_DOC = """Load the {title} dataset (classification).

    Read more in its ``DESCR``.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return pandas objects (requires pandas): ``data`` a DataFrame,
        ``target`` a Series, and ``frame`` both together.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` of shape {shape}, ``target``, ``feature_names``,
        ``target_names``, ``frame``, ``DESCR``, ``filename``.
    (data, target) : tuple if ``return_X_y`` is True
    """


def load_sonar(*, return_X_y=False, as_frame=False):
    return _load("sonar", return_X_y, as_frame, str)


def load_ionosphere(*, return_X_y=False, as_frame=False):
    return _load("ionosphere", return_X_y, as_frame, str)


def load_pima_diabetes(*, return_X_y=False, as_frame=False):
    return _load("pima_diabetes", return_X_y, as_frame, np.int64)


def load_banknote(*, return_X_y=False, as_frame=False):
    return _load("banknote", return_X_y, as_frame, np.int64)


load_sonar.__doc__ = _LOADER_DOC.format(
    title="Sonar (mines vs. rocks)", shape="(208, 60)"
)
load_ionosphere.__doc__ = _LOADER_DOC.format(title="Ionosphere", shape="(351, 34)")
load_pima_diabetes.__doc__ = _LOADER_DOC.format(
    title="Pima Indians Diabetes", shape="(768, 8)"
)
load_banknote.__doc__ = _LOADER_DOC.format(
    title="Banknote Authentication", shape="(1372, 4)"
)
