"""`painters.commons` (and `get_paintings`, which calls it) against a stand-in for Wikimedia Commons on 127.0.0.1: paging,
faults, resuming, safety.

The server answers in the Commons API's JSON format (`formatversion=2`) and serves images these tests generate.
Every test checks, after the fault it stages: no partial or invalid file is left, the user's own files are untouched,
the summary names the failure, and every request carried the workshop's User-Agent.
"""
import hashlib, http.server, json, os, re, signal, subprocess, sys, textwrap, threading, time
from collections import Counter
from dataclasses import replace
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from painters.commons import (USER_AGENT, THUMB_WIDTHS, DownloadSummary, FetchError, PaintingRecord, Polite, download_paintings,
                              image_ok, read_attribution, search_paintings, write_attribution, painter_counts, is_online)
from painters.paintings import PaintingsSourceError, get_paintings, verify_paintings
from painters.settings import read_settings

POLITE = Polite(timeout=0.5, retries=2, backoff=0.01, max_wait=0.3) # small timeouts and backoff keep tests fast
FAST = dict(polite=POLITE, progress=False)

def jpeg(seed:int, size=(300, 200), fmt='JPEG')->bytes:
    "A small, valid image: a colour gradient with noise, different for each seed"
    rng = np.random.default_rng(seed)
    w, h = size
    x = np.linspace(0, 1, w)[None, :, None] * rng.uniform(50, 255, 3) + np.linspace(0, 1, h)[:, None, None] * rng.uniform(0, 200, 3)
    arr = np.clip(x + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
    b = BytesIO(); Image.fromarray(arr).save(b, fmt); return b.getvalue()

class Commons(http.server.ThreadingHTTPServer):
    "A stand-in for Wikimedia Commons: categories of files, an image route for each file, a log of every request"
    daemon_threads = True
    def __init__(self):
        super().__init__(('127.0.0.1', 0), Handler)
        self.categories = {}      # category -> dict(files=[pageid, ...], subcats=[category, ...])
        self.files = {}           # pageid -> dict(title=, route=, mime=)
        self.routes = {}          # image path -> (behaviour, payload)
        self.log = []             # (path, User-Agent) for every request
        self.hits = Counter()     # path -> number of requests
        self.times = {}           # path -> [time of each request]
        self.page_size = 2        # files per API answer, so that paging happens
        self.api_faults = []      # statuses the API answers with before it works, one per request
        self.lock = threading.Lock()
    @property
    def base(self): return f"http://127.0.0.1:{self.server_port}"
    @property
    def api(self): return f"{self.base}/w/api.php"
    def add(self, category, pageid, behaviour='ok', payload=None, title=None, route=None, mime='image/jpeg'):
        "File `pageid` in `category`, served at `route` with `behaviour`"
        route = route or f"/img/{pageid}.jpg"
        self.categories.setdefault(category, dict(files=[], subcats=[]))['files'].append(pageid)
        self.files[pageid] = dict(title=title or f"File:Painting {pageid}.jpg", route=route, mime=mime)
        self.routes[route] = (behaviour, jpeg(pageid) if payload is None else payload)
    def subcat(self, parent, child):
        self.categories.setdefault(parent, dict(files=[], subcats=[]))['subcats'].append(child)
        self.categories.setdefault(child, dict(files=[], subcats=[]))
    def image_requests(self): return [p for p,_ in self.log if p.startswith('/img/')]

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def send(self, status, ctype, body, headers=(), length=None):
        self.send_response(status)
        if ctype: self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body) if length is None else length))
        for k,v in headers: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        s = self.server
        with s.lock:
            s.log.append((self.path, self.headers.get('User-Agent')))
            s.hits[self.path] += 1
            s.times.setdefault(self.path, []).append(time.monotonic())
            n = s.hits[self.path]
        if self.path.startswith('/w/api.php'): return self.api(parse_qs(urlsplit(self.path).query))
        behaviour, payload = s.routes.get(self.path, ('404', b''))
        getattr(self, f"img_{behaviour}")(payload, n)
    def do_HEAD(self):
        with self.server.lock: self.server.log.append((self.path, self.headers.get('User-Agent')))
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
    def api(self, q):
        s = self.server
        if s.api_faults:
            status = s.api_faults.pop(0)
            if status == 'html': return self.send(200, 'text/html', b'<html>Wikimedia Error</html>')
            if status == 'error': return self.send(200, 'application/json', json.dumps(
                {'error': {'code': 'badvalue', 'info': 'Unrecognized value for parameter "gcmtype"'}}).encode())
            return self.send(status, 'text/plain', b'busy', headers=[('Retry-After', '0')])
        one = lambda k: q.get(k, [''])[0]
        assert one('format') == 'json' and one('formatversion') == '2' and one('action') == 'query'
        if one('list') == 'categorymembers':
            assert one('cmtype') == 'subcat'
            cat = s.categories.get(one('cmtitle').removeprefix('Category:'), dict(subcats=[]))
            members = [dict(pageid=1000+i, ns=14, title=f"Category:{c}") for i,c in enumerate(cat['subcats'])]
            return self.send(200, 'application/json', json.dumps({'batchcomplete': True, 'query': {'categorymembers': members}}).encode())
        assert one('generator') == 'categorymembers' and one('gcmtype') == 'file' and one('prop') == 'imageinfo'
        assert int(one('iiurlwidth')) in THUMB_WIDTHS and 'url' in one('iiprop') and 'extmetadata' in one('iiprop')
        files = s.categories.get(one('gcmtitle').removeprefix('Category:'), dict(files=[]))['files']
        start = int(one('gcmcontinue') or 0)
        page = files[start:start+s.page_size]
        answer = {'batchcomplete': True}
        if page: answer['query'] = {'pages': [self.page(pid) for pid in page]}
        if start + s.page_size < len(files):
            answer['continue'] = {'gcmcontinue': str(start + s.page_size), 'continue': 'gcmcontinue||'}
        self.send(200, 'application/json', json.dumps(answer).encode())
    def page(self, pageid):
        f = self.server.files[pageid]
        return dict(pageid=pageid, ns=6, title=f['title'], imagerepository='local', imageinfo=[dict(
            size=123456, width=3000, height=2000, mime=f['mime'], thumburl=self.server.base + f['route'], thumbwidth=500,
            thumbheight=333, url=self.server.base + f['route'], descriptionurl=f"{self.server.base}/wiki/File:{pageid}",
            extmetadata=dict(LicenseShortName=dict(value='Public domain', source='commons-desc-page', hidden=''),
                             Artist=dict(value='<a href="//en.wikipedia.org/wiki/Claude_Monet">Claude Monet</a>')))])
    # image behaviours: each gets the payload and how many times this path was asked for
    def img_ok(self, body, n): self.send(200, 'image/jpeg', body)
    def img_404(self, body, n): self.send(404, 'text/html', b'<html>Not Found</html>')
    def img_429(self, body, n):
        if n == 1: return self.send(429, 'text/html', b'<html>Too Many Requests</html>', headers=[('Retry-After', '1')])
        self.img_ok(body, n)
    def img_429_long(self, body, n):
        if n == 1: return self.send(429, 'text/html', b'<html>Too Many Requests</html>', headers=[('Retry-After', '3600')])
        self.img_ok(body, n)
    def img_500_then_ok(self, body, n):
        if n == 1: return self.send(500, 'text/html', b'<html>Internal Server Error</html>')
        self.img_ok(body, n)
    def img_500_always(self, body, n): self.send(500, 'text/html', b'<html>Internal Server Error</html>')
    def img_slow(self, body, n): # headers and half the body, then silence past the client's timeout
        self.send_response(200); self.send_header('Content-Type', 'image/jpeg'); self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body[:len(body)//2]); self.wfile.flush(); time.sleep(1.2)
    def img_drip(self, body, n): # a byte every 50 ms: each read is quick, the whole body is not
        self.send_response(200); self.send_header('Content-Type', 'image/jpeg'); self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        try:
            for i in range(0, len(body), 64): self.wfile.write(body[i:i+64]); self.wfile.flush(); time.sleep(0.05)
        except OSError: pass
    def img_pause(self, body, n): time.sleep(0.3); self.img_ok(body, n)
    def img_truncated(self, body, n): # promises the whole body, sends half, hangs up
        self.send(200, 'image/jpeg', body[:len(body)//2], length=len(body)); self.close_connection = True
    def img_html200(self, body, n): self.send(200, 'text/html; charset=utf-8', b'<!DOCTYPE html><html><body>Error: set a User-Agent</body></html>')
    def img_html_as_jpeg(self, body, n): self.send(200, 'image/jpeg', b'<!DOCTYPE html><html><body>Error: set a User-Agent</body></html>')
    def img_octet(self, body, n): self.send(200, 'application/octet-stream', body)
    def img_loop(self, body, n):
        self.send_response(302); self.send_header('Location', self.path); self.send_header('Content-Length', '0'); self.end_headers()
    def img_huge(self, body, n): self.send(200, 'image/jpeg', b'\xff' * 300_000)
    def img_huge_unannounced(self, body, n): # no Content-Length: the size is only known by reading
        self.send_response(200); self.send_header('Content-Type', 'image/jpeg'); self.end_headers()
        try:
            for _ in range(100): self.wfile.write(b'\xff' * 10_000)
        except OSError: pass
        self.close_connection = True

@pytest.fixture
def commons():
    server = Commons()
    t = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True); t.start()
    yield server
    server.shutdown(); server.server_close()
    assert server.log, "the server saw no requests"
    agents = {ua for _,ua in server.log}
    assert agents == {USER_AGENT}, f"requests without the workshop's User-Agent: {agents}"

def digest(f:Path): return hashlib.sha256(f.read_bytes()).hexdigest()

@pytest.fixture
def folder(tmp_path):
    "A download folder in which the user already keeps files of their own, some of them not images"
    root = tmp_path/'commons'
    (root/'monet').mkdir(parents=True)
    own = {root/'monet'/'my_photo.jpg': jpeg(99), root/'monet'/'notes.txt': b'my notes',
           root/'monet'/'half_copied.jpg': jpeg(98)[:300], root/'monet'/'.hidden.part': b'mine too', root/'README.txt': b'hello'}
    for f,b in own.items(): f.write_bytes(b)
    before = {f: digest(f) for f in own}
    yield root
    for f,d in before.items(): assert f.exists() and digest(f) == d, f"the user's file {f} was changed or removed"
    parts = [p.name for p in tmp_path.rglob('*.part')]
    assert parts == ['.hidden.part'], f"temporary files left behind: {parts}"
    extra = [f for f in root.rglob('*') if f.is_file() and f not in before and f.name not in ('attribution.csv', 'download.json')
             and not (f.parent.parent == root and re.fullmatch(rf'{f.parent.name}_\d+\.jpg', f.name))]
    assert not extra, f"files that are neither the user's nor downloaded images: {extra}"
    for f in (root/'monet').glob('monet_*'):
        assert image_ok(f) and f.suffix == '.jpg', f"{f} is ours and not a valid image"
    assert not (tmp_path/'x.jpg').exists() and not (tmp_path.parent/'x.jpg').exists()

def ours(root): return sorted(f.name for f in (root/'monet').glob('monet_*'))

# ---- searching ----

def test_search_pages_through_the_category(commons):
    for i in range(1, 6): commons.add('Paintings by Claude Monet', i)
    recs = search_paintings('monet', max_images=10, api_url=commons.api, polite=POLITE)
    assert [r.pageid for r in recs] == [1, 2, 3, 4, 5]
    api = [p for p,_ in commons.log if 'generator=categorymembers' in p]
    assert len(api) == 3 and 'gcmcontinue=2' in api[1] and 'gcmcontinue=4' in api[2]
    r = recs[0]
    assert isinstance(r, PaintingRecord) and r.licence == 'Public domain' and r.artist == 'Claude Monet'
    assert r.url == f"{commons.base}/img/1.jpg" and r.source.endswith('/wiki/File:1') and (r.width, r.height) == (500, 333)
    assert 'iiurlwidth=500' in api[0] # max_size 400 asks for the standard 500 px thumbnail

def test_search_stops_at_max_images(commons):
    for i in range(1, 6): commons.add('Paintings by Claude Monet', i)
    recs = search_paintings('monet', max_images=3, api_url=commons.api, polite=Polite(timeout=0.5, retries=0))
    assert len(recs) == 3 and len([p for p,_ in commons.log if 'generator' in p]) == 2

def test_search_descends_into_subcategories_once_each(commons):
    top, sub, subsub = 'Paintings by Claude Monet', 'Water Lilies by Claude Monet', 'Water Lilies in the Musee'
    commons.add(top, 1); commons.add(sub, 2); commons.add(sub, 3)
    commons.categories[sub]['files'].append(1) # a file filed in two categories is found once
    commons.add(subsub, 4)
    commons.subcat(top, sub); commons.subcat(sub, subsub); commons.subcat(subsub, top) # a category loop
    assert [r.pageid for r in search_paintings('monet', depth=1, api_url=commons.api, polite=Polite(retries=0))] == [1, 2, 3]
    assert [r.pageid for r in search_paintings('monet', depth=2, api_url=commons.api, polite=Polite(retries=0))] == [1, 2, 3, 4]

def test_search_skips_other_media_and_odd_page_ids(commons):
    commons.add('Paintings by Claude Monet', 1)
    commons.add('Paintings by Claude Monet', 2, mime='application/pdf')
    commons.add('Paintings by Claude Monet', 3, mime='image/svg+xml')
    commons.add('Paintings by Claude Monet', '../../x', payload=jpeg(5), title='File:../../x.jpg')
    assert [r.pageid for r in search_paintings('monet', api_url=commons.api, polite=Polite(retries=0))] == [1]

def test_search_retries_a_busy_api_and_reports_api_errors(commons, folder):
    commons.add('Paintings by Claude Monet', 1)
    commons.api_faults = [503, 500]
    assert len(search_paintings('monet', api_url=commons.api, polite=Polite(retries=2, backoff=0.01))) == 1
    commons.api_faults = ['error']
    with pytest.raises(FetchError, match='badvalue'): search_paintings('monet', api_url=commons.api, polite=Polite(retries=0))
    commons.api_faults = ['html']
    s = download_paintings(folder, ['monet'], api_url=commons.api, **FAST)
    assert 'not JSON' in s.reasons()['search monet'] and not s.downloaded and ours(folder) == []

def test_unknown_painter_is_a_clear_error(folder):
    with pytest.raises(ValueError, match=r'Unknown painter .cezanne.*\[painter:<key>\]'):
        download_paintings(folder, ['cezanne'], api_url='http://127.0.0.1:9/w/api.php', **FAST)
    assert not (folder/'cezanne').exists() # it fails before touching the disk

# ---- downloading: a good image beside each fault ----

FAULTS = [ # behaviour, what the summary must say (None: it succeeds after retrying)
    ('404', 'HTTP 404'),
    ('500_then_ok', None),
    ('500_always', 'HTTP 500 Internal Server Error (3 tries)'),
    ('429_long', None),
    ('slow', 'timed out'),
    ('drip', 'timed out'),
    ('truncated', 'truncated'),
    ('html200', 'not an image (content type text/html)'),
    ('html_as_jpeg', 'does not decode as an image'),
    ('octet', 'not an image (content type application/octet-stream)'),
    ('loop', 'redirect loop'),
    ('huge', 'too large (300,000 bytes'),
    ('huge_unannounced', 'too large (more than the cap'),
]

@pytest.mark.parametrize('behaviour,reason', FAULTS, ids=[f[0] for f in FAULTS])
def test_fault(commons, folder, behaviour, reason):
    commons.add('Paintings by Claude Monet', 1)
    commons.add('Paintings by Claude Monet', 2, behaviour)
    s = download_paintings(folder, ['monet'], max_size=64, max_bytes=200_000, api_url=commons.api, **FAST)
    assert isinstance(s, DownloadSummary)
    if reason is None:
        assert ours(folder) == ['monet_1.jpg', 'monet_2.jpg'] and not s.failed
        assert commons.hits['/img/2.jpg'] == 2
    else:
        assert ours(folder) == ['monet_1.jpg'], ours(folder)
        assert reason in s.reasons()['File:Painting 2.jpg'], s
        assert reason in repr(s)
        assert set(read_attribution(folder)) == {'monet/monet_1.jpg'}
    assert max(Image.open(folder/'monet'/'monet_1.jpg').size) == 64 # resized on arrival

def test_retry_after_is_honoured(commons, folder):
    commons.add('Paintings by Claude Monet', 1, '429')
    s = download_paintings(folder, ['monet'], api_url=commons.api, polite=replace(POLITE, max_wait=5), progress=False)
    t = commons.times['/img/1.jpg']
    assert len(t) == 2 and t[1] - t[0] >= 0.9, "asked again before the 1 s that Retry-After asked for" # backoff alone: 0.01 s
    assert [f.name for f in s.downloaded] == ['monet_1.jpg']

def test_retries_give_up_after_the_last_try(commons, folder):
    commons.add('Paintings by Claude Monet', 1, '500_always')
    s = download_paintings(folder, ['monet'], api_url=commons.api, polite=replace(POLITE, retries=1), progress=False)
    assert commons.hits['/img/1.jpg'] == 2 and '(2 tries)' in s.reasons()['File:Painting 1.jpg']

def test_hostile_file_names_never_reach_the_disk(commons, folder, tmp_path):
    commons.add('Paintings by Claude Monet', 7, title='File:../../x.jpg', route='/img/..%2F..%2Fx.jpg')
    s = download_paintings(folder, ['monet'], api_url=commons.api, **FAST)
    assert ours(folder) == ['monet_7.jpg'] and not s.failed
    assert read_attribution(folder)['monet/monet_7.jpg']['title'] == 'File:../../x.jpg' # kept as text, credited
    assert not list(tmp_path.rglob('x.jpg'))

def test_attribution_and_resize(commons, folder):
    for i in (1, 2, 3): commons.add('Paintings by Claude Monet', i)
    s = download_paintings(folder, ['monet'], max_size=100, api_url=commons.api, **FAST)
    rows = read_attribution(folder)
    assert sorted(rows) == ['monet/monet_1.jpg', 'monet/monet_2.jpg', 'monet/monet_3.jpg']
    assert rows['monet/monet_2.jpg']['licence'] == 'Public domain' and rows['monet/monet_2.jpg']['painter'] == 'Claude Monet'
    assert rows['monet/monet_2.jpg']['source'] == f"{commons.base}/wiki/File:2"
    w, h = Image.open(folder/'monet'/'monet_3.jpg').size
    assert w == 100 and h in (66, 67) # 300 x 200, longest side now 100
    assert s.nbytes == sum(len(jpeg(i)) for i in (1, 2, 3))
    assert '3 downloaded' in repr(s) and '0 failed' in repr(s)

# ---- resuming ----

def test_second_run_fetches_nothing_valid_again(commons, folder):
    for i in (1, 2, 3): commons.add('Paintings by Claude Monet', i)
    commons.add('Paintings by Claude Monet', 4, '404')
    download_paintings(folder, ['monet'], api_url=commons.api, **FAST)
    commons.log.clear(); commons.hits.clear()
    s = download_paintings(folder, ['monet'], api_url=commons.api, **FAST)
    assert commons.image_requests() == ['/img/4.jpg'] # only the one that failed is asked for again
    assert (len(s.downloaded), len(s.skipped), len(s.failed)) == (0, 3, 1)

def test_our_broken_file_is_replaced_and_a_stranger_is_left_alone(commons, folder):
    for i in (1, 2): commons.add('Paintings by Claude Monet', i)
    download_paintings(folder, ['monet'], api_url=commons.api, **FAST)
    (folder/'monet'/'monet_1.jpg').write_bytes(b'corrupted on disk')   # ours (in attribution.csv), now broken
    rows = read_attribution(folder); del rows['monet/monet_2.jpg']
    write_attribution(folder, rows)
    (folder/'monet'/'monet_2.jpg').write_bytes(b'not ours, not an image') # same name, but not in attribution.csv
    stale = folder/'monet'/'.monet_2.jpg.abc123.part'; stale.write_bytes(b'left by a killed run')
    stale_csv = folder/'.attribution.csv.x_9z.part'; stale_csv.write_bytes(b'left by a killed run')
    commons.log.clear()
    s = download_paintings(folder, ['monet'], api_url=commons.api, **FAST)
    assert [f.name for f in s.removed] == ['monet_1.jpg'] and [f.name for f in s.downloaded] == ['monet_1.jpg']
    assert 'not ours: left alone' in s.reasons()['File:Painting 2.jpg']
    assert (folder/'monet'/'monet_2.jpg').read_bytes() == b'not ours, not an image'
    assert not stale.exists() and not stale_csv.exists()
    (folder/'monet'/'monet_2.jpg').unlink() # the fixture checks that files named like ours are valid images

def test_interrupted_run_resumes(commons, folder):
    "Ctrl-C (SIGINT) in the middle of a run, in a separate process; then a second run completes the set"
    n = 20
    for i in range(1, n+1): commons.add('Paintings by Claude Monet', i, 'pause')
    code = textwrap.dedent(f"""
        from painters.commons import Polite, download_paintings
        download_paintings({str(folder)!r}, ['monet'], api_url={commons.api!r}, workers=2, polite=Polite(timeout=20), progress=False)
    """)
    proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 40
    while len(ours(folder)) < 4 and time.monotonic() < deadline and proc.poll() is None: time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and b'KeyboardInterrupt' in err, err.decode()[-2000:]
    saved = ours(folder)
    assert 4 <= len(saved) < n, saved
    assert set(read_attribution(folder)) == {f"monet/{f}" for f in saved} # the interrupted run credited what it saved
    commons.log.clear()
    for r in list(commons.routes): commons.routes[r] = ('ok', commons.routes[r][1])
    s = download_paintings(folder, ['monet'], api_url=commons.api, **FAST)
    fetched = commons.image_requests()
    assert not {f"/img/{f.split('_')[1]}" for f in saved} & set(fetched), "a valid file was fetched twice"
    assert len(fetched) == n - len(saved) and len(s.skipped) == len(saved) and not s.failed
    assert len(ours(folder)) == n and len(read_attribution(folder)) == n

# ---- verifying ----

def test_verify_paintings_reports_then_removes_only_when_asked(tmp_path, capsys):
    (tmp_path/'monet').mkdir()
    good, bad = tmp_path/'monet'/'a.jpg', tmp_path/'monet'/'b.jpg'
    good.write_bytes(jpeg(1)); bad.write_bytes(b'<html>error page</html>')
    assert list(verify_paintings(tmp_path)) == [bad] and bad.exists()
    assert '1 of 2 image files' in capsys.readouterr().out
    assert list(verify_paintings(tmp_path, delete=True)) == [bad] and not bad.exists() and good.exists()

# ---- choosing the folder ----

def test_get_paintings_downloads_once_then_reuses_it(commons, tmp_path, capsys):
    for i in (1, 2): commons.add('Paintings by Claude Monet', i)
    for i in (3, 4): commons.add('Paintings by Vincent van Gogh', i)
    s = read_settings(env={})
    s.data, s.offline, s.images_per_painter, s.painters = tmp_path/'data', 'no', 2, ('monet', 'vangogh')
    path = get_paintings('auto', settings=s, api_url=commons.api, **FAST)
    assert path == tmp_path/'data'/'commons' and painter_counts(path, s.painters) == dict(monet=2, vangogh=2)
    out = capsys.readouterr().out
    assert out.count('\n') == 1 and out.startswith('Paintings:') and 'downloading' in out, out
    seen = len(commons.log)
    assert get_paintings('auto', settings=s) == path and len(commons.log) == seen # complete: no request at all
    assert 'a complete download' in capsys.readouterr().out
    with pytest.raises(PaintingsSourceError, match='needs a sub-folder of images for each painter'): get_paintings(tmp_path, settings=s)
    with pytest.raises(PaintingsSourceError, match='is not a folder'): get_paintings(tmp_path/'nowhere', settings=s)
    s.offline = 'yes'
    with pytest.raises(PaintingsSourceError, match='offline = yes'): get_paintings('commons', settings=s)

def test_get_paintings_says_when_a_download_got_nothing(commons, tmp_path):
    commons.add('Paintings by Claude Monet', 1)
    commons.add('Paintings by Vincent van Gogh', 2, '404')
    s = read_settings(env={})
    s.data, s.offline, s.images_per_painter, s.painters = tmp_path/'data', 'no', 2, ('monet', 'vangogh')
    with pytest.raises(PaintingsSourceError, match=r'(?s)vangogh 0.*HTTP 404.*get_paintings\(.generated.\)'):
        get_paintings('commons', settings=s, api_url=commons.api, **FAST)

def test_get_paintings_offline_uses_the_generated_set(tmp_path, capsys):
    s = read_settings(env={})
    s.data, s.offline, s.images_per_painter, s.painters = tmp_path/'data', 'yes', 3, ('monet', 'vangogh')
    path = get_paintings('auto', settings=s)
    assert path == tmp_path/'data'/'generated' and painter_counts(path, s.painters) == dict(monet=3, vangogh=3)
    out = capsys.readouterr().out
    assert out.count('\n') == 1 and 'generated set' in out and 'offline = yes' in out, out

def test_is_online_asks_once_and_gives_up_quickly(commons):
    assert is_online(commons.api, timeout=2) # any answer counts, even an error status
    t = time.monotonic()
    assert not is_online('http://127.0.0.1:9/w/api.php', timeout=0.5) and time.monotonic() - t < 1.5
