"""
======================================
Taking the network out: torch and ONNX
======================================

A fitted estimator hands its trained network over as a plain
:class:`torch.nn.Sequential` (:meth:`~sklearn_rcloud.RandomCloudClassifier.to_torch`)
or as an ONNX model (:meth:`~sklearn_rcloud.RandomCloudClassifier.to_onnx`,
with the ``onnx`` extra) that ONNX Runtime runs without Python's ML stack.
Neither contains the preprocessing of a pipeline: it is kept beside the
network and applied first, as below.
"""

# %%
import numpy as np
import onnxruntime
import torch
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_rcloud import RandomCloudClassifier
from sklearn_rcloud.export import onnx_classes

X, y = load_iris(return_X_y=True)
pipeline = make_pipeline(StandardScaler(), RandomCloudClassifier(random_state=0)).fit(
    X, y
)
scaled = pipeline[:-1].transform(X)  # the network's input contract

# %%
# torch: the trained network, on the CPU, in evaluation mode; it outputs
# logits, whose softmax is ``predict_proba``.
network = pipeline[-1].to_torch()
print(network)
with torch.no_grad():
    logits = network(torch.as_tensor(scaled, dtype=torch.float32))
difference = np.abs(torch.softmax(logits, dim=1).numpy() - pipeline.predict_proba(X))
print(f"largest difference to predict_proba: {difference.max():.2e}")

# %%
# ONNX: save the model to a file, and keep the fitted preprocessing beside it
# (here with joblib): the graph holds the network only, so a serving process
# needs both. It loads them, scales the rows, and runs the graph; the class
# labels come back from the model's metadata with their original dtype.
import tempfile
from pathlib import Path

import joblib
import onnx

folder = Path(tempfile.mkdtemp())
pipeline[-1].to_onnx(folder / "network.onnx")
joblib.dump(pipeline[:-1], folder / "preprocessing.joblib")

# ... later, in the serving process:
preprocessing = joblib.load(folder / "preprocessing.joblib")
model = onnx.load(folder / "network.onnx")
session = onnxruntime.InferenceSession(
    folder / "network.onnx", providers=["CPUExecutionProvider"]
)
rows = preprocessing.transform(X).astype(np.float32)
probabilities = session.run(None, {"X": rows})[0]
labels = onnx_classes(model)[probabilities.argmax(axis=1)]
print(f"classes {onnx_classes(model)} (dtype {onnx_classes(model).dtype})")
print(
    f"ONNX Runtime agrees on {np.mean(labels == pipeline.predict(X)):.0%}"
    " of the predictions"
)
print(
    f"largest probability difference: "
    f"{np.abs(probabilities - pipeline.predict_proba(X)).max():.2e}"
)

# %%
# Without the preprocessing the graph still runs, and silently answers wrong:
# the network never saw unscaled features.
raw = session.run(None, {"X": X.astype(np.float32)})[0]
unscaled = onnx_classes(model)[raw.argmax(axis=1)]
print(
    f"unscaled input: agrees on {np.mean(unscaled == pipeline.predict(X)):.0%}"
    " of the predictions"
)

# %%
# The three routes side by side: every class probability of every sample from
# the exported torch network and from ONNX Runtime against ``predict_proba``.
# The points lie on the diagonal; the differences are float32 rounding.
import matplotlib.pyplot as plt

reference = pipeline.predict_proba(X)
torch_probabilities = torch.softmax(logits, dim=1).numpy()
fig, ax = plt.subplots(figsize=(4.5, 4), layout="constrained")
ax.plot([0, 1], [0, 1], color="0.8", linewidth=3, zorder=0)
ax.scatter(reference.ravel(), torch_probabilities.ravel(), s=30, label="to_torch()")
ax.scatter(reference.ravel(), probabilities.ravel(), s=8, label="ONNX Runtime")
ax.set_xlabel("predict_proba")
ax.set_ylabel("exported network's probability")
ax.set_title("Iris: the exported networks agree")
ax.legend(loc="upper left")
plt.show()
