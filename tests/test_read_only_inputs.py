"""Read-only inputs, as joblib hands large arrays to its workers.

``GridSearchCV(n_jobs=2)`` and ``cross_val_score(n_jobs=2)`` pass arrays of
more than a megabyte to their workers as read-only memory maps. Every
estimator must fit and predict on them without modifying them and without
torch's warning about tensors that share non-writable memory. torch gives
that warning once per process, so the check runs in a fresh one.
"""

from fresh_process import run_fresh

_SCRIPT = """
import sys, warnings
sys.path.insert(0, sys.argv[1])
import numpy as np
from small_estimators import ESTIMATORS
from sklearn_rcloud.proxies import get_proxy

rng = np.random.default_rng(0)
X = rng.random((60, 4)).astype(np.float32)
y = (X[:, 0] > 0.5).astype(np.int64)
X64 = X.astype(np.float64)
for array in (X, y, X64):
    array.setflags(write=False)
copies = [X.copy(), y.copy(), X64.copy()]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for estimator in ESTIMATORS:
        estimator.fit(X, y).predict_proba(X64)
        estimator.predict(X)
    # The training-free scores take arrays too.
    module = next(e for e in ESTIMATORS if hasattr(e, "module_")).module_
    for name in ("readout", "train_loss", "naswot", "synflow"):
        get_proxy(name)(module, X, y)
unchanged = all(np.array_equal(a, b) for a, b in zip((X, y, X64), copies))
messages = [str(w.message) for w in caught if "not writable" in str(w.message)]
print(unchanged, len(messages))
"""


def test_read_only_arrays_are_used_without_warning_or_change():
    output = run_fresh(_SCRIPT)
    assert output.split() == ["True", "0"], output
