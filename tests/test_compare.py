"painters.compare: the paired test, the interval, the folds, the pieces of `compare_recipes`, and clear errors on folders that can't be compared"
import math, numpy as np, pytest
from scipy.stats import binomtest
from painters.paintings import PaintingsFolderError
import pandas as pd
from painters.compare import (error_interval, mcnemar_exact, bootstrap_difference, cv_folds, compare_recipes, paired_test,
                              CANDIDATES, Candidate, pick_candidates, painting_folds, comparison_table, Comparison)

def test_mcnemar_by_hand():
    # 7 discordant paintings split 1 / 6: P(X <= 1) for X ~ Binomial(7, 1/2) is (1 + 7) / 128; two-sided doubles it
    assert mcnemar_exact(1, 6) == 0.125
    assert mcnemar_exact(0, 7) == 2 / 128
    assert mcnemar_exact(3, 3) == 1.0 and mcnemar_exact(0, 0) == 1.0 # no disagreement: no evidence
    assert mcnemar_exact(6, 1) == mcnemar_exact(1, 6)

@pytest.mark.parametrize('b,c', [(0, 1), (2, 9), (5, 5), (10, 3), (17, 40)])
def test_mcnemar_is_scipys_binomial_test(b, c):
    assert math.isclose(mcnemar_exact(b, c), binomtest(min(b, c), b + c, 0.5).pvalue, rel_tol=1e-9)

def test_mcnemar_refuses_negative_counts():
    with pytest.raises(ValueError, match="negative"): mcnemar_exact(-1, 3)

def test_error_interval_is_wilsons():
    lo, hi = error_interval(12, 120)
    ci = binomtest(12, 120).proportion_ci(method='wilson')
    assert math.isclose(lo, ci.low) and math.isclose(hi, ci.high)
    assert 0.10 < hi - lo < 0.12 # about plus or minus 5 points around 10%
    assert math.isclose(error_interval(0, 10)[0], 0, abs_tol=1e-12) and math.isclose(error_interval(10, 10)[1], 1)
    with pytest.raises(ValueError, match="at least one"): error_interval(0, 0)
    with pytest.raises(ValueError, match="between 0 and n"): error_interval(5, 4)

def test_bootstrap_difference():
    assert bootstrap_difference([1, 1, 0], [1, 1, 0]) == (0., 0., 0.)
    a, b = np.zeros(120), np.zeros(120)
    a[:12], b[4:14] = 1, 1
    d, lo, hi = bootstrap_difference(a, b, seed=1)
    assert math.isclose(d, 2 / 120) and lo < 0 < hi
    a, b = np.zeros(200), np.zeros(200)
    a[:60] = 1 # 60 against 0 wrong: clearly different
    d, lo, hi = bootstrap_difference(a, b)
    assert lo > 0.2 and hi < 0.4
    with pytest.raises(ValueError, match="same paintings"): bootstrap_difference([1, 0], [1, 0, 1])

def test_folds_score_every_painting_once_per_repeat():
    labels = ['monet'] * 7 + ['vangogh'] * 9
    splits = cv_folds(labels, folds=3, repeats=2)
    assert len(splits) == 6
    for r in range(2):
        idx = sorted(i for rr, k, vi in splits if rr == r for i in vi)
        assert idx == list(range(16))
    for _, _, vi in splits: assert {labels[i] for i in vi} == {'monet', 'vangogh'} # stratified: both painters in every fold

def test_candidates_by_name_or_dict():
    assert list(pick_candidates(('lp_ft', 'probe'))) == ['lp_ft', 'probe']
    mine = Candidate({}, lambda learn, epochs: learn.fine_tune(epochs), 4, "mine")
    assert pick_candidates({'mine': mine}) == {'mine': mine}
    with pytest.raises(KeyError, match="Unknown candidate 'magic'"): pick_candidates(('probe', 'magic'))
    assert (mine.epochs_for(), mine.epochs_for(1), CANDIDATES['probe'].epochs_for(3)) == (4, 1, 0) # the probe trains no epochs

def test_painting_folds_leave_a_batch_to_train_on(tmp_path):
    from painters.painterly import make_sample_paintings
    path = make_sample_paintings(tmp_path/'p', n_per_painter=4, size=64, seed=1)
    files, splits = painting_folds(path, folds=2, repeats=2, bs=4)
    assert len(files) == 8 and len(splits) == 4 and files == sorted(files)
    with pytest.raises(PaintingsFolderError, match="batch size bs=5"): painting_folds(path, folds=2, bs=5)

def test_table_and_paired_test_on_hand_made_predictions():
    "Two paintings, two repeats: the probe wrong on a twice and on b once; with TTA, only on b once"
    rows = [(0, 'probe', 'a', 1), (0, 'probe', 'b', 0), (0, 'probe+tta', 'a', 0), (0, 'probe+tta', 'b', 0),
            (1, 'probe', 'a', 1), (1, 'probe', 'b', 1), (1, 'probe+tta', 'a', 0), (1, 'probe+tta', 'b', 1)]
    preds = pd.DataFrame([dict(repeat=r, fold=0, file=f, painter='monet', candidate=c, predicted='?', wrong=w) for r, c, f, w in rows])
    t = comparison_table(preds, {'probe': CANDIDATES['probe']})
    assert list(t.candidate) == ['probe', 'probe+tta'] and list(t.wrong) == [3, 1] and list(t.scored) == [4, 4]
    assert list(t.error) == [0.75, 0.25] and (t.low[0], t.high[0]) == error_interval(1.5, 2)
    pt = paired_test(Comparison(t, preds), 'probe', 'probe+tta')
    assert (pt['only_a_wrong'], pt['only_b_wrong'], pt['p_mcnemar'], pt['difference']) == ([1, 1], [0, 0], [1.0, 1.0], 0.5)

def test_one_painter_is_a_clear_error(tmp_path):
    with pytest.raises(PaintingsFolderError, match="two painters"): cv_folds(['monet'] * 10, folds=2)
    from painters.painterly import make_sample_paintings
    path = make_sample_paintings(tmp_path/'p', n_per_painter=3, size=64, seed=1, painters=('monet',))
    with pytest.raises(PaintingsFolderError, match="only one painter"): compare_recipes(path, folds=2, size=64, progress=False)

def test_too_few_paintings_per_fold_is_a_clear_error(tmp_path):
    from painters.painterly import make_sample_paintings
    path = make_sample_paintings(tmp_path/'p', n_per_painter=3, size=64, seed=1)
    with pytest.raises(PaintingsFolderError, match="fewer than folds=5"): compare_recipes(path, folds=5, size=64, progress=False)
    with pytest.raises(PaintingsFolderError, match="batch size"): compare_recipes(path, folds=3, size=64, bs=16, progress=False)
    with pytest.raises(KeyError, match="Unknown candidate"): compare_recipes(path, candidates=('magic',), folds=2, size=64)
    with pytest.raises(PaintingsFolderError, match="does not exist"): compare_recipes(tmp_path/'nowhere')

def test_compare_and_pair_a_probe_with_itself(tmp_path):
    "The probe alone, on a tiny set: every painting scored once per candidate, and paired with itself, no difference"
    from painters.painterly import make_sample_paintings
    path = make_sample_paintings(tmp_path/'p', n_per_painter=6, size=64, seed=2)
    cmp = compare_recipes(path, candidates={'probe': CANDIDATES['probe'], 'again': CANDIDATES['probe']}, folds=2, repeats=1,
                          size=64, bs=4, tta=False, progress=False)
    assert list(cmp.table.candidate) == ['probe', 'again'] and set(cmp.table.scored) == {12}
    assert cmp.table.wrong[0] == cmp.table.wrong[1] # same seed, same folds, same model
    pt = paired_test(cmp, 'probe', 'again')
    assert pt['only_a_wrong'] == [0] and pt['only_b_wrong'] == [0] and pt['p_mcnemar'] == [1.0] and pt['difference'] == 0
    with pytest.raises(KeyError, match="No candidate 'lp_ft'"): paired_test(cmp, 'lp_ft', 'probe')
