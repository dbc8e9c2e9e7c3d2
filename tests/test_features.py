"One frozen-feature extractor and one linear probe (painters.features): their error messages and the cases the notebook does not show"
import numpy as np, pytest, torch
from PIL import Image
from painters.features import FrozenFeatures, LinearProbe, linear_probe, colour_baseline_error
from painters.painterly import make_sample_paintings, PainterlyError


@pytest.fixture(scope='module')
def paintings(tmp_path_factory):
    return make_sample_paintings(tmp_path_factory.mktemp('p')/'generated', n_per_painter=8, size=64, seed=42)


def test_features_of_a_learner_are_never_cached_and_leave_it_training(paintings):
    from painters.data import painter_dls
    from painters.learner import painter_learner
    dls = painter_dls(paintings, size=64, bs=4)
    learn = painter_learner(dls, 'efficientnet_lite0')
    learn.model.train()
    features = FrozenFeatures(learn)
    images = [Image.open(f).convert('RGB') for f in dls.valid.items[:2]]
    X = features(images)
    assert X.shape == (2, 1280) and features.cache is None # a learner's body may train further: nothing to go stale
    assert learn.model[0].training # put back as it was
    X_dl, y = features.of_dl(dls.valid)
    np.testing.assert_allclose(X_dl[:2], X, atol=1e-3) # its own Normalize, either way in
    with pytest.raises(TypeError, match="one DataLoader"): features.of_dl(dls)


def test_probe_errors_say_what_to_do():
    X, y = np.random.default_rng(0).normal(size=(12, 3)), np.array([0, 1] * 6)
    with pytest.raises(ValueError, match="not fitted"): LinearProbe().predict(X)
    with pytest.raises(ValueError, match="two classes"): LinearProbe().fit(X, np.zeros(12, int))
    with pytest.raises(TypeError, match="FrozenFeatures"): LinearProbe().fit([Image.new('RGB', (8, 8))] * 12, y)
    probe = LinearProbe(Cs=(1.0,)).fit(X, y)
    assert probe.C == 1.0 and 'C=1' in repr(probe) and probe.predict(X).shape == (12,)


def test_probe_chooses_C_on_the_training_data_only():
    "A probe on separable features picks its C by cross-validation and gets them right; the folds shrink to fit a small class"
    rng = np.random.default_rng(0)
    y = np.array([0] * 20 + [1] * 3)
    X = rng.normal(size=(23, 5)) + y[:, None] * 4
    probe = LinearProbe(folds=5).fit(X, y) # 3 examples of class 1: 3 folds, not 5
    assert probe.C in (0.001, 0.01, 0.1, 1.0, 10.0) and probe.error(X, y) == 0


def test_linear_probe_on_dataloaders(paintings):
    from painters.data import painter_dls
    dls = painter_dls(paintings, size=64, bs=4)
    probe = linear_probe('efficientnet_lite0', dls, Cs=(0.1,))
    assert 0 <= probe.valid_error <= 1 and probe.vocab == tuple(dls.vocab) and 'validation error' in repr(probe)


def test_colour_baseline_needs_enough_images_of_two_painters(tmp_path, paintings):
    assert 0 <= colour_baseline_error(paintings) <= 1
    (tmp_path/'monet').mkdir()
    for i in range(12): Image.new('RGB', (8, 8), (i, 0, 0)).save(tmp_path/'monet'/f'{i}.jpg')
    with pytest.raises(PainterlyError, match="one painter"): colour_baseline_error(tmp_path)
    (tmp_path/'empty').mkdir()
    with pytest.raises(PainterlyError, match="at least 10"): colour_baseline_error(tmp_path/'empty')
