"""How hard is the generated set? One table, run by `make calibrate`: for each difficulty, generated set and training seed,
what the lessons' models make of it.

For every (difficulty, generation seed) a set of 150 + 150 paintings is generated at 192 px (`make_sample_paintings`, the
generation time is measured, wall and CPU seconds, in a fresh folder: give --data an empty one), then split with `RandomSplitter(valid_pct=0.2, seed=42)` (60 validation paintings) and,
for each training seed:
  fine_tune   fastai's `fine_tune(4)` at 128 px on the pretrained offline backbone (efficientnet_lite0): the validation
              error after the frozen epoch, then after each of the 4 unfrozen epochs
  random      the same schedule from random weights (`painter_learner(pretrained=False)`): its last error
  probe       the linear probe (logistic regression on the pretrained backbone's frozen features, `linear_probe`)
  colour      the colour-statistics baseline (`colour_baseline_error`: 6 numbers per image, logistic regression)
The probe and the colour baseline do not depend on the training seed; they are computed once per set.
Then a summary per difficulty: mean and spread (sample standard deviation, min-max) over every set x seed.
It prints the table and saves it under bench/results/ (or --out). Usage:
  python bench/calibrate_set.py [--difficulty 0.5 ...] [--sets 2] [--seeds 3] [--n 150] [--skip-random | --random-seeds N] [--data DIR]
Keep runs lean on a small CPU: calibrate candidates with --sets 1 --seeds 1 first.
"""
import argparse, os, statistics, sys, tempfile, time, warnings
from datetime import datetime, timezone
from pathlib import Path

def parse_args(argv=None)->argparse.Namespace:
    "The command line, read before the slow imports: `--help` answers at once"
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--difficulty', type=float, nargs='+', default=[0.5], help="difficulties to calibrate (0 to 1)")
    p.add_argument('--sets', type=int, default=2, help="generated sets per difficulty (generation seeds 1, 2, ...)")
    p.add_argument('--seeds', type=int, default=3, help="training seeds per set (0, 1, ...)")
    p.add_argument('--set-ids', type=int, nargs='+', help="generation seeds to run instead of 1..sets (to split a run across processes)")
    p.add_argument('--seed-ids', type=int, nargs='+', help="training seeds to run instead of 0..seeds-1")
    p.add_argument('--n', type=int, default=150, help="paintings per painter")
    p.add_argument('--epochs', type=int, default=4, help="fine_tune epochs (after the frozen one)")
    p.add_argument('--size', type=int, default=128, help="training image side in pixels")
    p.add_argument('--skip-random', action='store_true', help="leave out the random-weights runs (half the time)")
    p.add_argument('--random-only', action='store_true', help="only the random-weights runs (and probe, colour baseline), no fine-tuning")
    p.add_argument('--random-seeds', type=int, default=99, help="random-weights runs for the first N training seeds of each set only")
    p.add_argument('--data', help="folder for the generated sets (default: a temporary folder, removed afterwards)")
    p.add_argument('--out', help="file to save the table in (default: bench/results/calibrate-<time>.txt)")
    return p.parse_args(argv)

if __name__ == '__main__': parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
ROOT = Path(__file__).resolve().parent.parent
from fastai.vision.all import set_seed, Callback, Recorder
from painters.data import painter_dls
from painters.learner import painter_learner
from painters.backbones import pretrained_backbone
from painters.features import linear_probe, colour_baseline_error
from painters.painterly import make_sample_paintings

class EpochErrors(Callback):
    "Keep the validation error of every epoch, across both of `fine_tune`'s fits (the Recorder forgets the first)"
    order = Recorder.order + 1
    def __init__(self): self.errors = []
    def after_epoch(self): self.errors.append(float(self.recorder.values[-1][-1])) # [train loss, valid loss, error_rate]

def errors_per_epoch(learn, epochs:int)->list:
    "fastai's `fine_tune(epochs)` quietly: the validation error after the frozen epoch and after each unfrozen one"
    cb = EpochErrors()
    learn.add_cb(cb)
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(epochs)
    learn.remove_cb(cb)
    return cb.errors

def calibrate(difficulty:float, set_seed_:int, train_seeds:list, data:Path, n:int, bb, epochs:int, size:int, random_seeds:int, random_only:bool=False)->list:
    "One row per training seed on the set generated with `set_seed_` at `difficulty`"
    path = data/f"difficulty{difficulty:g}-set{set_seed_}"
    start, cpu = time.perf_counter(), time.process_time()
    make_sample_paintings(path, n_per_painter=n, size=192, seed=set_seed_, difficulty=difficulty)
    gen_s, gen_cpu = time.perf_counter() - start, time.process_time() - cpu # CPU seconds: what a busy machine does not inflate
    colour = colour_baseline_error(path)
    print(f"  difficulty {difficulty:g}, set {set_seed_}: generated in {gen_s:.1f} s ({gen_cpu:.1f} CPU s), colour baseline {colour:.3f}", file=sys.stderr, flush=True)
    set_seed(0, reproducible=True)
    probe = linear_probe(bb, painter_dls(path, size=size)).valid_error
    rows = []
    for s in train_seeds:
        set_seed(s, reproducible=True)
        learn = painter_learner(painter_dls(path, size=size), bb)
        ft = errors_per_epoch(learn, epochs) if not random_only else [float('nan')] * (epochs + 1)
        print(f"  seed {s}: probe {probe:.3f}, fine_tune {ft}", file=sys.stderr, flush=True)
        rows.append(dict(difficulty=difficulty, set=set_seed_, seed=s, ft=ft, probe=probe, random=float('nan'), colour=colour, gen_s=gen_s, gen_cpu=gen_cpu))
    for r in rows[:random_seeds]: # random weights last: the fine-tuning rows come first on a slow machine
        set_seed(r['seed'], reproducible=True)
        r['random'] = errors_per_epoch(painter_learner(painter_dls(path, size=size), bb, pretrained=False), epochs)[-1]
        print(f"  seed {r['seed']}: random weights {r['random']:.3f}", file=sys.stderr, flush=True)
    for r in rows: print(fmt_row(r), flush=True)
    return rows

HEADER = "difficulty  set  seed  fine_tune error: frozen, epoch 1..4   probe  random  colour  generation: wall s, CPU s"
def fmt_row(r)->str:
    ft = ' '.join(f"{e:.3f}" for e in r['ft'])
    return f"{r['difficulty']:>10g}  {r['set']:>3}  {r['seed']:>4}  {ft:<35}  {r['probe']:.3f}  {r['random']:.3f}   {r['colour']:.3f}  {r['gen_s']:>6.1f} {r.get('gen_cpu', float('nan')):>6.1f}"

def spread(xs:list)->str:
    "mean ± sample standard deviation [min-max] (n values), of the values measured"
    xs = [x for x in xs if x == x] # NaN: not run
    if not xs: return 'not run'
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.
    return f"{statistics.mean(xs):.3f} ± {sd:.3f} [{min(xs):.3f}-{max(xs):.3f}] (n={len(xs)})"

def summary(rows:list)->list:
    "Per difficulty: mean and spread of each column over every set x seed"
    out = []
    for d in sorted({r['difficulty'] for r in rows}):
        rs = [r for r in rows if r['difficulty'] == d]
        sets = sorted({r['set'] for r in rs})
        per_set = {s: next(r for r in rs if r['set'] == s) for s in sets} # probe, colour and time are per set
        out += [f"difficulty {d:g}: {len(sets)} set(s) x {len(rs) // len(sets)} training seed(s)",
                *[f"  fine_tune {'frozen ' if k == 0 else f'epoch {k}'}  {spread([r['ft'][k] for r in rs])}" for k in range(len(rs[0]['ft']))],
                f"  probe             {spread([r['probe'] for r in per_set.values()])}",
                f"  random weights    {spread([r['random'] for r in rs])}",
                f"  colour baseline   {spread([r['colour'] for r in per_set.values()])}",
                f"  generation wall s {spread([r['gen_s'] for r in per_set.values()])}",
                f"  generation CPU s  {spread([r.get('gen_cpu', float('nan')) for r in per_set.values()])}"]
    return out

def main(argv=None):
    a = parse_args(argv)
    tmp = None if a.data else tempfile.TemporaryDirectory()
    data = Path(a.data or tmp.name)
    bb = pretrained_backbone('efficientnet_lite0', offline='yes', verbose=False)
    import torch
    lines = [f"calibrate_set: {a.n}+{a.n} generated paintings (192 px), RandomSplitter(0.2, seed=42), fine_tune({a.epochs}) at "
             f"{a.size} px on {bb.name}; {torch.get_num_threads()} torch threads; {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
             HEADER]
    print('\n'.join(lines), flush=True)
    rows = []
    out = Path(a.out) if a.out else ROOT/'bench'/'results'/f"calibrate-{datetime.now():%Y%m%d-%H%M%S}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    for d in a.difficulty:
        for s in a.set_ids or range(1, a.sets + 1):
            rows += calibrate(d, s, a.seed_ids or list(range(a.seeds)), data, a.n, bb, a.epochs, a.size, 0 if a.skip_random else a.random_seeds, a.random_only)
            out.write_text('\n'.join(lines + [fmt_row(r) for r in rows] + ['', '(partial: more sets to come)']) + '\n')
    lines += [fmt_row(r) for r in rows] + [''] + summary(rows)
    print('\n'.join(summary(rows)))
    out.write_text('\n'.join(lines) + '\n')
    print(f"saved in {out}")
    if tmp: tmp.cleanup()

if __name__ == '__main__': main()
