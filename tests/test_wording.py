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

# ---- every number in a lesson's prose is one the learner can see: printed by a cell, in its code, or cited with a link
_NUMBER = re.compile(r'(?<![\w.`/-])(\d+(?:[.,]\d+)*)(%| ?px| pixels| paintings| images| epochs?| percent| points)?(?![\w`])')

def prose_numbers(md:str)->list:
    "The numbers a lesson's markdown states, outside code spans, links, list markers and notebook names: (number, as written)"
    found = []
    for para in re.split(r'\n\s*\n', md):
        if re.search(r'\]\((?:https?://|\.\./)', para): continue # a paragraph that cites its source with a link
        if para.lstrip().startswith('*Stored outputs:'): continue # the line `make outputs` writes, from the run itself
        p = re.sub(r'`[^`]*`|https?://\S+|<[^>]+>|\b\d\d_[a-z_]+', ' ', para)
        p = re.sub(r'^\s*(?:\d+\.|[-*])\s', ' ', p, flags=re.M)
        for m in _NUMBER.finditer(p):
            n = m.group(1)
            if len(re.sub(r'\D', '', n)) == 1 and not m.group(2): continue # one digit: a count written as a word would do
            if re.fullmatch(r'(?:19|20)\d\d', n): continue # a year
            found.append((n, m.group(0)))
    return found

def shown_text(nb:dict)->str:
    "Everything a learner sees of a notebook's code cells: their code and their stored outputs"
    parts = []
    for c in (c for c in nb['cells'] if c['cell_type'] == 'code'):
        parts.append(''.join(c['source']))
        for o in c.get('outputs', []):
            parts.append(''.join(o.get('text', '')))
            parts += [''.join(v) for k, v in o.get('data', {}).items() if k.startswith('text/')]
    return '\n'.join(parts)

def is_shown(number:str, shown:str, values:set)->bool:
    "Whether `number`, as the prose writes it, is in `shown` or is one of `values` rounded as written (a rate, also as a percentage)"
    plain = number.replace(',', '')
    if plain in shown: return True
    digits = len(plain.split('.')[1]) if '.' in plain else 0
    return any(round(v, digits) == float(plain) or round(100 * v, digits) == float(plain) for v in values)

@pytest.mark.parametrize('path', LESSONS, ids=lambda p: p.stem)
def test_no_number_in_prose_that_no_cell_shows(path):
    "A number in the prose comes from the run the learner sees (or a cited source): none typed in from another run"
    nb = json.loads(path.read_text())
    shown = re.sub(r'(?<=\d)_(?=\d)', '', shown_text(nb)) # 10_000 in code is 10,000 in prose
    values = {float(x) for x in re.findall(r'-?\d+\.\d+|-?\d+', shown)}
    missing = [(c['id'], whole) for c in nb['cells'] if c['cell_type'] == 'markdown'
               for n, whole in prose_numbers(''.join(c['source'])) if not is_shown(n, shown, values)]
    assert not missing, f"{path.name}: numbers in the prose that no cell prints or holds (cell id, as written): {missing}"

def test_the_number_check_can_fail():
    md = ("The probe errs on 14.9% of 220 paintings (`Resize(128)`).\n\nSee [the results](../bench/results/x.md) for 9.5%."
          "\n\nIt took 3 epochs, in 2 steps.")
    assert prose_numbers(md) == [('14.9', '14.9%'), ('220', '220 paintings'), ('3', '3 epochs')]
    nb = {'cells': [{'cell_type': 'markdown', 'source': [md]}, {'cell_type': 'code', 'source': ['print(220)'], 'outputs': [{'text': ['3 epochs']}]}]}
    assert '220' in shown_text(nb) and '14.9' not in shown_text(nb)
    assert is_shown('16720', '', {16719.93}) and is_shown('6.7', '', {0.066667}) and not is_shown('6.8', '', {0.066667})
