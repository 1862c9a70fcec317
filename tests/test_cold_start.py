"""A fresh process's first fit pays for nothing it does not use.

torch imports ``torch._dynamo`` (and with it sympy) the first time an
optimiser's ``add_param_group``, ``zero_grad`` or (Adam's, SGD's) ``step``
runs, and its symbolic-shape
machinery when a module is built on the meta device and moved with
``to_empty``: about 1.2 s of every fresh process's first fit here
(``benchmarks/bench_population.py`` measures it). No estimator's fit or
predict may import them.
"""

from fresh_process import run_fresh

_SCRIPT = """
import sys, warnings
import numpy as np
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[1])
from small_estimators import ESTIMATORS
from sklearn_rcloud import DenseMLPClassifier, MagnitudePruningClassifier, Topology
from sklearn_rcloud.engine import TrainingConfig, train_network
X = np.random.default_rng(0).normal(size=(120, 4))
y = (X[:, 0] > 0).astype(int)
for estimator in ESTIMATORS:
    estimator.set_params(random_state=0).fit(X, y).predict_proba(X)
for solver in ("adam", "sgd", "lbfgs"):
    DenseMLPClassifier(hidden_layer_sizes=(4,), solver=solver, max_iter=3).fit(X, y)
    MagnitudePruningClassifier(
        hidden_layer_sizes=(4,), structured=False, solver=solver, max_iter=3
    ).fit(X, y)
    # Where the fast step does not apply, torch.optim's own step runs.
    config = TrainingConfig(solver=solver, max_iter=3, fast_step=False)
    train_network(Topology(4, (4,), 2).to_module(), X.astype("float32"), y, config, 0)
heavy = ("torch._dynamo", "torch.onnx", "sympy", "torch._inductor")
print(",".join(name for name in heavy if name in sys.modules))
"""


def test_no_estimator_imports_dynamo_onnx_or_sympy_to_fit():
    imported = run_fresh(_SCRIPT).strip()
    assert imported == "", imported
