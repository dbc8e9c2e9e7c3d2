"painters.going_further: the paired test, the interval, the folds, and clear errors on folders that can't be compared"
import math, numpy as np, pytest
from scipy.stats import binomtest
from painters.paintings import PaintingsFolderError
from painters.going_further import (error_interval, mcnemar_exact, bootstrap_difference, cv_folds, compare_recipes,
                                    paired_test, CANDIDATES)

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
