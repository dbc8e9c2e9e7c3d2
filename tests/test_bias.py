"The circuit breaker's rules (painters.inference), the shifts (painters.shifts) and the experiments of painters.bias, on made-up inputs"
import math
import numpy as np
import pytest
from PIL import Image
from painters.inference import abstain_threshold, painter_verdict, UNSURE
from painters.shifts import SHIFTS, AUGMENTATIONS, thumbnail, mixed_upload, square_image, LabelledImages
from painters.bias import coverage_error_curve, dataset_card

VOCAB = ('monet', 'vangogh')

def _probs(conf, pred):
    "Two-painter probabilities whose top probability is `conf`, on painter index `pred`"
    p = np.stack([1 - np.asarray(conf), np.asarray(conf)], 1)
    return np.where(np.asarray(pred)[:, None] == 1, p, p[:, ::-1])

def test_threshold_answers_as_much_as_the_error_budget_allows():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1, 400)
    labels = rng.integers(0, 2, 400)
    right = rng.uniform(0, 1, 400) < conf # the surer, the likelier right: as a calibrated model
    probs = _probs(conf, np.where(right, labels, 1 - labels))
    for max_error in (0.02, 0.05, 0.1, 0.2):
        t = abstain_threshold(probs, labels, max_error)
        answered = conf >= t
        assert (probs.argmax(1) != labels)[answered].mean() <= max_error
        # any lower threshold answers more images but breaks the budget
        lower = np.sort(conf[conf < t])
        for l in lower[-5:]: assert (probs.argmax(1) != labels)[conf >= l].mean() > max_error
    assert abstain_threshold(probs, labels, 0.2) <= abstain_threshold(probs, labels, 0.05) # a looser budget answers more

def test_threshold_when_everything_is_right_answers_everything():
    probs = _probs([0.6, 0.9, 0.99], [0, 1, 0])
    assert abstain_threshold(probs, np.array([0, 1, 0]), 0.0) == pytest.approx(0.6)

def test_threshold_when_the_surest_answer_is_wrong_always_abstains():
    probs = _probs([0.6, 0.99], [0, 1])
    t = abstain_threshold(probs, np.array([0, 0]), 0.05)
    assert math.isinf(t)
    assert painter_verdict(probs[1], VOCAB, t) == UNSURE

def test_threshold_rejects_mismatched_or_bad_arguments():
    with pytest.raises(ValueError, match='one label per image'): abstain_threshold(_probs([0.7], [0]), np.array([0, 1]))
    with pytest.raises(ValueError, match='max_error'): abstain_threshold(_probs([0.7], [0]), np.array([0]), max_error=5)

def test_verdict():
    assert painter_verdict([0.1, 0.9], VOCAB, 0.8) == 'vangogh'
    assert painter_verdict(np.array([0.85, 0.15]), VOCAB, 0.85) == 'monet' # at the threshold: answered
    assert painter_verdict([0.55, 0.45], VOCAB, 0.8) == UNSURE
    import torch
    assert painter_verdict(torch.tensor([0.05, 0.95]), VOCAB, 0.9) == 'vangogh'
    with pytest.raises(ValueError, match='one per painter'): painter_verdict([0.2, 0.3, 0.5], VOCAB, 0.5)

def test_coverage_error_curve_ends_at_full_coverage():
    probs, labels = _probs([0.6, 0.7, 0.9, 0.95], [0, 0, 1, 1]), np.array([1, 0, 1, 1])
    c = coverage_error_curve(probs, labels)
    assert c.coverage.iloc[0] == 1 and c.error.iloc[0] == pytest.approx(0.25)
    assert list(c.coverage) == sorted(c.coverage, reverse=True)
    assert c.error.iloc[-1] == 0

@pytest.fixture
def painting():
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8))

@pytest.mark.parametrize('name', list(SHIFTS))
def test_shifts_keep_size_and_mode_and_change_the_image(name, painting):
    out = SHIFTS[name](painting, seed=3)
    assert out.size == painting.size and out.mode == 'RGB'
    assert np.abs(np.asarray(out, float) - np.asarray(painting, float)).mean() > 2
    assert np.array_equal(np.asarray(SHIFTS[name](painting, seed=3)), np.asarray(out)) # repeatable

@pytest.mark.parametrize('name', list(AUGMENTATIONS))
def test_augmentations_keep_size_and_mode(name, painting):
    out = AUGMENTATIONS[name](painting, seed=5)
    assert out.size == painting.size and out.mode == 'RGB'

def test_shifts_accept_grayscale_input_and_numpy_seeds(painting):
    grey = painting.convert('L')
    for f in [*SHIFTS.values(), thumbnail, mixed_upload]:
        out = f(grey, np.int64(7))
        assert out.size == grey.size and out.mode == 'RGB'

def test_square_image(painting):
    wide = painting.resize((200, 100))
    assert square_image(wide, 64).size == (64, 64)

def test_labelled_images_subsets_and_adds(painting):
    d = LabelledImages([painting]*5, np.array([0, 1, 0, 1, 1]), VOCAB)
    assert d.counts() == {'monet': 2, 'vangogh': 3}
    assert d[d.labels == 1].counts() == {'monet': 0, 'vangogh': 3}
    assert len(d + d[:2]) == 7

def test_dataset_card_reads_licences(tmp_path, painting):
    for p in VOCAB:
        (tmp_path/p).mkdir()
        for i in range(5): painting.save(tmp_path/p/f'{p}_{i}.jpg')
    (tmp_path/'attribution.csv').write_text('file,title,painter,licence,source,artist,pageid\n' +
        ''.join(f'{p}/{p}_{i}.jpg,t,{p},{"Public domain" if i else "CC BY-SA 4.0"},https://x,a,1\n' for p in VOCAB for i in range(4)))
    card = dataset_card(tmp_path)
    assert 'Public domain (6)' in card and 'CC BY-SA 4.0 (2)' in card
    assert '2 images have no row in attribution.csv' in card
    assert 'monet 5' in card and '96x96' in card
    with pytest.raises(ValueError, match='no images'): dataset_card(tmp_path/'monet'/'nothing')

def test_threshold_takes_fastai_get_preds_tensors():
    "The app computes validation probabilities with `learn.get_preds()`: tensors"
    import torch
    probs, labels = torch.tensor([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]]), torch.tensor([0, 1, 1])
    assert abstain_threshold(probs, labels, 0.0) == pytest.approx(0.7)
    assert len(coverage_error_curve(probs, labels)) == 3

def _tagged(n):
    "Tiny images whose red channel says which they are, so a test can see what a shift did"
    return LabelledImages([Image.new('RGB', (8, 8), (i, 0, 0)) for i in range(n)], np.arange(n) % 2, VOCAB)

def _mark(img, seed=0): return Image.new('RGB', img.size, (img.getpixel((0, 0))[0], 255, 0)) # green: shifted

def test_drifting_uploads_shift_none_first_and_all_last():
    from painters.bias import drifting_uploads
    rounds = drifting_uploads(_tagged(40), rounds=4, per_round=10, shift=_mark)
    shifted = [[im.getpixel((0, 0))[1] == 255 for im in r.images] for r in rounds]
    assert [len(s) for s in shifted] == [10] * 4
    assert not any(shifted[0]) and all(shifted[-1])
    assert [im.getpixel((0, 0))[0] for r in rounds for im in r.images] == list(range(40)) # arrival order kept
    assert [r.labels.tolist() for r in rounds] == [(np.arange(10 * i, 10 * i + 10) % 2).tolist() for i in range(4)]

@pytest.mark.parametrize('rounds,per_round', [(5, 10), (1, 10)])
def test_drifting_uploads_says_when_there_are_too_few_images(rounds, per_round):
    from painters.bias import drifting_uploads
    with pytest.raises(ValueError, match='give more images or fewer rounds'): drifting_uploads(_tagged(40), rounds, per_round)
