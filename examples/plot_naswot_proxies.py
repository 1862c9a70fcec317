"""
=============================================================
NAS without training: how well do untrained scores rank MLPs?
=============================================================

The NASWOT score (Mellor et al.) rates an untrained network by how
differently its ReLUs switch on for different inputs: the log-determinant of
the Hamming-kernel of its binary activation codes. This example scores a few
dozen random MLP topologies at initialisation, trains each of them, and checks
how well every training-free score ranks the trained test accuracy (Kendall's
tau), then lets :class:`~sklearn_rcloud.NASWOTSearchClassifier` pick a network
by that score. The full study (200 topologies, 8 datasets) is
``make proxy-study``; its results are in the documentation.
"""

# %%
# A small proxy study on the wine data: 16 topologies of 1 to 3 hidden layers.
import matplotlib.pyplot as plt
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import NASWOTSearchClassifier
from sklearn_rcloud.plotting import plot_search_history
from sklearn_rcloud.study import ProxyStudyConfig, plot_proxy_scatter, run_proxy_study

config = ProxyStudyConfig(
    n_topologies=16,
    depth_range=(1, 3),
    width_choices=(2, 4, 8, 16, 32),
    max_iter=100,
)
result = run_proxy_study(["wine"], config)

# A score that took one value on every topology would rank nothing; it is
# reported as constant rather than as a correlation.
print(f"{'score':<15} {'tau':>6}  95% interval")
for row in result.correlations(n_bootstrap=200):
    if row["constant"]:
        print(f"{row['score']:<15} constant on every topology: no ranking")
    else:
        print(
            f"{row['score']:<15} {row['tau']:>6.2f}  "
            f"[{row['tau_low']:.2f}, {row['tau_high']:.2f}]"
        )

# %%
# Each point is one topology: its NASWOT score before training against its
# test accuracy after.
fig = plot_proxy_scatter(result, "naswot")
plt.show()

# %%
# Searching by the score: 20 sampled topologies scored untrained, the best one
# trained. The star marks it among everything that was scored.
X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
search = make_pipeline(
    MinMaxScaler(),
    NASWOTSearchClassifier(n_candidates=20, random_state=0),
).fit(X_train, y_train)
print(
    f"selected {search[-1].topology_!r}, test accuracy "
    f"{search.score(X_test, y_test):.3f}"
)
plot_search_history(search, log_x=True)
plt.show()
