"Lessons are written for the learner: no project history or development wording in their prose."
import json, re
from pathlib import Path
import pytest
from conftest import ROOT
import sys; sys.path.insert(0, str(ROOT/'tools'))
import outputs # tools/outputs.py: the one list of lessons

LESSONS = outputs.lessons()
# words that belong to the project's history or its test machinery, not to a learner's lesson
DEV_WORDING = {
    r"\bseed (?:webinar|workshop|lesson|slides?)\b|\bthe seed's\b|\bin the seed\b": "the original webinar is 'the original webinar' or 'the original slides'; 'seed' means the random seed",
    r"\bwe tried\b|\bour (?:tuning|runs?|measurements?|test machine)\b": "say what the measurement shows, not what the authors did",
    r"\bunder test\b|\bnbdev-test\b|\bIN_TEST\b": "test sizes live in the lesson's one hidden cell; the prose talks about the learner's run",
    r"\bbusy with other work\b|\bour machine\b|\bthe test machine\b": "numbers about a machine belong in bench/ output",
}

def lesson_markdown(path:Path)->list:
    "(cell number, text) of each cell of a notebook that is not code: markdown, raw, or a cell of a type nbformat does not know"
    cells = json.loads(path.read_text())['cells']
    return [(i, ''.join(c['source'])) for i, c in enumerate(cells) if c['cell_type'] != 'code']

def test_lessons_found():
    assert {p.name for p in LESSONS} >= {'01_whole_game.ipynb', '02_datablock.ipynb', '04_gradient_descent.ipynb'}

@pytest.mark.parametrize('path', LESSONS, ids=lambda p: p.stem)
def test_no_development_wording(path):
    found = [f"cell {i}: {m.group(0)!r} ({why})" for i, text in lesson_markdown(path)
             for pat, why in DEV_WORDING.items() for m in re.finditer(pat, text, re.I)]
    assert not found, f"{path.name}: " + '; '.join(found)

def test_the_check_can_fail(tmp_path):
    "The patterns catch the wording they are for (and leave `seed=42` alone)"
    nb = tmp_path/'09_x.ipynb'
    md = ["The seed webinar used resnet18. What we tried: `RandomSplitter(seed=42)` is fine."]
    nb.write_text(json.dumps({'cells': [{'cell_type': 'markdown', 'source': md}, {'cell_type': 'md', 'source': ["Under test it is small."]},
                                        {'cell_type': 'code', 'source': ["IN_TEST = True # code may say it"]}]}))
    texts = ' '.join(t for _, t in lesson_markdown(nb))
    hits = [m.group(0).lower() for pat in DEV_WORDING for m in re.finditer(pat, texts, re.I)]
    assert hits == ['seed webinar', 'we tried', 'under test'], hits
