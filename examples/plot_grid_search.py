"""
===================================================
Tuning Random Cloud with GridSearchCV in a Pipeline
===================================================

:class:`~sklearn_rcloud.RandomCloudClassifier` is an ordinary scikit-learn
classifier, so its search settings are tuned like any hyper-parameter. Here a
cross-validated grid over ``selection_tolerance``, the setting that trades
accuracy for size, records two things per setting (accuracy and the size of
the network selected) and refits the smallest network whose accuracy is
within the folds' noise of the best. The feature scaling sits inside the
:class:`~sklearn.pipeline.Pipeline`, so every fold scales on its own training
part only.
"""

# %%
# Data: Sonar (208 samples, 60 features), small enough that the size of the
# network matters to its accuracy.
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import RandomCloudClassifier
from sklearn_rcloud.datasets import load_sonar

X, y = load_sonar(return_X_y=True)

# %%
# The grid. The cloud scores every sub-network of 50 random 60-100-2 networks
# untrained; ``selection='smallest'`` (the default) trains the smallest one
# whose score is within ``selection_tolerance`` of the best score. A larger
# tolerance selects a smaller network.
#
# Two scores per setting: the accuracy, and the parameter count of the network
# each fold selected (a callable scorer; :class:`~sklearn.model_selection.GridSearchCV`
# averages it over the folds like any score).
pipeline = Pipeline(
    [("scale", MinMaxScaler()), ("cloud", RandomCloudClassifier(random_state=0))]
)


def n_params(pipeline, X, y):
    """The size of the network the fitted pipeline selected."""
    return pipeline[-1].n_params_


def smallest_within_one_std(cv_results):
    """The smallest network whose accuracy is within one std of the best."""
    accuracy = cv_results["mean_test_accuracy"]
    best = np.argmax(accuracy)
    close = accuracy >= accuracy[best] - cv_results["std_test_accuracy"][best]
    sizes = np.where(close, cv_results["mean_test_n_params"], np.inf)
    return int(np.argmin(sizes))


grid = GridSearchCV(
    pipeline,
    {"cloud__selection_tolerance": [0.0, 0.01, 0.05, 0.2]},
    scoring={"accuracy": "accuracy", "n_params": n_params},
    refit=smallest_within_one_std,
    cv=StratifiedKFold(5, shuffle=True, random_state=0),
)
grid.fit(X, y)

results = pd.DataFrame(grid.cv_results_)
print(
    results[
        [
            "param_cloud__selection_tolerance",
            "mean_test_accuracy",
            "std_test_accuracy",
            "mean_test_n_params",
            "mean_fit_time",
        ]
    ].to_string(index=False)
)

# %%
# The tolerance moves both: the tightest setting keeps most of the 6,302
# parameters of the full network, the loosest a small fraction of them, and
# accuracy falls with the size. The fold-to-fold spread (several points, on
# about 42 test rows per fold) is wide, so the refit rule takes the smallest
# network within one standard deviation of the best mean rather than the best
# mean itself.
best = grid.best_estimator_[-1]
print(f"refitted setting: {grid.best_params_}")
print(f"selected network: {best.topology_!r}")
print(f"parameters removed: {100 * best.reduction_:.1f}%")

# %%
# The grid at a glance: cross-validated accuracy (mean and standard deviation
# over the 5 folds) against the mean size selected, each point labelled with
# its ``selection_tolerance``; the refitted setting in orange.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for i, row in results.iterrows():
    ax.errorbar(
        row["mean_test_n_params"],
        100 * row["mean_test_accuracy"],
        yerr=100 * row["std_test_accuracy"],
        fmt="o",
        capsize=3,
        color="C1" if i == grid.best_index_ else "C0",
    )
    ax.annotate(
        f"{row['param_cloud__selection_tolerance']}",
        (row["mean_test_n_params"], 100 * row["mean_test_accuracy"]),
        textcoords="offset points",
        xytext=(-8, 6 if i % 2 == 0 else -12),
        horizontalalignment="right",
        fontsize="small",
    )
ax.set_xscale("log")
ax.margins(x=0.15)
ax.set_xlabel("parameters of the selected network (mean over folds)")
ax.set_ylabel("cross-validated accuracy (%)")
ax.set_title("Sonar: selection_tolerance trades accuracy for size")
plt.show()
