"""The `painters` command with good and bad input, checking output and exit codes: `painters.cli.main` run in this process
as the console script runs it (conftest's `painters_cli`); the installed console script itself, and the progress bar on
a real terminal, in a subprocess."""
import re, io, json, os, subprocess, sys, threading, http.server
from pathlib import Path
from urllib.parse import urlsplit, parse_qs
import pytest
import numpy as np
from PIL import Image
from conftest import ROOT, venv_tool, run_painters, painters_cli

painters = painters_cli # the `painters` command, in this process

def one_line_error(r, *words):
    "A bad-input failure: exit code 2, one line on stderr naming the problem, no traceback"
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in r.stderr, r.stderr
    for w in words: assert w in lines[0], (w, lines[0])
    return lines[0]

@pytest.fixture
def work(trained):
    "The suite's generated set and the model `painters train` made from it (conftest's `trained`)"
    return trained.dir, trained.train

def test_no_subcommand_prints_version_and_settings():
    r = painters()
    assert r.returncode == 0, r.stderr
    from painters import __version__
    assert f'painters {__version__}' in r.stdout
    for key in ('painters', 'images_per_painter', 'image_size', 'backbone', 'data', 'models', 'offline'): assert key in r.stdout
    assert 'settings file:' in r.stdout

@pytest.mark.parametrize('cmd', ['download', 'sample', 'train', 'predict', 'evaluate'])
def test_each_subcommand_has_help(cmd):
    r = painters(cmd, '--help')
    assert r.returncode == 0 and r.stdout.startswith(f'usage: painters {cmd}'), r.stdout
    assert 'exit codes' in r.stdout

def test_usage_errors_exit_2():
    r = painters('predict')
    assert r.returncode == 2 and 'usage:' in r.stderr
    assert painters('sample', '--n', '-3').returncode == 2
    assert painters('frobnicate').returncode == 2

def test_bad_settings_is_one_line(tmp_path):
    "The installed console script, in a process of its own: its exit code and its standard error are what a shell sees"
    one_line_error(run_painters(env={'PAINTERS_BACKBONE': 'vgg'}), 'backbone', 'PAINTERS_BACKBONE')

def test_sample_writes_the_set_and_is_idempotent(work):
    tmp, _ = work
    files = sorted((tmp/'paintings').glob('*/*.jpg'))
    assert {f.parent.name for f in files} == {'monet', 'vangogh'} and len(files) == 100
    before = {f: f.stat().st_mtime_ns for f in files}
    r = painters('sample', '--dest', tmp/'paintings', '--n', 50, '--size', 64)
    assert r.returncode == 0 and 'monet 50' in r.stdout, r.stdout
    assert {f: f.stat().st_mtime_ns for f in files} == before, "re-running with the same arguments rewrote files"

def test_sample_refuses_a_file_as_dest(tmp_path):
    (tmp_path/'notes.txt').write_text('mine')
    one_line_error(painters('sample', '--dest', tmp_path/'notes.txt', '--n', 2), 'notes.txt')
    assert (tmp_path/'notes.txt').read_text() == 'mine'

def _on_a_terminal(*args):
    "Run `painters args` with standard error on a pseudo-terminal, as in a user's shell; the process, and what it drew there"
    import pty
    master, slave = pty.openpty()
    p = subprocess.run([venv_tool('painters'), *map(str, args)], stdout=subprocess.PIPE, stderr=slave, text=True, cwd=ROOT, timeout=600)
    os.close(slave)
    out = b''
    try:
        while chunk := os.read(master, 4096): out += chunk
    except OSError: pass # the terminal is closed: all read
    os.close(master)
    return p, out.decode()

# Every command draws its progress the same way (`painters.commons.TerminalBar`, `train`'s through `terminal_progress`):
# one line on standard error, only when that is a terminal; standard output holds only results.
def test_sample_shows_a_progress_bar_on_a_terminal_only(tmp_path):
    p, bar = _on_a_terminal('sample', '--dest', tmp_path/'tty', '--n', 3, '--size', 64)
    assert p.returncode == 0 and 'monet 3' in p.stdout, (p.stdout, bar)
    assert 'painting 6/6' in bar and 'painting 1/6' in bar, repr(bar)
    r = painters('sample', '--dest', tmp_path/'pipe', '--n', 3, '--size', 64) # standard error is a pipe: no bar
    assert r.returncode == 0 and 'painting' not in r.stderr, r.stderr

def test_train_help_says_which_recipe_and_size():
    from painters.recipe import RECIPE
    r = painters('train', '--help')
    text = ' '.join(r.stdout.split())
    assert 'LP-FT' in text and f"{RECIPE['epochs']} gentle epochs" in text and 'lr 1e-4' in text and RECIPE['lr'] == 1e-4, text
    assert '`image_size` px' in text and 'image_size' in text, text

def test_sample_difficulty_is_checked_and_recorded(tmp_path):
    one_line_error(painters('sample', '--dest', tmp_path/'x', '--n', 2, '--difficulty', 2), 'difficulty')
    assert not (tmp_path/'x').exists()
    r = painters('sample', '--dest', tmp_path/'easy', '--n', 2, '--size', 64, '--difficulty', 0)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path/'easy'/'painterly.json').read_text())['args']['difficulty'] == 0

def test_train_prints_the_results_table_and_exports(work):
    tmp, r = work
    header = next(l for l in r.stdout.splitlines() if 'train_loss' in l)
    assert 'valid_loss' in header and 'error_rate' in header, r.stdout
    assert (tmp/'model.pkl').stat().st_size > 1_000_000
    assert 'Exported the model to' in r.stdout and 'the linear probe it started from: ' in r.stdout
    assert '\r' not in r.stdout + r.stderr and 'epoch 1/' not in r.stderr, r.stderr[-2000:] # not a terminal: no bar

def test_train_never_overwrites_a_model_without_force(work):
    tmp, _ = work
    before = (tmp/'model.pkl').stat().st_mtime_ns
    one_line_error(painters('train', tmp/'paintings', '--out', tmp/'model.pkl'), '--force')
    assert (tmp/'model.pkl').stat().st_mtime_ns == before

def test_train_bad_data(tmp_path):
    one_line_error(painters('train', tmp_path/'nowhere', '--out', tmp_path/'m.pkl'), 'nowhere')
    (tmp_path/'holiday').mkdir(); Image.new('RGB', (64, 64)).save(tmp_path/'holiday'/'beach.jpg')
    one_line_error(painters('train', tmp_path/'holiday', '--out', tmp_path/'m.pkl'), 'monet')
    r = painters('train', tmp_path/'holiday', '--lr', '-1', '--out', tmp_path/'m.pkl')
    assert r.returncode == 2 and 'above 0' in r.stderr and 'Traceback' not in r.stderr
    assert not (tmp_path/'m.pkl').exists()

def test_train_with_stage_statistics(work, tmp_path):
    "`--stages` gives the head the stages' statistics; the exported model loads and predicts; a bad stage is one line"
    tmp, _ = work
    r = painters('train', tmp/'paintings', '--stages', '0-3', '--epochs', 1, '--size', 64, '--backbone', 'efficientnet_lite0',
                 '--out', tmp_path/'styled.pkl')
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-2000:])
    from painters.inference import load_painter_model
    learn = load_painter_model(tmp_path/'styled.pkl')
    assert type(learn.model[0]).__name__ == 'StageStatistics' and learn.model[-1][-1].in_features == 1600
    img = sorted((tmp/'paintings').glob('monet/*.jpg'))[0]
    r = painters('predict', tmp_path/'styled.pkl', img)
    assert r.returncode == 0 and img.name in r.stdout, r.stderr
    one_line_error(painters('train', tmp/'paintings', '--stages', '9', '--backbone', 'efficientnet_lite0', '--out', tmp_path/'m.pkl'), 'from 0 to 6')
    r = painters('train', tmp/'paintings', '--stages', 'early', '--out', tmp_path/'m.pkl')
    assert r.returncode == 2 and 'such as 0-3' in r.stderr and 'Traceback' not in r.stderr
    assert not (tmp_path/'m.pkl').exists()

def test_predict_one_line_per_image(work):
    tmp, _ = work
    imgs = sorted((tmp/'paintings').glob('monet/*.jpg'))[:2] + sorted((tmp/'paintings').glob('vangogh/*.jpg'))[:2]
    r = painters('predict', tmp/'model.pkl', *imgs)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 4, r.stdout
    for img, line in zip(imgs, lines):
        name, verdict = line.split('\t')
        assert name == str(img)
        words = verdict.split()
        assert words[0] in ('monet', 'vangogh') or verdict.startswith('unsure (best guess '), verdict
        assert 0 <= float(words[-1].rstrip(')')) <= 1
    r = painters('predict', tmp/'model.pkl', imgs[0], '--threshold', 0)
    assert 'unsure' not in r.stdout and r.returncode == 0

def png_claiming(w:int, h:int)->bytes:
    "A tiny PNG file whose header claims `w` x `h` pixels (a decompression bomb, harmless to make)"
    import struct, zlib
    chunk = lambda kind, data: struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(b'\0')) + chunk(b'IEND', b''))

def bad_images(folder:Path)->dict:
    "One file of each kind a model can't judge, in `folder`: name -> the words its error line must hold"
    folder.mkdir(parents=True, exist_ok=True)
    (folder/'huge.png').write_bytes(png_claiming(20000, 20000))
    (folder/'letter.jpg').write_text('Dear Theo, ...')
    buf = io.BytesIO(); Image.effect_noise((96, 96), 60).convert('RGB').save(buf, format='JPEG')
    (folder/'cut.jpg').write_bytes(buf.getvalue()[:len(buf.getvalue())//2])
    Image.new('RGB', (3, 3), (200, 100, 50)).save(folder/'tiny.png')
    (folder/'empty.jpg').write_bytes(b'')
    return {'huge.png': 'megapixels', 'letter.jpg': 'not an image', 'cut.jpg': 'cut short', 'tiny.png': 'too small',
            'empty.jpg': 'empty', 'missing.jpg': 'does not exist'}

def test_predict_bad_inputs(work, tmp_path):
    tmp, _ = work
    img = next((tmp/'paintings').glob('monet/*.jpg'))
    one_line_error(painters('predict', tmp_path/'nomodel.pkl', img), 'nomodel.pkl')
    (tmp_path/'letter.pkl').write_text('Dear Theo, ...')
    line = one_line_error(painters('predict', tmp_path/'letter.pkl', img), 'letter.pkl', 'not')
    assert '`painters train' in line and 'train_painter_model' not in line, line # a command-line user is told the command
    r = painters('predict', tmp/'model.pkl', img, '--threshold', 2)
    assert r.returncode == 2 and 'expected a probability from 0 to 1' in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_one_bad_image_never_stops_a_batch(work, tmp_path):
    tmp, _ = work
    good = sorted((tmp/'paintings').glob('*/*.jpg'))[:2]
    bad = bad_images(tmp_path/'bad')
    batch = [good[0], *(tmp_path/'bad'/name for name in bad), tmp/'paintings', good[1]]
    r = painters('predict', tmp/'model.pkl', *batch)
    assert r.returncode == 1 and 'Traceback' not in r.stderr, (r.returncode, r.stderr)
    assert [l.split('\t')[0] for l in r.stdout.splitlines()] == [str(good[0]), str(good[1])], r.stdout # both good ones, in order
    errs = r.stderr.strip().splitlines()
    for name, reason in bad.items():
        line = next((l for l in errs if name in l), None)
        assert line is not None and reason in line, (name, reason, errs)
    assert any('is a folder' in l for l in errs), errs
    assert errs[-1] == f'painters predict: {len(bad) + 1} of {len(batch)} files could not be judged', errs[-1]
    assert 'DecompressionBombError' not in r.stderr
    r = painters('predict', '--help')
    assert '32 pixels a side' in ' '.join(r.stdout.split()), r.stdout

def test_evaluate_prints_error_rate_and_confusion_matrix(work):
    tmp, _ = work
    r = painters('evaluate', tmp/'model.pkl', tmp/'paintings')
    assert r.returncode == 0, r.stderr
    assert '100 images' in r.stdout and '0 left out' in r.stdout and 'error rate:' in r.stdout, r.stdout
    rows = {l.split()[0]: l.split()[1:] for l in r.stdout.splitlines() if l.split() and l.split()[0] in ('monet', 'vangogh')}
    assert sum(int(n) for v in rows.values() for n in v) == 100, r.stdout
    wrong = int(rows['monet'][1]) + int(rows['vangogh'][0])
    assert f'({wrong} of 100 wrong)' in r.stdout
    assert 'chosen on the model' in r.stdout and 'validation images' in r.stdout, r.stdout # the threshold `train` stored

def test_evaluate_leaves_out_bad_files_and_counts_them(work, tmp_path):
    tmp, _ = work
    import shutil
    shutil.copytree(tmp/'paintings', tmp_path/'mixed')
    bad = bad_images(tmp_path/'mixed'/'monet')
    bad.pop('missing.jpg')
    r = painters('evaluate', tmp/'model.pkl', tmp_path/'mixed')
    assert r.returncode == 1 and 'Traceback' not in r.stderr, (r.returncode, r.stderr)
    n = 100 + len(bad)
    assert f'{n} images in' in r.stdout and f'100 scored, {len(bad)} left out' in r.stdout and 'of 100 wrong' in r.stdout, r.stdout
    for name, reason in bad.items():
        assert any(name in l and reason in l for l in r.stderr.splitlines()), (name, r.stderr)

def test_evaluate_bad_inputs(work, tmp_path):
    tmp, _ = work
    one_line_error(painters('evaluate', tmp/'model.pkl', tmp_path/'nowhere'), 'nowhere')
    (tmp_path/'empty').mkdir()
    one_line_error(painters('evaluate', tmp/'model.pkl', tmp_path/'empty'), 'no images')
    (tmp_path/'other'/'cezanne').mkdir(parents=True); Image.new('RGB', (64, 64)).save(tmp_path/'other'/'cezanne'/'a.jpg')
    one_line_error(painters('evaluate', tmp/'model.pkl', tmp_path/'other'), 'cezanne')
    (tmp_path/'letter.pkl').write_text('Dear Theo, ...')
    one_line_error(painters('evaluate', tmp_path/'letter.pkl', tmp/'paintings'), 'letter.pkl')

def test_threshold_is_the_models_own_or_the_old_default(work, tmp_path):
    tmp, _ = work
    from painters.inference import load_painter_model, model_threshold
    learn = load_painter_model(tmp/'model.pkl')
    t, why = model_threshold(learn)
    assert 0 < t <= 1 or t == float('inf'), t
    img = sorted((tmp/'paintings').glob('vangogh/*.jpg'))[0]
    del learn.abstain_threshold, learn.painting_guard # as a model exported before thresholds and guards were stored
    learn.export(tmp_path/'old.pkl')
    r = painters('predict', tmp_path/'old.pkl', img)
    no_guard = ('painters predict: note: this model has no out-of-domain guard: it answers for any picture '
                '(train it again with `painters train` to add one)')
    assert r.returncode == 0 and r.stderr.strip().splitlines() == [
        'painters predict: note: using the default 0.75: this model was exported without a chosen threshold '
        '(train it again with `painters train` to choose one)', no_guard], r.stderr
    assert r.stdout.split('\t')[1].split()[0] in ('monet', 'vangogh', 'unsure'), r.stdout # it still loads and answers
    r = painters('evaluate', tmp_path/'old.pkl', tmp/'paintings', '--threshold', '0.6')
    assert r.returncode == 0 and 'threshold: 0.600 (given with --threshold)' in r.stdout, (r.stdout, r.stderr)
    assert r.stderr.strip().splitlines() == [no_guard.replace('predict', 'evaluate')] and 'the model has no guard' in r.stdout
    r = painters('predict', tmp_path/'old.pkl', img, '--no-guard', '--threshold', '0.6')
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr # asked for no guard: nothing to note

def not_paintings(folder:Path)->list:
    "A grey square, random pixels and a page of text in `folder`: pictures that are not paintings"
    from PIL import ImageDraw
    folder.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', (128, 128), (128, 128, 128)).save(folder/'grey.png')
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(folder/'noise.png')
    page = Image.new('RGB', (256, 256), 'white'); draw = ImageDraw.Draw(page)
    for y in range(10, 240, 16): draw.text((8, y), 'hello world, dear sir, the report ' * 2, fill='black')
    page.save(folder/'doc.png')
    return [folder/'grey.png', folder/'noise.png', folder/'doc.png']

def test_predict_three_verdicts(work, tmp_path):
    "A painting gets a painter (or 'unsure'); a grey square, noise and a text page get 'out of domain', with the distance"
    tmp, _ = work
    painting, others = sorted((tmp/'paintings').glob('monet/*.jpg'))[0], not_paintings(tmp_path)
    r = painters('predict', tmp/'model.pkl', painting, *others)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr # the model `train` made has its guard: no note
    verdicts = dict(l.split('\t') for l in r.stdout.strip().splitlines())
    assert verdicts[str(painting)].split()[0] in ('monet', 'vangogh', 'unsure'), verdicts
    for f in others:
        assert verdicts[str(f)].startswith('out of domain: not like the paintings this model was trained on (distance '), verdicts
    r = painters('predict', tmp/'model.pkl', *others, '--no-guard', '--threshold', '0')
    assert r.returncode == 0 and 'out of domain' not in r.stdout, r.stdout # guard off: a painter for anything
    assert all(l.split('\t')[1].split()[0] in ('monet', 'vangogh') for l in r.stdout.strip().splitlines()), r.stdout

def test_evaluate_counts_each_verdict(work, tmp_path):
    tmp, _ = work
    import shutil
    shutil.copytree(tmp/'paintings', tmp_path/'mixed')
    not_paintings(tmp_path/'mixed'/'monet') # three pictures filed as Monets that are not paintings
    r = painters('evaluate', tmp/'model.pkl', tmp_path/'mixed')
    assert r.returncode == 0, r.stderr
    line = next(l for l in r.stdout.splitlines() if l.startswith('verdicts: '))
    n_painter, n_unsure, n_far = (int(w) for w in re.findall(r'(\d+) (?:a painter|unsure|out of domain)', line))
    assert n_painter + n_unsure + n_far == 103, line
    assert 3 <= n_far <= 3 + 5, line # the three (`predict` checks each), and at most 5% of the model's own paintings
    r = painters('evaluate', tmp/'model.pkl', tmp_path/'mixed', '--no-guard')
    assert 'out of domain not checked (--no-guard)' in r.stdout, r.stdout

# ---- download, against a tiny MediaWiki stand-in on 127.0.0.1 (no network)

def _jpeg(colour):
    buf = io.BytesIO(); Image.new('RGB', (120, 90), colour).save(buf, format='JPEG'); return buf.getvalue()

class _Commons(http.server.BaseHTTPRequestHandler):
    "Answers `action=query` for each painter's category with two images, and serves those images"
    def log_message(self, *a): pass
    def _send(self, body, ctype):
        self.send_response(200); self.send_header('Content-Type', ctype); self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def do_GET(self):
        url = urlsplit(self.path); q = {k: v[0] for k,v in parse_qs(url.query).items()}
        if url.path.startswith('/img/'): return self._send(_jpeg((200, 120, 40)), 'image/jpeg')
        if q.get('list') == 'categorymembers': return self._send(json.dumps({'query': {'categorymembers': []}}).encode(), 'application/json')
        base = 1000 if 'Monet' in q.get('gcmtitle', '') else 2000
        port = self.server.server_address[1]
        info = lambda n: dict(thumburl=f'http://127.0.0.1:{port}/img/{n}.jpg', thumbwidth=120, thumbheight=90, url='',
                              mime='image/jpeg', descriptionurl=f'http://127.0.0.1:{port}/File:{n}', size=5000,
                              extmetadata=dict(LicenseShortName=dict(value='Public domain'), Artist=dict(value='Someone')))
        pages = [dict(pageid=base+i, title=f'File:Painting {base+i}.jpg', imageinfo=[info(base+i)]) for i in range(2)]
        self._send(json.dumps({'query': {'pages': pages}}).encode(), 'application/json')

@pytest.fixture
def commons():
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Commons)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/w/api.php'
    srv.shutdown(); srv.server_close()

def test_download_from_a_loopback_commons(commons, tmp_path):
    r = painters('download', '--dest', tmp_path/'dl', '--max-images', 2, '--api-url', commons)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert sorted(p.name for p in (tmp_path/'dl').glob('*/*.jpg')) == ['monet_1000.jpg', 'monet_1001.jpg', 'vangogh_2000.jpg', 'vangogh_2001.jpg']
    assert '4 downloaded' in r.stdout, r.stdout
    r = painters('download', '--dest', tmp_path/'dl', '--max-images', 2, '--api-url', commons)
    assert r.returncode == 0 and '4 already there' in r.stdout, r.stdout

def test_download_shows_its_bar_on_a_terminal_only(commons, tmp_path):
    "The download's progress is drawn as `sample`'s: on standard error when it is a terminal, never among the results"
    p, bar = _on_a_terminal('download', '--dest', tmp_path/'tty', '--max-images', 2, '--api-url', commons)
    assert p.returncode == 0 and '4 downloaded' in p.stdout and '\r' not in p.stdout, (p.stdout, bar)
    assert 'painting 1/4' in bar and 'painting 4/4' in bar, repr(bar)
    r = painters('download', '--dest', tmp_path/'pipe', '--max-images', 2, '--api-url', commons) # standard error is a pipe: no bar
    assert r.returncode == 0 and '4 downloaded' in r.stdout and '\r' not in r.stdout + r.stderr, (r.stdout, r.stderr)

def test_download_failures_have_exit_codes(tmp_path, monkeypatch):
    import socket, types, time
    from painters import commons
    waits = [] # the waits between retries, taken note of instead of waited
    monkeypatch.setattr(commons, 'time', types.SimpleNamespace(sleep=waits.append, monotonic=time.monotonic, time=time.time))
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]  # nothing listens here once closed
    r = painters('download', '--dest', tmp_path/'dl', '--max-images', 2, '--api-url', f'http://127.0.0.1:{port}/w/api.php')
    assert r.returncode == 1 and 'Traceback' not in r.stderr, (r.returncode, r.stdout, r.stderr)
    assert waits == [1, 2, 4] * 2, waits # each painter's search tried 4 times, waiting longer each time
    assert 'failed' in r.stdout
    one_line_error(painters('download', '--painters', 'monet', 'cezanne', '--dest', tmp_path/'dl2'), 'cezanne')
    (tmp_path/'file').write_text('mine')
    one_line_error(painters('download', '--dest', tmp_path/'file'), 'file')
