"""The app as a web page, in a real browser: `make app` (Voilà) on 127.0.0.1, driven by Chromium with Playwright.
The browser is Debian's Chromium, else a Chrome/Chromium found on this machine, else one Playwright installed; with none,
the test is skipped with the reason (and fails under CI, whose `.ci/run` installs Debian's)."""
import os, re, time
from pathlib import Path
import pytest, requests
from PIL import Image
import conftest
from conftest import ROOT, free_port, make_target_server, find_browser, require_browser

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
def browser():
    "The browser to drive, found before anything slow starts (skipped, or failed under CI, when there is none)"
    return require_browser(find_browser())

def test_no_browser_is_a_skip_with_the_reason_outside_ci_and_a_failure_in_ci(monkeypatch, tmp_path):
    nothing = dict(debian=str(tmp_path/'chromium'), names=(), places=(), playwright=lambda: [])
    assert find_browser(**nothing) is None
    monkeypatch.delenv('CI', raising=False)
    with pytest.raises(pytest.skip.Exception, match='apt-get install chromium'): require_browser(find_browser(**nothing))
    monkeypatch.setenv('CI', 'true')
    with pytest.raises(pytest.fail.Exception, match='CI is set'): require_browser(find_browser(**nothing))
    fake = tmp_path/'bin'/'google-chrome'; fake.parent.mkdir(); fake.write_text('#!/bin/sh\n'); fake.chmod(0o755)
    monkeypatch.setenv('PATH', str(fake.parent))
    assert find_browser(debian=str(tmp_path/'chromium'), places=(), playwright=lambda: []) == str(fake) # next in line: PATH
    monkeypatch.setenv('PLAYWRIGHT_BROWSERS_PATH', str(tmp_path/'pw'))
    pw = tmp_path/'pw'/'chromium-1200'/'chrome-linux64'/'chrome'; pw.parent.mkdir(parents=True); pw.write_text(''); pw.chmod(0o755)
    assert find_browser(**{**nothing, 'playwright': conftest.playwright_browsers}) == str(pw) # last: Playwright's own

@pytest.fixture(scope='module')
def models(tmp_path_factory, trained):
    "A models folder of its own holding the suite's trained model (conftest's `trained`), and the paintings it learned from"
    import shutil
    tmp = tmp_path_factory.mktemp('app')
    (tmp/'models').mkdir()
    shutil.copy(trained.model, tmp/'models'/'quick.pkl')
    (tmp/'paintings').symlink_to(trained.paintings)
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

def test_app_page_in_chromium(browser, app_url, models, tmp_path):
    from playwright.sync_api import sync_playwright, expect
    shots = Path(os.environ.get('PAINTERS_SCREENSHOTS') or tmp_path); shots.mkdir(parents=True, exist_ok=True)
    painting = sorted((models/'paintings').glob('vangogh/*.jpg'))[0]
    (tmp_path/'letter.txt').write_text('Dear Theo, the sunflowers are coming along.')
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(str(tmp_path/'profile'), executable_path=browser, headless=True,
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
            expect(app).to_contain_text('letter.txt is not an image that can be read', timeout=30_000)
            expect(classify).to_be_disabled()
            assert 'Painter:' not in app.inner_text()
            app.screenshot(path=str(shots/'app_letter.png'))
            assert 'Traceback' not in page.content()
        finally: browser.close()
