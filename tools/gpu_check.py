#!/usr/bin/env python3
"""The workshop on a CUDA GPU in one command (`make gpu-check`), its figures in one file: bench/results/gpu-<date>.md.

1. notebooks: every notebook under nbdev-test as `make test-nbs` runs them (test sizes, the network refused, the cells
   flagged `internet` included, a fresh learner home), on the GPU fastai's `default_device()` picks; then the models folder;
2. speed: `make bench`'s training figure (images/s of `fine_tune(1)` of `painter_learner`, EfficientNet-Lite0, bs 16, its
   150 generated paintings) at 128 and 224 px on the GPU in fp32, `to_fp16()` and `to_bf16()`, and on this machine's CPU;
3. precision: `painters train`'s recipe (`train_painter_model`) at 128 and 224 px in fp32, fp16 and bf16: the validation
   paintings each run gets wrong, compared painting by painting with fp32's (exact McNemar test);
4. torchrun: `painters train` under `torchrun --nproc_per_node 1` (and 2 over NCCL, with 2 GPUs), checked as
   tests/test_distributed.py checks it on the CPU: the table's validation metrics are one process's on the exported model.
Without a GPU it says so in one line, at once. A machine without internet first installs what it lacks from the wheels
`make gpu-wheels` downloads where pip works (into .whl/), keeping its own torch (pyproject.toml's range must admit it).
Exit code: 0 every check passed; 1 some failed (the results file says which); 2 nothing ran (no GPU, packages missing).
"""
from __future__ import annotations
import argparse, glob, json, math, os, shutil, signal, subprocess, sys, tempfile, threading, time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the Makefile's test-nbs: REFUSE_NETWORK (a proxy nothing answers; 127.0.0.1 reachable), the learner's home, nbdev-test's flags
REFUSE_NETWORK = {**{k: 'http://127.0.0.1:9' for k in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy')},
                  **{k: '127.0.0.1,localhost' for k in ('NO_PROXY', 'no_proxy')}}
NBDEV_TEST_ARGS = ('--flags', 'internet', '--timing') # and --n-workers
SIZES, BS, PER_PAINTER = (128, 224), 16, 75 # bench/speed.py's batch size and generated set (75 paintings a painter, 192 px)
REPEATS = 2 # runs of each precision on the GPU, alternated
STEPS = ('notebooks', 'speed', 'precision', 'torchrun')
DEVICES = dict(cuda='GPU', cpu='CPU')

# ---------------------------------------------------------------- the GPU, the wheels (tools/gpu_wheels.py downloads them)
def visible_gpus()->int:
    "How many NVIDIA GPUs this process may use, found without importing torch: nvidia-smi's list (or the device files)"
    shown = os.environ.get('CUDA_VISIBLE_DEVICES')
    if shown is not None and shown.strip() in ('', '-1', 'none', 'NoDevFiles'): return 0
    try: out = subprocess.run(['nvidia-smi', '-L'], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError): out = ''
    n = sum(l.startswith('GPU ') for l in out.splitlines()) or len(glob.glob('/dev/nvidia[0-9]*'))
    return min(n, len(shown.split(','))) if shown else n

def install_wheels(wheels:Path, site:Path):
    "Every wheel in `wheels` into `site`: no network, no dependency resolved, nothing of the machine's replaced (its torch stays)"
    shutil.rmtree(site, ignore_errors=True)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-index', '--no-deps', '--no-compile', '--no-cache-dir',
                    '--disable-pip-version-check', '--target', str(site), *map(str, sorted(wheels.glob('*.whl')))], check=True)

# ---------------------------------------------------------------- the parts: each runs in a Python of its own and prints one RESULT line
def result(obj): print('RESULT ' + json.dumps(obj), flush=True)

def part_env():
    "Versions, the GPUs as torch sees them, whether the workshop imports, and torch against pyproject.toml's range"
    import importlib, platform, tomllib, torch
    from importlib.metadata import distributions
    from packaging.requirements import Requirement
    want = next(r for r in map(Requirement, tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['dependencies'])
                if r.name == 'torch').specifier
    broken = {}
    for m in ('fastai.vision.all', 'nbdev.test', 'execnb.shell', 'ipywidgets', 'sklearn', 'accelerate', 'painters.learner',
              'painters.compare', 'painters.distributed', 'painters.cli'):
        try: importlib.import_module(m)
        except Exception as e: broken[m] = f"{type(e).__name__}: {e}"
    def v(n): return next((d.version for d in distributions(name=n)), 'absent')
    cuda = torch.cuda.is_available()
    result(dict(torch=torch.__version__, torch_range=str(want), torch_ok=want.contains(torch.__version__, prereleases=True), cuda_ok=cuda,
                cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(), python=platform.python_version(), cpus=os.cpu_count(),
                gpus=[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
                threads=torch.get_num_threads(), broken=broken, versions={n: v(n) for n in (
                'torchvision', 'timm', 'accelerate', 'fastai', 'fastcore', 'nbdev', 'execnb', 'numpy', 'pandas', 'scikit-learn')}))

def _bench(): # bench/speed.py: `make bench`'s own data and measurement
    sys.path.insert(0, str(ROOT/'bench')); import speed
    return speed

def part_sample(dest:str): result(str(_bench().sample_set(Path(dest), PER_PAINTER)))

def part_speed(device:str, path:str, repeats:str=str(REPEATS)):
    "make bench's training figure, images/s of `fine_tune(1)`, at each size and precision, on `device` ('cuda' or 'cpu')"
    import torch
    from fastai.torch_core import default_device
    from painters.backbones import pretrained_backbone
    from painters.data import painter_dls
    from painters.learner import painter_learner
    speed = _bench()
    if default_device().type != device: raise SystemExit(f"fastai's default device is {default_device()}, not {device}")
    bb = pretrained_backbone('auto', offline='yes', verbose=False) # as make bench
    precisions = ('fp32', 'fp16', 'bf16') if device == 'cuda' else ('fp32',)
    def once(size, precision)->float:
        learn = painter_learner(painter_dls(path, size=size, bs=BS), bb)
        if precision != 'fp32': getattr(learn, f'to_{precision}')() # fastai's MixedPrecision callback
        seconds, images = speed.timed(speed.fastai_fine_tune, learn)
        return round(images / seconds, 1)
    ips = {}
    for size in SIZES:
        if device == 'cuda' or size == SIZES[0]: once(size, 'fp32') # warm-up: the first calls build the kernels
        ips[size] = {p: [] for p in precisions}
        for r in range(int(repeats)): # the precisions alternated, in a rotating order
            for p in precisions[r % len(precisions):] + precisions[:r % len(precisions)]: ips[size][p].append(once(size, p))
    result(dict(backbone=bb.name, threads=torch.get_num_threads(), ips=ips))

def part_precision(path:str):
    "`train_painter_model`, the recipe of `painters train`, in fp32, fp16 and bf16: the validation paintings each gets wrong"
    import painters.learner as L
    from painters.backbones import pretrained_backbone
    from painters.compare import mcnemar_exact
    bb, plain, out = pretrained_backbone('auto', offline='yes', verbose=False), L.painter_learner, {}
    for size in SIZES:
        runs = out[size] = {}
        for precision in ('fp32', 'fp16', 'bf16'):
            def learner(*a, **k): # the recipe's learner, then `learn.to_fp16()` or `learn.to_bf16()`
                learn = plain(*a, **k)
                if precision != 'fp32': getattr(learn, f'to_{precision}')()
                return learn
            L.painter_learner, start = learner, time.perf_counter()
            try: learn = L.train_painter_model(path, size=size, backbone=bb, quiet=True)
            finally: L.painter_learner = plain
            seconds = time.perf_counter() - start
            with learn.no_bar(): probs, targs = learn.get_preds(dl=learn.dls.valid)
            mp = getattr(learn, 'mixed_precision', None)
            runs[precision] = dict(seconds=round(seconds, 1), amp=mp.amp_mode.value if mp else 'fp32', probe_error=learn.probe_error,
                                   device=str(next(learn.model.parameters()).device), wrong=(probs.argmax(1) != targs).int().tolist())
        for p in ('fp16', 'bf16'): # the paintings only fp32 gets wrong, against those only `p` gets wrong
            pairs = list(zip(runs['fp32']['wrong'], runs[p]['wrong']))
            runs[p]['p'] = mcnemar_exact(sum(a > b for a, b in pairs), sum(b > a for a, b in pairs))
    result(out)

def part_reference(model:str, paintings:str):
    "The exported model's loss and error rate on its validation paintings, computed by one process on the GPU"
    import warnings; warnings.filterwarnings('ignore')
    import fastai.callback.progress # noqa: F401 `no_bar`
    from fastai.learner import load_learner
    from fastai.torch_core import set_seed
    from painters.data import painter_block
    set_seed(42, reproducible=True) # cuDNN set as `painters train` sets it
    dsets = painter_block(64, valid_pct=0.2, seed=42).datasets(paintings)
    learn = load_learner(model, cpu=False)
    with learn.no_bar(): loss, error = map(float, learn.validate(dl=learn.dls.test_dl(dsets.valid.items, with_labels=True)))
    result(dict(n=len(dsets.valid), n_train=len(dsets.train), loss=loss, error_rate=error, device=str(next(learn.model.parameters()).device)))

PARTS = dict(env=part_env, sample=part_sample, speed=part_speed, precision=part_precision, reference=part_reference)

# ---------------------------------------------------------------- running things
def _kill(p):
    try: os.killpg(p.pid, signal.SIGKILL) # its whole process group: torchrun's workers, nbdev-test's too
    except ProcessLookupError: pass

def run(cmd:list, env:dict, timeout:float, log, lines:list|None=None)->tuple: # (return code, stdout, stderr); -9: out of time
    "Run `cmd` until it ends or `timeout`; its output goes to `log` too. With `lines`, both streams as one, each line with its time"
    log.write(f"\n$ {' '.join(map(str, cmd))}\n"); log.flush()
    p = subprocess.Popen(list(map(str, cmd)), cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True,
                         stderr=subprocess.STDOUT if lines is not None else subprocess.PIPE)
    timer, start = threading.Timer(max(1, timeout), _kill, [p]), time.perf_counter()
    timer.start()
    try:
        if lines is None: out, err = p.communicate()
        else:
            for l in p.stdout: lines.append((time.perf_counter() - start, l.rstrip('\n'))); log.write(l); log.flush()
            out, err = '', ''
        rc = p.wait()
    finally: timer.cancel()
    log.write(out + err + '\n'); log.flush()
    return rc, out, err

def run_part(name:str, args:list, env:dict, timeout:float, log)->dict|str|list:
    "One part in a fresh Python: what it found, or {'error': ...} with the last line it said"
    rc, out, err = run([sys.executable, __file__, '--part', name, *args], env, timeout, log)
    found = [l[7:] for l in out.splitlines() if l.startswith('RESULT ')]
    if rc == 0 and found: return json.loads(found[-1])
    last = [l for l in (err + out).splitlines() if l.strip()][-1:] or ['no output']
    return dict(error=('out of time' if rc == -9 else f"exit {rc}") + f": {last[0][:300]}")

def console_script(name:str, site:Path|None)->str:
    "A console script: in `site`'s bin (where the wheels went) or beside this Python"
    return next((str(d/name) for d in [*([site/'bin'] if site else []), Path(sys.executable).parent] if (d/name).exists()), name)

# ---------------------------------------------------------------- the checks
def notebook_results(lines:list, names:list)->list:
    "Per notebook: passed, failed, did not finish or not run, and seconds, from what `nbdev-test --do-print` printed, and when"
    starts = {Path(l.split('Starting ', 1)[1]).name: t for t, l in lines if l.startswith('Starting ')}
    ends = {Path(l.split('- Completed ', 1)[1]).name: t for t, l in lines if l.startswith('- Completed ')}
    failed = {l.strip() for _, l in lines if l.startswith('\t') and l.strip().endswith('.ipynb')}
    def status(n): return 'failed' if n in failed else 'passed' if n in ends else 'did not finish' if n in starts else 'not run'
    return [dict(name=n, status=status(n), seconds=round(ends[n] - starts[n], 1) if n in starts and n in ends else None) for n in names]

def check_notebooks(env:dict, site, workers:int, timeout:float, log)->dict:
    "Every notebook as `make test-nbs` runs them, on this machine's GPU, in a fresh learner home; then its models folder"
    home, lines = Path(tempfile.mkdtemp(prefix='painters-learner-')), []
    threads = max(1, (os.cpu_count() or 2) // workers) # the notebooks running at once share the cores
    (home/'lessons').mkdir() # each lesson's own test-size home, kept for the models check (`PAINTERS_LESSON_HOMES`, as test-nbs)
    nb_env = {**env, **REFUSE_NETWORK, 'PAINTERS_OFFLINE': 'auto', 'PAINTERS_DATA': str(home/'data'), 'PAINTERS_MODELS': str(home/'models'),
              'PAINTERS_LESSON_HOMES': str(home/'lessons'), 'OMP_NUM_THREADS': str(threads)}
    start = time.perf_counter()
    try:
        rc, _, _ = run([sys.executable, console_script('nbdev-test', site), '--n-workers', workers, *NBDEV_TEST_ARGS, '--do-print'],
                       nb_env, timeout, log, lines)
        seconds = time.perf_counter() - start
        rc_models, out, err = run([sys.executable, ROOT/'tools'/'check_models.py', home/'models', home/'lessons'], nb_env, 300, log)
    finally: shutil.rmtree(home, ignore_errors=True)
    return dict(seconds=round(seconds), workers=workers, threads=threads, tail=[l for _, l in lines][-15:] if rc else [],
                notebooks=notebook_results(lines, sorted(p.name for p in (ROOT/'nbs').glob('*.ipynb'))),
                models_ok=rc_models == 0, models=((out + err).strip().splitlines() or ['no output'])[0])

def results_row(stdout:str)->dict:
    "The header and the last epoch's row of the results table `painters train` prints, as a dict"
    lines = stdout.splitlines()
    i = next((i for i, l in enumerate(lines) if l.startswith('epoch') and 'valid_loss' in l), None)
    return {} if i is None or i + 1 >= len(lines) else dict(zip(lines[i].split(), lines[i+1].split()))

def ranks(stdout:str)->list:
    "The per-process lines of the table `painters train` prints after a data-parallel fit"
    lines = stdout.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith('rank ')), len(lines))
    return [dict(zip(('rank', 'device', 'model', 'images', 'weights'), l.split())) for l in lines[start+1:] if l[:1].isdigit()]

def check_torchrun(env:dict, procs:int, tmp:Path, timeout:float, log)->dict:
    "`painters train` under torchrun, with tests/test_distributed.py's paintings and checks, the reference computed on the GPU"
    paintings, model, start = tmp/'launch', tmp/f'model-{procs}.pkl', time.perf_counter()
    if not paintings.exists(): run([sys.executable, '-m', 'painters.cli', 'sample', '--dest', paintings, '--n', 13, '--size', 64], env, 120, log)
    rc, out, err = run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', procs, '-m', 'painters.cli', 'train',
                        paintings, '--epochs', 1, '--size', 64, '--bs', 11, '--backbone', 'efficientnet_lite0', '--out', model], env, timeout, log)
    res = dict(procs=procs, seconds=round(time.perf_counter() - start), checks={'exit code 0': rc == 0})
    if rc: res['error'] = ([l for l in err.splitlines() if l.strip()][-1:] or [f'exit {rc}'])[0][:300]; return res
    ref = run_part('reference', [model, paintings], env, 180, log)
    if 'error' in ref: res['error'] = f"the reference: {ref['error']}"; return res
    row, c = results_row(out), res['checks']
    if 'error_rate' not in row: res['error'] = 'no results table in what it printed'; return res
    res.update(reference=ref, table=dict(error_rate=float(row['error_rate']), loss=float(row['valid_loss'])))
    c['one results table, one "Exported the model" line'] = out.count('train_loss') == 1 and out.count('Exported the model') == 1
    c[f"the table's error rate is one process's on the {ref['n']} validation paintings"] = abs(res['table']['error_rate'] - ref['error_rate']) <= 1e-6
    c["the table's valid_loss is one process's (to 2e-6: it prints 6 decimals)"] = abs(res['table']['loss'] - ref['loss']) <= 2e-6
    c['the closing line gives that error rate'] = f"error rate on the {ref['n']} validation images: {ref['error_rate']:.3f}" in out
    if procs > 1:
        rows = res['ranks'] = ranks(out)
        c['one DistributedDataParallel copy on each GPU'] = [(p['rank'], p['device'], p['model']) for p in rows] == [
            (str(i), f'cuda:{i}', 'DistributedDataParallel') for i in range(procs)]
        c[f"each copy trained on its share of the {ref['n_train']} images"] = [int(p['images']) for p in rows] == [math.ceil(ref['n_train'] / procs)] * procs
        c['the all-reduce kept the copies identical'] = len({p['weights'] for p in rows}) == 1
    return res

# ---------------------------------------------------------------- the results file
def failures(r:dict)->list: # one line per failed check
    "What failed, one line each"
    out, nb = list(r.get('problems', [])), r.get('notebooks')
    if nb: out += [f"notebook {n['name']}: {n['status']}" for n in nb['notebooks'] if n['status'] != 'passed'] + ([] if nb['models_ok'] else [f"models folder: {nb['models']}"])
    out += [f"speed on the {DEVICES[k]}: {d['error']}" for k, d in (r.get('speed') or {}).items() if 'error' in d]
    pr = r.get('precision') or {}
    if 'error' in pr: out.append(f"precision: {pr['error']}"); pr = {}
    for size, runs in pr.items():
        out += [f"{p} at {size} px: trained in {runs[p]['amp']}" for p in ('fp16', 'bf16') if runs[p]['amp'] != p]
        out += [f"{p} at {size} px: wrong on other paintings than fp32, beyond noise (p = {runs[p]['p']:.3f})" for p in ('fp16', 'bf16') if runs[p]['p'] < 0.05]
    for t in r.get('torchrun', []):
        out += [f"torchrun {t['procs']}: {k}" for k, ok in t['checks'].items() if not ok]
        if 'error' in t: out.append(f"torchrun {t['procs']}: {t['error']}")
    return out

def speed_table(speed:dict)->list:
    "The speed section's table: the best images/s of each size and precision, the GPU's against the CPU's"
    gpu, cpu = speed.get('cuda', {}), speed.get('cpu', {})
    def best(d, size, p): return max(d['ips'][str(size)][p]) if 'ips' in d else None
    def fmt(x): return '' if x is None else f"{x:,.0f}" if x >= 100 else f"{x:.1f}"
    lines = [f"| size | GPU fp32 | GPU to_fp16() | GPU to_bf16() | CPU fp32, {cpu.get('threads', '?')} threads | GPU fp32 / CPU |", '|---|---:|---:|---:|---:|---:|']
    for size in SIZES:
        (f32, f16, b16), c = (best(gpu, size, p) for p in ('fp32', 'fp16', 'bf16')), best(cpu, size, 'fp32')
        lines.append(f"| {size} px | {fmt(f32)} | {fmt(f16)} | {fmt(b16)} | {fmt(c)} | {f'{f32 / c:.1f}x' if f32 and c else ''} |")
    return lines + [f"\n{DEVICES[k]}: {d['error']}" for k, d in speed.items() if 'error' in d]

def report(r:dict)->str:
    "The results file: the machine, one section per check, and what failed"
    e, fails, nb, pr = r.get('env', {}), failures(r), r.get('notebooks'), r.get('precision')
    lines = [f"# painters on a GPU, {r['started']}", '', f"`{r['command']}`, {r['seconds']:.0f} s: " +
             ('every check passed.' if not fails else f"{len(fails)} failed (the list is at the end)."), '',
             f"- GPU (nvidia-smi: name, driver, memory): {'; '.join(r.get('gpus') or ['none seen'])}",
             f"- Python {e.get('python')}, torch {e.get('torch')} (pyproject.toml: {e.get('torch_range')}), CUDA {e.get('cuda')}, cuDNN {e.get('cudnn')}",
             '- ' + ', '.join(f"{k} {x}" for k, x in e.get('versions', {}).items()), f"- CPU: {e.get('cpus')} cores; torch computes with {e.get('threads')} threads"]
    if nb:
        lines += ['', f"## Notebooks: nbdev-test on the GPU as `make test-nbs` runs it ({nb['workers']} at once, {nb['threads']} threads each), {nb['seconds']} s",
                  '', '| notebook | result | seconds |', '|---|---|---:|'] + [f"| {n['name']} | {n['status']} | {n['seconds'] or ''} |" for n in nb['notebooks']]
        lines += ['', f"The models folder afterwards: {nb['models']}"] + (['', '```', *nb['tail'], '```'] if nb['tail'] else [])
    if r.get('speed'):
        lines += ['', f"## Speed: images/s of `fine_tune(1)` as `make bench` measures it (EfficientNet-Lite0, bs {BS}, {2 * PER_PAINTER} generated "
                  f"paintings at 192 px, 120 trained on), the best of {REPEATS} runs on the GPU", ''] + speed_table(r['speed'])
    if pr and 'error' not in pr:
        lines += ['', "## Precision: `painters train`'s recipe (LP-FT, 10 epochs), the validation paintings each run gets wrong", '',
                  '| size | fp32 | to_fp16() | to_bf16() | seconds: fp32, fp16, bf16 | as fp32, within noise |', '|---|---|---|---|---|---|']
        for size, runs in pr.items():
            (f32, f16, b16), n = (runs[p] for p in ('fp32', 'fp16', 'bf16')), len(runs['fp32']['wrong'])
            lines.append(f"| {size} px | {sum(f32['wrong'])} of {n} | {sum(f16['wrong'])} (p = {f16['p']:.2f}) | {sum(b16['wrong'])} (p = {b16['p']:.2f}) | "
                         f"{f32['seconds']}, {f16['seconds']}, {b16['seconds']} | {'yes' if min(f16['p'], b16['p']) >= 0.05 else 'NO'} |")
        lines.append("\np: the exact McNemar test on the paintings one run gets wrong and fp32 right, or the other way round; under 0.05 is more than noise.")
    for t in r.get('torchrun', []):
        lines += ['', f"## torchrun --nproc_per_node {t['procs']}, {t['seconds']} s: " + ('NCCL' if t['procs'] > 1 else
                  'one process (`data_parallel` starts no process group for one, so no NCCL)'), '']
        if 'table' in t: lines += [f"The table: error rate {t['table']['error_rate']:.6f}, valid_loss {t['table']['loss']:.6f}; one process on "
                                   f"{t['reference']['device']}: {t['reference']['error_rate']:.6f}, {t['reference']['loss']:.6f}", '']
        lines += [f"- {'ok' if ok else 'FAILED'}: {k}" for k, ok in t['checks'].items()] + ([f"- error: {t['error']}"] if 'error' in t else [])
    return '\n'.join(lines + (['', '## What failed', ''] + [f"- {f}" for f in fails] if fails else [])) + '\n'

# ---------------------------------------------------------------- main
def main(argv=None)->int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog='\n'.join(__doc__.splitlines()[1:]),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=str(ROOT/'bench'/'results'), help='folder for gpu-<date>.md and its log (default: bench/results)')
    ap.add_argument('--wheels', default=str(ROOT/'.whl'), help='install the wheels of this folder first, if it holds any (default: .whl)')
    ap.add_argument('--site', default=str(Path(tempfile.gettempdir())/'painters-gpu-site'), help='where to install them')
    ap.add_argument('--only', nargs='+', choices=STEPS, default=list(STEPS), help='run only these checks')
    ap.add_argument('--workers', type=int, default=min(6, max(1, (os.cpu_count() or 2) // 2)), help='notebooks nbdev-test runs at once')
    ap.add_argument('--budget', type=float, default=480, help='seconds for the whole run (default 480): a check that would start too late is skipped')
    ap.add_argument('--part', nargs='+', help=argparse.SUPPRESS) # one part, in a process the checks start
    args = ap.parse_args(argv)
    if args.part: PARTS[args.part[0]](*args.part[1:]); return 0
    if not visible_gpus():
        print("gpu-check: no CUDA GPU on this machine (nvidia-smi lists none): nothing to check here", file=sys.stderr); return 2
    started, t0 = datetime.now(), time.perf_counter()
    def left(): return args.budget - (time.perf_counter() - t0)
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    stem = out/f"gpu-{started:%Y%m%d}"
    r = dict(started=f"{started:%Y-%m-%d %H:%M}", problems=[],
             command=' '.join(['python3 tools/gpu_check.py', *(sys.argv[1:] if argv is None else argv)]))
    def save(): r['seconds'] = time.perf_counter() - t0; Path(f"{stem}.md").write_text(report(r))
    def step(name, need, f, what=None): # run `f` now if the budget leaves the `need` seconds it takes; what it raises is a problem
        if name not in args.only: return
        if left() < need: r['problems'].append(f"{what or name}: skipped, {left():.0f} s of the budget left"); return
        print(f"gpu-check: {what or name} ({left():.0f} s left)", flush=True)
        try: f()
        except Exception as ex: r['problems'].append(f"{what or name}: {type(ex).__name__}: {ex}")
        save()
    wheels = Path(args.wheels)
    site = Path(args.site) if wheels.is_dir() and any(wheels.glob('*.whl')) else None
    with open(f"{stem}.log", 'w') as log, tempfile.TemporaryDirectory(prefix='painters-gpu-') as tmp:
        if site:
            print(f"gpu-check: installing the {len(list(wheels.glob('*.whl')))} wheels of {wheels} into {site}", flush=True)
            try: install_wheels(wheels, site)
            except subprocess.CalledProcessError: print(f"gpu-check: cannot run: pip could not install {wheels}/*.whl", file=sys.stderr); return 2
        env = {**os.environ, 'PYTHONUNBUFFERED': '1', 'HF_HUB_OFFLINE': '1', 'PAINTERS_OFFLINE': 'yes',
               'PYTHONPATH': os.pathsep.join([*([str(site)] if site else []), str(ROOT), *filter(None, [os.environ.get('PYTHONPATH')])]),
               'PATH': os.pathsep.join([*([str(site/'bin')] if site else []), os.environ.get('PATH', '')])}
        try: smi = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
                                  capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError): smi = ''
        r['gpus'] = [l.strip() for l in smi.splitlines() if l.strip()]
        e = r['env'] = run_part('env', [], env, 300, log)
        why = e.get('error') or ('torch sees no GPU' if not e['cuda_ok'] else f"torch {e['torch']} is outside pyproject.toml's {e['torch_range']}"
                                 if not e['torch_ok'] else '; '.join(f"{m}: {x}" for m, x in e['broken'].items()))
        if why:
            r['problems'].append(f"cannot run: {why}"); save()
            print(f"gpu-check: cannot run: {why} (the log: {stem}.log)", file=sys.stderr); return 2
        print(f"gpu-check: {', '.join(e['gpus'])}, torch {e['torch']}; results in {stem}.md", flush=True); save()
        reserve = 210 if set(args.only) - {'notebooks'} else 0 # seconds kept for the checks after the notebooks
        step('notebooks', reserve + 120, lambda: r.update(notebooks=check_notebooks(env, site, args.workers, left() - reserve, log)))
        path = run_part('sample', [Path(tmp)/'bench-set'], env, 120, log) if {'speed', 'precision'} & set(args.only) else None
        if isinstance(path, dict): r['problems'].append(f"speed and precision: no generated set ({path['error']})"); path = None
        if path: step('speed', 60, lambda: r.update(speed=dict(cuda=run_part('speed', ['cuda', path], env, min(300, left()), log))))
        if path: step('precision', 60, lambda: r.update(precision=run_part('precision', [path], env, min(300, left()), log)))
        step('torchrun', 45, lambda: r.update(torchrun=[check_torchrun(env, n, Path(tmp), min(240, left()), log) for n in (1, 2) if n <= len(e['gpus'])]))
        if path: step('speed', 30, lambda: r.setdefault('speed', {}).update(cpu=run_part('speed', ['cpu', path, 1], {**env, 'CUDA_VISIBLE_DEVICES': ''},
                                                                                   min(240, left()), log)), 'speed on the CPU')
        save()
    fails = failures(r)
    print(f"gpu-check: {'every check passed' if not fails else f'{len(fails)} failed: ' + '; '.join(fails)}; results in {stem}.md")
    return 1 if fails else 0

if __name__ == '__main__': sys.exit(main())
