"""
=========================================================
SAEP: growing an ensemble of sub-networks, and pruning it
=========================================================

:class:`~sklearn_rcloud.SAEPEnsembleClassifier` grows an AdaNet-style ensemble
one small network per round and, after each round, prunes members that do not
help the ensemble on a held-out split. Pruning by diversity (``'pie'``) keeps
far fewer members than the unpruned ensemble for about the same accuracy.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_rcloud import SAEPEnsembleClassifier

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# Six rounds, members 8 units wide; the same seed, so both ensembles train the
# same candidates and differ only in what they keep.
ensembles = {}
for pruning in (None, "pie"):
    model = SAEPEnsembleClassifier(
        n_rounds=6,
        width=8,
        pruning=pruning,
        random_state=0,
    )
    ensembles[str(pruning)] = make_pipeline(MinMaxScaler(), model).fit(X_train, y_train)
    fitted = ensembles[str(pruning)][-1]
    print(
        f"pruning={pruning!s:<5} members {len(fitted.estimators_):>2}  "
        f"params {fitted.n_params_:>5d}  "
        f"test accuracy {ensembles[str(pruning)].score(X_test, y_test):.3f}"
    )

# %%
# The round-by-round history: members kept and validation accuracy.
fig, (ax_size, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
for name, pipeline in ensembles.items():
    history = pd.DataFrame(pipeline[-1].ensemble_history_)
    ax_size.plot(history["round"], history["ensemble_size"], marker="o", label=name)
    ax_acc.plot(
        history["round"], history["validation_accuracy"], marker="o", label=name
    )
ax_size.set(xlabel="round", ylabel="members in the ensemble")
ax_acc.set(xlabel="round", ylabel="validation accuracy")
ax_size.legend(title="pruning")
plt.show()

# %%
# Each member is a plain trained network with its own topology.
for member, weight in zip(
    ensembles["pie"][-1].estimators_, ensembles["pie"][-1].weights_
):
    print(f"{member.topology_!r}  weight {weight:.2f}")
