"bench/recipe_cv.py (`compare_recipes` and paired tests from the command line) and bench/probe_cv.py, on small generated sets"
import pandas as pd
from conftest import ROOT, run_bench_script, bench_script

def recipe_cv(*args):
    "`python bench/recipe_cv.py args`, run in this process (conftest's `run_bench_script`)"
    return run_bench_script('recipe_cv', *args)

def test_recipe_cv_scores_every_painting_once_per_candidate(tmp_path):
    from painters.painterly import make_sample_paintings
    path = make_sample_paintings(tmp_path/'p', n_per_painter=8, size=64, seed=3)
    r = recipe_cv(path, '--folds', 2, '--epochs', 1, '--size', 64, '--bs', 4, '--backbone', 'efficientnet_lite0', '--out', tmp_path/'results')
    assert r.returncode == 0, r.stderr[-3000:]
    preds = pd.read_csv(next((tmp_path/'results').glob('recipe_cv-*-predictions.csv')))
    names = ['probe', 'probe+tta', 'fine_tune', 'fine_tune+tta', 'lp_ft', 'lp_ft+tta']
    assert list(dict.fromkeys(preds.candidate)) == names
    assert (preds.groupby('candidate').file.nunique() == 16).all() and len(preds) == 6 * 16 # every painting once per candidate
    table = r.stdout.split('\n\n')[1].splitlines()
    assert [l.split()[0] for l in table[1:]] == names and all(l.split()[3] == '16' for l in table[1:]), r.stdout # scored
    tests = r.stdout.split('\n\n')[2].splitlines()
    assert 'p_mcnemar' in tests[0] and [l.split()[:2] for l in tests[1:]] == [
        ['probe', 'fine_tune'], ['probe+tta', 'fine_tune'], ['fine_tune+tta', 'fine_tune'], ['lp_ft', 'fine_tune'], ['lp_ft+tta', 'fine_tune'],
        ['probe+tta', 'probe'], ['lp_ft+tta', 'lp_ft']], r.stdout
    saved = list((tmp_path/'results').glob('recipe_cv-*.txt'))
    assert len(saved) == 1 and saved[0].read_text().strip() == r.stdout.strip()

def test_recipe_cv_bad_folder_is_one_clear_line(tmp_path):
    r = recipe_cv(tmp_path/'nowhere', '--out', tmp_path/'results')
    assert r.returncode != 0 and 'Traceback' not in r.stderr
    assert 'nowhere does not exist' in r.stderr and not (tmp_path/'results').exists()
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

def halves_csv(path, tmp_path)->str:
    "A halves CSV for the generated set at `path`: its first 4 paintings of each painter to choose on, the others to confirm on"
    rows = ['file,half'] + [f"{f.parent.name}/{f.name},{'choose' if i < 4 else 'confirm'}"
                            for p in ('monet', 'vangogh') for i, f in enumerate(sorted((path/p).glob('*.jpg')))]
    (tmp_path/'halves.csv').write_text('\n'.join(rows) + '\n')
    return str(tmp_path/'halves.csv')

def test_probe_cv_scores_one_half_only(tmp_path, capsys, monkeypatch):
    "--half CSV:NAME: only the paintings of that half; stage statistics as one more option"
    import torch
    from painters.painterly import make_sample_paintings
    monkeypatch.setattr(torch, 'set_num_threads', lambda n: None)
    path = make_sample_paintings(tmp_path/'p', n_per_painter=7, size=64, seed=3)
    csv = halves_csv(path, tmp_path)
    bench_script('probe_cv').main([str(path), '--folds', '2', '--repeats', '1', '--half', csv + ':choose',
                                   '--only', 'lite0@64;lite0@64+stages01', '--out', str(tmp_path/'r')])
    saved = next((tmp_path/'r').glob('probe_cv-*.txt')).read_text()
    assert '(half ' in saved and '8 images (monet 4, vangogh 4)' in saved and 'lite0@64+stages01' in saved, saved

def test_confirm_trains_on_one_half_and_scores_the_other_once(tmp_path):
    "bench/confirm.py: each candidate scored once on every painting of the other half, then paired against the first"
    from painters.painterly import make_sample_paintings
    path = make_sample_paintings(tmp_path/'p', n_per_painter=7, size=64, seed=3)
    csv = halves_csv(path, tmp_path)
    r = run_bench_script('confirm', path, '--train', csv + ':choose', '--score', csv + ':confirm', '--only', 'probe@64,probe_stages@64',
                         '--bs', 4, '--out', tmp_path/'results')
    assert r.returncode == 0, r.stderr[-3000:]
    preds = pd.read_csv(next((tmp_path/'results').glob('confirm-*-predictions.csv')))
    assert (preds.groupby('candidate').file.nunique() == 6).all() and len(preds) == 2 * 6 # the 3 + 3 confirming paintings, once each
    assert all(('/choose' not in f) for f in preds.file) and {f.split('/')[-1] for f in preds.file} <= {f.name for f in path.glob('*/*.jpg')}
    table = r.stdout.split('\n\n')[1].splitlines()
    assert [l.split()[0] for l in table[1:]] == ['probe@64', 'probe_stages@64'] and all(float(l.split()[-1]) > 0 for l in table[1:]), r.stdout
    assert 'probe_stages@64' in r.stdout.split('\n\n')[2] and 'p=' in r.stdout.split('\n\n')[2], r.stdout
    bad = run_bench_script('confirm', path, '--train', csv + ':choose', '--score', csv + ':choose', '--only', 'probe@64,lp_ft@64')
    assert bad.returncode != 0 and 'in both halves' in bad.stderr and 'Traceback' not in bad.stderr
