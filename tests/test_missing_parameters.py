"""MLPClassifier's parameters that the library lacks get an error saying why."""

import re

import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_rcloud
from sklearn_rcloud import DenseMLPClassifier
from sklearn_rcloud.estimators._parameters import MLP_PARAMETERS_NOT_HERE

ESTIMATORS = [
    getattr(sklearn_rcloud, name)
    for name in sklearn_rcloud.__all__
    if name.endswith("Classifier")
]
MLP_PARAMETERS = set(MLPClassifier().get_params())


def _lacking(cls):
    return sorted(MLP_PARAMETERS - set(cls().get_params()))


def test_every_missing_mlp_parameter_has_an_explanation():
    assert ESTIMATORS
    for cls in ESTIMATORS:
        assert set(_lacking(cls)) <= set(MLP_PARAMETERS_NOT_HERE), cls.__name__
    # Each explanation names what to use instead, or why there is nothing.
    assert "'learning_rate_init'" in MLP_PARAMETERS_NOT_HERE["learning_rate"]
    assert "'learning_rate_init'" in MLP_PARAMETERS_NOT_HERE["power_t"]
    assert "'max_iter'" in MLP_PARAMETERS_NOT_HERE["max_fun"]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=[cls.__name__ for cls in ESTIMATORS])
def test_constructor_names_the_parameter_and_says_why(cls):
    for name in _lacking(cls):
        with pytest.raises(TypeError) as error:
            cls(**{name: MLPClassifier().get_params()[name]})
        message = str(error.value)
        assert message.startswith(f"{cls.__name__} has no parameter {name!r}: ")
        assert MLP_PARAMETERS_NOT_HERE[name] in message
    # Other unknown names keep Python's own error.
    with pytest.raises(TypeError, match="unexpected keyword argument 'learnin'"):
        cls(learnin=0.1)


def test_set_params_names_the_parameter_and_says_why():
    with pytest.raises(ValueError, match=r"has no parameter 'learning_rate': .*"):
        DenseMLPClassifier().set_params(learning_rate="adaptive")
    with pytest.raises(ValueError, match="'max_iter'"):
        DenseMLPClassifier().set_params(alpha=1e-3, max_fun=100)
    # Known names and unknown other names behave as in scikit-learn.
    assert DenseMLPClassifier().set_params(alpha=0.5).alpha == 0.5
    with pytest.raises(ValueError, match="Invalid parameter 'learnin'"):
        DenseMLPClassifier().set_params(learnin=0.1)


def test_a_grid_written_for_mlpclassifier_fails_with_the_explanation():
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), DenseMLPClassifier(max_iter=5))
    grid = GridSearchCV(
        pipeline,
        {"densemlpclassifier__learning_rate": ["constant", "adaptive"]},
        cv=2,
        error_score="raise",
    )
    with pytest.raises(ValueError, match="Tune 'learning_rate_init' instead"):
        grid.fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=[cls.__name__ for cls in ESTIMATORS])
def test_every_estimator_explains_in_set_params(cls):
    assert _lacking(cls)
    for name in _lacking(cls):
        with pytest.raises(ValueError, match=f"has no parameter {name!r}: "):
            cls().set_params(**{name: None})


REGRESSORS = [
    getattr(sklearn_rcloud, name)
    for name in sklearn_rcloud.__all__
    if name.endswith("Regressor")
]


@pytest.mark.parametrize("cls", REGRESSORS, ids=[cls.__name__ for cls in REGRESSORS])
def test_a_regressor_says_why_in_mlpregressors_terms(cls):
    lacking = sorted(set(MLPRegressor().get_params()) - set(cls().get_params()))
    assert set(lacking) <= set(MLP_PARAMETERS_NOT_HERE)
    for name in lacking:
        with pytest.raises(TypeError) as error:
            cls(**{name: MLPRegressor().get_params()[name]})
        message = str(error.value)
        assert message.startswith(f"{cls.__name__} has no parameter {name!r}: ")
        assert "Classifier" not in message


def test_the_parameters_an_explanation_points_to_exist():
    # "NASWOTSearchClassifier searches topologies (set 'depth_range' and
    # 'width_choices'); SAEPEnsembleClassifier grows ... (set ...)".
    reason = MLP_PARAMETERS_NOT_HERE["hidden_layer_sizes"]
    for cls_name, names in re.findall(r"(\w+Classifier) [^(]*\(set ([^)]*)\)", reason):
        parameters = getattr(sklearn_rcloud, cls_name)().get_params()
        for name in re.findall(r"'(\w+)'", names):
            assert name in parameters, (cls_name, name)
