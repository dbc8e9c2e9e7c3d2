#!/usr/bin/env python3
"""Run the lessons as a learner would and store their outputs: `make outputs` (all lessons) or `make outputs NB=03`.

Each lesson notebook runs top to bottom in a fresh kernel, in nbs/, with the workshop's own settings (the learner's
sizes and epochs, not the test sizes; offline unless the internet answers), and is written back in place with its
outputs. Then:
- its first markdown cell gets one line saying what the outputs were made with (the paintings' source and the
  device, both asked of the kernel at the end of the run) and how long the run took;
- interactive widgets (sliders, the cleaner, the app) become a static picture: the plots and images they showed,
  and their controls drawn as text; no widget state is stored;
- nbs/_outputs.json records, per lesson, a digest of its code cells' sources, so that a test can tell when a lesson's
  code changed after its outputs were made (`stale_outputs`).
A lesson that fails is reported with the cell and its error, and left as it was; the others still run.
"""
from __future__ import annotations
import argparse, base64, hashlib, html, json, os, re, sys, time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
RECORD = NBS/'_outputs.json' # per lesson: code digest, data, device, seconds, date
LESSON_RE = re.compile(r'^0\d_.*\.ipynb$') # lessons are nbs/0*_*.ipynb; the internals (1*, 2*) and index carry no outputs
STAMP_RE = re.compile(r'\n*\*Stored outputs:[^\n]*\*\s*$') # the line `make outputs` writes at the end of the first markdown cell
WIDGET = 'application/vnd.jupyter.widget-view+json'
EMPTY_IMAGE = re.compile(r'<img[^>]*src="data:image/[\w+.-]*;base64,"') # a picture with no data: a broken-image icon
TEMP_PATH = re.compile(r'/tmp/[\w.-]+') # a temporary folder: its name differs every run
# the one library warning a lesson's kernel is spared: fastai 2.8 builds a layer with `torch.jit.script` at import, which torch 2.10+ deprecates
QUIET = {'PYTHONWARNINGS': 'ignore:`torch.jit.script` is deprecated:FutureWarning'}
EXPLAINED_WARNINGS = ("load_learner` uses Python's insecure pickle", # warnings a lesson's prose explains: they stay
                      "of a Tensor that is not a leaf Tensor is being accessed") # 04: reading a non-leaf's .grad
MAX_MB = 3.0 # a lesson notebook with its outputs stays under this size

def lessons(names=None)->list: # paths of the lesson notebooks, all or those whose names start with one of `names`
    "The lesson notebooks, in order; `names` like ['03', '05_data_bias'] picks some"
    nbs = sorted(p for p in NBS.glob('*.ipynb') if LESSON_RE.match(p.name))
    if not names: return nbs
    picked = [p for p in nbs if any(p.name.startswith(n.removesuffix('.ipynb')) for n in names)]
    unknown = [n for n in names if not any(p.name.startswith(n.removesuffix('.ipynb')) for p in nbs)]
    if unknown: sys.exit(f"No lesson notebook named {', '.join(unknown)} in nbs/: use one of {', '.join(p.stem for p in nbs)}")
    return picked

def code_digest(nb:dict)->str: # 16 hex digits
    "A digest of a notebook's code cells' sources, in order: it changes when any code changes, not when prose or outputs do"
    h = hashlib.sha256()
    for c in nb['cells']:
        if c['cell_type'] == 'code':
            src = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
            h.update(src.strip().encode() + b'\0')
    return h.hexdigest()[:16]

def read_record(path:Path=RECORD)->dict:
    return json.loads(path.read_text(encoding='utf-8')) if path.exists() else {}

def problems(nb_path:Path, record:dict|None=None)->list: # one sentence per problem; empty when the outputs are fresh and clean
    "What is wrong with a lesson's stored outputs: missing, made from other code, an error among them, widget state, too big"
    nb_path = Path(nb_path)
    record = read_record() if record is None else record
    nb, name, out = json.loads(nb_path.read_text(encoding='utf-8')), nb_path.name, []
    fix = f"run `make outputs NB={nb_path.stem}`"
    rec = record.get(name)
    if rec is None: out.append(f"{name} has no stored outputs on record: {fix}")
    elif rec['code'] != code_digest(nb): out.append(f"{name}'s code changed after its outputs were made: {fix}")
    codes = [c for c in nb['cells'] if c['cell_type'] == 'code']
    if not any(c.get('outputs') for c in codes): out.append(f"{name} carries no outputs: {fix}")
    for i, c in enumerate(nb['cells']):
        for o in c.get('outputs', []):
            text = ''.join(o.get('text', '')) if o.get('output_type') == 'stream' else ''
            if o.get('output_type') == 'error' or 'Traceback (most recent call last)' in text:
                out.append(f"{name}, cell {i}: a stored output is an error ({o.get('ename', 'traceback')}): fix the cell, then {fix}")
            if WIDGET in o.get('data', {}): out.append(f"{name}, cell {i}: a live widget is stored instead of a static picture: {fix}")
            if EMPTY_IMAGE.search(''.join(o.get('data', {}).get('text/html', ''))):
                out.append(f"{name}, cell {i}: a stored picture holds an empty image (a broken-image icon): {fix}")
            shown = ' '.join(t for _, t in _texts(o))
            if str(ROOT) in shown or TEMP_PATH.search(shown): out.append(f"{name}, cell {i}: a stored output shows a path of this machine: {fix}")
            if o.get('name') == 'stderr' and re.search(r'\w+Warning:', text) and not any(w in text for w in EXPLAINED_WARNINGS):
                out.append(f"{name}, cell {i}: a stored output is a library's warning the prose does not explain: {fix}")
            if _empty_html(o): out.append(f"{name}, cell {i}: a stored output is an empty progress bar: {fix}")
    if 'widgets' in nb.get('metadata', {}): out.append(f"{name} stores widget state in its metadata: {fix}")
    mb = nb_path.stat().st_size / 1e6
    if mb > MAX_MB: out.append(f"{name} is {mb:.1f} MB with its outputs, more than {MAX_MB:g} MB: make its figures smaller")
    if rec is not None and stamp(rec) not in first_markdown(nb): out.append(f"{name}'s first cell does not say what its outputs were made with: {fix}")
    return out

def _texts(o:dict)->list: # (key, text) of each textual part of one output
    parts = [('text', ''.join(o['text']))] if 'text' in o else []
    return parts + [(k, ''.join(v)) for k, v in o.get('data', {}).items() if k.startswith('text/')]

def _empty_html(o:dict)->bool: # an output with nothing to see: a finished progress bar's CSS and empty HTML
    if 'text/html' not in o.get('data', {}): return False
    html = ''.join(o['data']['text/html']) # '' too: fastai's progress bar, once finished, can leave HTML with nothing in it
    return '<img' not in html and set(o['data']) <= {'text/html', 'text/plain'} and not re.sub(r'<style.*?</style>|<[^>]+>|\s|&nbsp;', '', html, flags=re.S)

def clean_outputs(nb, root:Path=ROOT)->int: # how many outputs were dropped
    "Paths as the learner's (relative to the workshop folder; temporary folders named so) and progress bars' empty leftovers dropped"
    dropped = 0
    for cell in (c for c in nb['cells'] if c['cell_type'] == 'code'):
        kept = []
        for o in cell.get('outputs', []):
            if _empty_html(o): dropped += 1; continue
            for k, t in _texts(o):
                t = TEMP_PATH.sub('<temporary folder>', t.replace(f"{root}/", '').replace(str(root), '.'))
                if k == 'text': o['text'] = t
                else: o['data'][k] = t
            kept.append(o)
        cell['outputs'] = kept
    return dropped

def first_markdown(nb:dict)->str:
    c = next(c for c in nb['cells'] if c['cell_type'] == 'markdown')
    return c['source'] if isinstance(c['source'], str) else ''.join(c['source'])

def stamp(rec:dict)->str: # the line for the first markdown cell
    "One line: what a lesson's stored outputs were made with, from its record"
    m, s = divmod(round(rec['seconds']), 60)
    on = f"on {rec['data']}, " if rec['data'] else ''
    return f"*Stored outputs: a run of this notebook {on}on {rec['device']}, {rec['date']}, in {f'{m} min {s:02d} s' if m else f'{s} s'}.*"

# asked of the kernel after the lesson's last cell: which paintings the lesson used, and on what device
PROBE = """import json as _j, os as _o, torch as _t
from painters.paintings import paintings_used as _pu
_d = f"a GPU ({_t.cuda.get_device_name(0)})" if _t.cuda.is_available() else f"a CPU ({_t.get_num_threads()} threads)"
print(_j.dumps(dict(data=_pu(), device=_d)))"""

# ---------------------------------------------------------------------------------------------------------------------
# widgets -> a static picture
def _state(nb_widgets:dict, model_id:str)->dict:
    "A widget's stored state, binary values (an Image widget's picture) included as base64 under their names"
    s = nb_widgets.get(model_id) or {}
    st = dict(s.get('state', {}), _model=s.get('model_name', ''))
    for b in s.get('buffers', []):
        if len(b.get('path', [])) == 1: st[b['path'][0]] = {'buffer': b['data']}
    return st

def _children(st:dict)->list:
    return [c.removeprefix('IPY_MODEL_') for c in st.get('children', []) if isinstance(c, str)]

def _static(nb_widgets:dict, model_id:str, images:list)->tuple: # (html, text)
    "Draw one widget and its children as HTML and as text; what Output widgets showed (plots, tables) goes to `images`"
    st = _state(nb_widgets, model_id)
    kind, desc = st['_model'], st.get('description', '')
    kids = [_static(nb_widgets, c, images) for c in _children(st)]
    if kind in ('VBoxModel', 'BoxModel', 'GridBoxModel', 'AccordionModel', 'TabModel'):
        return ''.join(f"<div>{h}</div>" for h, _ in kids), '\n'.join(t for _, t in kids if t)
    if kind == 'HBoxModel':
        return ('<div style="display:flex;gap:8px;align-items:center">' + ''.join(f"<span>{h}</span>" for h, _ in kids) + '</div>',
                '  '.join(t for _, t in kids if t))
    if kind == 'OutputModel':
        for o in st.get('outputs', []):
            images.append(o)
        return '', ''
    if kind == 'ImageModel':
        v, fmt = st.get('value'), {'jpg': 'jpeg'}.get(st.get('format', 'png'), st.get('format', 'png'))
        if not (isinstance(v, dict) and v.get('buffer')): return '', '' # an empty image (no upload yet): nothing to draw, no broken icon
        w = st.get('width') or ''
        return f'<img src="data:image/{fmt};base64,{v["buffer"]}"{f" width={w}" if w else ""}>', '[image]'
    if kind in ('LabelModel', 'HTMLModel', 'HTMLMathModel'):
        v = str(st.get('value', ''))
        return (v if kind != 'LabelModel' else html.escape(v)), re.sub(r'<[^>]+>', '', v)
    if kind in ('ButtonModel', 'FileUploadModel', 'ToggleButtonModel'):
        label = desc or ('Upload' if kind == 'FileUploadModel' else 'Button')
        return f'<button disabled>{html.escape(label)}</button>', f"[ {label} ]"
    if kind in ('FloatProgressModel', 'IntProgressModel'):
        lo, hi, v = st.get('min', 0), st.get('max', 1), st.get('value', 0)
        frac = 0 if hi == lo else (v - lo) / (hi - lo)
        return (f'<progress value="{frac:.3f}" max="1"></progress>', '█' * round(frac*20) + '░' * (20 - round(frac*20)))
    if 'Slider' in kind or kind in ('DropdownModel', 'TextModel', 'CheckboxModel', 'FloatTextModel', 'IntTextModel'):
        v = st.get('value', '')
        if kind == 'DropdownModel' and 'index' in st and st.get('_options_labels'): v = st['_options_labels'][st['index']]
        return f"{html.escape(desc)} <b>{html.escape(str(v))}</b>", f"{desc} {v}".strip()
    return ''.join(h for h, _ in kids), '\n'.join(t for _, t in kids if t)

def _one_grid(images:list, cols:int=4, gap:int=4)->list:
    "Pictures of one size (the cleaner's thumbnails, one per Output widget) as one grid of `cols` columns; anything else as it is"
    pngs = [o for o in images if set(o.get('data', {})) <= {'image/png', 'text/plain'} and 'image/png' in o.get('data', {})]
    if len(images) < 2 or len(pngs) != len(images): return images
    import io
    from PIL import Image
    ims = [Image.open(io.BytesIO(base64.b64decode(''.join(o['data']['image/png'])))).convert('RGB') for o in pngs]
    if len({im.size for im in ims}) != 1: return images
    (w, h), rows = ims[0].size, -(-len(ims) // cols)
    grid = Image.new('RGB', (min(cols, len(ims)) * (w + gap) - gap, rows * (h + gap) - gap), 'white')
    for i, im in enumerate(ims): grid.paste(im, ((i % cols) * (w + gap), (i // cols) * (h + gap)))
    buf = io.BytesIO(); grid.save(buf, 'PNG', optimize=True)
    return [{'output_type': 'display_data', 'metadata': {},
             'data': {'image/png': base64.b64encode(buf.getvalue()).decode(), 'text/plain': f"<{len(ims)} images, in a grid of {cols} columns>"}}]

def freeze_widgets(nb)->int: # how many widget outputs were replaced
    "Replace every live widget output by what it showed: its images and plots, then its controls drawn as HTML and text"
    nb_widgets = nb.metadata.pop('widgets', {}).get('application/vnd.jupyter.widget-state+json', {}).get('state', {})
    n = 0
    for c in nb.cells:
        if c.cell_type != 'code' or not c.get('outputs'): continue
        new = []
        for o in c.outputs:
            if WIDGET not in o.get('data', {}): new.append(o); continue
            images, n = [], n + 1
            h, t = _static(nb_widgets, o['data'][WIDGET]['model_id'], images)
            note = 'a picture of the interactive widget this cell shows when you run it'
            if h.strip() or t.strip():
                new.append({'output_type': 'display_data', 'metadata': {},
                            'data': {'text/html': f'<div style="opacity:0.85"><i>{note}:</i>{h}</div>', 'text/plain': f"({note})\n{t}"}})
            new.extend(_one_grid(images))
        from nbformat import from_dict
        c.outputs = [from_dict(o) for o in new]
    return n

# ---------------------------------------------------------------------------------------------------------------------
def run_lesson(nb_path:Path, timeout:int=1800)->dict: # the record: code digest, data, device, seconds, date
    "Run one lesson top to bottom in a fresh kernel, as a learner would, and write it back with its outputs"
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(nb_path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k not in ('IN_TEST', 'PAINTERS_DATA', 'PAINTERS_MODELS', 'PAINTERS_IMAGE_SIZE',
                                                            'PAINTERS_IMAGES_PER_PAINTER', 'PAINTERS_DIFFICULTY')} | QUIET
    client = NotebookClient(nb, timeout=timeout, kernel_name='python3', resources={'metadata': {'path': str(NBS)}},
                            store_widget_state=True)
    start = time.perf_counter()
    setup = nbformat.v4.new_code_cell("%config InlineBackend.figure_formats = ['png']\n"
                                      "%config InlineBackend.rc = {'figure.dpi': 72, 'savefig.dpi': 72}")
    probe = nbformat.v4.new_code_cell(PROBE)
    nb.cells = [setup, *nb.cells, probe] # nbclient writes each executed cell back at its index: the extra two are removed after
    try:
        with client.setup_kernel(env=env):
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != 'code': continue
                if i == len(nb.cells) - 1: seconds = time.perf_counter() - start
                if os.environ.get('OUTPUTS_DEBUG'): print(f'  cell {i}', cell.source[:60].replace(chr(10), ' '), flush=True)
                try: client.execute_cell(cell, i, store_history=0 < i < len(nb.cells) - 1)
                except CellExecutionError as e:
                    raise RuntimeError(f"{nb_path.name}, cell {i-1} failed: {str(e).strip().splitlines()[-1][:300]}") from None
            client.set_widgets_metadata()
    finally: probe, nb.cells = nb.cells[-1], nb.cells[1:-1]
    if os.environ.get('OUTPUTS_DEBUG'): nbformat.write(nb, os.environ['OUTPUTS_DEBUG'])
    info = json.loads(''.join(o.get('text', '') for o in probe.outputs if o.get('output_type') == 'stream').strip().splitlines()[-1])
    freeze_widgets(nb)
    clean_outputs(nb)
    data = ' and '.join(info['data'])
    rec = dict(code=code_digest(nb), data=data, device=info['device'], seconds=round(seconds, 1), date=date.today().isoformat())
    md = next(c for c in nb.cells if c.cell_type == 'markdown')
    md.source = STAMP_RE.sub('', md.source).rstrip() + '\n\n' + stamp(rec)
    rec['code'] = code_digest(nb) # (the stamp is prose: the digest is the same)
    nbformat.write(nb, nb_path)
    return rec

def main(argv=None)->int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('names', nargs='*', help="lessons to run, e.g. 03 or 05_data_bias (default: all)")
    ap.add_argument('--timeout', type=int, default=1800, help="seconds one cell may run (default 1800)")
    ap.add_argument('--check', action='store_true', help="run nothing: list the lessons whose stored outputs are stale or broken")
    args = ap.parse_args(argv)
    paths = lessons(args.names)
    if args.check:
        found = [p for nb in paths for p in problems(nb)]
        print('\n'.join(found) or f"{len(paths)} lessons: stored outputs fresh and clean")
        return 1 if found else 0
    record, failed = read_record(), []
    for nb in paths:
        print(f"{nb.name}: running as a learner would ...", flush=True)
        try: rec = run_lesson(nb, args.timeout)
        except Exception as e:
            failed.append(nb.name); print(f"{nb.name}: FAILED, left as it was: {e}", flush=True); continue
        record[nb.name] = rec
        RECORD.write_text(json.dumps(dict(sorted(record.items())), indent=1) + '\n', encoding='utf-8')
        print(f"{nb.name}: {rec['seconds']:.0f} s on {rec['device']}, paintings: {rec['data']}; "
              f"{nb.stat().st_size/1e6:.2f} MB with outputs", flush=True)
    if failed: print(f"{len(failed)} of {len(paths)} lessons failed: {', '.join(failed)}")
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
