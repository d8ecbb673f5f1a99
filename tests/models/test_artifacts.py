"""Model artifacts on disk: checksums, a clear error for every damaged or missing file,
crash-safe saves, no pickles, and an explainer that never fails silently."""

from __future__ import annotations

import json
import os
import pickle
import signal
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from autometa import ModelError, ModelWarning
from autometa.models import MetaModel, load_default_model
from autometa.models._baselines import SingleBest

from ._synthetic import make_legacy, make_task_data

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def model():
    return SingleBest().fit(make_task_data(n_datasets=6, configs_per_learner=1))


@pytest.fixture
def saved(model, tmp_path):
    model.save(tmp_path / "m")
    return tmp_path / "m"


def _header(path):
    return json.loads((path / "model.json").read_text())


def _record_checksum(path, name="arrays.npz"):
    """Make the header agree with the arrays file again (a consistent but altered pair)."""
    from autometa.models._base import sha256_file

    header = _header(path)
    header["files"][name]["sha256"] = sha256_file(path / name)
    (path / "model.json").write_text(json.dumps(header))


_MF = pd.Series(np.zeros(8), index=[f"general.f{j}" for j in range(8)])


def test_the_header_records_the_checksum_of_the_arrays(saved):
    from autometa.models._base import sha256_file

    header = _header(saved)
    assert header["schema_version"] == 3
    assert header["files"]["arrays.npz"]["sha256"] == sha256_file(saved / "arrays.npz")
    assert not (saved / "arrays.pt").exists()


def test_the_arrays_are_plain_numpy_and_saving_is_reproducible(model, saved, tmp_path):
    with np.load(saved / "arrays.npz", allow_pickle=False) as archive:
        assert archive.files and all(archive[k].dtype != object for k in archive.files)
    model.save(tmp_path / "again")
    assert (tmp_path / "again" / "arrays.npz").read_bytes() == (saved / "arrays.npz").read_bytes()


def test_the_arrays_keep_their_memory_order(model, tmp_path, monkeypatch):
    # (sums over an axis of a Fortran-ordered array round differently from a C-ordered one)
    meta, arrays = model._state()
    arrays["fortran"] = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    monkeypatch.setattr(model, "_state", lambda: (meta, arrays))
    model.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "arrays.npz", allow_pickle=False) as archive:
        loaded = archive["fortran"]
    assert loaded.flags["F_CONTIGUOUS"] and not loaded.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(loaded, arrays["fortran"])


def test_saving_an_object_array_is_refused(model, tmp_path, monkeypatch):
    meta, arrays = model._state()
    arrays["bad"] = np.array([{"x": 1}], dtype=object)
    monkeypatch.setattr(model, "_state", lambda: (meta, arrays))
    with pytest.raises(ModelError, match="'bad': it holds Python objects"):
        model.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_a_flipped_byte_in_the_arrays_is_an_error(saved):
    data = bytearray((saved / "arrays.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (saved / "arrays.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"arrays.npz' is corrupted, truncated or was changed"):
        MetaModel.load(saved)


def test_truncated_arrays_are_an_error(saved):
    data = (saved / "arrays.npz").read_bytes()
    (saved / "arrays.npz").write_bytes(data[: len(data) // 3])
    with pytest.raises(ModelError, match="corrupted, truncated or was changed.*retrain"):
        MetaModel.load(saved)
    _record_checksum(saved)  # the same file with a matching checksum: numpy cannot read it
    with pytest.raises(ModelError, match=r"Cannot read .*arrays.npz.*truncated or corrupted"):
        MetaModel.load(saved)


def test_missing_arrays_are_an_error(saved):
    (saved / "arrays.npz").unlink()
    with pytest.raises(ModelError, match="incomplete: 'arrays.npz' is missing. Restore it"):
        MetaModel.load(saved)


def test_truncated_header_is_an_error(saved):
    text = (saved / "model.json").read_text()
    (saved / "model.json").write_text(text[: len(text) // 2])
    with pytest.raises(ModelError, match="is not valid JSON .*damaged or truncated"):
        MetaModel.load(saved)


def test_a_header_without_its_state_is_an_error(saved):
    header = _header(saved)
    del header["state"]
    (saved / "model.json").write_text(json.dumps(header))
    with pytest.raises(ModelError, match="lacks 'state': the file is damaged"):
        MetaModel.load(saved)


def test_a_header_without_the_checksum_is_an_error(saved):
    header = _header(saved)
    del header["files"]
    (saved / "model.json").write_text(json.dumps(header))
    with pytest.raises(ModelError, match="does not record the checksum of 'arrays.npz'"):
        MetaModel.load(saved)


class _Planted:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_a_pickled_object_array_in_the_npz_is_refused(saved):
    np.savez(saved / "arrays.npz", x=np.array([_Planted()], dtype=object))
    with pytest.raises(ModelError, match="corrupted, truncated or was changed"):
        MetaModel.load(saved)  # the checksum refuses it first
    _record_checksum(saved)
    with pytest.raises(ModelError, match="Refusing to load .*pickled Python objects") as info:
        MetaModel.load(saved)  # numpy's allow_pickle=False refuses it, in our words
    assert "allow_pickle" not in str(info.value)


def test_a_planted_pickle_in_a_legacy_file_is_refused_without_advising_weights_only(saved):
    make_legacy(saved, schema=2)
    torch.save({"x": _Planted()}, saved / "arrays.pt")
    with pytest.raises(ModelError) as checked:
        MetaModel.load(saved)  # schema 2: the checksum refuses it first
    assert "corrupted, truncated or was changed" in str(checked.value)
    _record_checksum(saved, "arrays.pt")
    with pytest.raises(ModelError, match="Refusing to load .*pickled Python objects") as legacy:
        MetaModel.load(saved)  # torch's weights_only refuses it, in our words
    for message in (str(checked.value), str(legacy.value)):
        assert "weights_only" not in message


def test_a_pickled_file_that_is_not_torch_is_refused(saved):
    make_legacy(saved, schema=1)
    (saved / "arrays.pt").write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ModelError, match="arrays.pt") as info:
        MetaModel.load(saved)
    assert "weights_only" not in str(info.value)


def test_legacy_truncated_weights_are_an_error(saved):
    make_legacy(saved, schema=1)
    data = (saved / "arrays.pt").read_bytes()
    (saved / "arrays.pt").write_bytes(data[:100])
    with pytest.raises(ModelError, match="truncated or corrupted"):
        MetaModel.load(saved)


@pytest.mark.parametrize("schema", [1, 2])
def test_legacy_models_still_load_and_save_as_npz(saved, model, schema, tmp_path):
    make_legacy(saved, schema=schema)
    loaded = MetaModel.load(saved)
    assert loaded.rank(_MF) == model.rank(_MF)
    loaded.save(tmp_path / "upgraded")
    assert _header(tmp_path / "upgraded")["schema_version"] == 3
    assert MetaModel.load(tmp_path / "upgraded").rank(_MF) == model.rank(_MF)


def test_saving_over_a_foreign_directory_is_refused(model, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(ModelError, match="non-empty directory that autometa did not write"):
        model.save(tmp_path / "mine")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"


def test_saving_over_a_model_replaces_it(model, saved):
    model.save(saved)
    assert isinstance(MetaModel.load(saved), SingleBest)
    assert not [p for p in saved.parent.iterdir() if p.name.startswith(".m.")]


@pytest.mark.skipif(os.name != "posix", reason="kills a forked child")
def test_a_save_killed_between_its_renames_is_recovered(model, saved):
    from autometa import _atomic

    pid = os.fork()
    if pid == 0:  # the child: dies at the second rename, as with SIGKILL
        calls = {"n": 0}
        real = os.replace

        def killer(src, dst):
            calls["n"] += 1
            if calls["n"] == 2:
                os._exit(9)
            real(src, dst)

        _atomic.os.replace = killer
        try:
            model.save(saved)
        finally:
            os._exit(1)
    deadline = time.monotonic() + 60
    while not (done := os.waitpid(pid, os.WNOHANG))[0]:
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError("the killed save hung")
        time.sleep(0.01)
    assert os.waitstatus_to_exitcode(done[1]) == 9
    assert not saved.exists()
    with pytest.warns(UserWarning, match="recovered from the complete copy"):
        loaded = MetaModel.load(saved)
    assert isinstance(loaded, SingleBest)


# -- the models index and the explainer ---------------------------------------------------------
def _models_dir(tmp_path, model):
    from autometa.models._base import sha256_file

    root = tmp_path / "models"
    model.save(root / "classification" / "sbs")
    model.save(root / "classification" / "prototypes")  # stands in for the explainer
    entry = {
        "metric": model.metric_,
        "ranker": "sbs",
        "explainer": "prototypes",
        "models": {"sbs": "classification/sbs", "prototypes": "classification/prototypes"},
        "sha256": {
            n: sha256_file(root / "classification" / n / "model.json")
            for n in ("sbs", "prototypes")
        },
    }
    index = {"format": "autometa-models", "schema_version": 1, "tasks": {"classification": entry}}
    (root / "models.json").write_text(json.dumps(index))
    return root


def test_the_index_checksum_catches_a_replaced_model(model, tmp_path):
    root = _models_dir(tmp_path, model)
    header = _header(root / "classification" / "sbs")
    header["random_state"] = 7
    (root / "classification" / "sbs" / "model.json").write_text(json.dumps(header))
    with pytest.raises(ModelError, match="does not match the models index"):
        load_default_model("classification", "ranker", root)


def test_a_broken_explainer_is_a_warning_not_silent(model, tmp_path):
    from autometa.recommend import recommend

    root = _models_dir(tmp_path, model)
    (root / "classification" / "prototypes" / "model.json").write_text("{ broken")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30)})
    y = pd.Series(rng.integers(0, 2, size=30))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", ModelWarning)
        with pytest.warns(ModelWarning, match="explainer model .* cannot be loaded"):
            rec = recommend(X, y=y, model=root, kb=None, top_k=2)
    assert len(rec) == 2
