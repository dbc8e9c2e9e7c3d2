"""num_workers=0 vs fastai's default DataLoader workers, side by side in one run, on this machine.

Measures, for a folder of paintings (default: a fresh generated set of 75 per painter in a temp folder):
  - data only: seconds to iterate one epoch of the training DataLoader (load, decode, resize, collate);
  - training: seconds for one `fit` epoch of a resnet18 (random init, no download) on the same DataLoaders.
Each is repeated and alternated; medians are printed with the ratio default/0 (>1: 0 workers is better), both for
wall-clock seconds and for CPU seconds (this process plus its worker processes). On a shared or busy machine, wall
time favours workers (more processes get a bigger share of the contended cores); CPU seconds do not: they count the
work each setting costs, which on a dedicated 2-core machine busy training is what decides.
Usage: python bench/data_workers.py [FOLDER] [--repeats N]
"""
import argparse, os, resource, statistics, tempfile, time, warnings
from pathlib import Path

def parse_args(argv=None)->argparse.Namespace:
    "The command line, read before the slow imports: `--help` answers at once"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('folder', nargs='?', help='folder with one sub-folder of images per painter')
    ap.add_argument('--repeats', type=int, default=3)
    return ap.parse_args(argv)

if __name__ == '__main__': ARGS = parse_args() # `--help` and usage errors answer before torch and fastai are imported

warnings.filterwarnings('ignore')
from fastai.vision.all import defaults, vision_learner, resnet18, error_rate
from painters.data import painter_dls

def sample_folder(n_per_painter=75):
    "A generated set of paintings in a temp folder"
    from painters.painterly import make_sample_paintings
    return make_sample_paintings(Path(tempfile.mkdtemp())/'paintings', n_per_painter=n_per_painter, seed=42)

def cpu_seconds():
    "CPU seconds used so far by this process and its finished child processes (the DataLoader workers)"
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

class Timer:
    "Wall and CPU seconds of a `with` block"
    def __enter__(self): self.w, self.c = time.perf_counter(), cpu_seconds(); return self
    def __exit__(self, *a): self.wall, self.cpu = time.perf_counter() - self.w, cpu_seconds() - self.c

def data_epoch(path, workers):
    dl = painter_dls(path, num_workers=workers).train
    with Timer() as t:
        for _ in dl: pass
    return t

def train_epoch(path, workers):
    learn = vision_learner(painter_dls(path, num_workers=workers), resnet18, pretrained=False, metrics=error_rate)
    with learn.no_bar(), learn.no_logging():
        learn.fit(1)  # warm-up epoch: first-call costs are not what we compare
        with Timer() as t: learn.fit(1)
    return t

if __name__ == '__main__':
    args = ARGS
    path = Path(args.folder) if args.folder else sample_folder()
    n = len(painter_dls(path).train_ds) + len(painter_dls(path).valid_ds)
    print(f"{n} images in {path}; fastai's default num_workers here: {min(16, defaults.cpus)}; "
          f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, fn in [('data only, one epoch', data_epoch), ('training, one epoch', train_epoch)]:
        runs = {0: [], None: []}
        for _ in range(args.repeats):
            for w in runs: runs[w].append(fn(path, w))
        for kind in ('wall', 'cpu'):
            t0, td = (statistics.median(getattr(t, kind) for t in runs[w]) for w in (0, None))
            print(f"{name:<21} {kind:>4} s  num_workers=0: {t0:6.2f}  default: {td:6.2f}  ratio default/0: {td/t0:4.2f}x"
                  f"  (runs: {[round(getattr(t, kind), 2) for t in runs[0]]} vs {[round(getattr(t, kind), 2) for t in runs[None]]})")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
