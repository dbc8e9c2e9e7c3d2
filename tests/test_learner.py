"Export + load_learner in a fresh process, clear load errors, and the backbone's weights checks (painters.learner)"
import json, pickle, subprocess, sys, textwrap
from pathlib import Path
import numpy as np, pytest, torch
from PIL import Image

from painters import learner as L
from painters import inference as I


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


def test_every_lite0_tensor_comes_from_the_file():
    raw = torch.load(L.lite0_weights_file(), map_location='cpu', weights_only=True)
    model = L.efficientnet_lite0(pretrained=True)
    sd = model.state_dict()
    depths = [len(s) for s in model.blocks]
    assert len(raw) == len(sd) == len(L.lite0_state_dict())
    for k, v in raw.items(): assert torch.equal(sd[L.lite0_key(k, depths)], v), k
    assert not torch.equal(L.efficientnet_lite0(pretrained=False).conv_stem.weight, raw['_conv_stem.weight'])


def test_a_partial_load_is_an_error(monkeypatch, tmp_path):
    raw = torch.load(L.lite0_weights_file(), map_location='cpu', weights_only=True)
    raw.pop('_blocks.3._bn0.weight')
    torch.save(raw, tmp_path/'partial.pth')
    monkeypatch.setattr(L, 'lite0_weights_file', lambda: tmp_path/'partial.pth')
    L.lite0_state_dict.cache_clear()
    try:
        with pytest.raises(L.BackboneError, match="1 tensors missing"): L.lite0_state_dict()
    finally: L.lite0_state_dict.cache_clear()


def test_backbone_choice(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path/'hub'))
    bb = L.pretrained_backbone('auto', offline='yes')
    assert bb.name == 'efficientnet_lite0' and 'offline = yes' in bb.why
    assert capsys.readouterr().out.startswith('Backbone: efficientnet_lite0, because')
    with pytest.raises(L.BackboneError, match="efficientnet_lite0"): L.pretrained_backbone('resnet18', offline='yes', verbose=False)
    with pytest.raises(L.BackboneError, match="Unknown backbone"): L.pretrained_backbone('vgg', verbose=False)
    (tmp_path/'hub'/'checkpoints').mkdir(parents=True)
    (tmp_path/'hub'/'checkpoints'/'resnet18-f37072fd.pth').write_bytes(b'')
    bb = L.pretrained_backbone('auto', offline='yes', verbose=False)
    assert bb.name == 'resnet18' and 'torch cache' in bb.why and bb.stats[0][0] == pytest.approx(0.485)


def test_learner_refuses_dataloaders_normalised_for_another_backbone(tmp_path):
    from fastai.data.transforms import Normalize
    from painters.data import painter_dls
    dls = painter_dls(_flat_set(tmp_path/'p', n=6, size=64), size=64, bs=4,
                      batch_tfms=[Normalize.from_stats([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    with pytest.raises(L.BackboneError, match="already normalised"): L.painter_learner(dls, 'efficientnet_lite0')
    with pytest.raises(TypeError, match="DataLoaders"): L.painter_learner(dls.train, 'efficientnet_lite0')


def test_train_painter_model_runs_the_recipe(exported):
    "`painters train` trained the suite's model with `train_painter_model`'s recipe (1 epoch): what the export shows of it"
    from torch import nn
    learn = exported[0]
    assert len(learn.recorder.values) == 1 and learn.arch == 'efficientnet_lite0'
    assert isinstance(learn.model[-1][-1], nn.Linear) and 0 <= learn.probe_error <= 1 # LP-FT: a linear head, started from the probe
    assert not any(isinstance(cb, L.FreezeBodyBN) for cb in learn.cbs) # used while training only: never pickled by export


def test_head_from_probe_refuses_a_probe_of_other_features(tmp_path):
    from painters.data import painter_dls
    dls = painter_dls(_tiny_set(tmp_path/'p', n=8, size=64), size=64, bs=4)
    learn = L.painter_learner(dls, 'efficientnet_lite0', **L.LINEAR_HEAD)
    X, y = L.backbone_features(learn, dls.test_dl(dls.train.items, with_labels=True))
    other = L.fit_linear_probe((X[:, :100], y), (X[:, :100], y), folds=2) # fitted on 100 of the 1280 features
    with pytest.raises(ValueError, match="linear_probe"): L.head_from_probe(learn, other)
    with pytest.raises(ValueError, match="LINEAR_HEAD"): L.head_from_probe(L.painter_learner(dls, 'efficientnet_lite0'), other)
