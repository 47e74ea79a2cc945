import pytest

from lovemachine.errors import ArtifactIntegrityError
from lovemachine.policy import Policy
from lovemachine.registry import load_artifact, save_artifact


def test_round_trip_gives_identical_scores(trained, synthetic_rows, tmp_path):
    uri, sha = save_artifact(trained.model, version="v1", artifact_dir=tmp_path, metadata={"note": "x"})
    loaded = load_artifact(uri, expected_sha256=sha, version="v1", policy=trained.policy)
    listings = [r.listing for r in synthetic_rows[:200]]
    assert (loaded.model.predict_scores(listings) == trained.model.predict_scores(listings)).all()
    assert loaded.metadata["artifact_sha256"] == sha and loaded.metadata["note"] == "x"


def test_versions_are_immutable(trained, tmp_path):
    save_artifact(trained.model, version="v1", artifact_dir=tmp_path, metadata={})
    with pytest.raises(FileExistsError):
        save_artifact(trained.model, version="v1", artifact_dir=tmp_path, metadata={})


def test_corrupt_or_swapped_artifact_is_refused(trained, tmp_path):
    uri, sha = save_artifact(trained.model, version="v1", artifact_dir=tmp_path, metadata={})
    path = tmp_path / "v1" / "model.pkl"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="fails its checksum"):
        load_artifact(uri, expected_sha256=sha, version="v1", policy=Policy.uniform())
    path.unlink()
    with pytest.raises(ArtifactIntegrityError, match="cannot read"):
        load_artifact(uri, expected_sha256=sha, version="v1", policy=Policy.uniform())


def test_model_scores_are_probabilities_in_category_order(trained, synthetic_rows):
    scores = trained.model.predict_scores([r.listing for r in synthetic_rows[:50]])
    assert scores.shape == (50, 4)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert trained.model.categories == ("counterfeit", "adult", "cash", "keyword_stuffing")
    assert trained.model.predict_scores([]).shape == (0, 4)


def test_classes_pickled_under_an_old_module_path_load_from_their_new_home():
    """The deep tier moved from lovemachine.classifiers.deep to an adapter; artifacts pickled before
    the move name the old path and must still load."""
    import importlib
    import io

    from lovemachine.registry.artifacts import MOVED_CLASSES, _ArtifactUnpickler

    for (old_module, name), new_module in MOVED_CLASSES.items():
        payload = f"c{old_module}\n{name}\n.".encode()  # protocol 0: GLOBAL old_module.name
        loaded = _ArtifactUnpickler(io.BytesIO(payload)).load()
        assert loaded is getattr(importlib.import_module(new_module), name)
