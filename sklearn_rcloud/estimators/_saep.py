"""SAEP: grow an ensemble of sub-networks AdaNet-style and prune it for diversity."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions

from .._memory import check_memory, setting
from ..engine import validation_split
from ..ensemble import (
    ambiguity,
    disagreement,
    fit_mixture_weights,
    fit_squared_error_weights,
    log_loss,
    mix,
    prune_accuracy,
    prune_ambiguity,
    prune_entropy,
    prune_random,
    prune_squared_error,
    r2,
    squared_error,
)
from ..recipe import Parameter
from ._base import BaseNetworkClassifier, BaseNetworkRegressor
from ._dense import DenseMLPClassifier, DenseMLPRegressor
from ._ensemble import (
    BaseEnsembleClassifier,
    BaseEnsembleRegressor,
    member_outputs,
    member_proba,
)
from ._parameters import (
    TRAINING_PARAMETERS,
    for_regression,
    replaced,
    without,
)

__all__ = ["SAEPEnsembleClassifier", "SAEPEnsembleRegressor"]

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

_PARAMETERS = (
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


class _SAEPEnsemble:
    """SAEP's rounds, shared by the classifier and the regressor.

    Each twin says what a member's validation outputs are (probabilities, or
    standardised predictions), how they are scored, mixed and pruned, and
    what the history records; the loop, the seeds and the candidates are
    the same.
    """

    #: The default candidate: a library estimator of the task that takes the
    #: training parameters and ``hidden_layer_sizes``.
    _member_class = None

    def _fit(self, X, y, sample_weight, progress):
        self._check_candidates(X)
        split_seed, prune_seed, *member_seeds = self._random_seeds(
            2 + 2 * self.n_rounds
        )
        X_fit, X_valid, y_fit, y_valid, w_fit, w_valid = self._split(
            X, y, split_seed, sample_weight
        )
        member_target = self._member_target(y_fit)
        prune_rng = np.random.default_rng(prune_seed)

        # The kept members, their rounds, validation outputs and weights.
        members, rounds, outputs, weights = [], [], [], np.ones(0)
        history = _EnsembleHistory(self._history_scores)
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
                        member.fit(X_fit, member_target, sample_weight=w_fit)
                    output = self._member_outputs(member, X_valid)
                    trial = outputs + [output]
                    mixed = mix(trial, self._weights(trial, y_valid, w_valid))
                    objective = self._loss(
                        mixed, y_valid, w_valid
                    ) + self.complexity_penalty * np.sqrt(member.topology_.depth)
                    candidates.append((objective, member, output))
                _, member, output = min(candidates, key=lambda c: c[0])

                kept = self._prune(outputs, weights, y_valid, w_valid, prune_rng)
                stay = set(kept)
                pruned = [r for i, r in enumerate(rounds) if i not in stay]
                members = [members[i] for i in kept] + [member]
                rounds = [rounds[i] for i in kept] + [round_]
                outputs = [outputs[i] for i in kept] + [output]
                depth = member.topology_.depth

                weights = self._weights(outputs, y_valid, w_valid)
                history.add(
                    round_,
                    member.topology_,
                    pruned,
                    members,
                    **self._scores(outputs, weights, y_valid, w_valid),
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
            return self._member_class(
                hidden_layer_sizes=hidden, random_state=seed, **params
            )
        candidate = clone(self.candidate_search).set_params(random_state=seed)
        if "hidden_layer_sizes" in candidate.get_params():
            candidate.set_params(hidden_layer_sizes=hidden)
        return candidate

    def _weights(self, outputs, y_valid, w_valid=None):
        if self.mixture == "learned" and len(outputs) > 1:
            return self._fit_weights(np.asarray(outputs), y_valid, w_valid)
        return np.full(len(outputs), 1.0 / max(len(outputs), 1))

    def _prune(self, outputs, weights, y_valid, w_valid, rng):
        """Indices of the earlier members (mixed by ``weights``) that stay."""
        n_members = len(outputs)
        if self.pruning is None or n_members == 0:
            return list(range(n_members))
        if self.pruning == "prs":
            kept = prune_random(n_members, rng)
        else:
            kept = self._prune_by_rule(outputs, weights, y_valid, w_valid, rng)
        return [int(i) for i in kept]


class SAEPEnsembleClassifier(_SAEPEnsemble, BaseEnsembleClassifier):
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

    _parameters = _PARAMETERS
    _member_class = DenseMLPClassifier
    _history_scores = ("validation_accuracy", "validation_loss", "diversity")

    def _split(self, X, y, seed, sample_weight):
        """The stratified validation split; the members need two classes."""
        split = validation_split(X, y, self.validation_fraction, seed, sample_weight)
        y_fit = split[2]
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
        return split

    def _member_target(self, y_fit):
        return y_fit

    def _member_outputs(self, member, X_valid):
        return member_proba(member, X_valid, len(self.classes_))

    def _loss(self, mixed, y_valid, w_valid):
        return log_loss(mixed, y_valid, w_valid)

    def _fit_weights(self, probas, y_valid, w_valid):
        return fit_mixture_weights(probas, y_valid, w_valid)

    def _prune_by_rule(self, probas, weights, y_valid, w_valid, rng):
        if self.pruning == "pap":
            return prune_accuracy(
                np.asarray(probas),
                y_valid,
                weights,
                sign=self.pap_sign,
            )
        return prune_entropy(
            np.argmax(probas, axis=2), y_valid, self.diversity_weight, rng
        )

    def _scores(self, probas, weights, y_valid, w_valid):
        mixed = mix(probas, weights)
        correct = mixed.argmax(axis=1) == y_valid
        return dict(
            validation_accuracy=float(np.average(correct, weights=w_valid)),
            validation_loss=log_loss(mixed, y_valid, w_valid),
            diversity=disagreement(np.argmax(probas, axis=2)),
        )


class SAEPEnsembleRegressor(_SAEPEnsemble, BaseEnsembleRegressor):
    """Sub-architecture ensemble pruning for regression: an AdaNet-style
    ensemble of MLP regressors, pruned.

    The regressor twin of :class:`SAEPEnsembleClassifier`, with every
    decision measured by the squared error. The target is standardised
    inside ``fit`` (each output column centred and scaled by the training
    rows' weighted mean and standard deviation); the errors below are mean
    squared errors of the standardised target, averaged over the rows
    (weighted by ``sample_weight``) and the outputs.

    A ``validation_fraction`` of the training data is held out (at random,
    not stratified). Each of ``n_rounds`` rounds trains two candidate
    sub-networks on the rest, of depth ``d`` and ``d + 1`` (``width`` units
    per hidden layer, ``d`` the depth of the member added last, 1 at the
    start), and adds the one whose ensemble has the lower validation squared
    error plus ``complexity_penalty * sqrt(depth)``. Earlier members are then
    pruned by ``pruning``, on their validation predictions ``f_i``, the
    ensemble's being ``f = sum_i w_i f_i`` (``w`` the mixture weights,
    summing to one) and ``E(g) = mean (g - y)^2`` the validation squared
    error:

    * ``'prs'``: with probability 1/2, one member at random;
    * ``'pap'``: members whose removal raises the ensemble's validation
      squared error, ``delta_j = E(f without j) - E(f) > 0`` (the others'
      weights renormalised; ``pap_sign='code'`` flips the sign), keeping at
      least the two of largest ``delta_j``
      (:func:`~sklearn_rcloud.ensemble.prune_squared_error`);
    * ``'pie'``: all but one member, chosen greedily from a random start by
      the summed pair score ``lambda * A_ij + (1 - lambda) * (R_i + R_j) / 2``
      to those chosen, ``lambda`` the ``diversity_weight``, with diversity
      ``A_ij = mean (f_i - f_j)^2 / 4``, the ambiguity of the pair's mean,
      and relevance ``R_i = -E(f_i)``; at ``lambda = 1/2`` the pair score is
      minus half the error of the pair's mean
      (:func:`~sklearn_rcloud.ensemble.prune_ambiguity`);
    * ``None``: nothing, the unpruned AdaNet-style ensemble.

    Ensembles of at most two earlier members are never pruned. Predictions
    are the members' predictions averaged (``mixture='mean'``) or mixed with
    non-negative weights summing to one that minimise the validation squared
    error (``mixture='learned'``, an exact non-negative least squares:
    :func:`~sklearn_rcloud.ensemble.fit_squared_error_weights`).

    Method from Bian, Song, Du, Yao, Chen and Hu, "Sub-Architecture Ensemble
    Pruning in Neural Architecture Search" (IEEE TNNLS, 2021), which is for
    classification; the squared-error rules rest on the ambiguity
    decomposition ``E(f) = sum_i w_i E(f_i) - sum_i w_i mean (f_i - f)^2``
    (Krogh and Vedelsby, 1995).

    Read more in the :ref:`User Guide <saep>`.

    {parameters}

    Attributes
    ----------
    estimators_ : list of fitted regressors
        The members kept, in the order they were added; each has its
        ``topology_`` and training attributes. They were trained on the
        target as given (each standardises it on the training part of the
        split) and predict in its units.
    member_rounds_ : ndarray of int
        The round each member of ``estimators_`` was added in.
    weights_ : ndarray of shape (n_members,)
        Mixture weights (uniform for ``mixture='mean'``).
    topologies_ : list of Topology
        The members' topologies.
    n_params_ : int
        Parameters of all members.
    n_outputs_ : int
        Output columns of the target.
    ensemble_history_ : dict of ndarray
        One entry per round: ``round``, ``added`` (the topology added, as
        text), ``added_depth``, ``pruned`` (object array: rounds of the
        members removed), ``ensemble_size``, ``n_params``, ``validation_r2``
        (the ensemble's R², averaged over the outputs), ``validation_loss``
        (its mean squared error on the standardised target, not the half
        squared error of ``loss_curve_``) and ``diversity`` (its ambiguity,
        ``sum_i w_i mean (f_i - f)^2`` on the standardised target:
        :func:`~sklearn_rcloud.ensemble.ambiguity`), after the round, all on
        the held-out split. ``pandas.DataFrame(ensemble_history_)`` works.
    n_iter_ : int
        The most training epochs any kept member ran.
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        The target's standardisation, learnt from the training rows.
    fit_time_ : float
        Seconds in ``fit``.
    {data_attributes}

    See Also
    --------
    SAEPEnsembleClassifier : the same ensemble for classification.
    DenseMLPRegressor : one member, trained alone.

    Notes
    -----
    The deviations from the SAEP code of :class:`SAEPEnsembleClassifier`
    apply. Unlike the classifier's, the regression pruning rules weigh the
    validation rows by ``sample_weight``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_rcloud import SAEPEnsembleRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> saep = SAEPEnsembleRegressor(n_rounds=4, width=16, random_state=0)
    >>> reg = make_pipeline(StandardScaler(), saep).fit(X, y)
    >>> saep.ensemble_history_["round"]
    array([0, 1, 2, 3])
    >>> len(saep.estimators_) <= 4 and reg.score(X, y) > 0.4
    True
    """

    _parameters = replaced(
        for_regression(
            _PARAMETERS,
            pap_sign="'intuitive' keeps members whose removal would raise "
            "the validation squared error; 'code' flips the sign as the SAEP "
            "authors' code does for the 0/1 error (see "
            ":func:`~sklearn_rcloud.ensemble.prune_squared_error`).",
            diversity_weight="PIE's weight of diversity (pairwise ambiguity) "
            "against relevance (minus the member's validation squared "
            "error); see :func:`~sklearn_rcloud.ensemble.prune_ambiguity`.",
            mixture="How members' predictions are combined: their mean, or "
            "the non-negative weights summing to one of least validation "
            "squared error.",
        ),
        "candidate_search",
        constraints=(BaseNetworkRegressor, None),
        doc="Where candidates come from. None trains "
        ":class:`~sklearn_rcloud.DenseMLPRegressor` members of the stated "
        "depth. Otherwise a (unfitted) network regressor of this library "
        "(a subclass of ``sklearn_rcloud.estimators.BaseNetworkRegressor``; "
        "other estimators are refused), e.g. "
        ":class:`~sklearn_rcloud.RandomCloudRegressor` or "
        ":class:`~sklearn_rcloud.NASWOTSearchRegressor`, is cloned for every "
        "candidate with its own ``random_state`` (and, when it has "
        "``hidden_layer_sizes``, the candidate's depth and ``width`` as its "
        "starting topology), so the members are the networks it finds.",
    )
    _member_class = DenseMLPRegressor
    _history_scores = ("validation_r2", "validation_loss", "diversity")

    def _split(self, X, y, seed, sample_weight):
        """The validation split, at random; the members need two rows."""
        split = validation_split(
            X, y, self.validation_fraction, seed, sample_weight, stratify=False
        )
        n_fit = len(split[2])
        if n_fit < 2:
            raise ValueError(
                f"{type(self).__name__} got too few samples: after holding out "
                f"validation_fraction={self.validation_fraction} of the "
                f"{len(y)} samples, {n_fit} is left to train the members; they "
                "need at least 2. Provide more samples or lower "
                "validation_fraction."
            )
        return split

    def _member_target(self, y_fit):
        # The members learn the target in its units (each standardises it),
        # so that they predict as regressors of the user's problem.
        return self._user_target(y_fit)

    def _member_outputs(self, member, X_valid):
        return member_outputs(member, X_valid, self.target_mean_, self.target_scale_)

    def _loss(self, mixed, y_valid, w_valid):
        return squared_error(mixed, y_valid, w_valid)

    def _fit_weights(self, predictions, y_valid, w_valid):
        return fit_squared_error_weights(predictions, y_valid, w_valid)

    def _prune_by_rule(self, predictions, weights, y_valid, w_valid, rng):
        if self.pruning == "pap":
            return prune_squared_error(
                np.asarray(predictions),
                y_valid,
                weights,
                sign=self.pap_sign,
                sample_weight=w_valid,
            )
        return prune_ambiguity(
            np.asarray(predictions),
            y_valid,
            self.diversity_weight,
            rng,
            sample_weight=w_valid,
        )

    def _scores(self, predictions, weights, y_valid, w_valid):
        mixed = mix(predictions, weights)
        return dict(
            validation_r2=r2(mixed, y_valid, w_valid),
            validation_loss=squared_error(mixed, y_valid, w_valid),
            diversity=ambiguity(predictions, weights, w_valid),
        )


class _EnsembleHistory:
    """Rows of ``ensemble_history_``, one per round; ``scores`` name the
    validation scores after the fixed columns."""

    def __init__(self, scores):
        self.scores = tuple(scores)
        self.rows = {
            name: []
            for name in (
                "round",
                "added",
                "added_depth",
                "pruned",
                "ensemble_size",
                "n_params",
                *self.scores,
            )
        }

    def add(self, round_, topology, pruned, members, **scores):
        self.rows["round"].append(round_)
        self.rows["added"].append(str(topology))
        self.rows["added_depth"].append(topology.depth)
        self.rows["pruned"].append(list(pruned))
        self.rows["ensemble_size"].append(len(members))
        self.rows["n_params"].append(sum(m.topology_.n_params for m in members))
        for name in self.scores:
            self.rows[name].append(scores[name])

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
