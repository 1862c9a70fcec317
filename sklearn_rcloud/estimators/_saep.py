"""SAEP: grow an ensemble of sub-networks AdaNet-style and prune it for diversity."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions

from .._memory import check_memory, setting
from ..engine import validation_split
from ..ensemble import (
    disagreement,
    fit_mixture_weights,
    log_loss,
    mix,
    prune_accuracy,
    prune_entropy,
    prune_random,
)
from ..recipe import Parameter
from ._base import BaseNetworkClassifier
from ._dense import DenseMLPClassifier
from ._ensemble import BaseEnsembleClassifier, member_proba
from ._parameters import (
    TRAINING_PARAMETERS,
    replaced,
    without,
)

__all__ = ["SAEPEnsembleClassifier"]

#: Parameters of the ensemble itself; the rest of the training recipe is
#: handed to every member.
_ENSEMBLE_ONLY = (
    "validation_fraction",
    "warm_start",
    "class_weight",
    "random_state",
    "verbose",
)
_MEMBER_TRAINING = tuple(
    p.name for p in TRAINING_PARAMETERS if p.name not in _ENSEMBLE_ONLY
)
#: Bytes drawn up front per round: two candidates' seeds, each an int64 and
#: a Python int in a list.
_ROUND_BYTES = 2 * (8 + 8 + 28)


class SAEPEnsembleClassifier(BaseEnsembleClassifier):
    """Sub-architecture ensemble pruning: an AdaNet-style ensemble of MLPs, pruned.

    A ``validation_fraction`` of the training data is held out (stratified).
    Each of ``n_rounds`` rounds trains two candidate sub-networks on the
    rest, of depth ``d`` and ``d + 1`` (``width`` units per hidden layer, ``d``
    the depth of the member added last, 1 at the start), and adds the one
    whose ensemble has the lower validation log-loss plus
    ``complexity_penalty * sqrt(depth)``. Earlier members are then pruned by
    ``pruning``, on their validation predictions:

    * ``'prs'``: with probability 1/2, one member at random;
    * ``'pap'``: members whose removal does not raise the ensemble's validation
      error (leave-one-out), keeping at least two;
    * ``'pie'``: all but one member, chosen greedily for diversity (normalised
      variation of information) and relevance (normalised mutual information
      with the labels), weighed by ``diversity_weight``;
    * ``None``: nothing, the unpruned AdaNet-style ensemble.

    Ensembles of at most two earlier members are never pruned. Predictions
    average the members' probabilities (``mixture='mean'``) or mix them with
    weights fitted on the validation split (``mixture='learned'``).

    Method from Bian, Song, Du, Yao, Chen and Hu, "Sub-Architecture Ensemble
    Pruning in Neural Architecture Search" (IEEE TNNLS, 2021).

    Read more in the :ref:`User Guide <saep>`.

    {parameters}

    Attributes
    ----------
    estimators_ : list of fitted classifiers
        The members kept, in the order they were added; each has its
        ``topology_`` and training attributes.
    member_rounds_ : ndarray of int
        The round each member of ``estimators_`` was added in.
    weights_ : ndarray of shape (n_members,)
        Mixture weights (uniform for ``mixture='mean'``).
    topologies_ : list of Topology
        The members' topologies.
    n_params_ : int
        Parameters of all members.
    ensemble_history_ : dict of ndarray
        One entry per round: ``round``, ``added`` (the topology added, as
        text), ``added_depth``, ``pruned`` (object array: rounds of the
        members removed), ``ensemble_size``, ``n_params``,
        ``validation_accuracy``, ``validation_loss`` and ``diversity`` (mean
        pairwise disagreement of the members' validation predictions), after
        the round. ``pandas.DataFrame(ensemble_history_)`` works.
    n_iter_ : int
        The most training epochs any kept member ran (each member has its
        own ``n_iter_``, ``loss_curve_`` and the other training attributes).
    fit_time_ : float
        Seconds in ``fit``.
    {data_attributes}

    See Also
    --------
    DenseMLPClassifier : one member, trained alone.

    Notes
    -----
    Deviations from the SAEP code (TensorFlow 1 on AdaNet): candidates are
    trained alone, not jointly with the frozen ensemble; the first round
    starts at depth 1, not with a linear model; a pruned member is removed,
    not kept at weight 0; the decisions and the learned mixture use the
    held-out split rather than a training batch. See the :ref:`User Guide
    <saep>`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_rcloud import SAEPEnsembleClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> saep = SAEPEnsembleClassifier(n_rounds=4, pruning="pie", random_state=0)
    >>> saep.fit(X, y).ensemble_history_["round"]
    array([0, 1, 2, 3])
    >>> len(saep.estimators_) <= 4 and saep.score(X, y) > 0.9
    True
    """

    _parameters = (
        Parameter(
            "n_rounds",
            10,
            (Interval(Integral, 1, None, closed="left"),),
            "int",
            "Rounds; each adds one member.",
        ),
        Parameter(
            "width",
            32,
            (Interval(Integral, 1, None, closed="left"),),
            "int",
            "Units of every hidden layer of a candidate (the paper's 32).",
        ),
        Parameter(
            "complexity_penalty",
            0.0,
            (Interval(Real, 0, None, closed="left"),),
            "float",
            "Weight of ``sqrt(depth)`` in the candidate choice (AdaNet's "
            "lambda; 0 in the SAEP code).",
        ),
        Parameter(
            "pruning",
            "pie",
            (StrOptions({"prs", "pap", "pie"}), None),
            "{'prs', 'pap', 'pie'} or None",
            "The pruning rule, or None for the unpruned ensemble.",
        ),
        Parameter(
            "pap_sign",
            "intuitive",
            (StrOptions({"intuitive", "code"}),),
            "{'intuitive', 'code'}",
            "'intuitive' keeps members whose removal would raise the error; "
            "'code' is the sign of the SAEP authors' code, which keeps those "
            "whose removal would lower it (see "
            ":func:`~sklearn_rcloud.ensemble.prune_accuracy`).",
        ),
        Parameter(
            "diversity_weight",
            0.5,
            (Interval(Real, 0, 1, closed="both"),),
            "float in [0, 1]",
            "PIE's weight of diversity against relevance (the paper's lambda).",
        ),
        Parameter(
            "mixture",
            "mean",
            (StrOptions({"mean", "learned"}),),
            "{'mean', 'learned'}",
            "How members' probabilities are combined.",
        ),
        Parameter(
            "candidate_search",
            None,
            (BaseNetworkClassifier, None),
            "estimator or None",
            "Where candidates come from. None trains "
            ":class:`~sklearn_rcloud.DenseMLPClassifier` members of the "
            "stated depth. Otherwise a (unfitted) network estimator of this "
            "library, one whose fit sets ``topology_`` (a subclass of "
            "``sklearn_rcloud.estimators.BaseNetworkClassifier``; other "
            "estimators are refused), e.g. "
            ":class:`~sklearn_rcloud.RandomCloudClassifier` or "
            ":class:`~sklearn_rcloud.NASWOTSearchClassifier`, is cloned for "
            "every candidate with its own ``random_state`` (and, when it has "
            "``hidden_layer_sizes``, the candidate's depth and ``width`` as "
            "its starting topology), so the members are the networks it "
            "finds.",
        ),
        *replaced(
            without(TRAINING_PARAMETERS, "warm_start"),
            "validation_fraction",
            default=0.2,
            doc="Held-out share used to choose candidates, prune and fit the "
            "mixture. The other training parameters train every member (the "
            "default candidates; a ``candidate_search`` keeps its own).",
        ),
    )

    def _fit(self, X, y, sample_weight, progress):
        self._check_candidates(X)
        split_seed, prune_seed, *member_seeds = self._random_seeds(
            2 + 2 * self.n_rounds
        )
        X_fit, X_valid, y_fit, y_valid, w_fit, w_valid = validation_split(
            X, y, self.validation_fraction, split_seed, sample_weight
        )
        n_fit_classes = len(np.unique(y_fit))
        if n_fit_classes < 2:
            # A member cannot be trained on one class.
            raise ValueError(
                f"{type(self).__name__} got too few samples: after holding out "
                f"validation_fraction={self.validation_fraction} of the "
                f"{len(y)} samples, the {len(y_fit)} left to train the members "
                f"hold {n_fit_classes} class; they need at least 2. Provide more "
                "samples of every class or lower validation_fraction."
            )
        prune_rng = np.random.default_rng(prune_seed)
        n_classes = len(self.classes_)

        # The kept members, their rounds, validation probabilities and weights.
        members, rounds, probas, weights = [], [], [], np.ones(0)
        history = _EnsembleHistory()
        depth = 1
        for round_ in range(self.n_rounds):
            candidates = []

            def ensemble_so_far():
                # The ensemble after this round, for the callbacks.
                return {"estimators_": members, "weights_": weights}  # noqa: B023

            with progress.task(
                f"round {round_ + 1}/{self.n_rounds}", 2, reconstruction=ensemble_so_far
            ) as task:
                for offset in (0, 1):
                    member = self._candidate(
                        depth + offset, member_seeds[2 * round_ + offset]
                    )
                    with progress.member(task, member):
                        member.fit(X_fit, y_fit, sample_weight=w_fit)
                    proba = member_proba(member, X_valid, n_classes)
                    trial = probas + [proba]
                    mixed = mix(trial, self._weights(trial, y_valid, w_valid))
                    objective = log_loss(
                        mixed, y_valid, w_valid
                    ) + self.complexity_penalty * np.sqrt(member.topology_.depth)
                    candidates.append((objective, member, proba))
                _, member, proba = min(candidates, key=lambda c: c[0])

                kept = self._prune(probas, weights, y_valid, prune_rng)
                stay = set(kept)
                pruned = [r for i, r in enumerate(rounds) if i not in stay]
                members = [members[i] for i in kept] + [member]
                rounds = [rounds[i] for i in kept] + [round_]
                probas = [probas[i] for i in kept] + [proba]
                depth = member.topology_.depth

                weights = self._weights(probas, y_valid, w_valid)
                mixed = mix(probas, weights)
                correct = mixed.argmax(axis=1) == y_valid
                history.add(
                    round_,
                    member.topology_,
                    pruned,
                    members,
                    accuracy=float(np.average(correct, weights=w_valid)),
                    loss=log_loss(mixed, y_valid, w_valid),
                    diversity=disagreement(np.argmax(probas, axis=2)),
                )

        self._set_members(members, weights)
        self.member_rounds_ = np.asarray(rounds, dtype=np.int64)
        self.ensemble_history_ = history.as_dict()

    def _check_candidates(self, X):
        """Refuse, before any work, candidates or rounds that cannot fit in
        memory (``candidate_search`` is one of the library's network
        estimators: its constraint says so)."""
        search = self.candidate_search
        if search is None or "hidden_layer_sizes" in search.get_params():
            # The first round always trains a candidate of two hidden layers.
            self._check_network_memory(X, ("width",), (self.width,) * 2)
        check_memory(
            self.n_rounds * _ROUND_BYTES,
            setting(self, ("n_rounds",)),
            "the seeds of the rounds' candidates",
        )

    def _candidate(self, depth, seed):
        """An unfitted candidate of ``depth`` hidden layers."""
        hidden = (self.width,) * depth
        if self.candidate_search is None:
            params = {name: getattr(self, name) for name in _MEMBER_TRAINING}
            return DenseMLPClassifier(
                hidden_layer_sizes=hidden, random_state=seed, **params
            )
        candidate = clone(self.candidate_search).set_params(random_state=seed)
        if "hidden_layer_sizes" in candidate.get_params():
            candidate.set_params(hidden_layer_sizes=hidden)
        return candidate

    def _weights(self, probas, y_valid, w_valid=None):
        if self.mixture == "learned" and len(probas) > 1:
            return fit_mixture_weights(np.asarray(probas), y_valid, w_valid)
        return np.full(len(probas), 1.0 / max(len(probas), 1))

    def _prune(self, probas, weights, y_valid, rng):
        """Indices of the earlier members (mixed by ``weights``) that stay."""
        n_members = len(probas)
        if self.pruning is None or n_members == 0:
            return list(range(n_members))
        if self.pruning == "prs":
            kept = prune_random(n_members, rng)
        elif self.pruning == "pap":
            kept = prune_accuracy(
                np.asarray(probas),
                y_valid,
                weights,
                sign=self.pap_sign,
            )
        else:
            kept = prune_entropy(
                np.argmax(probas, axis=2), y_valid, self.diversity_weight, rng
            )
        return [int(i) for i in kept]


class _EnsembleHistory:
    """Rows of ``ensemble_history_``, one per round."""

    def __init__(self):
        self.rows = {
            name: []
            for name in (
                "round",
                "added",
                "added_depth",
                "pruned",
                "ensemble_size",
                "n_params",
                "validation_accuracy",
                "validation_loss",
                "diversity",
            )
        }

    def add(self, round_, topology, pruned, members, accuracy, loss, diversity):
        self.rows["round"].append(round_)
        self.rows["added"].append(str(topology))
        self.rows["added_depth"].append(topology.depth)
        self.rows["pruned"].append(list(pruned))
        self.rows["ensemble_size"].append(len(members))
        self.rows["n_params"].append(sum(m.topology_.n_params for m in members))
        self.rows["validation_accuracy"].append(accuracy)
        self.rows["validation_loss"].append(loss)
        self.rows["diversity"].append(diversity)

    def as_dict(self):
        pruned = np.empty(len(self.rows["pruned"]), dtype=object)
        pruned[:] = self.rows["pruned"]
        history = {
            name: np.asarray(values)
            for name, values in self.rows.items()
            if name not in ("pruned", "added")
        }
        added = np.empty(len(self.rows["added"]), dtype=object)
        added[:] = self.rows["added"]
        return {**history, "added": added, "pruned": pruned}
