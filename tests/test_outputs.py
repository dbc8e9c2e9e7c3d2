"Lessons carry the outputs of a learner's run (`make outputs`), made from the code they hold now, with no errors among them."
import copy, json, sys
from pathlib import Path
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT/'tools'))
import outputs # tools/outputs.py: `make outputs`

LESSONS = outputs.lessons()

def test_every_lesson_is_checked():
    assert [p.name for p in LESSONS][:2] == ['01_whole_game.ipynb', '02_datablock.ipynb'] and len(LESSONS) >= 7
    assert not any(not p.name.startswith('0') for p in LESSONS) # the internals are reference: no stored outputs

@pytest.mark.parametrize('path', LESSONS, ids=lambda p: p.stem)
def test_stored_outputs_fresh_and_clean(path):
    "Outputs made by `make outputs` from this very code: none an error, no live widgets, a few MB at most, the first cell says how"
    found = outputs.problems(path)
    assert not found, '\n'.join(found)

def _lesson(tmp_path, src:Path):
    "A copy of a lesson and its record, to break on purpose"
    nb = json.loads(src.read_text(encoding='utf-8'))
    dst = tmp_path/src.name
    dst.write_text(json.dumps(nb), encoding='utf-8')
    record = copy.deepcopy(outputs.read_record())
    record[src.name] = dict(record.get(src.name) or {}, code=outputs.code_digest(nb)) # fresh as copied, whatever the lesson's own state
    return nb, dst, record

def _code(nb): return next(c for c in nb['cells'] if c['cell_type'] == 'code' and c.get('outputs'))

def test_a_code_change_makes_the_outputs_stale(tmp_path):
    nb, dst, record = _lesson(tmp_path, LESSONS[0])
    assert outputs.problems(dst, record) == []
    _code(nb)['source'] = ''.join(_code(nb)['source']) + '\nx = 1'
    dst.write_text(json.dumps(nb), encoding='utf-8')
    assert outputs.problems(dst, record) == [f"{dst.name}'s code changed after its outputs were made: run `make outputs NB={dst.stem}`"]

def test_prose_changes_keep_the_outputs_fresh(tmp_path):
    nb, dst, record = _lesson(tmp_path, LESSONS[0])
    md = [c for c in nb['cells'] if c['cell_type'] == 'markdown'][1]
    md['source'] = ''.join(md['source']) + '\nOne more sentence.'
    dst.write_text(json.dumps(nb), encoding='utf-8')
    assert outputs.problems(dst, record) == []

def test_an_error_or_a_live_widget_among_the_outputs_is_reported(tmp_path):
    nb, dst, record = _lesson(tmp_path, LESSONS[0])
    _code(nb)['outputs'].append({'output_type': 'error', 'ename': 'ValueError', 'evalue': 'no', 'traceback': []})
    _code(nb)['outputs'].append({'output_type': 'stream', 'name': 'stderr', 'text': 'Traceback (most recent call last):\n  ...'})
    _code(nb)['outputs'].append({'output_type': 'display_data', 'metadata': {}, 'data': {outputs.WIDGET: {'model_id': 'x'}}})
    _code(nb)['outputs'].append({'output_type': 'display_data', 'metadata': {}, 'data': {'text/html': ['<div><img src="data:image/png;base64,"></div>']}})
    dst.write_text(json.dumps(nb), encoding='utf-8')
    found = outputs.problems(dst, record)
    assert len(found) == 4 and 'error (ValueError)' in found[0] and 'error (traceback)' in found[1] and 'live widget' in found[2], found
    assert 'empty image' in found[3], found

def test_a_lesson_without_outputs_or_record_is_reported(tmp_path):
    nb, dst, record = _lesson(tmp_path, LESSONS[0])
    for c in nb['cells']:
        if c['cell_type'] == 'code': c['outputs'] = []
    dst.write_text(json.dumps(nb), encoding='utf-8')
    del record[dst.name]
    assert outputs.problems(dst, record) == [f"{dst.name} has no stored outputs on record: run `make outputs NB={dst.stem}`",
                                             f"{dst.name} carries no outputs: run `make outputs NB={dst.stem}`"]

def test_widgets_become_a_static_picture():
    "A slider and a plot shown by `interact`, and an app's boxes, buttons and bars, as nbclient stores their state"
    import nbformat
    state = {'box': {'model_name': 'VBoxModel', 'state': {'children': ['IPY_MODEL_row', 'IPY_MODEL_out']}},
             'row': {'model_name': 'HBoxModel', 'state': {'children': ['IPY_MODEL_s', 'IPY_MODEL_b', 'IPY_MODEL_p', 'IPY_MODEL_i']}},
             'i': {'model_name': 'ImageModel', 'state': {'format': 'jpg'}, 'buffers': [{'path': ['value'], 'data': '/9j/', 'encoding': 'base64'}]},
             's': {'model_name': 'FloatLogSliderModel', 'state': {'description': 'lr', 'value': 0.1}},
             'b': {'model_name': 'ButtonModel', 'state': {'description': 'Classify'}},
             'p': {'model_name': 'FloatProgressModel', 'state': {'value': 0.75, 'min': 0, 'max': 1}},
             'out': {'model_name': 'OutputModel', 'state': {'outputs': [{'output_type': 'display_data', 'metadata': {},
                                                                        'data': {'image/png': 'iVBOR', 'text/plain': '<Figure>'}}]}}}
    nb = nbformat.v4.new_notebook(metadata={'widgets': {'application/vnd.jupyter.widget-state+json': {'state': state}}})
    nb.cells = [nbformat.v4.new_code_cell('interact(...)', outputs=[nbformat.from_dict(
        {'output_type': 'display_data', 'metadata': {}, 'data': {outputs.WIDGET: {'model_id': 'box'}, 'text/plain': 'VBox(...)'}})])]
    assert outputs.freeze_widgets(nb) == 1
    assert 'widgets' not in nb.metadata
    picture, plot = nb.cells[0].outputs
    assert picture['data']['text/plain'].endswith('lr 0.1  [ Classify ]  ' + '█'*15 + '░'*5 + '  [image]'), picture['data']['text/plain']
    assert '<button disabled>Classify</button>' in picture['data']['text/html']
    assert '<img src="data:image/jpeg;base64,/9j/">' in picture['data']['text/html']
    assert plot['data']['image/png'] == 'iVBOR'

def test_an_image_widget_with_no_picture_draws_nothing():
    "An app's Image widget before any upload (an empty buffer) is left out of the picture, not drawn as a broken image"
    import nbformat
    state = {'box': {'model_name': 'VBoxModel', 'state': {'children': ['IPY_MODEL_b', 'IPY_MODEL_i']}},
             'b': {'model_name': 'ButtonModel', 'state': {'description': 'Classify'}},
             'i': {'model_name': 'ImageModel', 'state': {'format': 'png'}, 'buffers': [{'path': ['value'], 'data': '', 'encoding': 'base64'}]}}
    nb = nbformat.v4.new_notebook(metadata={'widgets': {'application/vnd.jupyter.widget-state+json': {'state': state}}})
    nb.cells = [nbformat.v4.new_code_cell('app', outputs=[nbformat.from_dict(
        {'output_type': 'display_data', 'metadata': {}, 'data': {outputs.WIDGET: {'model_id': 'box'}, 'text/plain': 'App(...)'}})])]
    assert outputs.freeze_widgets(nb) == 1
    (picture,) = nb.cells[0].outputs
    assert '<img' not in picture['data']['text/html'] and '[image]' not in picture['data']['text/plain'], picture
    assert not outputs.EMPTY_IMAGE.search(picture['data']['text/html'])

def test_a_widgets_thumbnails_become_one_grid():
    "Pictures of one size shown by a widget's Output widgets (the cleaner's) are stored as one grid; a single plot stays as it is"
    import base64, io, nbformat
    from PIL import Image
    def png(colour, size=(10, 8)):
        buf = io.BytesIO(); Image.new('RGB', size, colour).save(buf, 'PNG'); return base64.b64encode(buf.getvalue()).decode()
    shown = lambda p: {'outputs': [{'output_type': 'display_data', 'metadata': {}, 'data': {'image/png': p, 'text/plain': '<PIL.Image>'}}]}
    colours = ['red', 'green', 'blue', 'yellow', 'black']
    state = {'box': {'model_name': 'BoxModel', 'state': {'children': [f'IPY_MODEL_o{i}' for i in range(5)]}},
             **{f'o{i}': {'model_name': 'OutputModel', 'state': shown(png(c))} for i, c in enumerate(colours)}}
    nb = nbformat.v4.new_notebook(metadata={'widgets': {'application/vnd.jupyter.widget-state+json': {'state': state}}})
    nb.cells = [nbformat.v4.new_code_cell('cleaner', outputs=[nbformat.from_dict(
        {'output_type': 'display_data', 'metadata': {}, 'data': {outputs.WIDGET: {'model_id': 'box'}, 'text/plain': 'Box(...)'}})])]
    outputs.freeze_widgets(nb)
    *_, grid = nb.cells[0].outputs
    im = Image.open(io.BytesIO(base64.b64decode(grid['data']['image/png'])))
    assert im.size == (4*10 + 3*4, 2*8 + 4), im.size # 4 columns, 2 rows, 4 pixels apart
    assert [im.getpixel(xy) for xy in [(0, 0), (14, 0), (42, 0), (0, 12), (14, 12)]] == [(255, 0, 0), (0, 128, 0), (255, 255, 0), (0, 0, 0), (255, 255, 255)]
    one = [{'output_type': 'display_data', 'data': {'image/png': png('red'), 'text/plain': ''}}]
    assert outputs._one_grid(one) == one and outputs._one_grid(one + [{'output_type': 'display_data', 'data': {'image/png': png('red', (5, 5))}}])[0] is one[0]

def test_record_and_stamp():
    "The first cell's line comes from the record `make outputs` wrote"
    rec = dict(code='0'*16, data='the generated paintings', device='a CPU (2 threads)', seconds=125.4, date='2026-12-03')
    assert outputs.stamp(rec) == "*Stored outputs: a run of this notebook on the generated paintings, on a CPU (2 threads), 2026-12-03, in 2 min 05 s.*"
    assert outputs.stamp({**rec, 'data': '', 'seconds': 8.2}) == "*Stored outputs: a run of this notebook on a CPU (2 threads), 2026-12-03, in 8 s.*"
    assert outputs.STAMP_RE.sub('', '# T\n\n> about\n\n' + outputs.stamp(rec)) == '# T\n\n> about'

def test_clean_outputs_shows_the_learners_paths_and_drops_empty_bars():
    "Stored outputs: paths relative to the workshop folder, temporary folders named so, a finished progress bar's leftovers dropped"
    nb = {'cells': [{'cell_type': 'code', 'outputs': [
        {'output_type': 'stream', 'name': 'stdout', 'text': f"Paintings: {outputs.ROOT}/data/generated; /tmp/tmpab12_x/notes.pkl\n"},
        {'output_type': 'display_data', 'data': {'text/html': '<style>progress {width: 9em}</style>\n<div>\n</div>', 'text/plain': '<IPython.core.display.HTML object>'}},
        {'output_type': 'display_data', 'data': {'text/html': [], 'text/plain': ['<IPython.core.display.HTML object>']}},
        {'output_type': 'execute_result', 'data': {'text/plain': f"Path('{outputs.ROOT}/models/a.pkl')"}}]}]}
    assert outputs.clean_outputs(nb) == 2
    o = nb['cells'][0]['outputs']
    assert o[0]['text'] == "Paintings: data/generated; <temporary folder>/notes.pkl\n" and o[1]['data']['text/plain'] == "Path('models/a.pkl')"

def test_the_quiet_warning_is_the_makefiles():
    "The warning the stored outputs are spared is the one `make lab` and `make app` spare a learner"
    assert outputs.QUIET['PYTHONWARNINGS'] in (ROOT/'Makefile').read_text()
