"""Export fitted estimators out of Python: a probability module and ONNX.

:meth:`~sklearn_rcloud.DenseMLPClassifier.to_torch` gives the trained network
(logits). This module adds the last step a deployment needs, the
probabilities, and writes the result as an ONNX graph that ONNX Runtime (or
any ONNX consumer) runs without Python, torch or this library.

ONNX export needs the optional dependencies ``onnx`` and ``onnxscript``
(``pip install "sklearn-rcloud[onnx]"``, which also brings ``onnxruntime``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import warnings

import numpy as np
import torch

from ._pipeline import final_estimator

__all__ = ["onnx_classes", "probability_module", "to_onnx"]

#: Name of the ONNX graph's input and output (a classifier's, a regressor's).
ONNX_INPUT = "X"
ONNX_OUTPUT = "probabilities"
ONNX_REGRESSION_OUTPUT = "predictions"


def probability_module(estimator):
    """A fitted estimator as a torch module that outputs ``predict_proba``
    (a regressor: ``predict``, one column per output).

    Parameters
    ----------
    estimator : fitted estimator of this library, or a ``Pipeline`` ending in one
        A ``Pipeline``'s earlier steps are not exported: apply them first.

    Returns
    -------
    module : torch.nn.Module
        On the CPU, in evaluation mode. Input: a float32 tensor of shape
        ``(n_samples, n_features_in_)``; output: float32 probabilities of shape
        ``(n_samples, n_classes)``, columns in the order of ``classes_``.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import DenseMLPClassifier
    >>> from sklearn_rcloud.export import probability_module
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DenseMLPClassifier(hidden_layer_sizes=(8,), max_iter=5).fit(X, y)
    >>> proba = probability_module(clf)(torch.as_tensor(X[:2], dtype=torch.float32))
    >>> tuple(proba.shape)
    (2, 3)
    """
    estimator = final_estimator(estimator, "probability_module")
    if not hasattr(estimator, "_export_module"):
        raise TypeError(
            f"probability_module exports the estimators of sklearn_rcloud; got "
            f"{type(estimator).__name__}."
        )
    return estimator._export_module()


def to_onnx(estimator, path=None, *, opset_version=None):
    """Export a fitted estimator's ``predict_proba`` as an ONNX model.

    A regressor's graph outputs ``"predictions"`` instead, float32 of shape
    ``(n_samples, n_outputs_)`` in the target's units, and stores no class
    labels.

    The graph has one input, ``"X"`` (float32, shape ``(n_samples,
    n_features_in_)``, any number of rows), holding the features exactly as
    the estimator's ``fit`` received them, and one output, ``"probabilities"``
    (float32, ``(n_samples, n_classes)``). The class labels and the feature
    count are stored in the model's metadata under ``"classes"`` (as
    strings, for any ONNX consumer) and ``"n_features_in"``;
    :func:`onnx_classes` reads the labels back with their original dtype, and
    ``onnx_classes(model)[argmax(probabilities)]`` is ``predict``.

    **The preprocessing is not in the graph.** The network was trained on
    what the steps before it produced (e.g. a ``MinMaxScaler`` or
    ``StandardScaler`` in a ``Pipeline``), and it must be fed the same: raw
    features give wrong predictions without any error (on scaled-trained
    networks, often barely better than chance). Keep the fitted
    preprocessing beside the exported model (e.g. ``pipeline[:-1]``, saved
    with ``joblib``, or re-implemented in the serving code) and apply it to
    every batch before the graph::

        model = to_onnx(pipeline, "model.onnx")
        session = onnxruntime.InferenceSession("model.onnx")
        Z = pipeline[:-1].transform(X).astype("float32")  # the preprocessing
        probabilities = session.run(None, {"X": Z})[0]
        labels = onnx_classes(onnx.load("model.onnx"))[probabilities.argmax(1)]

    Parameters
    ----------
    estimator : fitted estimator of this library, or a ``Pipeline`` ending in one
        A ``Pipeline``'s earlier steps are not part of the graph: apply them
        before feeding it (see above).
    path : str or path-like, default=None
        Where to save the model; None only returns it.
    opset_version : int, default=None
        ONNX opset; None lets torch choose.

    Returns
    -------
    model : onnx.ModelProto

    Raises
    ------
    ImportError
        If ``onnx`` or ``onnxscript`` is not installed.
    """
    _check_onnx_installed()
    estimator = final_estimator(estimator, "to_onnx")
    module = probability_module(estimator)
    classifier = hasattr(estimator, "classes_")
    output = ONNX_OUTPUT if classifier else ONNX_REGRESSION_OUTPUT
    example = torch.zeros((2, estimator.n_features_in_), dtype=torch.float32)
    with _quiet_exporter():
        program = torch.onnx.export(
            module,
            (example,),
            dynamo=True,
            input_names=[ONNX_INPUT],
            output_names=[output],
            dynamic_shapes=({0: torch.export.Dim("n_samples")},),
            opset_version=opset_version,
            verbose=False,
        )
    model = program.model_proto
    labels = {}
    if classifier:
        classes = np.asarray(estimator.classes_)
        labels = dict(
            classes=json.dumps([str(label) for label in classes]),
            **_typed_classes(classes),
        )
    _set_metadata(
        model,
        n_features_in=str(int(estimator.n_features_in_)),
        producer=f"sklearn_rcloud {type(estimator).__name__}",
        **labels,
    )
    if path is not None:
        import onnx

        onnx.save_model(model, path)
    return model


def _check_onnx_installed():
    missing = []
    for package in ("onnx", "onnxscript"):
        try:
            __import__(package)
        except ImportError:
            missing.append(package)
    if missing:
        raise ImportError(
            f"ONNX export needs {' and '.join(missing)}: "
            'pip install "sklearn-rcloud[onnx]".'
        )


def _set_metadata(model, **entries):
    for key, value in entries.items():
        prop = model.metadata_props.add()
        prop.key, prop.value = key, value


@contextlib.contextmanager
def _quiet_exporter():
    """Silence the exporter's notes about torchvision and torch's own deprecations."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # Raised inside torch.export by its own pytree code; nothing to act on.
            warnings.filterwarnings(
                "ignore", message=".*LeafSpec.*", category=FutureWarning
            )
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


#: Python types whose values JSON gives back unchanged.
_JSON_TYPES = (bool, int, float, str)


def _typed_classes(classes):
    """Metadata giving ``classes`` back with their values and dtype, if JSON can.

    ``classes_values`` holds the labels as JSON values (numbers stay
    numbers) and ``classes_dtype`` the NumPy dtype; labels of other types
    (e.g. tuples) are left out, and :func:`onnx_classes` gives strings.
    """
    values = classes.tolist()
    if not all(type(value) in _JSON_TYPES for value in values):
        return {}
    return {"classes_values": json.dumps(values), "classes_dtype": classes.dtype.str}


def onnx_classes(model):
    """The class labels stored in an exported model's metadata.

    Parameters
    ----------
    model : onnx.ModelProto
        A model written by :func:`to_onnx` (e.g. read back with
        ``onnx.load``).

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The estimator's ``classes_``, with their values and dtype (integers
        stay integers), in the order of the graph's probability columns; as
        strings for a model exported before the dtype was stored, or for
        labels JSON cannot represent.
    """
    props = {prop.key: prop.value for prop in model.metadata_props}
    if "classes_values" in props and "classes_dtype" in props:
        return np.asarray(
            json.loads(props["classes_values"]), dtype=np.dtype(props["classes_dtype"])
        )
    return np.asarray(json.loads(props["classes"]))
