"""The app as a web page, in a real browser: `make app` (Voilà) on 127.0.0.1, driven by Debian's Chromium with Playwright.
Never `playwright install`: it downloads a browser, which fails offline; CI installs Debian's with `apt-get install -y chromium`."""
import os, re, time
from pathlib import Path
import pytest, requests
from PIL import Image
from conftest import ROOT, free_port, make_target_server

CHROMIUM = '/usr/bin/chromium'
# keep the browser off the network and quiet: no sandbox (containers, root), no GPU, no QUIC, no background fetches
CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync']


def _with_env(marker:str)->list:
    "Processes whose environment holds `marker` (Voilà starts its kernels in process groups of their own)"
    found = []
    for d in Path('/proc').glob('[0-9]*'):
        try:
            if marker.encode() in (d/'environ').read_bytes().split(b'\0'): found.append(int(d.name))
        except OSError: pass
    return found

@pytest.fixture(scope='module')
def models(tmp_path_factory):
    "A quick model (one epoch on a few small generated paintings), exported to a models folder of its own"
    from painters.app import quick_model
    tmp = tmp_path_factory.mktemp('app')
    learn = quick_model(tmp/'paintings', n=8, size=64)
    (tmp/'models').mkdir()
    learn.export(tmp/'models'/'quick.pkl')
    return tmp

@pytest.fixture(scope='module')
def app_url(models):
    "`make app` on a free port, serving the model above; stopped, with every process it started, afterwards"
    port = free_port()
    env = dict(os.environ, PAINTERS_MODELS=str(models/'models'), JUPYTER_RUNTIME_DIR=str(models/'runtime'),
               JUPYTER_CONFIG_DIR=str(models/'config'), JUPYTER_DATA_DIR=str(models/'data'))
    env.pop('IN_TEST', None)
    url = f'http://127.0.0.1:{port}/'
    marker = f"PAINTERS_MODELS={models/'models'}"
    try:
        with make_target_server('app', {'APP_PORT': port}, env, models/'voila.log', url): yield url
    finally:
        for _ in range(40):
            if not _with_env(marker): break
            time.sleep(0.25)
        assert not _with_env(marker), f"Voilà left processes behind: {_with_env(marker)}"

def test_app_page_in_chromium(app_url, models, tmp_path):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium`"
    from playwright.sync_api import sync_playwright, expect
    shots = Path(os.environ.get('PAINTERS_SCREENSHOTS') or tmp_path); shots.mkdir(parents=True, exist_ok=True)
    painting = sorted((models/'paintings').glob('vangogh/*.jpg'))[0]
    (tmp_path/'letter.txt').write_text('Dear Theo, the sunflowers are coming along.')
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(str(tmp_path/'profile'), executable_path=CHROMIUM, headless=True,
                                                       args=CHROMIUM_FLAGS, viewport=dict(width=1000, height=800))
        try:
            page = browser.new_page()
            page.goto(app_url, timeout=120_000)
            app = page.locator('.painter-app')
            expect(app).to_have_count(1, timeout=120_000)  # Voilà runs the notebook, then renders the widgets
            expect(app).to_be_visible(timeout=30_000)
            assert 'No exported model' not in page.content(), "the page did not find the model made for it"
            classify = app.get_by_role('button', name='Classify')
            expect(classify).to_be_disabled()
            # ipywidgets 8 makes its <input type=file> on demand, outside the page: catch the file chooser it opens
            with page.expect_file_chooser() as chooser: app.locator('.widget-upload').click()
            chooser.value.set_files(str(painting))
            expect(classify).to_be_enabled(timeout=30_000)
            classify.click()
            expect(app).to_contain_text(re.compile(r'Painter: (monet|vangogh) \(\d+%\)|Unsure'), timeout=60_000)
            for painter in ('monet', 'vangogh'): # a bar per painter, with its percentage
                expect(app).to_contain_text(re.compile(painter + r'\s*\d+%'), timeout=30_000)
            assert app.locator('.widget-progress, progress, .progress').count() >= 2, app.inner_html()[:2000]
            assert app.locator('img.widget-image').is_visible()
            app.screenshot(path=str(shots/'app_painting.png'))
            with page.expect_file_chooser() as chooser: app.locator('.widget-upload').click()
            chooser.value.set_files(str(tmp_path/'letter.txt'))
            expect(app).to_contain_text('letter.txt is not an image this app can read', timeout=30_000)
            expect(classify).to_be_disabled()
            assert 'Painter:' not in app.inner_text()
            app.screenshot(path=str(shots/'app_letter.png'))
            assert 'Traceback' not in page.content()
        finally: browser.close()
