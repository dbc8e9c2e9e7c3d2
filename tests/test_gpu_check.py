"""`make gpu-check` (tools/gpu_check.py) and `make gpu-wheels` (tools/gpu_wheels.py), on a machine without a GPU: it says
so at once; what it parses and writes, from given figures; the nbdev-test run it makes is `make test-nbs`'s; the wheels
cover what they need."""
import os, re, subprocess, sys, time, tomllib
from pathlib import Path
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT/'tools'))
import gpu_check, gpu_wheels # tools/gpu_check.py, tools/gpu_wheels.py

NO_GPU = {**os.environ, 'CUDA_VISIBLE_DEVICES': ''} # no GPU visible, even on a machine that has one

def test_without_a_gpu_it_says_so_in_one_line_at_once():
    start = time.perf_counter()
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'gpu_check.py')], capture_output=True, text=True, env=NO_GPU, timeout=60)
    seconds = time.perf_counter() - start
    assert r.returncode == 2 and r.stdout == '', (r.returncode, r.stdout)
    assert r.stderr.splitlines() == ["gpu-check: no CUDA GPU on this machine (nvidia-smi lists none): nothing to check here"], r.stderr
    assert seconds < 5, f"{seconds:.1f} s: the GPU is looked for before anything heavy is imported"
    r = subprocess.run(['make', '--no-print-directory', '-s', 'gpu-check'], cwd=ROOT, capture_output=True, text=True, env=NO_GPU, timeout=60)
    assert r.returncode != 0 and 'gpu-check: no CUDA GPU on this machine' in r.stderr, (r.stdout, r.stderr)

def test_visible_gpus_follows_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '')
    assert gpu_check.visible_gpus() == 0

def _makefile_var(name:str)->str:
    return re.search(rf'^{name} :?= (.*)$', (ROOT/'Makefile').read_text(), re.M).group(1)

def test_notebooks_run_as_make_test_nbs_runs_them():
    "The same refused network, flags and learner's home as the Makefile's test-nbs (which the check cannot call: it needs .venv)"
    refuse = dict(kv.split('=', 1) for kv in _makefile_var('REFUSE_NETWORK').split())
    assert gpu_check.REFUSE_NETWORK == refuse
    recipe = (ROOT/'Makefile').read_text().split('\ntest-nbs:')[1].split('\n\n')[0]
    assert ' '.join(gpu_check.NBDEV_TEST_ARGS) in recipe and '--n-workers' in recipe
    for var in ('PAINTERS_OFFLINE=auto', 'PAINTERS_DATA=', 'PAINTERS_MODELS=', 'PAINTERS_LESSON_HOMES=', 'tools/check_models.py'): assert var in recipe, var
    src = Path(gpu_check.__file__).read_text()
    for var in ("'PAINTERS_OFFLINE': 'auto'", "'PAINTERS_DATA'", "'PAINTERS_MODELS'", "'PAINTERS_LESSON_HOMES'", "'check_models.py'"): assert var in src, var

def test_bench_figures_are_make_bench_s():
    "The speed check measures what `make bench` measures: the same batch size and generated set"
    sys.path.insert(0, str(ROOT/'bench'))
    import speed
    src = Path(speed.__file__).read_text()
    assert f"ap.add_argument('--bs', type=int, default={gpu_check.BS})" in src
    assert f"ap.add_argument('--images-per-painter', type=int, default={gpu_check.PER_PAINTER})" in src
    assert callable(speed.fastai_fine_tune) and callable(speed.sample_set) and callable(speed.timed)

NBDEV_OUTPUT = """Starting /x/nbs/01_whole_game.ipynb
- Completed /x/nbs/01_whole_game.ipynb
Starting /x/nbs/02_datablock.ipynb
Starting /x/nbs/03_transfer_learning.ipynb
Traceback (most recent call last):
RuntimeError: Expected all tensors to be on the same device
- Completed /x/nbs/02_datablock.ipynb
- Completed /x/nbs/03_transfer_learning.ipynb
Starting /x/nbs/04_gradient_descent.ipynb

nbdev Tests Failed On The Following Notebooks:
==================================================
\t03_transfer_learning.ipynb"""

def test_notebook_results_from_what_nbdev_test_printed():
    lines = [(float(i), l) for i, l in enumerate(NBDEV_OUTPUT.splitlines())]
    names = ['01_whole_game.ipynb', '02_datablock.ipynb', '03_transfer_learning.ipynb', '04_gradient_descent.ipynb', '05_data_bias.ipynb']
    got = gpu_check.notebook_results(lines, names)
    assert [(n['name'][:2], n['status'], n['seconds']) for n in got] == [
        ('01', 'passed', 1.0), ('02', 'passed', 4.0), ('03', 'failed', 4.0), ('04', 'did not finish', None), ('05', 'not run', None)]

TRAIN_OUTPUT = """epoch     train_loss  valid_loss  error_rate  time
0         0.712345    0.654321    0.200000    00:03
data parallel: 2 processes
rank  device   model                    training images per epoch  weights (sha1)
0     cuda:0   DistributedDataParallel  11                         0123456789ab
1     cuda:1   DistributedDataParallel  11                         0123456789ab
Exported the model to /tmp/m.pkl (error rate on the 5 validation images: 0.200; the linear probe it started from: 0.200)"""

def test_the_tables_of_painters_train_are_read():
    assert gpu_check.results_row(TRAIN_OUTPUT) == dict(epoch='0', train_loss='0.712345', valid_loss='0.654321', error_rate='0.200000', time='00:03')
    assert gpu_check.results_row('nothing printed') == {}
    assert [(p['rank'], p['device'], p['images']) for p in gpu_check.ranks(TRAIN_OUTPUT)] == [('0', 'cuda:0', '11'), ('1', 'cuda:1', '11')]
    assert gpu_check.ranks(TRAIN_OUTPUT.split('data parallel')[0]) == [] # one process prints no such table

def _results(**kw):
    "What a run on one GPU could have found (made-up figures)"
    r = dict(started='2026-12-05 10:00', command='python3 tools/gpu_check.py --out /tmp/out', seconds=431.0, problems=[],
             gpus=['NVIDIA H200, 580.159.03, 143771 MiB'],
             env=dict(python='3.12.3', torch='2.11.0+cu130', torch_range='<2.15,>=2.1', cuda='13.0', cudnn=91300, cpus=16, threads=16,
                      versions=dict(fastai='2.8.12', nbdev='3.3.26')),
             notebooks=dict(seconds=150, workers=6, threads=2, tail=[], models_ok=True, models="learner's models folder /tmp/x: 3 files, 3 loadable models",
                            notebooks=[dict(name='01_whole_game.ipynb', status='passed', seconds=20.5)]),
             speed=dict(cuda=dict(backbone='efficientnet_lite0', threads=16, ips={'128': dict(fp32=[400.0, 410.0], fp16=[450.0, 440.0], bf16=[430.0, 445.0]),
                                                                                  '224': dict(fp32=[300.0, 290.0], fp16=[350.0, 360.0], bf16=[340.0, 330.0])}),
                        cpu=dict(backbone='efficientnet_lite0', threads=16, ips={'128': dict(fp32=[41.0]), '224': dict(fp32=[15.0])})),
             precision={size: dict(fp32=dict(seconds=9.0, amp='fp32', wrong=[0] * 29 + [1]), fp16=dict(seconds=8.0, amp='fp16', wrong=[0] * 29 + [1], p=1.0),
                                   bf16=dict(seconds=8.5, amp='bf16', wrong=[0] * 28 + [1, 1], p=1.0)) for size in ('128', '224')},
             torchrun=[dict(procs=1, seconds=40, checks={'exit code 0': True, "the table's error rate is one process's": True},
                            table=dict(error_rate=0.2, loss=0.654321), reference=dict(device='cuda:0', error_rate=0.2, loss=0.6543212, n=5, n_train=21))])
    return {**r, **kw}

def test_the_results_file_from_given_figures():
    text = gpu_check.report(_results())
    assert text.startswith('# painters on a GPU, 2026-12-05 10:00\n') and 'every check passed' in text
    assert 'NVIDIA H200, 580.159.03, 143771 MiB' in text and 'torch 2.11.0+cu130 (pyproject.toml: <2.15,>=2.1)' in text
    assert '| 01_whole_game.ipynb | passed | 20.5 |' in text
    assert '| 128 px | 410 | 450 | 445 | 41.0 | 10.0x |' in text # the best of the runs; the GPU's fp32 over the CPU's
    assert '| 224 px | 300 | 360 | 340 | 15.0 | 20.0x |' in text
    assert '| 128 px | 1 of 30 | 1 (p = 1.00) | 2 (p = 1.00) | 9.0, 8.0, 8.5 | yes |' in text
    assert "- ok: the table's error rate is one process's" in text and '## What failed' not in text
    assert gpu_check.failures(_results()) == []

def test_what_failed_is_said():
    r = _results()
    r['notebooks']['notebooks'].append(dict(name='03_transfer_learning.ipynb', status='failed', seconds=30.0))
    r['precision']['224']['fp16'].update(wrong=[1] * 30, p=0.0000019)
    r['torchrun'][0]['checks']["the table's error rate is one process's"] = False
    r['speed']['cpu'] = dict(error='out of time: ...')
    fails = gpu_check.failures(r)
    assert fails == ['notebook 03_transfer_learning.ipynb: failed', 'speed on the CPU: out of time: ...',
                     'fp16 at 224 px: wrong on other paintings than fp32, beyond noise (p = 0.000)',
                     "torchrun 1: the table's error rate is one process's"], fails
    text = gpu_check.report(r)
    assert '4 failed (the list is at the end)' in text and text.rstrip().endswith("- torchrun 1: the table's error rate is one process's")
    assert '| 224 px | 1 of 30 | 30 (p = 0.00) |' in text and '| NO |' in text and "- FAILED: the table's error rate" in text

def test_the_wheels_cover_what_they_need():
    "Every requirement of a shipped wheel, and of the workshop itself, is shipped too or is on the GPU machine (versions: this .venv's)"
    from importlib.metadata import distribution
    from packaging.requirements import Requirement
    env = dict(python_version='3.12', python_full_version='3.12.3', sys_platform='linux', platform_system='Linux', platform_machine='x86_64',
               os_name='posix', implementation_name='cpython', platform_python_implementation='CPython', extra='')
    norm = lambda n: re.sub(r'[-_.]+', '-', n).lower()
    have = {norm(n) for n in (*gpu_wheels.WHEELS, *gpu_wheels.ON_THE_GPU_MACHINE, *gpu_wheels.NOT_NEEDED)}
    deps = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']['dependencies']
    needed = {(n, str(r)) for n in gpu_wheels.WHEELS for r in map(Requirement, distribution(n).requires or [])
              if not r.marker or r.marker.evaluate(env)} | {('painters', d) for d in deps} | {('painters', 'nbdev'), ('painters', 'accelerate')}
    missing = sorted(f"{n} needs {r}" for n, r in needed if norm(Requirement(r).name) not in have)
    assert not missing, missing
    assert not {norm(n) for n in gpu_wheels.WHEELS} & {'torch', 'torchvision', 'numpy', 'painters'} # the machine's torch stays; the project travels as files

def test_gpu_wheels_says_how_to_run_it():
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'gpu_wheels.py'), '--help'], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and 'Usage: python tools/gpu_wheels.py [DIR]' in r.stdout
    assert '/.whl/' in (ROOT/'.gitignore').read_text().splitlines()
