"""How fast the workshop is on this machine: one table of side-by-side measurements, run by `make bench`.

(a) training: images/s of `painter_learner(...).fine_tune(1)` against a plain PyTorch loop written here (same backbone,
    same starting weights, same data already decoded to tensors, same batch size, same threads, same work: a frozen
    one-cycle epoch, an unfrozen one, a validation pass after each); the ratio is fastai's overhead.
(b) data: images/s of one epoch of the training DataLoader, from large images against images pre-resized at download
    time, with 0 and 2 workers (the epoch loop is `data_epoch` from bench/data_workers.py).
(c) notebooks: `nbdev-test` wall time and peak memory (PSS summed over the process tree: RSS without counting pages
    shared with a parent twice) of the whole suite run as `make test-nbs` runs it, and of each notebook's stretch of it;
    and of each notebook alone in a fresh process, as a participant's kernel runs it (--no-separate skips that).
(d) the physical limit: the backbone's forward+backward FLOPs (torch.utils.flop_counter) times images/s, against what
    a matrix multiply of comparable size reaches with torch in the same run.
(e) candidate speed-ups, each measured against the current way: channels-last, `torch.inference_mode`, smaller images,
    repeated model loads.
(f) the test suite: `pytest -q tests` wall time of an earlier revision (checked out in a temporary folder) against the
    working tree's, one after the other, with their pass/fail counts and how much each checks (tools/count_assertions.py:
    cases, assertion sites, checks over the cases), so that a quicker suite is seen to check as much.
(g) data parallel: training images/s of `painters.distributed.data_parallel` under torchrun with 2 processes (1 thread
    each) against 1 process (2 threads, and 1 thread), on this CPU (gloo). Multi-GPU is not measured here.
Variants of one measurement run alternately in one process; the ratio of medians is reported, with the ratio of the
best runs beside it. Ratios hold up under moderate load from other processes; absolute figures (images/s, seconds) do
not, which is why the load average is printed. On 2 cores with other busy processes, torch's 2 threads can be slowed
several-fold (a thread waits for its descheduled partner in every parallel op): then only the best runs mean much.
Usage: python bench/speed.py [--only quick|notebooks|pytest|dist|all] [--repeats N]   (`BENCH=quick make bench` skips notebooks)
"""
import argparse, copy, os, platform, statistics, subprocess, sys, tempfile, time, warnings
from datetime import datetime, timezone
from pathlib import Path

PYTEST_BASELINE = '3b5232f' # the last commit before pytest ran the `painters` command in its own process (issue 23)

def parse_args(argv=None)->argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--only', default=os.environ.get('BENCH') or 'all', choices=['all', 'quick', 'notebooks', 'pytest', 'dist'],
                    help="quick: (a), (b), (d), (e); notebooks: (c); pytest: (f); dist: (g); all: every section")
    ap.add_argument('--pytest-baseline', default=PYTEST_BASELINE, help="the git revision whose test suite (f) compares with today's")
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--images-per-painter', type=int, default=75)
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--bs', type=int, default=16)
    ap.add_argument('--nb-workers', default=os.environ.get('NB_WORKERS', '1'))
    ap.add_argument('--notebooks', help='test only these notebooks (a path or glob, e.g. nbs/03*.ipynb); default: all')
    ap.add_argument('--no-separate', dest='separate', action='store_false', help="don't also run each notebook alone in a fresh process")
    return ap.parse_args(argv)

if __name__ == '__main__': parse_args() # `--help` and usage errors answer before torch and fastai are imported
warnings.filterwarnings('ignore')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import psutil, torch
from functools import partial
from fastai.vision.all import Learner, OptimWrapper # also patches in `Learner.no_bar`, `to_channelslast` and the other callbacks
from torch import nn

ROWS = [] # (section, what, a, b, ratio, target or note)
def row(section, what, a='', b='', ratio='', note=''): ROWS.append((section, what, a, b, ratio, note)); print(f"  {what}: {a} | {b} | {ratio} {note}", file=sys.stderr, flush=True)
def say(*a): print(*a, file=sys.stderr, flush=True)
def med(xs): return statistics.median(xs)
def fmt(x, d=1): return f"{x:,.{d}f}"

def timed(f, *args, **kwargs):
    "(seconds, result) of one call"
    start = time.perf_counter(); res = f(*args, **kwargs)
    return time.perf_counter() - start, res

def compare(ips:dict, section, what, a, b, note='speed-up if > 1', slowdown=False):
    "A table row comparing variants `a` and `b` of `ips` (name -> images/s of each run): medians, and the best runs"
    (ma, mb), (ba, bb) = (med(ips[a]), med(ips[b])), (max(ips[a]), max(ips[b]))
    r, rb = (mb / ma, bb / ba) if slowdown else (ma / mb, ba / bb)
    row(section, what, fmt(ma), fmt(mb), f"{r:.2f}x", f"{note}; best {rb:.2f}x; runs {'/'.join(fmt(x) for x in ips[a])} vs {'/'.join(fmt(x) for x in ips[b])}")

def alternate(variants:dict, repeats:int)->dict:
    "Run each variant `repeats` times, interleaved (rotating the order each round): name -> list of (seconds, result)"
    out, names = {k: [] for k in variants}, list(variants)
    for r in range(repeats):
        for k in names[r % len(names):] + names[:r % len(names)]: out[k].append(timed(variants[k]))
    return out

# ---------------------------------------------------------------- data
def sample_set(folder:Path, n_per_painter:int, size:int=192)->Path:
    from painters.painterly import make_sample_paintings
    return make_sample_paintings(folder, n_per_painter=n_per_painter, size=size, seed=42)

def resized_copy(src:Path, dest:Path, long_side:int, quality:int=90)->Path:
    "A copy of the folder of paintings `src` with every image resized (up or down) to `long_side` pixels"
    from PIL import Image
    for f in sorted(src.rglob('*.jpg')):
        out = dest/f.relative_to(src); out.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(f) as im: im.convert('RGB').resize((long_side, long_side * im.height // im.width), Image.LANCZOS).save(out, quality=quality)
    return dest

def tensors_of(dl)->tuple:
    "Every (decoded, resized, normalised) batch of `dl`, in order, as plain tensors (x, y)"
    xs, ys = [], []
    for xb, yb in dl.new(shuffle=False, drop_last=False):
        xs.append(xb.as_subclass(torch.Tensor).clone()); ys.append(yb.as_subclass(torch.Tensor).clone())
    return torch.cat(xs), torch.cat(ys)

# ---------------------------------------------------------------- (a) training
def set_frozen(model:nn.Module, frozen:bool):
    "fastai's `freeze` for a `vision_learner` model: body frozen except its batchnorm layers (train_bn), head trainable"
    for m in model[0].modules():
        bn = isinstance(m, nn.modules.batchnorm._BatchNorm)
        for p in m.parameters(recurse=False): p.requires_grad_(bn or not frozen)
    for p in model[1].parameters(): p.requires_grad_(True)

def one_cycle_lr(pct:float, pct_start=0.25, div=25., div_final=1e5)->float:
    "fastai's one-cycle schedule as a share of the top learning rate: cosine up from 1/div, then cosine down to 1/div_final"
    from math import cos, pi
    def cos_anneal(a, b, p): return b + (a - b) * (1 + cos(pi * p)) / 2
    return cos_anneal(1/div, 1., pct/pct_start) if pct < pct_start else cos_anneal(1., 1/div_final, (pct - pct_start) / (1 - pct_start))

def plain_fine_tune(model:nn.Module, data:tuple, bs:int, epochs=1, freeze_epochs=1, base_lr=2e-3, channels_last=False)->int:
    "What `fine_tune` does, as a plain PyTorch loop on tensors: returns the number of training images seen"
    (xt, yt), (xv, yv) = data
    loss_fn, seen, nb = nn.CrossEntropyLoss(), 0, len(xt) // bs
    if channels_last: model = model.to(memory_format=torch.channels_last)
    def prep(x): return x.contiguous(memory_format=torch.channels_last) if channels_last else x
    def one_cycle(n, lr):
        nonlocal seen
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: one_cycle_lr(i / (n * nb)))
        for _ in range(n):
            model.train(); perm = torch.randperm(len(xt))
            for i in range(nb):
                idx = perm[i*bs:(i+1)*bs]
                loss = loss_fn(model(prep(xt[idx])), yt[idx])
                loss.backward(); opt.step(); sched.step(); opt.zero_grad(set_to_none=True); seen += bs
            model.eval(); wrong = 0
            with torch.no_grad(): # fastai validates under no_grad too
                for i in range(0, len(xv), bs):
                    out = model(prep(xv[i:i+bs])); loss_fn(out, yv[i:i+bs]); wrong += int((out.argmax(1) != yv[i:i+bs]).sum())
    set_frozen(model, True); one_cycle(freeze_epochs, base_lr)
    set_frozen(model, False); one_cycle(epochs, base_lr / 2)
    return seen

def tensor_dls(data:tuple, bs:int):
    "fastai DataLoaders over the same decoded tensors the plain loop uses"
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    (xt, yt), (xv, yv) = data
    return DataLoaders(DataLoader(list(zip(xt, yt)), bs=bs, shuffle=True, drop_last=True), DataLoader(list(zip(xv, yv)), bs=bs), device='cpu')

def fastai_fine_tune(learn)->int:
    "`learn.fine_tune(1)` without the progress bar: returns the number of training images seen"
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(1)
    dl = learn.dls.train
    return 2 * (len(dl.dataset) // dl.bs) * dl.bs

def bench_training(path:Path, size:int, bs:int, repeats:int, backbone)->dict:
    from painters.data import painter_dls
    from painters.learner import painter_learner
    say(f"(a) training: {backbone!r}")
    dls = painter_dls(path, size=size, bs=bs)
    learn0 = painter_learner(dls, backbone)
    state = copy.deepcopy(learn0.model.state_dict())
    data = (tensors_of(learn0.dls.train), tensors_of(learn0.dls.valid))
    def fresh_model(): m = copy.deepcopy(learn0.model); m.load_state_dict(state); return m
    def learner(files=True, aug=False, **kw):
        l = painter_learner(painter_dls(path, size=size, bs=bs, aug=aug), backbone, **kw)
        l.model.load_state_dict(state)
        if not files: l.dls = tensor_dls(data, bs)
        return l
    # the learners are built before the clock starts: building one (reading the weights) is measured in (e)
    def run_fastai(contiguous=False, **kw): # `painter_learner` trains channels-last; `contiguous` undoes it
        l = learner(**kw)
        if contiguous: l.to_contiguous()
        return timed(fastai_fine_tune, l)
    threads = torch.get_num_threads()
    def run_plain(channels_last=False, d=None, threads=threads):
        m, before = fresh_model(), torch.get_num_threads()
        torch.set_num_threads(threads)
        try: return timed(plain_fine_tune, m, d or data, bs, channels_last=channels_last)
        finally: torch.set_num_threads(before)
    small = max(32, size * 3 // 4)
    l_small = painter_learner(painter_dls(path, size=small, bs=bs), backbone)
    data_small = (tensors_of(l_small.dls.train), tensors_of(l_small.dls.valid))
    torch_adamw = partial(OptimWrapper, opt=partial(torch.optim.AdamW, betas=(0.9, 0.99), eps=1e-5, foreach=True))
    run_plain() # warm-up: first calls build oneDNN kernels for these shapes
    variants = {'fastai_files': lambda: run_fastai(files=True), 'fastai_tensors': lambda: run_fastai(files=False), 'plain': run_plain,
                'fastai_files_aug': lambda: run_fastai(files=True, aug=True),
                'fastai_files_contig': lambda: run_fastai(files=True, contiguous=True),
                'fastai_files_torchopt': lambda: run_fastai(files=True, opt_func=torch_adamw),
                'plain_cl': lambda: run_plain(channels_last=True), 'plain_small': lambda: run_plain(d=data_small),
                'plain_1thread': lambda: run_plain(threads=1)}
    res = alternate(variants, repeats)
    ips = {k: [r[1][1] / r[1][0] for r in v] for k, v in res.items()} # images/s per run (the inner timing excludes building)
    m = {k: med(v) for k, v in ips.items()}
    n_train = len(data[0][0])
    row('a', f"training images/s of fine_tune(1) (a frozen + an unfrozen epoch, {n_train} train imgs), {size}px, bs {bs}, {backbone.name}", '', '', '', 'ratio: of medians; best: of the best runs')
    # like with like: `painter_learner` trains channels-last, so fastai is compared with the channels-last plain loop
    compare(ips, 'a', 'fastai fine_tune from files (A) vs plain loop on tensors (B), both channels-last', 'fastai_files', 'plain_cl', "slowdown B/A: fastai's overhead with decoding", slowdown=True)
    compare(ips, 'a', 'fastai fine_tune on the same tensors (A) vs plain loop (B), both channels-last', 'fastai_tensors', 'plain_cl', "slowdown B/A: fastai's overhead; target <= 1.3x", slowdown=True)
    compare(ips, 'a', 'fastai from files, aug=True as in the recipe (A) vs aug=False (B)', 'fastai_files_aug', 'fastai_files', 'slowdown B/A: the cost of augmentation', slowdown=True)
    compare(ips, 'e', 'fastai from files, channels-last as painter_learner trains (A) vs contiguous (B)', 'fastai_files', 'fastai_files_contig')
    compare(ips, 'e', 'fastai from files, opt_func=torch AdamW(foreach) via OptimWrapper (A) vs as is (B)', 'fastai_files_torchopt', 'fastai_files')
    compare(ips, 'e', 'plain loop: channels_last (A) vs contiguous (B)', 'plain_cl', 'plain')
    compare(ips, 'e', f'plain loop: {small}px images (A) vs {size}px (B)', 'plain_small', 'plain', f'speed-up; {(size/small)**2:.2f}x fewer pixels')
    compare(ips, 'e', f'plain loop: 1 torch thread (A) vs {threads} (B)', 'plain_1thread', 'plain')
    return dict(model=fresh_model(), data=data, ips=ips, bs=bs, size=size)

# ---------------------------------------------------------------- (d) the physical limit
def conv_gemms(model, x):
    "(flops, (M, K, N)) of every ungrouped convolution of `model` on `x`, as the matrix multiply it amounts to"
    out = []
    def hook(m, inp, o):
        if m.groups == 1:
            M, K, N = o.shape[0] * o.shape[2] * o.shape[3], m.in_channels * m.kernel_size[0] * m.kernel_size[1], m.out_channels
            out.append((2 * M * K * N, (M, K, N)))
    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad(): model.eval(); model(x)
    for h in hs: h.remove()
    return out

def matmul_gflops(M, K, N, chunks=5, seconds=0.2)->list:
    "GFLOP/s of float32 (M,K) @ (K,N) matrix multiplies, in `chunks` of about `seconds` each (total work / total time, as training is timed)"
    a, b = torch.randn(M, K), torch.randn(K, N)
    for _ in range(3): a @ b
    res = []
    for _ in range(chunks):
        n, start = 0, time.perf_counter()
        while (t := time.perf_counter() - start) < seconds or n < 3: a @ b; n += 1
        res.append(2 * M * K * N * n / t / 1e9)
    return res

def conv_backward_flops(grad_out_shape, x_shape, w_shape, bias, stride, padding, dilation, transposed, output_padding, groups,
                        output_mask, out_shape, **kwargs)->int:
    "FLOPs of a convolution's backward: torch's own formula counts a grouped (e.g. depthwise) convolution's weight gradient as if it were ungrouped, `groups` times too many"
    from math import prod
    fwd = 2 * prod(w_shape) * grad_out_shape[0] * prod((x_shape if transposed else grad_out_shape)[2:]) # = the forward's FLOPs
    return fwd * (bool(output_mask[0]) + bool(output_mask[1])) # the input's gradient and the weight's each cost one forward

def flop_counter():
    "`FlopCounterMode` with the convolution backward formula fixed for grouped convolutions"
    from torch.utils.flop_counter import FlopCounterMode
    return FlopCounterMode(display=False, custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flops})

def step_flops(model, x, y, frozen:bool)->int:
    "FLOPs of one training step (forward + backward) of `model` on the batch `x`"
    set_frozen(model, frozen); model.train()
    with flop_counter() as fc: nn.functional.cross_entropy(model(x), y).backward()
    model.zero_grad(set_to_none=True)
    return fc.get_total_flops()

def bench_limit(tr:dict):
    model, ((xt, yt), (xv, yv)), bs = copy.deepcopy(tr['model']), tr['data'], tr['bs']
    x, y = xt[:bs], yt[:bs]
    frozen, unfrozen = step_flops(model, x, y, True) / bs, step_flops(model, x, y, False) / bs
    model.eval()
    with torch.no_grad(), flop_counter() as fc: model(x)
    fwd = fc.get_total_flops() / bs
    nb = len(xt) // bs
    # FLOPs of the work fine_tune(1) does, per training image seen
    per_img = (nb * bs * (frozen + unfrozen) + 2 * len(xv) * fwd) / (2 * nb * bs)
    gemms = sorted(conv_gemms(model, x), reverse=True)
    M, K, N = gemms[0][1]
    attain = {'matmul 2048x2048x2048': matmul_gflops(2048, 2048, 2048), 'matmul 1024x1024x1024': matmul_gflops(1024, 1024, 1024),
              f"matmul {M}x{K}x{N} (the model's biggest conv as a GEMM)": matmul_gflops(M, K, N)}
    best = max(attain, key=lambda k: med(attain[k]))
    row('d', f"FLOPs per image: forward {fwd/1e9:.3f} G; train step frozen {frozen/1e9:.3f} G, unfrozen {unfrozen/1e9:.3f} G; fine_tune(1) {per_img/1e9:.3f} G per train image", '', '', '', 'FlopCounterMode (grouped-conv backward fixed): matmuls and convs, not elementwise ops')
    for k, v in attain.items(): row('d', f"attainable: {k}, GFLOP/s", fmt(med(v)), '', '', f"{torch.get_num_threads()} threads, float32; best {fmt(max(v))}")
    for k, name in (('plain', 'plain loop'), ('plain_cl', 'plain loop, channels_last'), ('fastai_tensors', 'fastai on tensors'), ('fastai_files', 'fastai from files')):
        g, gb = per_img * med(tr['ips'][k]) / 1e9, per_img * max(tr['ips'][k]) / 1e9
        row('d', f"{name}: achieved GFLOP/s (A) vs {best} (B)", fmt(g), fmt(med(attain[best])), f"{g/med(attain[best]):.1%}",
            f"fraction of attainable compute; best runs {gb/max(attain[best]):.1%}")
    return dict(per_img=per_img, best=best)

# ---------------------------------------------------------------- (b) data pipeline
def bench_data(folder:Path, n_per_painter:int, repeats:int, size:int, bs:int):
    from data_workers import data_epoch # the datablock helper's epoch loop: one pass over the training DataLoader
    from painters.data import painter_dls
    base = sample_set(folder/'generated', n_per_painter)
    sets = {1280: resized_copy(base, folder/'large-1280', 1280), 400: resized_copy(base, folder/'download-400', 400),
            size: resized_copy(base, folder/f'presized-{size}', size)}
    dl = painter_dls(sets[size]).train # `data_epoch` uses painter_dls' defaults: size 128, bs 16
    n, size, bs = len(dl.dataset) // dl.bs * dl.bs, dl.after_item.fs[0].size[0] if hasattr(dl.after_item.fs[0], 'size') else 128, dl.bs
    variants = {(px, w): (lambda px=px, w=w: data_epoch(sets[px], w)) for px in sets for w in (0, 2)}
    res = alternate(variants, repeats)
    # `data_epoch` gives a Timer with wall and CPU seconds (this process and its finished DataLoader workers)
    wall = {k: n / med([getattr(r[1], 'wall', r[1]) for r in v]) for k, v in res.items()}
    cpu = {k: n / med([r[1].cpu for r in v]) for k, v in res.items()} if hasattr(res[(1280, 0)][0][1], 'cpu') else None
    base = (1280, 0)
    row('b', f"data: images/s of one training epoch ({n} images, Resize({size}) crop, bs {bs}), per wall s and per CPU s", '', '', '', 'B = 1280px, 0 workers')
    for (px, w), v in wall.items():
        row('b', f"{px}px long side, {w} workers: images per wall s (A) vs B", fmt(v), fmt(wall[base]), f"{v/wall[base]:.2f}x", 'speed-up')
        if cpu: row('b', f"{px}px long side, {w} workers: images per CPU s (A) vs B", fmt(cpu[(px, w)]), fmt(cpu[base]), f"{cpu[(px, w)]/cpu[base]:.2f}x", 'CPU cost (workers included)')

# ---------------------------------------------------------------- (e) model loads
def bench_loads(path:Path, size:int, bs:int, backbone):
    code = ("import time; t=time.perf_counter(); from fastai.vision.all import *; import painters.learner as L; t1=time.perf_counter(); "
            "from painters.backbones import pretrained_backbone; bb=pretrained_backbone('auto', verbose=False); "
            f"from painters.data import painter_dls; dls=painter_dls({str(path)!r}, size={size}, bs={bs}); t2=time.perf_counter(); "
            "l=L.painter_learner(dls, bb); t3=time.perf_counter(); l=L.painter_learner(dls, bb); t4=time.perf_counter(); "
            "print(t1-t, t3-t2, t4-t3)")
    imports, first, again = [], [], []
    for _ in range(3):
        out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
        if out.returncode: raise RuntimeError(out.stderr[-2000:])
        a, b, c = map(float, out.stdout.split()[-3:]); imports.append(a); first.append(b); again.append(c)
    row('e', 'fresh process: import fastai.vision.all + painters.learner, s', fmt(med(imports), 2), '', '', 'paid once per notebook')
    row('e', f'painter_learner: first in a process (A) vs again (B), s', fmt(med(first), 2), fmt(med(again), 2), f"{med(first)/med(again):.2f}x", f'{backbone.name}; weights read once, then cached')

def bench_eval(tr:dict, repeats:int, bs:int=64):
    "Forward passes in eval mode, as frozen features and validation run: `torch.no_grad` (fastai's way) vs `torch.inference_mode`, contiguous vs channels-last"
    model = copy.deepcopy(tr['model']).eval()
    model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
    x = torch.cat([tr['data'][0][0], tr['data'][1][0]])
    x_cl = x.contiguous(memory_format=torch.channels_last)
    def run(ctx, m, x):
        with ctx():
            for i in range(0, len(x), bs): m(x[i:i+bs])
        return len(x)
    variants = {'no_grad': lambda: run(torch.no_grad, model, x), 'inference_mode': lambda: run(torch.inference_mode, model, x),
                'no_grad_cl': lambda: run(torch.no_grad, model_cl, x_cl), 'inference_mode_cl': lambda: run(torch.inference_mode, model_cl, x_cl)}
    for v in variants.values(): v() # warm-up
    res = alternate(variants, max(5, repeats * 2))
    ips = {k: [r[1] / r[0] for r in v] for k, v in res.items()}
    row('e', f"evaluation (validation, frozen features): {len(x)} images, bs {bs}, images/s", '', '', '', 'B = no_grad, contiguous (as now)')
    for k, what in (('inference_mode', 'inference_mode'), ('no_grad_cl', 'no_grad + channels_last'), ('inference_mode_cl', 'inference_mode + channels_last')):
        compare(ips, 'e', f"  {what} (A) vs B", k, 'no_grad')

# ---------------------------------------------------------------- (c) notebooks
def tree_memory(procs)->int:
    "Memory of processes `procs` in bytes: the sum of their PSS (RSS with shared pages split between the sharers, so a forked worker's pages are not counted twice); RSS where PSS can't be read"
    total = 0
    for q in procs:
        try:
            try: total += q.memory_full_info().pss
            except (AttributeError, psutil.AccessDenied): total += q.memory_info().rss
        except psutil.Error: pass
    return total

def run_watched(cmd:list, poll:float=0.1, env=None)->tuple:
    "Run `cmd`: (seconds, [(time, memory of its whole process tree in bytes, see `tree_memory`)], [(time, output line)], return code)"
    import threading
    start, samples, lines = time.perf_counter(), [], []
    p = psutil.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    def read():
        for l in p.stdout: lines.append((time.perf_counter() - start, l.rstrip()))
    reader = threading.Thread(target=read, daemon=True); reader.start()
    while p.poll() is None:
        try: procs = [p] + p.children(recursive=True)
        except psutil.Error: procs = [p]
        samples.append((time.perf_counter() - start, tree_memory(procs))); time.sleep(poll)
    reader.join(5)
    return time.perf_counter() - start, samples, lines, p.returncode

def bench_notebooks(n_workers:str, separate:bool=False, path:str|None=None):
    """The suite as `make test-nbs` runs it, each notebook's window found from nbdev-test's `--do-print` lines;
    with `separate`, also each notebook alone in a fresh process, as a participant's kernel runs it"""
    nbdev_test = str(Path(sys.executable).parent/'nbdev-test')
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    say(f"(c) the whole suite: nbdev-test --n-workers {n_workers} --do-print --timing")
    secs, samples, lines, rc = run_watched([nbdev_test, *([path] if path else []), '--n-workers', n_workers, '--do-print', '--timing'], env=env)
    starts = {Path(l.split('Starting ', 1)[1]).name: t for t, l in lines if l.startswith('Starting ')}
    ends = {Path(l.split('- Completed ', 1)[1]).name: t for t, l in lines if l.startswith('- Completed ')}
    failed = [l.strip() for _, l in lines if l.strip().endswith('.ipynb') and l.startswith('\t')]
    peak = max((r for _, r in samples), default=0)
    row('c', f"nbdev-test suite, --n-workers {n_workers} (as `make test-nbs`): wall s (A), peak memory GB of the process tree (B)", fmt(secs), fmt(peak/1e9, 2), '',
        ('passed' if rc == 0 else f"FAILED ({', '.join(failed) or rc})") + '; target < 480 s, < 3 GB')
    for name in sorted(starts, key=starts.get):
        t0, t1 = starts[name], ends.get(name, secs)
        window = [r for t, r in samples if t0 <= t <= t1]
        nb_peak, at_start = max(window, default=0), (window or [0])[0]
        row('c', f"  {name}: wall s (A), peak memory GB (B) in the suite", fmt(t1 - t0), fmt(nb_peak/1e9, 2), '',
            ('' if name in ends else 'did not complete; ') + f"+{(nb_peak - at_start)/1e9:.2f} GB over its start; target < 180 s")
    if not separate: return
    worst = (0, '')
    for nb in sorted(ROOT.glob(path) if path else (ROOT/'nbs').glob('*.ipynb')):
        say(f"(c) nbdev-test {nb.name} alone")
        secs, samples, lines, rc = run_watched([nbdev_test, str(nb.relative_to(ROOT))], env=env)
        peak = max((r for _, r in samples), default=0); worst = max(worst, (peak, nb.name))
        row('c', f"  {nb.name} alone in a fresh process: wall s (A), peak memory GB (B)", fmt(secs), fmt(peak/1e9, 2), '', 'passed' if rc == 0 else 'FAILED')
    row('c', 'biggest peak memory of a notebook alone, GB', fmt(worst[0]/1e9, 2), '', '', f"{worst[1]}; target < 3 GB")

# ---------------------------------------------------------------- (g) data parallel
def bench_dist(folder:Path, n_per_painter:int, size:int, bs:int, repeats:int, epochs:int=1):
    "Training images/s with 1 and 2 processes under torchrun, on the CPU: `bench/dist_epoch.py`, variants alternated"
    import json
    path = sample_set(folder/'generated', n_per_painter, size=size)
    def launch(processes, threads):
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(processes),
               str(ROOT/'bench'/'dist_epoch.py'), str(path), str(size), str(bs), str(epochs)]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, 'OMP_NUM_THREADS': str(threads)})
        if r.returncode: raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr[-2000:]}")
        return json.loads(r.stdout.strip().splitlines()[-1])
    variants = {'2 processes x 1 thread': lambda: launch(2, 1), '1 process x 2 threads': lambda: launch(1, 2),
                '1 process x 1 thread': lambda: launch(1, 1)}
    res = alternate(variants, repeats)
    ips = {k: [r['images'] / r['seconds'] for _, r in v] for k, v in res.items()}
    some = res['2 processes x 1 thread'][0][1]
    row('g', f"data parallel: training images/s of {epochs} epoch(s) (+ validation) of efficientnet_lite0, {size}px, bs {bs} a process, "
        f"{some['images'] // epochs} training images an epoch; torchrun, gloo, this CPU", '', '', '', 'multi-GPU: not measured (no GPU here)')
    compare(ips, 'g', "2 processes x 1 thread (A) vs 1 process x 2 threads (B)", '2 processes x 1 thread', '1 process x 2 threads')
    compare(ips, 'g', "2 processes x 1 thread (A) vs 1 process x 1 thread (B)", '2 processes x 1 thread', '1 process x 1 thread')

# ---------------------------------------------------------------- table
def machine()->str:
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor()) if Path('/proc/cpuinfo').exists() else platform.processor()
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none'
    return (f"{os.cpu_count()} CPUs ({cpu}), {psutil.virtual_memory().total/2**30:.0f} GiB; torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads; GPU: {gpu}; the benchmark runs on the CPU")

def table()->str:
    heads = ('', 'measurement', 'A', 'B', 'ratio', 'note')
    cols = list(zip(heads, *ROWS))
    w = [max(len(str(c)) for c in col) for col in cols]
    line = lambda r: '| ' + ' | '.join(str(c).ljust(w[i]) if i in (0, 1, 5) else str(c).rjust(w[i]) for i, c in enumerate(r)) + ' |'
    return '\n'.join([line(heads), '|' + '|'.join('-' * (x + 2) for x in w) + '|'] + [line(r) for r in ROWS])

# ---------------------------------------------------------------- (f) the test suite
def _pytest_summary(out:str)->str:
    "pytest's closing counts, e.g. '150 passed, 1 skipped'"
    import re
    last = [l for l in out.splitlines() if re.search(r'\d+ (passed|failed)', l)]
    return re.sub(r'^=+ | in [\d.]+s.*$|=+$', '', last[-1]).strip() if last else 'no summary'

def run_pytest(root:Path, env:dict)->tuple:
    "Wall seconds and closing counts of `pytest -q tests` in `root`, with `root` first on the import path"
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests'], cwd=root, capture_output=True,
                       text=True, env={**env, 'PYTHONPATH': str(root)})
    return time.perf_counter() - t0, _pytest_summary(r.stdout)

def bench_pytest(baseline:str):
    "The pytest suite of `baseline` (a git revision, checked out in a temporary folder) against the working tree's, in one run"
    sys.path.insert(0, str(ROOT/'tools'))
    from count_assertions import count, summary
    say(f"(f) pytest: {baseline} against the working tree")
    env = {k: v for k, v in os.environ.items() if k not in ('IN_TEST', 'PYTHONPATH')}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp)/'baseline'; old.mkdir()
        archive = subprocess.run(['git', 'archive', baseline], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(['tar', '-x', '-C', str(old)], input=archive, check=True)
        (old/'.venv').symlink_to(ROOT/'.venv') # the same installed packages; `import painters` finds the baseline's own
        before, n_before = run_pytest(old, env)
        checks_before = count(old) # the same counter for both trees: the working tree's
    after, n_after = run_pytest(ROOT, env)
    checks_after = count(ROOT)
    row('f', f'pytest -q tests, wall s: {baseline} (A) vs working tree (B)', fmt(before), fmt(after), f"{before/after:.2f}x",
        f"speed-up if > 1; A: {n_before}; B: {n_after}")
    row('f', f'pytest checks over the cases (tools/count_assertions.py): {baseline} (A) vs working tree (B)',
        checks_before['checks'], checks_after['checks'], '', f"A: {summary(checks_before)}; B: {summary(checks_after)}")

def main(argv=None):
    args = parse_args(argv)
    started, load0 = datetime.now(timezone.utc), os.getloadavg()
    say(f"painters bench ({args.only}) on {machine()}; load average {load0[0]:.2f}")
    if args.only in ('all', 'quick'):
        from painters.backbones import pretrained_backbone
        backbone = pretrained_backbone('auto', offline='yes', verbose=False)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            path = sample_set(tmp/'train-set', args.images_per_painter)
            tr = bench_training(path, args.size, args.bs, args.repeats, backbone)
            bench_limit(tr)
            bench_eval(tr, args.repeats)
            bench_loads(path, args.size, args.bs, backbone)
            bench_data(tmp/'data', args.images_per_painter, args.repeats, args.size, args.bs)
    if args.only in ('all', 'notebooks'): bench_notebooks(args.nb_workers, args.separate, args.notebooks)
    if args.only in ('all', 'dist'):
        with tempfile.TemporaryDirectory() as tmp: bench_dist(Path(tmp), 80, args.size, args.bs, args.repeats) # 128 training images: 4 batches of 16 a process
    if args.only in ('all', 'pytest'): bench_pytest(args.pytest_baseline)
    load1 = os.getloadavg()
    head = (f"painters bench, {started:%Y-%m-%d %H:%M} UTC, {(datetime.now(timezone.utc) - started).total_seconds():.0f} s; {machine()}\n"
            f"load average (1 min) at start {load0[0]:.2f}, at end {load1[0]:.2f}. Ratios come from variants alternated in this run "
            f"(medians of {args.repeats}); absolute images/s and seconds depend on the load.")
    out = head + '\n\n' + table()
    print(out)
    res = ROOT/'bench'/'results'; res.mkdir(exist_ok=True)
    (res/f"speed-{started:%Y%m%d-%H%M}-{args.only}.md").write_text(out + '\n')

if __name__ == '__main__': main()
