"""Data-parallel training for real: `painters train` started by `torchrun` as 2 processes on the CPU (gloo), checked
against one process; and the SLURM job scripts."""
import math, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT, painters_cli

N_PER_PAINTER, BS = 13, 11 # 26 paintings: 5 validation images (an odd number: 2 processes pad them to 6), 21 training (11 a process)

@pytest.fixture(scope='module')
def two_processes(tmp_path_factory):
    "A small generated set, and `painters train` on it under `torchrun --nproc_per_node 2` (CPU, gloo)"
    try: import accelerate # noqa: F401
    except ImportError:
        msg = "accelerate is missing: pip install -e '.[dist]' (or `make setup`, whose dev extra has it)"
        if os.environ.get('CI'): pytest.fail(msg + " (CI is set: this test must run here)", pytrace=False)
        pytest.skip(msg)
    tmp = tmp_path_factory.mktemp('distributed')
    r = painters_cli('sample', '--dest', tmp/'paintings', '--n', N_PER_PAINTER, '--size', 64)
    assert r.returncode == 0, r.stderr
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2', '-m', 'painters.cli', 'train',
           tmp/'paintings', '--epochs', 1, '--size', 64, '--bs', BS, '--backbone', 'efficientnet_lite0', '--out', tmp/'models'/'model.pkl']
    r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**os.environ, 'OMP_NUM_THREADS': '1'}) # the 2 processes share the cores
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    return tmp, r

def _ranks(stdout:str)->list:
    "The per-process lines of the table `painters train` prints after a data-parallel fit"
    lines = stdout.splitlines()
    start = next(i for i,l in enumerate(lines) if l.startswith('rank '))
    return [dict(zip(('rank', 'device', 'model', 'images', 'weights'), l.split())) for l in lines[start+1:] if l[:1].isdigit()]

def _results_row(stdout:str)->dict:
    "The header and the last epoch's row of the results table, as a dict"
    lines = stdout.splitlines()
    i = next(i for i,l in enumerate(lines) if l.startswith('epoch') and 'valid_loss' in l)
    return dict(zip(lines[i].split(), lines[i+1].split()))

def test_two_ranks_each_a_ddp_copy_with_half_the_images(two_processes):
    tmp, r = two_processes
    ranks = _ranks(r.stdout)
    assert [p['rank'] for p in ranks] == ['0', '1'], r.stdout
    assert all(p['model'] == 'DistributedDataParallel' and p['device'] == 'cpu' for p in ranks), r.stdout
    from painters.data import painter_block
    n_train = len(painter_block(64, valid_pct=0.2, seed=42).datasets(tmp/'paintings').train)
    assert n_train == 21
    assert [int(p['images']) for p in ranks] == [math.ceil(n_train / 2)] * 2, r.stdout # each rank its half (21 padded to 22)
    assert ranks[0]['weights'] == ranks[1]['weights'], r.stdout # the all-reduce kept the copies identical

def test_one_table_one_model_file(two_processes):
    tmp, r = two_processes
    assert r.stdout.count('train_loss') == 1 and r.stdout.count('Exported the model') == 1, r.stdout
    assert [p.name for p in tmp.rglob('*.pkl')] == ['model.pkl']

def test_reported_metrics_equal_one_process_on_the_exported_model(two_processes):
    "The error rate and loss of the distributed table are the exported model's on the 5 validation images, computed by one process"
    tmp, r = two_processes
    import warnings; warnings.filterwarnings('ignore')
    from fastai.learner import load_learner
    import fastai.callback.progress # noqa: F401 `no_bar`
    from painters.data import painter_block
    valid = painter_block(64, valid_pct=0.2, seed=42).datasets(tmp/'paintings').valid.items
    assert len(valid) == 5 # odd: 2 processes see 6 predictions, one painting twice
    learn = load_learner(tmp/'models'/'model.pkl')
    with learn.no_bar(): loss, error = map(float, learn.validate(dl=learn.dls.test_dl(valid, with_labels=True)))
    row = _results_row(r.stdout)
    assert float(row['error_rate']) == pytest.approx(error, abs=1e-6), (row, error)
    assert float(row['valid_loss']) == pytest.approx(loss, abs=2e-6), (row, loss) # the table prints 6 decimals
    assert f"error rate on the 5 validation images: {error:.3f}" in r.stdout

def test_slurm_scripts_parse_and_follow_the_cluster_rules():
    scripts = {p.name: p.read_text() for p in sorted((ROOT/'slurm').glob('*.sh'))}
    assert set(scripts) == {'one_node.sh', 'several_nodes.sh', 'one_task_per_gpu.sh'}, scripts.keys()
    for name in scripts:
        r = subprocess.run(['bash', '-n', str(ROOT/'slurm'/name)], capture_output=True, text=True)
        assert r.returncode == 0, (name, r.stderr)
    for name, text in scripts.items(): # compute nodes: no internet, data on the node's own disk
        assert 'HF_HUB_OFFLINE=1' in text and 'PAINTERS_OFFLINE=yes' in text and 'SLURM_TMPDIR' in text, name
        assert 'painters.cli train' in text, name
    several = scripts['several_nodes.sh']
    assert '--ntasks-per-node=1' in several and '--rdzv_backend c10d' in several and 'scontrol show hostnames' in several
