"""Confirm a choice once: train candidates on one half of the paintings, score them on the other, test them paired.

A recipe chosen by comparing many candidates on the same paintings looks better there than it is. So choose on one
half (`--half CSV:choose` in probe_cv.py and recipe_cv.py), then run this once: every candidate trains on the whole
TRAIN half (`train_on_fold`: the same augmentation and random state, the SCORE half as its validation set, which no
candidate uses to choose anything) and predicts every painting of the SCORE half once. It prints each candidate's
paintings wrong with Wilson's 95% interval, its training time, and the time its exported model, loaded back with
`load_painter_model` (fastai's `load_learner`), takes to predict one painting (median of 20, in this process); then
every candidate against the first, painting by painting: the
discordant paintings, the exact McNemar test, and a bootstrap interval of the difference in error. Saved under
bench/results/ (or --out) with every painting's prediction. Usage:
  python bench/confirm.py PATH --train CSV:choose --score CSV:confirm --only lp_ft@128,lp_ft_stages@224 [--seed 42] [--bs 16]
A candidate is NAME@SIZE: NAME one of painters.compare.CANDIDATES, SIZE the image side it trains and predicts at.
"""
import argparse, os, sys, tempfile, time, warnings
from datetime import datetime, timezone
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent

def parser()->argparse.ArgumentParser:
    "The command line, read before the slow imports: `--help` answers at once"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('path', type=Path, help="folder with one sub-folder of images per painter")
    p.add_argument('--train', required=True, metavar='CSV:NAME', help="the half to train on, e.g. halves.csv:choose")
    p.add_argument('--score', required=True, metavar='CSV:NAME', help="the half to score once, e.g. halves.csv:confirm")
    p.add_argument('--only', required=True, help="comma-separated NAME@SIZE; the first is the one every other is tested against")
    p.add_argument('--seed', type=int, default=42, help="the random state every candidate trains from (default: 42)")
    p.add_argument('--bs', type=int, default=16, help="batch size (default: 16)")
    p.add_argument('--epochs', type=int, help="every trained candidate this many epochs (default: each its own)")
    p.add_argument('--out', type=Path, default=ROOT/'bench'/'results', help="folder for the results (default: bench/results)")
    return p

def candidates(text:str, known)->list:
    "'lp_ft@128,lp_ft_stages@224' as [('lp_ft', 128), ('lp_ft_stages', 224)]; exits with a message on anything else"
    out = []
    for spec in [s for s in text.split(',') if s]:
        name, _, size = spec.partition('@')
        if name not in known or not size.isdigit(): sys.exit(f"confirm: {spec!r} is not NAME@SIZE with NAME one of {', '.join(known)}")
        out.append((name, int(size)))
    if len(out) < 2: sys.exit("confirm: give two candidates or more, the first the one to test against")
    return out

if __name__ == '__main__': parser().parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import statistics
import pandas as pd
from fastai.vision.core import PILImage
from painters.inference import load_painter_model
from halves import half_files, link_folder
from painters.backbones import pretrained_backbone
from painters.compare import CANDIDATES, train_on_fold, score_fold, error_interval, mcnemar_exact, bootstrap_difference

def predict_time(learn, image:Path, model_file:Path, n:int=20)->float:
    "Median seconds the exported `learn`, loaded back, takes to predict `image` once (after 3 warm-up predictions)"
    with learn.no_bar(): learn.export(model_file)
    model, img, times = load_painter_model(model_file), PILImage.create(image), []
    for i in range(3 + n):
        start = time.perf_counter()
        with model.no_bar(): model.predict(img)
        if i >= 3: times.append(time.perf_counter() - start)
    return statistics.median(times)

def main(argv=None):
    a = parser().parse_args(argv)
    specs = candidates(a.only, CANDIDATES)
    train, score = half_files(a.path, a.train), half_files(a.path, a.score)
    if both := set(train) & set(score): sys.exit(f"confirm: {len(both)} paintings are in both halves")
    folder = link_folder(train + score, Path(tempfile.mkdtemp(prefix='confirm-'))/'paintings')
    valid = {folder/f.parent.name/f.name for f in score}
    backbone, rows, secs, predict_secs = pretrained_backbone('efficientnet_lite0', verbose=False), [], {}, {}
    for name, size in specs:
        label, start = f"{name}@{size}", time.perf_counter()
        learn = train_on_fold(folder, valid, CANDIDATES[name], backbone, size=size, bs=a.bs, epochs=a.epochs, seed=a.seed)
        rows += score_fold(learn, label, tta=False)
        secs[label] = time.perf_counter() - start
        predict_secs[label] = predict_time(learn, score[0], folder.parent/f"{label}.pkl")
        print(f"{label}: trained on {len(learn.dls.train_ds)}, scored {len(learn.dls.valid_ds)} in {secs[label]:.0f} s", file=sys.stderr, flush=True)
    p = pd.DataFrame(rows)
    wrong = p.pivot_table(index='file', columns='candidate', values='wrong')
    n = len(wrong)
    lines = [f"# confirm on {a.path}: trained on {len(train)} paintings ({a.train}), scored once on {n} ({a.score}), seed {a.seed}", "",
             f"{'candidate':24s} {'wrong':>5s} {'error':>6s}  95% interval    train s  predict one s"]
    for c in secs: # in the order given
        lo, hi = error_interval(wrong[c].sum(), n)
        lines.append(f"{c:24s} {int(wrong[c].sum()):5d} {wrong[c].mean():6.3f}  [{lo:.3f}, {hi:.3f}]  {secs[c]:7.0f}  {predict_secs[c]:13.3f}")
    ref = list(secs)[0]
    lines += ["", f"each against {ref}: paintings wrong only by it / only by {ref}, exact McNemar p, error difference [95% bootstrap interval]"]
    for c in list(secs)[1:]:
        only_c, only_ref = int(((wrong[c] == 1) & (wrong[ref] == 0)).sum()), int(((wrong[c] == 0) & (wrong[ref] == 1)).sum())
        diff, lo, hi = bootstrap_difference(wrong[c].values, wrong[ref].values)
        lines.append(f"{c:24s} {only_c} / {only_ref}  p={mcnemar_exact(only_c, only_ref):.4f}  {diff:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    text = '\n'.join(lines) + '\n'
    print(text)
    a.out.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"
    (a.out/f"confirm-{stamp}.txt").write_text(text)
    p.to_csv(a.out/f"confirm-{stamp}-predictions.csv", index=False)
    return p

if __name__ == '__main__': main()
