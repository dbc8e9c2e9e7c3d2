"Export + load_learner in a fresh process, clear load errors, the learner's checks (painters.learner) and LP-FT (painters.recipe)"
import json, pickle, subprocess, sys, textwrap
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image

from painters import learner as L
from painters import recipe as R
from painters import inference as I
from painters.backbones import BackboneError
from painters.features import FrozenFeatures, LinearProbe, linear_probe


def _tiny_set(path:Path, n=12, size=72)->Path:
    "The workshop's generated paintings, a few per painter"
    from painters.painterly import make_sample_paintings
    return make_sample_paintings(path, n_per_painter=n, size=size, seed=42)

def _flat_set(path:Path, n=12, size=72)->Path:
    "Flat colour fields, one colour per 'painter' (for tests that need no learning)"
    rng = np.random.default_rng(0)
    for painter, (base, axis) in {'monet': ((80, 120, 200), 0), 'vangogh': ((220, 180, 40), 1)}.items():
        (path/painter).mkdir(parents=True)
        for i in range(n):
            a = np.clip(np.array(base) + rng.normal(0, 30, (size, size, 3)), 0, 255)
            a = np.cumsum(a, axis=axis) / np.arange(1, size+1).reshape((-1, 1, 1) if axis == 0 else (1, -1, 1))
            Image.fromarray(a.astype(np.uint8)).save(path/painter/f"{painter}_{i}.jpg")
    return path


@pytest.fixture(scope='module')
def exported(trained):
    "The suite's model, trained and exported by `painters train` (conftest's `trained`), loaded here"
    learn = I.load_painter_model(trained.model)
    img = sorted((trained.paintings/'vangogh').glob('*.jpg'))[0]
    return learn, trained.model, img

def test_export_loads_in_a_fresh_process(exported):
    learn, model_file, img = exported
    here = I.predict_painter(learn, img)
    code = textwrap.dedent(f"""
        import json
        from fastai.learner import load_learner   # plain fastai: nothing from the notebook's session is needed
        learn = load_learner({str(model_file)!r})
        _, _, probs = learn.predict({str(img)!r})
        from painters.inference import load_painter_model, predict_painter
        print(json.dumps(dict(plain=dict(zip(map(str, learn.dls.vocab), map(float, probs))),
                              helper=predict_painter(load_painter_model({str(model_file)!r}), {str(img)!r}),
                              arch=str(learn.arch))))""")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    there = json.loads(r.stdout.strip().splitlines()[-1])
    assert there['arch'] == 'efficientnet_lite0'
    assert set(there['helper']) == {'monet', 'vangogh'} == set(here)
    for p in here:
        assert abs(there['helper'][p] - here[p]) < 1e-3
        assert abs(there['plain'][p] - here[p]) < 1e-3
    assert abs(sum(here.values()) - 1) < 1e-3


def test_model_learned_the_tiny_set(exported, trained):
    import re
    learn, _, img = exported
    error = float(re.search(r'error rate on the \d+ validation images: ([\d.]+)', trained.train.stdout)[1]) # as `painters train` measured it
    assert error <= 0.25, trained.train.stdout
    assert list(I.predict_painter(learn, img))[0] == 'vangogh'


def test_load_errors_are_clear(tmp_path):
    with pytest.raises(I.ModelFileError, match="No model file"): I.load_painter_model(tmp_path/'missing.pkl')
    with pytest.raises(I.ModelFileError, match="is a folder"): I.load_painter_model(tmp_path)
    (tmp_path/'notes.pkl').write_text("these are notes, not a model")
    with pytest.raises(I.ModelFileError, match="is not a model exported"): I.load_painter_model(tmp_path/'notes.pkl')
    (tmp_path/'truncated.pkl').write_bytes(b'PK\x03\x04' + b'\0'*20)
    with pytest.raises(I.ModelFileError, match="is not a model exported"): I.load_painter_model(tmp_path/'truncated.pkl')
    torch.save({'not': 'a learner'}, tmp_path/'dict.pkl')
    with pytest.raises(I.ModelFileError, match="is not a model exported"): I.load_painter_model(tmp_path/'dict.pkl')
    assert issubclass(I.ModelFileError, ValueError)


def test_learner_refuses_dataloaders_normalised_for_another_backbone(tmp_path):
    from fastai.data.transforms import Normalize
    from painters.data import painter_dls
    dls = painter_dls(_flat_set(tmp_path/'p', n=6, size=64), size=64, bs=4,
                      batch_tfms=[Normalize.from_stats([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    with pytest.raises(BackboneError, match="already normalised"): L.painter_learner(dls, 'efficientnet_lite0')
    with pytest.raises(TypeError, match="DataLoaders"): L.painter_learner(dls.train, 'efficientnet_lite0')


def test_train_painter_model_runs_the_recipe(exported):
    "`painters train` trained the suite's model with `train_painter_model`'s recipe (1 epoch): what the export shows of it"
    from torch import nn
    learn = exported[0]
    assert len(learn.recorder.values) == 1 and learn.arch == 'efficientnet_lite0'
    assert isinstance(learn.model[-1][-1], nn.Linear) and 0 <= learn.probe_error <= 1 # LP-FT: a linear head, started from the probe
    assert not any(isinstance(cb, R.FreezeBodyBN) for cb in learn.cbs) # used while training only: never pickled by export


def test_head_from_probe_refuses_a_probe_of_other_features(tmp_path):
    from painters.data import painter_dls
    dls = painter_dls(_tiny_set(tmp_path/'p', n=8, size=64), size=64, bs=4)
    learn = L.painter_learner(dls, 'efficientnet_lite0', **R.LINEAR_HEAD)
    X, y = FrozenFeatures(learn).of_dl(dls.test_dl(dls.train.items, with_labels=True))
    other = LinearProbe(folds=2).fit(X[:, :100], y) # fitted on 100 of the 1280 features
    with pytest.raises(ValueError, match="linear_probe"): R.head_from_probe(learn, other)
    with pytest.raises(ValueError, match="LINEAR_HEAD"): R.head_from_probe(L.painter_learner(dls, 'efficientnet_lite0'), other)


def test_head_from_an_unscaled_probe_predicts_as_the_probe(tmp_path):
    "A probe on the raw features (`scale=False`, as the data-bias lesson fits them) goes into the head as well as a standardised one"
    from painters.data import painter_dls
    dls = painter_dls(_tiny_set(tmp_path/'p', n=8, size=64), size=64, bs=4)
    learn = L.painter_learner(dls, 'efficientnet_lite0', **R.LINEAR_HEAD)
    probe = linear_probe(learn, dls, Cs=(0.1,), scale=False)
    R.head_from_probe(learn, probe)
    with learn.no_bar(): assert float(learn.validate()[1]) == pytest.approx(probe.valid_error, abs=1e-6)
