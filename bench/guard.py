"""Does the out-of-domain guard refuse pictures that are not paintings, and let paintings through? `make bench-guard`.

Two measurements, one table of refusal rates per kind of picture:
- `model`: the product path. A model trained with `train_painter_model` on generated paintings (EPOCHS epochs at SIZE
  px), its guard chosen by `choose_guard` as `painters train` does (threshold: at most 2% of its validation paintings
  refused), then scored on new generated paintings (another seed), on pictures that are not paintings, and on
  generated paintings shifted as in the data-bias lesson.
- `real: <score>` (with `--real DIR`, a folder with one sub-folder of real paintings per painter): the frozen
  backbone's pooled features (`FrozenFeatures`) and REPEATS x FOLDS stratified folds. In each fold the guard's
  paintings are 80% of the training part, its threshold is chosen on the other 20% (at most 2% refused), and the
  held-out fold gives the false refusals. The same folds score the alternatives the guard was chosen against: the
  Mahalanobis distance to the painters' means (Ledoit-Wolf shared covariance) and one minus the top probability of a
  linear probe, each with its threshold chosen the same way.
Pictures that are not paintings: flat colours, uniform noise, smooth (blurred) noise, pages of text, and photographs
shipped inside scikit-learn, matplotlib and (when installed: `pip install scikit-image`) scikit-image, each whole and as
three random square crops. Nothing is downloaded.
Paintings by other artists: none ship offline; for the generated model, the renderer's two other manners
('pointillist', 'flat': the same scenes, painted by neither painter) stand in for them.
Shifted paintings (still paintings by these painters: the guard is not meant to refuse them; the table says what it
does): heavy JPEG, a photo on a wall, greyscale, a colour cast, a thumbnail (`painters.shifts`).
Usage: python bench/guard.py [--real DIR] [--epochs 2] [--size 224] [--n 80] [--folds 5] [--repeats 3] [--seed 0]
"""
import argparse, io, sys, tempfile, time, warnings
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent

def parse_args(argv=None)->argparse.Namespace:
    "The command line, read before the slow imports: `--help` answers at once"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--real', type=Path, help="a folder with one sub-folder of real paintings per painter (cross-validated)")
    p.add_argument('--epochs', type=int, default=2, help="epochs of the recipe for the generated model (default 2)")
    p.add_argument('--size', type=int, default=224, help="image side in pixels (default 224, the recipe's)")
    p.add_argument('--n', type=int, default=80, help="generated paintings per painter to train on (default 80)")
    p.add_argument('--folds', type=int, default=5); p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)

if __name__ == '__main__': parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

def _square(im:Image.Image, size:int)->Image.Image: return ImageOps.fit(im.convert('RGB'), (size, size), Image.Resampling.BICUBIC)

def photos(size:int, rng)->list:
    "Photographs shipped inside installed packages, each whole and as three random square crops"
    import sklearn, matplotlib
    files = [Path(sklearn.__file__).parent/'datasets'/'images'/n for n in ('china.jpg', 'flower.jpg')]
    files += [Path(matplotlib.get_data_path())/'sample_data'/'grace_hopper.jpg']
    try:
        import skimage
        d = Path(skimage.__file__).parent/'data'
        files += [d/n for n in ('astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg', 'motorcycle_left.png', 'hubble_deep_field.jpg',
                                'retina.jpg', 'camera.png', 'coins.png', 'moon.png', 'brick.png', 'grass.png', 'gravel.png', 'color.png')]
    except ImportError: print("scikit-image is not installed: 3 photographs instead of 17 (pip install scikit-image)", file=sys.stderr)
    out = []
    for f in (f for f in files if f.exists()):
        im = Image.open(f).convert('RGB'); w, h = im.size; out.append(_square(im, size))
        for _ in range(3):
            s = int(min(w, h) * rng.uniform(0.4, 0.7)); x, y = int(rng.integers(0, w - s + 1)), int(rng.integers(0, h - s + 1))
            out.append(_square(im.crop((x, y, x + s, y + s)), size))
    return out

WORDS = "the of and a painting museum report invoice dear sir table figure results page chapter notes hello world".split()
def text_page(size:int, rng)->Image.Image:
    "A white page with lines of black text"
    im = Image.new('RGB', (2*size, 2*size), 'white'); d = ImageDraw.Draw(im)
    font, y = ImageFont.load_default(size=int(rng.integers(12, 28))), 10
    while y < 2*size - 20: d.text((10, y), ' '.join(rng.choice(WORDS, 8)), fill='black', font=font); y += int(rng.integers(18, 40))
    return _square(im, size)

def not_paintings(size:int, seed:int, n:int=30)->dict:
    "Kinds of picture that are not paintings by these painters: kind -> list of square RGB images"
    rng = np.random.default_rng(seed)
    return {'flat colour': [Image.new('RGB', (size, size), tuple(int(v) for v in rng.integers(0, 256, 3))) for _ in range(n)],
            'noise': [Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)) for _ in range(n)],
            'smooth noise': [Image.fromarray(rng.integers(0, 256, (size//8, size//8, 3), dtype=np.uint8)).resize((size, size), Image.Resampling.BICUBIC) for _ in range(n)],
            'text page': [text_page(size, rng) for _ in range(n)],
            'photograph': photos(size, rng)}

def shifted(images:list, size:int)->dict:
    "The data-bias lesson's shifts of `images`: kind -> list of square RGB images"
    from painters import shifts # noqa
    return {f'shifted: {k.replace("_", " ")}': [_square(getattr(shifts, k)(im, seed=i), size) for i, im in enumerate(images)]
            for k in ('heavy_jpeg', 'photo_on_wall', 'grayscale', 'colour_cast', 'thumbnail')}

def model_column(args, tmp:Path)->tuple:
    "Refusal rates per kind of picture for a model trained and guarded as `painters train` does, and its guard"
    from painters.painterly import make_sample_paintings
    from painters.recipe import train_painter_model
    from painters.inference import choose_guard, choose_threshold, painter_features, model_guard
    make_sample_paintings(tmp/'train', n_per_painter=args.n, size=256, seed=args.seed)
    make_sample_paintings(tmp/'new', n_per_painter=30, size=256, seed=args.seed + 1000)
    t = time.time()
    learn = train_painter_model(tmp/'train', size=args.size, epochs=args.epochs, quiet=True, seed=args.seed)
    choose_threshold(learn); guard = choose_guard(learn)
    print(f"model: trained and guarded in {time.time()-t:.0f} s; {model_guard(learn)[1]}", file=sys.stderr)
    new = [_square(Image.open(f), args.size) for f in sorted((tmp/'new').glob('*/*.jpg'))]
    make_sample_paintings(tmp/'others', n_per_painter=15, size=256, seed=args.seed + 2000, painters=('pointillist', 'flat'))
    others = [_square(Image.open(f), args.size) for f in sorted((tmp/'others').glob('*/*.jpg'))]
    kinds = {'paintings (new generated ones)': new, 'paintings by neither painter (generated)': others,
             **not_paintings(args.size, args.seed), **shifted(new, args.size)}
    rates, unsure = {}, {}
    for k, ims in kinds.items():
        probs, feats = painter_features(learn, ims)
        rates[k], unsure[k] = guard.refuses(feats).mean(), (probs.max(1) < learn.abstain_threshold).mean()
    return rates, unsure, len(kinds['photograph'])

def _mahalanobis(train, labels):
    from sklearn.covariance import LedoitWolf
    means = np.stack([train[labels == c].mean(0) for c in np.unique(labels)])
    prec = LedoitWolf().fit(train - means[labels]).precision_
    return lambda q: np.min([np.einsum('ij,jk,ik->i', q - m, prec, q - m) for m in means], 0)

def _top_probability(train, labels):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    sc = StandardScaler().fit(train); lr = LogisticRegression(C=0.1, max_iter=3000).fit(sc.transform(train), labels)
    return lambda q: 1 - lr.predict_proba(sc.transform(q)).max(1)

def real_columns(args)->tuple:
    "Refusal rates per kind of picture and score, cross-validated on the real paintings in `args.real`"
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from painters.features import FrozenFeatures
    from painters.inference import PaintingGuard, refusal_threshold
    files = sorted(p for p in args.real.glob('*/*') if p.suffix.lower() in ('.jpg', '.jpeg', '.png'))
    names = sorted({p.parent.name for p in files}); y = np.array([names.index(p.parent.name) for p in files])
    ims = [_square(Image.open(f), args.size) for f in files]
    ff, t = FrozenFeatures('efficientnet_lite0'), time.time()
    X = ff(ims)
    others = {k: ff(v) for k, v in {**not_paintings(args.size, args.seed), **shifted(ims, args.size)}.items()}
    print(f"real: {len(files)} paintings ({', '.join(f'{n} {(y == i).sum()}' for i, n in enumerate(names))}), features in {time.time()-t:.0f} s", file=sys.stderr)
    def knn(train, labels): g = PaintingGuard(train); return g.score
    scores = {'guard (5 nearest, cosine)': knn, 'Mahalanobis': _mahalanobis, 'top probability': _top_probability}
    rates, thresholds = {s: {} for s in scores}, {s: [] for s in scores}
    for r in range(args.repeats):
        for tr, te in StratifiedKFold(args.folds, shuffle=True, random_state=args.seed + r).split(X, y):
            fit_idx, val_idx = train_test_split(tr, test_size=0.2, stratify=y[tr], random_state=args.seed + r)
            for s, make in scores.items():
                f = make(X[fit_idx], y[fit_idx]); t = refusal_threshold(f(X[val_idx])); thresholds[s].append(t)
                rates[s].setdefault('paintings (held-out fold)', []).append((f(X[te]) > t).mean())
                for k, v in others.items(): rates[s].setdefault(k, []).append((f(v) > t).mean())
    return {s: {k: float(np.mean(v)) for k, v in d.items()} for s, d in rates.items()}, thresholds

def main(args):
    import torch; torch.set_num_threads(max(1, torch.get_num_threads()))
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp: model, unsure, n_photos = model_column(args, Path(tmp))
    cols = {'model: guard': model, 'model: "unsure"': unsure}
    if args.real:
        real, thresholds = real_columns(args)
        cols.update({f'real: {s}': d for s, d in real.items()})
    kinds = list(dict.fromkeys(k for d in cols.values() for k in d))
    rename = {'paintings (held-out fold)': 'paintings (new generated ones)'} # one row for "paintings the guard has not seen"
    print(f"\nShare of pictures refused, per kind ({n_photos} photographs, 30 of each other made kind; generated model: "
          f"{args.n} paintings per painter, {args.epochs} epochs at {args.size} px)")
    head = ['kind of picture'] + list(cols)
    def cell(col, kind): # the rate, or '-' where this column has no such pictures
        v = cols[col].get(kind, cols[col].get(next((a for a, b in rename.items() if b == kind), ''), None))
        return '-' if v is None else f"{v:.1%}"
    rows = [[k] + [cell(c, k) for c in cols] for k in kinds if k not in rename]
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    for r in [head] + rows: print('  '.join(str(v).ljust(w) for v, w in zip(r, widths)))
    print("\nThe first row is the false refusals (in-domain paintings the guard has not seen; for real paintings, the held-out folds);"
          "\nthe 'model: \"unsure\"' column is the model's abstain threshold (confidence), which the guard was added beside.")
    if args.real:
        for s, ts in thresholds.items(): print(f"threshold, {s}: median {np.median(ts):.3g} (range {min(ts):.3g}-{max(ts):.3g}) over {len(ts)} folds")
    print(f"total {time.time()-t0:.0f} s")

if __name__ == '__main__': main(parse_args())
