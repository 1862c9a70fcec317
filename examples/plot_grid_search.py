"""
===================================================
Tuning Random Cloud with GridSearchCV in a Pipeline
===================================================

:class:`~sklearn_rcloud.RandomCloudClassifier` is an ordinary scikit-learn
classifier, so its search settings are tuned like any hyper-parameter: here a
cross-validated grid over the cloud's size and the selection rule, with the
feature scaling inside the :class:`~sklearn.pipeline.Pipeline` so that every
fold scales on its own training part only.
"""

# %%
# Data: the Wisconsin breast cancer dataset (569 samples, 30 features).
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import RandomCloudClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The grid: 10 or 40 untrained networks in the cloud, and the two selection
# rules: ``'best'`` trains the highest-scoring sub-network, ``'smallest'`` the
# smallest one whose score is within ``selection_tolerance`` of the best.
pipeline = Pipeline(
    [
        ("scale", MinMaxScaler()),
        (
            "cloud",
            RandomCloudClassifier(hidden_layer_sizes=(32,), random_state=0),
        ),
    ]
)
grid = GridSearchCV(
    pipeline,
    {
        "cloud__n_networks": [10, 40],
        "cloud__selection": ["best", "smallest"],
    },
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    n_jobs=1,
)
grid.fit(X_train, y_train)

results = pd.DataFrame(grid.cv_results_)
print(
    results[
        [
            "param_cloud__n_networks",
            "param_cloud__selection",
            "mean_test_score",
            "std_test_score",
            "mean_fit_time",
        ]
    ].to_string(index=False)
)

# %%
# The refitted best pipeline: its network and how much smaller it is than the
# 30-32-2 network the cloud started from.
best = grid.best_estimator_[-1]
print(f"best parameters: {grid.best_params_}")
print(f"selected network: {best.topology_!r}")
print(f"parameters removed: {100 * best.reduction_:.1f}%")
print(f"test accuracy: {grid.score(X_test, y_test):.3f}")

# %%
# The grid at a glance: cross-validated accuracy of every candidate (mean and
# standard deviation over the 3 folds), the refitted best one in orange (of
# equal scores, GridSearchCV keeps the first).
import matplotlib.pyplot as plt
import numpy as np

names = [
    ", ".join(f"{key.split('__')[-1]}={value}" for key, value in params.items())
    for params in grid.cv_results_["params"]
]
colors = ["C1" if i == grid.best_index_ else "C0" for i in range(len(names))]
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.barh(
    np.arange(len(names)),
    100 * results["mean_test_score"],
    xerr=100 * results["std_test_score"],
    color=colors,
)
ax.set_yticks(np.arange(len(names)), names)
ax.invert_yaxis()
low = 100 * (results["mean_test_score"] - results["std_test_score"]).min()
ax.set_xlim(max(0, low - 2), 100)
ax.set_xlabel("cross-validated accuracy (%)")
ax.set_title("GridSearchCV over the cloud's settings")
plt.show()
