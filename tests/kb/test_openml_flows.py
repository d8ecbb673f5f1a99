"""Mapping OpenML flow names and serialized parameter values onto the learner registry."""

from __future__ import annotations

import pytest

from autometa._exceptions import ParameterError
from autometa.kb._flows import (
    FLOW_CLASSES,
    ParameterSetting,
    Unmappable,
    map_flow,
    map_parameters,
    parse_flow_name,
)
from autometa.learners import get_learner, learner_names

HISTORIC = {
    "LogisticRegression": "sklearn.linear_model.logistic.LogisticRegression",
    "SVC": "sklearn.svm.classes.SVC",
    "KNeighborsClassifier": "sklearn.neighbors.classification.KNeighborsClassifier",
    "DecisionTreeClassifier": "sklearn.tree.tree.DecisionTreeClassifier",
    "RandomForestClassifier": "sklearn.ensemble.forest.RandomForestClassifier",
    "ExtraTreesClassifier": "sklearn.ensemble._forest.ExtraTreesClassifier",
    "HistGradientBoostingClassifier": (
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier"
    ),
    "MLPClassifier": "sklearn.neural_network.multilayer_perceptron.MLPClassifier",
    "Ridge": "sklearn.linear_model.ridge.Ridge",
    "SVR": "sklearn.svm._classes.SVR",
    "KNeighborsRegressor": "sklearn.neighbors.regression.KNeighborsRegressor",
    "DecisionTreeRegressor": "sklearn.tree._classes.DecisionTreeRegressor",
    "RandomForestRegressor": "sklearn.ensemble.forest.RandomForestRegressor",
    "ExtraTreesRegressor": "sklearn.ensemble.forest.ExtraTreesRegressor",
    "HistGradientBoostingRegressor": "sklearn.ensemble.HistGradientBoostingRegressor",
    "MLPRegressor": "sklearn.neural_network._multilayer_perceptron.MLPRegressor",
}


def test_every_learner_has_historic_flow_names():
    assert set(HISTORIC) == set(learner_names())
    for name in learner_names():
        assert FLOW_CLASSES[get_learner(name).estimator] == name


@pytest.mark.parametrize("learner", sorted(HISTORIC))
def test_flow_names_map_bare_versioned_and_in_pipelines(learner):
    path = HISTORIC[learner]
    assert map_flow(path)[0].name == learner
    assert map_flow(f"{path}(7)")[0].name == learner
    pipe = (
        "sklearn.pipeline.Pipeline(columntransformer=sklearn.compose._column_transformer."
        "ColumnTransformer(numeric=sklearn.pipeline.Pipeline(simpleimputer=sklearn.impute."
        "_base.SimpleImputer,standardscaler=sklearn.preprocessing._data.StandardScaler),"
        "nominal=sklearn.preprocessing._encoders.OneHotEncoder),variancethreshold=sklearn."
        f"feature_selection._variance_threshold.VarianceThreshold,model={path})(1)"
    )
    found, component = map_flow(pipe)
    assert found.name == learner and component.name == path


@pytest.mark.parametrize("learner", sorted(HISTORIC))
def test_defaults_as_openml_stores_them_give_the_default_configuration(learner):
    import json

    lrn = get_learner(learner)
    settings = [
        ParameterSetting(HISTORIC[learner], hp.name, json.dumps(hp.default)) for hp in lrn.space
    ]
    if "hidden_layer_sizes" in lrn.param_names:  # stored as a list by OpenML
        settings = [
            ParameterSetting(s.flow_name, s.parameter_name, "[100]")
            if s.parameter_name == "hidden_layer_sizes"
            else s
            for s in settings
        ]
    assert map_parameters(lrn, settings).config_id == lrn.default_configuration().config_id


def test_unmappable_flows_say_why():
    with pytest.raises(Unmappable, match="unknown flow") as info:
        map_flow("weka.J48(1)")
    assert info.value.reason == "unknown flow"
    with pytest.raises(Unmappable, match="unsupported pipeline step.*PCA"):
        map_flow(
            "sklearn.pipeline.Pipeline(pca=sklearn.decomposition.pca.PCA,svc=sklearn.svm.classes.SVC)"
        )
    with pytest.raises(Unmappable, match="hyperparameter search"):
        map_flow(
            "sklearn.model_selection._search.RandomizedSearchCV(estimator=sklearn.svm.classes.SVC)"
        )
    with pytest.raises(Unmappable, match="final pipeline step"):
        map_flow(
            "sklearn.pipeline.Pipeline(scaler=sklearn.preprocessing.data.StandardScaler,"
            "gb=sklearn.ensemble.gradient_boosting.GradientBoostingClassifier)"
        )


def test_malformed_flow_name_is_a_clear_error():
    with pytest.raises(ParameterError, match="Cannot parse the OpenML flow name"):
        parse_flow_name("sklearn.pipeline.Pipeline(a=x.A")


RF = "sklearn.ensemble.forest.RandomForestClassifier"


def _rf(**values):
    return [ParameterSetting(RF, k, v, d) for k, (v, d) in values.items()]


def test_legacy_values_are_translated():
    rf = get_learner("RandomForestClassifier")
    c = map_parameters(
        rf, _rf(max_features=('"auto"', '"auto"'), criterion=('"entropy"', '"gini"'))
    )
    assert c.params["max_features"] == "sqrt" and c.params["criterion"] == "entropy"
    reg = get_learner("RandomForestRegressor")
    c = map_parameters(
        reg,
        [
            ParameterSetting(RF, "criterion", '"mse"', '"mse"'),
            ParameterSetting(RF, "max_features", '"auto"', '"auto"'),
        ],
    )
    assert c.params["criterion"] == "squared_error" and c.params["max_features"] == 1.0
    mlp = get_learner("MLPClassifier")
    assert (
        map_parameters(mlp, [ParameterSetting("m", "hidden_layer_sizes", "[32]")]).params[
            "hidden_layer_sizes"
        ]
        == 32
    )


def test_out_of_space_and_changed_fixed_parameters_are_not_merged():
    rf = get_learner("RandomForestClassifier")
    with pytest.raises(Unmappable, match="value outside our space.*min_samples_leaf=0.05"):
        map_parameters(rf, _rf(min_samples_leaf=("0.05", "1")))
    with pytest.raises(Unmappable, match="fixed parameter changed.*n_estimators=500"):
        map_parameters(rf, _rf(n_estimators=("500", "100")))
    with pytest.raises(Unmappable, match="removed parameter.*min_impurity_split=0.1"):
        map_parameters(rf, _rf(min_impurity_split=("0.1", "1e-07")))
    mlp = get_learner("MLPClassifier")
    with pytest.raises(Unmappable, match="value outside our space.*hidden_layer_sizes"):
        map_parameters(mlp, [ParameterSetting("m", "hidden_layer_sizes", "[64, 64]")])
    with pytest.raises(Unmappable, match="unparsable parameter"):
        map_parameters(rf, _rf(min_samples_leaf=("two", "1")))


def test_parameters_that_do_not_change_the_model_are_ignored():
    rf = get_learner("RandomForestClassifier")
    plain = map_parameters(rf, [])
    noisy = map_parameters(
        rf, _rf(n_jobs=("-1", "null"), random_state=("7", "null"), verbose=("2", "0"))
    )
    assert noisy.config_id == plain.config_id
