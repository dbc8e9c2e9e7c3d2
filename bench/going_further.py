"""The going-further comparison on a folder of paintings, from the command line: `compare_recipes`, then paired tests.

Every candidate (linear probe, fastai's fine_tune, LP-FT; each also scored with fastai's `tta`) is trained at the same size
with the same augmentation on the same repeated stratified folds (see nbs/07_going_further.ipynb). It prints the table,
the paired tests (each candidate against fastai's default, and each against itself with TTA), and saves them with the
per-painting predictions under bench/results/ (or --out). Usage:
  python bench/going_further.py PATH [--folds 5] [--repeats 1] [--size 128] [--epochs N] [--seed 42]
"""
import argparse, os, sys, time, warnings
from datetime import datetime, timezone
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent

def parse_args(argv=None)->argparse.Namespace:
    "The command line, read before the slow imports: `--help` answers at once"
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('path', type=Path, help="folder with one sub-folder of images per painter")
    p.add_argument('--folds', type=int, default=5); p.add_argument('--repeats', type=int, default=1)
    p.add_argument('--size', type=int, default=128); p.add_argument('--seed', type=int, default=42)
    p.add_argument('--epochs', type=int, help="every trained candidate this many epochs (default: each its own)")
    p.add_argument('--out', type=Path, default=ROOT/'bench'/'results', help="folder for the results (default: bench/results)")
    return p.parse_args(argv)

if __name__ == '__main__': parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import pandas as pd
from painters.paintings import PaintingsFolderError
from painters.going_further import compare_recipes, paired_test

def main(argv=None):
    a = parse_args(argv)
    start = time.perf_counter()
    try: cmp = compare_recipes(a.path, folds=a.folds, repeats=a.repeats, size=a.size, epochs=a.epochs, seed=a.seed, progress=False)
    except (PaintingsFolderError, KeyError, ValueError) as e: sys.exit(f"going_further: {e}")
    names = list(cmp.table.candidate)
    pairs = [(n, 'fine_tune') for n in names if n != 'fine_tune' and 'fine_tune' in names]
    pairs += [(n + '+tta', n) for n in names if n + '+tta' in names]
    tests = pd.DataFrame([paired_test(cmp, x, y) for x, y in pairs])
    stamp = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"
    text = (f"# going_further on {a.path}: {cmp.predictions.file.nunique()} paintings, {a.folds} folds x {a.repeats} repeats, "
            f"{a.size} px, seed {a.seed}; {time.perf_counter() - start:.0f} s\n\n"
            + cmp.table.round(4).to_string(index=False) + "\n\n" + tests.round(4).to_string(index=False) + "\n")
    print(text)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out/f"going_further-{stamp}.txt").write_text(text)
    cmp.predictions.to_csv(a.out/f"going_further-{stamp}-predictions.csv", index=False)
    return cmp

if __name__ == '__main__': main()
