"""The OpenML importer on recorded responses (only the HTTP layer is replaced)."""

from __future__ import annotations

import json

import pytest

from autometa._exceptions import OpenMLUnavailableError, ParameterError
from autometa.kb._openml import import_openml

from ._openml_server import SERVER, install, make_cache


@pytest.fixture
def openml_server(monkeypatch):
    return install(monkeypatch)


@pytest.fixture
def openml_cache(tmp_path):
    return make_cache(tmp_path / "openml-cache")


def _import(cache, **kw):
    kw.setdefault("suite", 99)
    return import_openml(cache_dir=cache, server=SERVER, sleep=lambda s: None, **kw)


def test_suite_import_maps_runs_and_counts_the_rest(openml_server, openml_cache):
    result = _import(openml_cache)
    assert sorted(result.datasets["dataset_id"]) == ["openml/2", "openml/3"]
    anneal = result.datasets.set_index("dataset_id").loc["openml/2"]
    assert (anneal["name"], anneal["family"], anneal["task"]) == (
        "anneal",
        "anneal",
        "classification",
    )
    assert anneal["openml_id"] == 2 and anneal["n_rows"] == 898 and anneal["n_classes"] == 6
    # every evaluation is imported or counted by reason: 11 on anneal + 3 on kr-vs-kp
    imported = sum(json.loads(p)["n_runs"] for p in result.runs["provenance"])
    assert imported + result.n_unmapped == 14
    counts = dict(zip(result.unmapped["reason"], result.unmapped["count"]))
    assert counts == {
        "unknown flow": 1,  # weka.J48
        "unsupported pipeline step": 1,  # PCA before SVC
        "unparsable parameter": 1,  # n_neighbors "five"
        "value outside our space": 1,  # C=1e5
        "fixed parameter changed": 1,  # n_estimators=10
        "dataset task mismatch": 1,  # a regressor on a classification task
    }


def test_configurations_decode_openml_values(openml_server, openml_cache):
    result = _import(openml_cache, tasks=[1882], suite=None)
    params = {(r.learner, r.params) for r in result.configurations.itertuples(index=False)}
    decoded = {
        (
            learner,
            json.loads(p)["min_samples_leaf"] if "min_samples_leaf" in json.loads(p) else None,
        )
        for learner, p in params
    }
    assert ("RandomForestClassifier", 2) in decoded  # bare flow, historic module path
    assert ("RandomForestClassifier", 5) in decoded  # final step of a pipeline
    mlp = [json.loads(p) for learner, p in params if learner == "MLPClassifier"]
    assert mlp == [
        {"activation": "tanh", "alpha": 0.001, "hidden_layer_sizes": 64, "learning_rate_init": 0.01}
    ]
    svc = [json.loads(p) for learner, p in params if learner == "SVC"]
    assert svc == [{"C": 10.0, "class_weight": None, "gamma": 0.01}]
    rf = [json.loads(p) for learner, p in params if learner == "RandomForestClassifier"]
    assert {
        "max_features": "sqrt",
        "min_samples_leaf": 2,
        "min_samples_split": 2,
        "bootstrap": True,
        "criterion": "gini",
    } in rf  # "auto" read as "sqrt"


def test_reuploaded_runs_are_averaged_with_provenance(openml_server, openml_cache):
    result = _import(openml_cache, tasks=[1882], suite=None)
    runs = result.runs.assign(prov=result.runs["provenance"].map(json.loads))
    twice = runs.loc[runs["prov"].map(lambda p: p["n_runs"]) == 2].iloc[0]
    assert {r["run_id"] for r in twice["prov"]["runs"]} == {101, 104}
    assert twice["accuracy"] == pytest.approx((0.9911 + 0.9889) / 2)
    assert twice["source"] == "openml" and twice["n_folds"] == 100  # 10 x 10-fold CV
    first = twice["prov"]["runs"][0]
    assert first["task_id"] == 1882 and first["setup_id"] == 11 and first["flow_id"] == 7001
    assert first["evaluation_measure"] == "predictive_accuracy"


def test_metafeatures_are_openml_qualities_under_their_names(openml_server, openml_cache):
    import metafeatures

    result = _import(openml_cache, tasks=[1882], suite=None)
    mf = result.metafeatures.loc["openml/2"]
    assert set(mf.index) <= set(metafeatures.openml_quality_names())
    assert mf["NumberOfInstances"] == 898.0
    assert mf["MajorityClassSize"] == 684.0
    assert "HoeffdingAdwin.changes" not in mf.index  # qualities we do not implement: dropped


def test_flows_filter_by_learner_name(openml_server, openml_cache):
    result = _import(openml_cache, flows=["SVC"])
    assert set(result.configurations["learner"]) == {"SVC"}


def test_max_runs_per_task_counts_the_excess(openml_server, openml_cache):
    result = _import(openml_cache, tasks=[1882], suite=None, max_runs_per_task=2)
    counts = dict(zip(result.unmapped["reason"], result.unmapped["count"]))
    assert counts["beyond max runs per task"] == 6
    assert sum(json.loads(p)["n_runs"] for p in result.runs["provenance"]) == 2


def test_interrupted_import_resumes_from_the_ledger(openml_server, openml_cache, tmp_path):
    ledger = tmp_path / "kb.import" / "ledger.jsonl"
    first = _import(openml_cache, tasks=[1882], suite=None, ledger=ledger)
    n_requests = len(openml_server.requests)
    openml_server.offline = True  # the finished task must not be fetched again
    again = _import(openml_cache, tasks=[1882], suite=None, ledger=ledger)
    assert len(openml_server.requests) == n_requests
    assert again.runs.equals(first.runs) and again.unmapped.equals(first.unmapped)
    openml_server.offline = False
    both = _import(openml_cache, tasks=[1882, 3], suite=None, ledger=ledger)
    assert sorted(both.datasets["dataset_id"]) == ["openml/2", "openml/3"]
    assert len(ledger.read_text().splitlines()) == 2


def test_server_errors_are_retried_with_backoff(openml_server, openml_cache):
    waits = []
    openml_server.fail_next = [500, 500]
    result = import_openml(
        suite=99, cache_dir=openml_cache, server=SERVER, backoff=0.5, sleep=waits.append
    )
    assert waits == [0.5, 1.0]
    assert len(result.datasets) == 2


def test_unreachable_server_gives_one_line_error(openml_server, openml_cache):
    openml_server.offline = True
    with pytest.raises(OpenMLUnavailableError, match=r"unreachable.*import-runs") as info:
        _import(openml_cache)
    assert "\n" not in str(info.value)


def test_unknown_metric_is_rejected():
    with pytest.raises(ParameterError, match=r"'metric' parameter .* Got 'f1' instead"):
        import_openml(tasks=[1], metric="f1")


def test_regression_measure_on_classification_task_is_counted(openml_server, openml_cache):
    # the recorded server has no mean_absolute_error listing: nothing is fetched for it
    with pytest.raises(ParameterError, match="needs a suite or task ids"):
        import_openml(metric="rmse")
    with pytest.raises(ParameterError, match="'max_runs_per_task' parameter"):
        import_openml(tasks=[1], max_runs_per_task=0)


def test_end_to_end_suite_to_knowledge_base(openml_server, openml_cache, tmp_path):
    from autometa.kb import KnowledgeBase

    kb = _import(openml_cache).to_knowledge_base()
    path = kb.save(tmp_path / "openml_kb")
    kb = KnowledgeBase.load(path)
    assert set(kb.datasets["dataset_id"]) == {"openml/2", "openml/3"}
    assert kb.metafeatures.loc["openml/3", "NumberOfInstances"] == 3196.0
    assert set(kb.runs["source"]) == {"openml"} and set(kb.configurations["origin"]) == {"openml"}
    assert kb.manifest["import"]["unmapped"]["unknown flow"] == 1
    matrix = kb.normalized_matrix("accuracy", task="classification")
    # the configurations evaluated on both datasets are comparable after normalization
    both = matrix.dropna(axis=1)
    assert both.shape == (2, 3)
    assert (matrix.max(axis=1) == 1.0).all() and (matrix.min(axis=1) == 0.0).all()
    # ... and recommendations come from it: a nearest-datasets model is fitted on the
    # imported knowledge base on the fly; for openml/3's own meta-features (OpenML's
    # qualities) its nearest dataset is itself, so its best configuration comes first.
    from autometa.recommend import recommend_from_metafeatures

    rec = recommend_from_metafeatures(
        kb.metafeatures.loc["openml/3"], task="classification", metric="accuracy", kb=kb
    )
    raw = kb.performance_matrix("accuracy", task="classification").loc["openml/3"]
    assert rec.to_frame()["config_id"].iloc[0] == raw.idxmax()
    assert rec.neighbours["dataset_id"].iloc[0] == "openml/3"


def test_cli_import_openml_writes_a_knowledge_base(openml_server, openml_cache, tmp_path, capsys):
    from autometa.cli import main
    from autometa.kb import KnowledgeBase

    out = tmp_path / "kb"
    argv = ["kb", "import-openml", "--out", str(out), "--suite", "99"]
    argv += ["--cache-dir", str(openml_cache), "--server", SERVER]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "not imported: 6 runs" in text and "unknown flow: 1" in text
    assert len(KnowledgeBase.load(out).datasets) == 2
    assert (tmp_path / "kb.import" / "ledger.jsonl").exists()


def test_cli_reports_an_unreachable_server_in_one_line(
    openml_server, openml_cache, tmp_path, capsys
):
    from autometa.cli import main

    openml_server.offline = True
    argv = ["kb", "import-openml", "--out", str(tmp_path / "kb"), "--tasks", "1882"]
    argv += ["--cache-dir", str(tmp_path / "empty-cache"), "--server", SERVER]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("autometa: error: OpenML's server") and len(err.splitlines()) == 1


def test_unknown_task_is_a_clear_error(openml_server, openml_cache):
    openml_server.no_result = True
    with pytest.raises(ParameterError, match=r"OpenML found nothing while getting task 424242"):
        _import(openml_cache, tasks=[424242], suite=None)
