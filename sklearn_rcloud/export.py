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

#: Name of the ONNX graph's input and output.
ONNX_INPUT = "X"
ONNX_OUTPUT = "probabilities"


def probability_module(estimator):
    """A fitted estimator as a torch module that outputs ``predict_proba``.

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

    The graph has one input, ``"X"`` (float32, shape ``(n_samples,
    n_features_in_)``, any number of rows), holding the features exactly as
    the estimator's ``fit`` received them, and one output, ``"probabilities"``
    (float32, ``(n_samples, n_classes)``). The class labels (``classes_``, as
    strings) and the feature count are stored in the model's metadata under
    ``"classes"`` and ``"n_features_in"``; ``classes[argmax(probabilities)]``
    is ``predict``.

    Parameters
    ----------
    estimator : fitted estimator of this library, or a ``Pipeline`` ending in one
        A ``Pipeline``'s earlier steps are not part of the graph: apply them
        before feeding it.
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
    example = torch.zeros((2, estimator.n_features_in_), dtype=torch.float32)
    with _quiet_exporter():
        program = torch.onnx.export(
            module,
            (example,),
            dynamo=True,
            input_names=[ONNX_INPUT],
            output_names=[ONNX_OUTPUT],
            dynamic_shapes=({0: torch.export.Dim("n_samples")},),
            opset_version=opset_version,
            verbose=False,
        )
    model = program.model_proto
    _set_metadata(
        model,
        classes=json.dumps([str(label) for label in estimator.classes_]),
        n_features_in=str(int(estimator.n_features_in_)),
        producer=f"sklearn_rcloud {type(estimator).__name__}",
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


def onnx_classes(model):
    """The class labels stored in an exported model's metadata, as strings."""
    props = {prop.key: prop.value for prop in model.metadata_props}
    return np.asarray(json.loads(props["classes"]))
