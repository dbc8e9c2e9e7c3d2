"bench/recipe_cv.py, the cross-validation behind the recipe's claim, on a small generated set"
from conftest import ROOT, run_bench_script, bench_script

def recipe_cv(*args):
    "`python bench/recipe_cv.py args`, run in this process (conftest's `run_bench_script`)"
    return run_bench_script('recipe_cv', *args)

def test_recipe_cv_scores_every_painting_once_per_candidate(tmp_path):
    from painters.painterly import make_sample_paintings
    path = make_sample_paintings(tmp_path/'p', n_per_painter=8, size=64, seed=3)
    r = recipe_cv(path, '--folds', 2, '--epochs', 1, '--size', 64, '--default-epochs', 1, '--default-size', 64, '--tta', '--out', tmp_path/'results')
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [l for l in r.stdout.splitlines() if l.startswith('| ') and '/16 |' in l]
    names = [row.split('|')[1].strip() for row in rows]
    assert [n.split(' ')[0] for n in names] == ['linear', 'fastai', 'the', 'linear', 'the'], r.stdout # probe, default, recipe, both with TTA
    assert all('test-time' in n for n in names[3:]), names
    assert r.stderr.count('fold ') == 2
    saved = list((tmp_path/'results').glob('recipe_cv-*.md'))
    assert len(saved) == 1 and saved[0].read_text().strip() == r.stdout.strip()

def test_recipe_cv_bad_folder_is_one_clear_line(tmp_path):
    r = recipe_cv(tmp_path/'nowhere', '--out', tmp_path/'results')
    assert r.returncode != 0 and 'Traceback' not in r.stderr
    assert 'nowhere' in r.stderr and not (tmp_path/'results').exists()
    r = recipe_cv(tmp_path, '--only', 'probe,magic', '--out', tmp_path/'results')
    assert r.returncode == 2 and 'Traceback' not in r.stderr

def test_probe_cv_compares_variants_on_the_same_folds(tmp_path, capsys, monkeypatch):
    "bench/probe_cv.py: one row per candidate, each scored on every painting once per repeat, then paired tests against the first"
    import torch
    from painters.painterly import make_sample_paintings
    probe_cv = bench_script('probe_cv')
    monkeypatch.setattr(torch, 'set_num_threads', lambda n: None) # its `main` takes every core; here the suite's threads stay
    path = make_sample_paintings(tmp_path/'p', n_per_painter=6, size=64, seed=3)
    probe_cv.main([str(path), '--folds', '2', '--repeats', '2', '--only', 'lite0@64;lite0@64+flip;lite9@64', '--out', str(tmp_path/'r')])
    out = capsys.readouterr().out.splitlines()
    rows = {l.split()[0]: l.split() for l in out if l.startswith('lite') and '[' in l and 'p=' not in l}
    assert set(rows) == {'lite0@64', 'lite0@64+flip'}, out
    assert all(0 <= float(r[1]) <= 12 for r in rows.values()) # mean paintings wrong per repeat, of 12
    assert any(l.startswith('lite9@64') and 'not installed' in l for l in out), out
    assert any(l.startswith('lite0@64+flip') and 'p=' in l for l in out), out
    saved = list((tmp_path/'r').glob('probe_cv-*.txt'))
    assert len(saved) == 1 and 'lite0@64+flip' in saved[0].read_text()
