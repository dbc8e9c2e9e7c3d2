"""What the lessons say about fastai and PyTorch themselves, checked against the installed versions: packaging, the loss
and normalisation `vision_learner` chooses, what `freeze` leaves trainable, `fine_tune`'s two one-cycle phases, the
`train_loss` column, and when PyTorch warns about a non-leaf's `.grad`. Fast: a few generated images, no training."""
import inspect, warnings
from importlib.metadata import requires
from importlib.util import find_spec
from types import SimpleNamespace
import numpy as np, pytest, torch
from torch import nn
from fastcore.test import test_eq as eq, test_close as close # aliases: pytest would collect `test_*` names
from fastai.vision.all import (DataBlock, ImageBlock, CategoryBlock, RegressionBlock, RandomSplitter, get_image_files,
                               parent_label, vision_learner, error_rate, Normalize, CrossEntropyLossFlat, Learner,
                               DataLoaders, SGD, Callback, Recorder, imagenet_stats, model_meta, resnet18, norm_types)
from fastai.learner import AvgSmoothLoss
from painters.backbones import efficientnet_lite0, LITE0_STATS
from painters.painterly import make_sample_paintings


@pytest.fixture(scope='module')
def paintings(tmp_path_factory):
    "Four generated paintings per painter, 32 px"
    return make_sample_paintings(tmp_path_factory.mktemp('facts')/'paintings', n_per_painter=4, size=32, seed=1)

def _dls(path, y_block=CategoryBlock, get_y=parent_label):
    return DataBlock(blocks=(ImageBlock, y_block), get_items=get_image_files, get_y=get_y,
                     splitter=RandomSplitter(valid_pct=0.25, seed=42)).dataloaders(path, bs=2, num_workers=0)

@pytest.fixture(scope='module')
def learn(paintings):
    "The whole game's learner, on the tiny set, with the offline backbone"
    return vision_learner(_dls(paintings), efficientnet_lite0, metrics=error_rate)


# ---- 01: what fastai is

def test_fastai_requires_pytorch():
    "pip installs PyTorch with fastai"
    assert any(r.startswith('torch') for r in requires('fastai')), requires('fastai')

def test_four_domain_libraries():
    "vision, text and tabular each have an `all` module; collaborative filtering is one module, `fastai.collab`"
    for m in ('fastai.vision', 'fastai.text', 'fastai.tabular', 'fastai.collab'): assert find_spec(m) is not None, m
    for m in ('fastai.vision.all', 'fastai.text.all', 'fastai.tabular.all'): assert find_spec(m) is not None, m
    assert find_spec('fastai.collab').submodule_search_locations is None # a module (collab.py), not a package: no `all`


# ---- 01: the loss and the normalisation `vision_learner` chooses

def test_categories_get_cross_entropy(learn):
    eq(type(learn.loss_func), CrossEntropyLossFlat)

def test_numbers_get_mean_squared_error(paintings):
    "A `RegressionBlock` of numbers comes with mean squared error"
    dls = _dls(paintings, RegressionBlock, get_y=lambda f: float(parent_label(f) == 'vangogh'))
    eq(type(dls.loss_func.func), nn.MSELoss)

def _normalize(dls): return next(f for f in dls.after_batch.fs if isinstance(f, Normalize))

def test_lite0_normalises_with_one_half(learn):
    "EfficientNet-Lite0 asks for mean = std = 0.5 in every channel (pixels from [0, 1] to [-1, 1]), not its photos' statistics"
    norm = _normalize(learn.dls)
    close(norm.mean.flatten().cpu(), torch.tensor(LITE0_STATS[0]))
    close(norm.std.flatten().cpu(), torch.tensor(LITE0_STATS[1]))
    eq(LITE0_STATS, ([0.5]*3, [0.5]*3))
    close((torch.tensor([0., 1.]) - 0.5) / 0.5, torch.tensor([-1., 1.]))

def test_resnet18_normalises_with_imagenet_stats():
    "resnet18 asks for the mean and standard deviation of ImageNet's photos"
    eq(model_meta[resnet18]['stats'], imagenet_stats)


# ---- 01: what `freeze` leaves trainable, and `fine_tune`'s two phases

def _body_params(learn):
    "(is it a normalisation layer's, does it train) for each parameter of the body"
    body = learn.model[0]
    norm = {id(p) for m in body.modules() if isinstance(m, norm_types) for p in m.parameters(recurse=False)}
    return [(id(p) in norm, p.requires_grad) for p in body.parameters()]

def test_frozen_body_still_trains_its_batchnorm(learn):
    "`freeze` stops the body's weights, except its BatchNorm layers' (`train_bn=True`, the default); the head trains"
    assert inspect.signature(vision_learner).parameters['train_bn'].default is True
    learn.freeze()
    body = _body_params(learn)
    assert any(is_norm for is_norm, _ in body)
    assert all(trains == is_norm for is_norm, trains in body), 'frozen body: only its normalisation layers train'
    assert all(p.requires_grad for p in learn.model[1].parameters())
    learn.unfreeze()
    assert all(trains for _, trains in _body_params(learn))

def test_fine_tune_is_two_one_cycle_phases(learn, monkeypatch):
    """`fine_tune(epochs)`: one frozen epoch of one-cycle, then `epochs` unfrozen epochs of one-cycle with discriminative
    learning rates: the first layers' a hundred times smaller than the head's; each phase warms up, then falls to almost zero"""
    phases = []
    def fit(n_epoch, cbs=None, **kwargs): # what fit_one_cycle asks `fit` to do, recorded instead of training
        sched = next(cb for cb in cbs if type(cb).__name__ == 'ParamScheduler').scheds['lr']
        phases.append(dict(epochs=n_epoch, frozen=not all(trains for _, trains in _body_params(learn)),
                           lrs={pos: np.array(sched(pos)) for pos in (0., 0.3, 0.99, 1.)}))
    monkeypatch.setattr(learn, 'fit', fit)
    learn.fine_tune(4)
    frozen, unfrozen = phases
    eq((frozen['epochs'], frozen['frozen'], unfrozen['epochs'], unfrozen['frozen']), (1, True, 4, False))
    head = lambda phase, pos: phase['lrs'][pos][-1]
    assert head(frozen, 0.) < head(frozen, 0.99) / 10 # warms up over the frozen epoch (pct_start=0.99)
    close(head(frozen, 0.99), 2e-3)
    assert head(frozen, 1.) < head(frozen, 0.99) / 1000 # and falls to almost zero at its very end
    peak = unfrozen['lrs'][0.3]
    close(peak, [1e-5, 1e-4, 1e-3]) # discriminative: one rate per group, the first a hundred times smaller than the head's
    assert (unfrozen['lrs'][0.] < peak).all() and (unfrozen['lrs'][1.] < peak / 1000).all() # warm up, then almost zero


# ---- 04: the `train_loss` column, and a non-leaf's `.grad`

class _BatchLosses(Callback):
    def before_fit(self): self.losses = []
    def after_batch(self):
        if self.training: self.losses.append(self.learn.loss.item())

def test_train_loss_is_a_moving_average_over_epochs():
    """`train_loss` is an exponentially weighted moving average of the batch losses, beta 0.98 (about the last 50 batches),
    corrected for its start at zero, carried over from one epoch to the next (not the epoch's mean)"""
    eq(inspect.signature(Recorder).parameters['beta'].default, 0.98)
    torch.manual_seed(0)
    x, y = torch.randn(20, 5), torch.randint(0, 2, (20,))
    ds = list(zip(x, y))
    dls = DataLoaders.from_dsets(ds, ds, bs=4, shuffle=False)
    learn = Learner(dls, nn.Linear(5, 2), loss_func=nn.functional.cross_entropy, opt_func=SGD, cbs=_BatchLosses())
    with learn.no_bar(), learn.no_logging(): learn.fit(2, 0.1)
    losses = learn._batch_losses.losses
    eq(len(losses), 10)
    def ewma(ls, beta=0.98):
        val = 0.
        for l in ls: val = beta*val + (1-beta)*l
        return val / (1 - beta**len(ls))
    for epoch, upto in ((0, 5), (1, 10)): close(learn.recorder.values[epoch][0], ewma(losses[:upto]), eps=1e-5)
    assert abs(learn.recorder.values[1][0] - np.mean(losses[5:])) > 1e-4 # not the second epoch's own mean
    m = AvgSmoothLoss()
    for l in (1., 0.): m.accumulate(SimpleNamespace(loss=torch.tensor(l)))
    close(m.value, 0.98*0.02 / (1 - 0.98**2)) # the first loss still weighs almost half after two batches

def test_a_non_leafs_grad_warns_when_read_not_in_backward():
    p = torch.randn(3).requires_grad_() * 2 # the result of a calculation: not a leaf
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        (p**2).sum().backward()
        eq([str(w.message) for w in seen], []) # backward is silent
        grad = p.grad
    assert grad is None
    assert len(seen) == 1 and 'not a leaf Tensor is being accessed' in str(seen[0].message), [str(w.message) for w in seen]
