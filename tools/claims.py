"""`make claims`: every notebook at test size under several seeds; one table of the assertions that failed in any seed.

An assertion in a notebook is a claim about a run. At test size a run is a handful of paintings, so a claim that holds
for one seed can fail for another. This runs the notebooks as `make test-nbs` does (in order, in one process per seed,
`IN_TEST` set, the network refused, the `internet` cells included, a fresh learner home for each seed) with
`PAINTERS_SEED` set to each seed in turn, keeps going after a failing cell, and prints one table: each cell that failed
in any seed, with how many seeds it passed in, and the total run time.

Usage: python tools/claims.py [--seeds 10] [--first 1] [NOTEBOOK ...]   (NOTEBOOK: a name or its number, e.g. 01 03)
"""
import argparse, contextlib, json, os, re, subprocess, sys, tempfile, time
from collections import defaultdict
from pathlib import Path
from gpu_check import REFUSE_NETWORK # the Makefile's test-nbs: a proxy nothing answers, 127.0.0.1 reachable (a test ties them)

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'

def notebooks(names:list)->list:
    "The notebooks `nbdev-test` runs, in its order; only those whose name starts with one of `names` when given"
    found = sorted(p for p in NBS.glob('*.ipynb') if not p.name.startswith('_'))
    return [p for p in found if not names or any(p.name.startswith(n) for n in names)]

def failing_line(source:str, traceback:list)->str:
    "The line of the cell `source` that raised, read from the cell's frame in `traceback` (IPython's plain or coloured form)"
    for entry in traceback:
        entry = re.sub(r'\x1b\[[0-9;]*m', '', entry)
        if m := re.search(r'File "<(?:ipython-input|cell)[^"]*", line (\d+)|^-+>\s*(\d+)', entry, re.M):
            lines, n = source.splitlines(), int(m.group(1) or m.group(2))
            return lines[n-1].strip() if 0 < n <= len(lines) else ''
    return ''

def run_notebook(path:Path)->list:
    "Run one notebook as `nbdev-test --flags internet` would, but past failing cells: (cell number, error) of each failure"
    from nbdev.config import get_config
    from nbdev.process import NBProcessor
    from nbdev.test import _skip_cell
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    cfg = get_config(path.parent)
    nb = NBProcessor(path, rm_directives=False, process=True).nb
    skip = _skip_cell(nb, cfg.tst_flags.split() if isinstance(cfg.tst_flags, str) else cfg.tst_flags, ['internet'])
    failed = []
    def record(cell):
        for o in cell.get('outputs', []):
            if o.get('output_type') == 'error':
                msg = ' '.join(str(o.get('evalue', '')).split())[:160]
                line = failing_line(cell.source, o.get('traceback', []))
                failed.append((cell.idx_, f"{o.get('ename')}: {msg}" + (f"  [{line[:90]}]" if o.get('ename') == 'AssertionError' else '')))
    shell = CaptureShell(path)
    with working_directory(path.parent):
        shell.run_all(nb, exc_stop=False, preproc=skip, postproc=record, cell_timeout=cfg.cell_timeout or None)
    return failed

def worker(paths:list):
    "One seed: run `paths` in order in this process, printing one JSON line per notebook"
    if os.environ.get('PAINTERS_CLAIMS_SIZE') != 'learner': os.environ['IN_TEST'] = '1'
    sys.path.insert(0, str(ROOT))
    for p in paths:
        start = time.time()
        try: failed = run_notebook(p)
        except Exception as e: failed = [(-1, f"{type(e).__name__}: {e}")]
        print(json.dumps(dict(notebook=p.name, seconds=round(time.time() - start, 1), failed=failed)), flush=True)

def one_seed(seed:int, paths:list, learner_home:str|None=None)->list:
    "Run the notebooks under `PAINTERS_SEED=seed` in a fresh process and learner home (or `learner_home`, at learner size): one result per notebook"
    with (tempfile.TemporaryDirectory(prefix=f'painters-claims-{seed}-') if learner_home is None else contextlib.nullcontext(learner_home)) as home:
        env = {**os.environ, **REFUSE_NETWORK, 'PAINTERS_SEED': str(seed), 'PAINTERS_OFFLINE': 'auto',
               'PAINTERS_CLAIMS_SIZE': 'test' if learner_home is None else 'learner',
               'PAINTERS_DATA': f'{home}/data', 'PAINTERS_MODELS': f'{home}/models', 'PYTHONWARNINGS': 'ignore'}
        p = subprocess.run([sys.executable, __file__, '--worker', *map(str, paths)], env=env, cwd=NBS,
                           capture_output=True, text=True)
    results = [json.loads(l) for l in p.stdout.splitlines() if l.startswith('{"notebook"')]
    done = {r['notebook'] for r in results}
    tail = ' '.join(p.stderr.strip().splitlines()[-1:])[:160]
    results += [dict(notebook=q.name, seconds=0, failed=[(-1, f"the run stopped before it (exit {p.returncode}): {tail}")])
                for q in paths if q.name not in done]
    return results

def table(runs:dict, n_seeds:int)->str:
    "The failing cells of `runs` (seed -> results), one line each, with their pass counts"
    fails = defaultdict(dict) # (notebook, cell) -> seed -> message
    for seed, results in runs.items():
        for r in results:
            for cell, msg in r['failed']: fails[(r['notebook'], cell)][seed] = msg
    if not fails: return f"every assertion held in every seed ({n_seeds} seeds)"
    lines = [f"{'notebook':<28} {'cell':>4}  {'passed':>8}  seeds failed  first error"]
    for (nb, cell), by_seed in sorted(fails.items()):
        first = by_seed[min(by_seed)]
        lines.append(f"{nb:<28} {cell:>4}  {n_seeds - len(by_seed):>3} of {n_seeds:<2}  {','.join(map(str, sorted(by_seed))):<12} {first}")
    return '\n'.join(lines)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('notebooks', nargs='*', help='names or numbers of the notebooks to run (default: all)')
    ap.add_argument('--seeds', type=int, default=10, help='how many seeds (default 10)')
    ap.add_argument('--first', type=int, default=1, help='the first seed (default 1): seeds first, first+1, ...')
    ap.add_argument('--learner', action='store_true', help="at the learner's size (the lessons' own sizes and epochs, offline: the "
                    "generated set, made once in one temporary learner home for all seeds) instead of test size")
    ap.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker: return worker([Path(p) for p in args.notebooks])
    paths = notebooks(args.notebooks)
    if not paths: ap.error(f"no notebook in {NBS} starts with {' or '.join(args.notebooks)}")
    if args.seeds < 1: ap.error('--seeds must be 1 or more')
    start, runs = time.time(), {}
    size = "at the learner's size, in one learner home" if args.learner else "at test size, each seed in a fresh learner home"
    print(f"{len(paths)} notebooks x {args.seeds} seeds, {size}", flush=True)
    learner_home = tempfile.TemporaryDirectory(prefix='painters-claims-learner-') if args.learner else None
    for seed in range(args.first, args.first + args.seeds):
        t = time.time()
        runs[seed] = one_seed(seed, paths, learner_home.name if learner_home else None)
        bad = sorted({r['notebook'] for r in runs[seed] if r['failed']})
        print(f"seed {seed}: {time.time() - t:.0f} s, " + (f"failures in {', '.join(bad)}" if bad else "all passed"), flush=True)
        for r in runs[seed]:
            for cell, msg in r['failed']: print(f"  {r['notebook']} cell {cell}: {msg}", flush=True)
    per_nb = defaultdict(list)
    for results in runs.values():
        for r in results: per_nb[r['notebook']].append(r['seconds'])
    print('\nseconds per notebook (median over seeds): ' +
          ', '.join(f"{nb.removesuffix('.ipynb')} {sorted(s)[len(s)//2]:.0f}" for nb, s in per_nb.items()))
    print(f"\n{table(runs, args.seeds)}\n\ntotal run time: {time.time() - start:.0f} s")
    return 1 if any(r['failed'] for rs in runs.values() for r in rs) else 0

if __name__ == '__main__': sys.exit(main())
