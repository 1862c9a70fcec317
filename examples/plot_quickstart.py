"""
=============================================
Quick start: Random Cloud next to a dense MLP
=============================================

A Random Cloud searches 50 untrained networks for a small one with forward
passes only, and trains just that one. Here it runs inside a scikit-learn
:class:`~sklearn.pipeline.Pipeline` on the Sonar dataset, next to the dense
network it started from, trained with the very same recipe.
"""

# %%
# Data: Sonar, 208 samples, 60 features, a stratified 80/20 split.
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import DenseMLPClassifier, RandomCloudClassifier
from sklearn_rcloud.datasets import load_sonar

X, y = load_sonar(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, stratify=y, random_state=42
)

# %%
# Both models start from the same maximal topology, 60-32-2.
models = {
    "dense MLP": DenseMLPClassifier(hidden_layer_sizes=(32,), random_state=0),
    "Random Cloud": RandomCloudClassifier(hidden_layer_sizes=(32,), random_state=0),
}

rows = []
for name, model in models.items():
    pipeline = make_pipeline(MinMaxScaler(), model).fit(X_train, y_train)
    fitted = pipeline[-1]
    rows.append(
        (
            name,
            pipeline.score(X_test, y_test),
            fitted.n_params_,
            fitted.topology_,
            getattr(fitted, "search_time_", 0.0),
            fitted.train_time_,
            fitted.fit_time_,
        )
    )

# %%
# Accuracy, size and cost side by side.
header = (
    f"{'model':<13} {'test acc':>8} {'params':>7}  {'topology':<34}"
    f" {'search s':>8} {'train s':>8} {'fit s':>7}"
)
print(header)
print("-" * len(header))
for name, accuracy, n_params, topology, search, train, fit in rows:
    print(
        f"{name:<13} {accuracy:>8.3f} {n_params:>7d}  {topology!r:<34}"
        f" {search:>8.3f} {train:>8.3f} {fit:>7.3f}"
    )
cloud = models["Random Cloud"]
print(
    f"\nRandom Cloud kept {cloud.n_params_} of {cloud.initial_topology_.n_params} "
    f"parameters ({100 * cloud.reduction_:.1f}% fewer) after scoring "
    f"{len(cloud.search_history_['score'])} candidate sub-networks untrained."
)

# %%
# What the search saw: every sub-network of the cloud, scored untrained,
# against its size; the star is the one that was trained.
import matplotlib.pyplot as plt

from sklearn_rcloud.plotting import plot_search_history, plot_topology

fig, (ax_search, ax_network) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
plot_search_history(cloud, ax=ax_search, log_x=True)
# The trained network, layer by layer (wide layers are drawn in part).
plot_topology(cloud, ax=ax_network)
plt.show()
