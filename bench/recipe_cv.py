"""Is the workshop's recipe better than a linear probe? k-fold cross-validation on a folder of paintings, run by `make recipe-cv`.

Every painting is scored once, by models that never saw it. The folds: scikit-learn's
`StratifiedKFold(folds, shuffle=True, random_state=seed)` over the folder's images sorted by path (so the folds are the same
on every machine). On each fold, on the same training and validation paintings:
  probe    a logistic regression on the pretrained backbone's frozen features (`linear_probe`), at the recipe's size
  default  fastai's defaults as in the original webinar: fine_tune(4) at 128 px, no augmentation, fastai's head
           (NOT at the recipe's size and augmentation: for a like-with-like comparison with paired tests use
           bench/going_further.py, the comparison of the optional lesson 07_going_further)
  recipe   the workshop's recipe: `train_painter_model`'s LP-FT (`fine_tune_recipe`) at RECIPE's size, augmentation, the
           body's last parameter group and the head trained
           (its error before training is the probe's; the script checks that)
With --tta, the probe and the recipe are also scored with fastai's test-time augmentation (`learn.tta(n=4)`: each
prediction is 0.75 x the mean of four augmented views + 0.25 x the plain view), after the recipe has trained, so the other rows don't change.
It prints one table (errors as paintings wrong / paintings scored, per fold and in all, CPU and wall seconds per epoch;
the recipe's include fitting its probe)
and saves it under bench/results/ (or --out). Usage:
  python bench/recipe_cv.py PATH [--folds 5] [--seed 42] [--train-seed N] [--only probe,default,recipe] [--tta] [--epochs N] [--size PX] [--default-epochs N] [--default-size PX]
PATH holds one sub-folder of images per painter (e.g. the downloaded paintings: `make recipe-cv DATA=data/commons`).
"""
import argparse, os, sys, time, warnings
from datetime import datetime, timezone
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent

def parser()->argparse.ArgumentParser:
    "The command line, read before the slow imports: `--help` answers at once"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('path', type=Path, help="folder with one sub-folder of images per painter")
    p.add_argument('--folds', type=int, default=5); p.add_argument('--seed', type=int, default=42, help="seed of the folds and of training")
    p.add_argument('--train-seed', type=int, help="another seed for training only, on the same folds (default: --seed)")
    p.add_argument('--only', default='probe,default,recipe', help="comma-separated: probe, default, recipe")
    p.add_argument('--epochs', type=int, help="the recipe's epochs (default: RECIPE's)")
    p.add_argument('--size', type=int, help="the recipe's and the probe's image size (default: RECIPE's)")
    p.add_argument('--default-epochs', type=int, default=4, help="epochs of fastai's default fine_tune (default: 4)")
    p.add_argument('--default-size', type=int, default=128, help="fastai's default candidate's image size (default: 128)")
    p.add_argument('--tta', action='store_true', help="also score the probe and the recipe with test-time augmentation")
    p.add_argument('--backbone', default='efficientnet_lite0')
    p.add_argument('--out', type=Path, default=ROOT/'bench'/'results', help="folder for the table (default: bench/results)")
    return p

if __name__ == '__main__': parser().parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import numpy as np
from fastai.vision.all import FuncSplitter, parent_label, set_seed
from painters.data import painter_block, get_painting_files
from painters.paintings import check_paintings_folder, PaintingsFolderError
from painters.backbones import pretrained_backbone
from painters.features import linear_probe
from painters.learner import painter_learner
from painters.recipe import RECIPE, LINEAR_HEAD, fine_tune_recipe, head_from_probe

def fold_dls(files:list, valid:set, path:Path, size:int, aug:bool, bs:int=16):
    "The workshop's DataLoaders on `path`, validating on the files in `valid`"
    block = painter_block(size, 'crop', aug=aug)
    block.splitter = FuncSplitter(lambda f: f in valid)
    return block.dataloaders(path, bs=bs, num_workers=0)

def timed_fit(learn, fit, epochs:int)->tuple:
    "Train with `fit(learn)` quietly: (error rate, CPU s per epoch, wall s per epoch)"
    cpu, wall = time.process_time(), time.perf_counter()
    with learn.no_bar(), learn.no_logging(): fit(learn)
    cpu, wall = (time.process_time() - cpu) / epochs, (time.perf_counter() - wall) / epochs
    with learn.no_bar(): return float(learn.validate()[1]), cpu, wall

def tta_wrong(learn)->int:
    "Paintings `learn` gets wrong with fastai's `tta`: 0.75 x the mean of 4 augmented views + 0.25 x the plain view"
    with learn.no_bar(), learn.no_logging(): p, y = learn.tta(n=4)
    return int((p.argmax(1) != y).sum())

def run_fold(files, valid, path, bb, only, size, epochs, seed, tta=False, default_epochs=4, default_size=128)->dict:
    "Errors (counts of paintings wrong) and timings of each candidate on one fold"
    out = {}
    if 'probe' in only or 'recipe' in only:
        set_seed(seed, reproducible=True)
        dls = fold_dls(files, valid, path, size, aug=RECIPE['aug'])
        n = len(dls.valid_ds)
        if 'probe' in only:
            probe = linear_probe(bb, dls)
            out['probe'] = (probe.valid_error * n, None, None)
        if 'recipe' in only:
            learn = painter_learner(dls, bb, **LINEAR_HEAD)
            err, cpu, wall = timed_fit(learn, lambda l: fine_tune_recipe(l, epochs, RECIPE['lr']), epochs)
            if 'probe' in only: assert abs(learn.probe_error * n - out['probe'][0]) < 1e-6, "LP-FT must start from the probe"
            out['recipe'] = (err * n, cpu, wall)
            if tta: out['recipe_tta'] = (tta_wrong(learn), None, None)
        if tta and 'probe' in only: # the probe as a network (LP-FT before training), so that fastai's `tta` can run it
            out['probe_tta'] = (tta_wrong(head_from_probe(painter_learner(dls, bb, **LINEAR_HEAD), probe)), None, None)
    if 'default' in only:
        set_seed(seed, reproducible=True)
        dls = fold_dls(files, valid, path, default_size, aug=False)
        learn = painter_learner(dls, bb)
        err, cpu, wall = timed_fit(learn, lambda l: l.fine_tune(default_epochs), default_epochs + 1)
        out['default'] = (err * len(dls.valid_ds), cpu, wall)
    return out

NAMES = {'probe': "linear probe (frozen features, C by CV on the training folds)",
         'default': "fastai default: fine_tune({default_epochs}), {default_size} px, fastai's head",
         'recipe': "the recipe: LP-FT (probe as head, freeze_to(-2), lr {lr:g}, {epochs} epochs, body BN statistics frozen, augmentation)",
         'probe_tta': "linear probe, test-time augmentation (`learn.tta(n=4)`)",
         'recipe_tta': "the recipe, test-time augmentation (`learn.tta(n=4)`)"}

def main(argv=None):
    p = parser()
    a = p.parse_args(argv)
    if a.epochs is None: a.epochs = RECIPE['epochs']
    if a.size is None: a.size = RECIPE['size']
    from sklearn.model_selection import StratifiedKFold
    only = [o for o in a.only.split(',') if o]
    if not only or set(only) - {'probe', 'default', 'recipe'}: p.error("--only takes a comma-separated list of probe, default, recipe")
    try: check_paintings_folder(a.path, min(a.size, 128))
    except PaintingsFolderError as e: sys.exit(f"recipe_cv: {e}")
    files = get_painting_files(a.path)
    labels = np.array([parent_label(f) for f in files])
    if np.unique(labels, return_counts=True)[1].min() < a.folds:
        p.error(f"every painter needs at least --folds={a.folds} images; use fewer folds")
    bb = pretrained_backbone(a.backbone, verbose=False)
    train_seed = a.seed if a.train_seed is None else a.train_seed
    folds = StratifiedKFold(a.folds, shuffle=True, random_state=a.seed).split(np.zeros(len(files)), labels)
    start, res = time.perf_counter(), []
    for k, (_, vi) in enumerate(folds):
        res.append(run_fold(files, set(files[i] for i in vi), a.path, bb, only, a.size, a.epochs, train_seed, a.tta, a.default_epochs, a.default_size))
        print(f"fold {k}: " + ", ".join(f"{n} {r[0]:.0f}/{len(vi)} wrong" for n, r in res[-1].items()), file=sys.stderr, flush=True)
    n = len(files)
    lines = [f"# recipe_cv on {a.path} ({n} paintings: " + ", ".join(f"{v} {c}" for v, c in zip(*np.unique(labels, return_counts=True))) + ")",
             f"# {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, backbone {bb.name}, StratifiedKFold({a.folds}, shuffle=True, random_state={a.seed}) "
             f"on sorted files, training seed {train_seed}, size {a.size} px; {time.perf_counter()-start:.0f} s in all; load average {os.getloadavg()[0]:.1f}",
             "| candidate | size | wrong / scored | error | per fold | CPU s / epoch | wall s / epoch |", "|---|---|---|---|---|---|---|"]
    for name in [o for o in NAMES if o in res[0]]:
        wrong = [r[name][0] for r in res]
        cpu = [r[name][1] for r in res if r[name][1] is not None]
        wall = [r[name][2] for r in res if r[name][2] is not None]
        lines.append(f"| {NAMES[name].format(lr=RECIPE['lr'], epochs=a.epochs, default_epochs=a.default_epochs, default_size=a.default_size)} | {a.default_size if name == 'default' else a.size} | {sum(wrong):.0f}/{n} | "
                     f"{sum(wrong)/n:.1%} | {' '.join(f'{w:.0f}' for w in wrong)} | {f'{np.mean(cpu):.1f}' if cpu else '-'} | "
                     f"{f'{np.mean(wall):.1f}' if wall else '-'} |")
    table = "\n".join(lines)
    print(table)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out/f"recipe_cv-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.md").write_text(table + "\n")
    return res

if __name__ == '__main__': main()
