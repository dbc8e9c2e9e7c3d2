"""Which way of training wins on a folder of paintings? `compare_recipes` from the command line, then paired tests: `make recipe-cv`.

Every candidate (linear probe, fastai's fine_tune, LP-FT, the workshop's recipe; each also scored with fastai's `tta`)
is trained at the same size, with the same augmentation, from the same random state, on the same repeated stratified
folds: `painters.compare.compare_recipes` (internals notebook nbs/18_compare.ipynb; the optional lesson
07_going_further runs it). It prints the table (paintings wrong, error, spread over folds, 95% interval), the paired
tests (each candidate against fastai's fine_tune, and each against itself with TTA: discordant paintings, McNemar per
repeat, bootstrap interval of the difference), and saves both, with every painting's prediction, under bench/results/
(or --out). Usage:
  python bench/recipe_cv.py PATH [--folds 5] [--repeats 1] [--size 128] [--epochs N] [--seed 42] [--only probe,fine_tune,lp_ft]
                                 [--no-tta] [--bs 16] [--backbone NAME] [--against NAME] [--half CSV:NAME]
--half halves.csv:choose trains and scores only on the paintings the CSV puts in that half (bench/halves.py); --against
lp_ft tests every candidate against lp_ft instead of fastai's fine_tune.
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
    p.add_argument('--folds', type=int, default=5); p.add_argument('--repeats', type=int, default=1)
    p.add_argument('--size', type=int, default=128, help="the image size of every candidate (default: 128)")
    p.add_argument('--seed', type=int, default=42, help="seed of the folds and of training")
    p.add_argument('--epochs', type=int, help="every trained candidate this many epochs (default: each its own)")
    p.add_argument('--only', default='probe,fine_tune,lp_ft', help="comma-separated candidates of CANDIDATES (default: all three)")
    p.add_argument('--tta', action=argparse.BooleanOptionalAction, default=True, help="also score each with test-time augmentation")
    p.add_argument('--bs', type=int, default=16, help="batch size (default: 16)")
    p.add_argument('--backbone', help="resnet18 or efficientnet_lite0 (default: the `backbone` setting)")
    p.add_argument('--against', default='fine_tune', help="the candidate every other is tested against (default: fine_tune)")
    p.add_argument('--half', metavar='CSV:NAME', help="only the paintings that CSV (columns file, half) puts in half NAME")
    p.add_argument('--out', type=Path, default=ROOT/'bench'/'results', help="folder for the results (default: bench/results)")
    return p

if __name__ == '__main__': parser().parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import pandas as pd
from halves import half_files, link_folder # bench/halves.py
from painters.paintings import PaintingsFolderError
from painters.compare import CANDIDATES, compare_recipes, paired_test

def pairs(names:list, against:str='fine_tune')->list:
    "The paired tests to run: every other candidate against `against` (fastai's fine_tune, as the lesson), and each against itself with TTA"
    found = [(n, against) for n in names if n != against] if against in names else []
    return found + [(n + '+tta', n) for n in names if n + '+tta' in names and (n + '+tta', n) not in found]

def main(argv=None):
    p = parser()
    a = p.parse_args(argv)
    only = [o for o in a.only.split(',') if o]
    if not only or set(only) - set(CANDIDATES): p.error(f"--only takes a comma-separated list of {', '.join(CANDIDATES)}")
    start = time.perf_counter()
    print(f"recipe_cv: {a.folds} folds x {a.repeats} repeats x {len(only)} candidates on {a.path}", file=sys.stderr, flush=True)
    if a.half:
        import tempfile
        shown = f"{a.path} (half {a.half})"
        a.path = link_folder(half_files(a.path, a.half), Path(tempfile.mkdtemp(prefix='recipe_cv-half-'))/'paintings')
    else: shown = a.path
    try: cmp = compare_recipes(a.path, candidates=only, folds=a.folds, repeats=a.repeats, size=a.size, tta=a.tta, epochs=a.epochs,
                               backbone=a.backbone, bs=a.bs, seed=a.seed, progress=False)
    except (PaintingsFolderError, KeyError, ValueError) as e: sys.exit(f"recipe_cv: {e}")
    tests = pd.DataFrame([paired_test(cmp, x, y) for x, y in pairs(list(cmp.table.candidate), a.against)])
    stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"
    text = (f"# recipe_cv on {shown}: {cmp.predictions.file.nunique()} paintings, {a.folds} folds x {a.repeats} repeats, "
            f"{a.size} px, seed {a.seed}; {time.perf_counter() - start:.0f} s\n\n" + cmp.table.round(4).to_string(index=False) + "\n"
            + ("\n" + tests.round(4).to_string(index=False) + "\n" if len(tests) else ""))
    print(text)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out/f"recipe_cv-{stamp}.txt").write_text(text)
    cmp.predictions.to_csv(a.out/f"recipe_cv-{stamp}-predictions.csv", index=False)
    return cmp

if __name__ == '__main__': main()
