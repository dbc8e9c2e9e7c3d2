import glob, io, os, shutil, signal, socket, subprocess, sys, time, traceback, warnings
from contextlib import contextmanager, redirect_stdout, redirect_stderr
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

@pytest.fixture
def root(): return ROOT

# The suite's models are tiny (64 px images, a few a batch): torch computes them in one thread here. On 2 cores shared
# with another busy process, 2 threads wait for each other in every operation (bench/recipe_cv.py's test: 55-64 s with
# 2 threads, 8-10 s with 1, on such a machine). OMP_NUM_THREADS, when set, decides instead.
def pytest_configure(config):
    if not os.environ.get('OMP_NUM_THREADS'):
        import torch
        torch.set_num_threads(1)

@pytest.fixture(autouse=True)
def torch_threads_kept():
    "A test that changes torch's threads leaves them as they were for the next"
    import torch
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)

def run_painters(*args, env=None, timeout=600)->subprocess.CompletedProcess:
    "Run the installed `painters` console script with `args`, as a user's shell would"
    return subprocess.run([venv_tool('painters'), *map(str, args)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=timeout)

# Python's own warning filters, as a fresh `python` has them (pytest's replace them while tests run)
PYTHON_WARNING_FILTERS = [('default', DeprecationWarning, '__main__'), ('ignore', DeprecationWarning, None),
                          ('ignore', PendingDeprecationWarning, None), ('ignore', ImportWarning, None), ('ignore', ResourceWarning, None)]

@contextmanager
def kept_environ():
    "Within this context, changes to `os.environ` are undone when it ends"
    saved = dict(os.environ)
    try: yield os.environ
    finally:
        for k in set(os.environ) - set(saved): del os.environ[k]
        os.environ.update(saved)

@contextmanager
def in_folder(path:Path):
    "Within this context, the working folder is `path`"
    old = os.getcwd(); os.chdir(path)
    try: yield path
    finally: os.chdir(old)

def run_in_process(
    run, # `run(argv)`: the command's work; returns its exit code (`None`: 0), or exits with `SystemExit` as argparse does
    *args, # the command's arguments (converted with `str`)
    env:dict|None=None, # added to the environment for the call
    prog:str='python', # the command's name, for the returned `args`
)->subprocess.CompletedProcess:
    """Run a command's `main` in this process, as a fresh Python would run it: in the project folder, with `env` added to the
    environment, standard output and error captured, warnings printed on standard error as a fresh Python prints them, and
    the exit code a shell would see (argparse's `--help` 0, its usage errors 2, `sys.exit('message')` 1; an uncaught
    exception 1, with its traceback). Afterwards the environment, the folder and the warning filters are as they were."""
    argv, out, err = list(map(str, args)), io.StringIO(), io.StringIO()
    with kept_environ(), in_folder(ROOT), warnings.catch_warnings(record=True) as seen, redirect_stdout(out), redirect_stderr(err):
        os.environ.update(env or {})
        warnings.resetwarnings()
        for action, category, module in reversed(PYTHON_WARNING_FILTERS): warnings.filterwarnings(action, category=category, module=module or '')
        try: code = run(argv) or 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
            if isinstance(e.code, str): print(e.code, file=sys.stderr)
        except Exception: traceback.print_exc(); code = 1 # as Python reports an uncaught exception
        finally:
            for w in seen: err.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
    return subprocess.CompletedProcess([prog, *argv], code, out.getvalue(), err.getvalue())

def painters_cli(*args, env:dict|None=None)->subprocess.CompletedProcess:
    "`painters args` in this process: `painters.cli.main`, which the console script calls, run by `run_in_process`"
    from painters.cli import main
    return run_in_process(main, *args, env=env, prog='painters')

def bench_script(name:str):
    "bench/`name`.py loaded as a module (its `main` not run), as `python bench/<name>.py` finds its imports"
    import importlib.util
    sys.path.insert(0, str(ROOT/'bench'))
    try:
        spec = importlib.util.spec_from_file_location(f'bench_{name}', ROOT/'bench'/f'{name}.py')
        module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    finally: sys.path.remove(str(ROOT/'bench'))
    return module

def run_bench_script(name:str, *args, env:dict|None=None)->subprocess.CompletedProcess:
    "`python bench/<name>.py args` in this process: the script loaded and its `main(argv)` run by `run_in_process`"
    def run(argv): bench_script(name).main(argv) # exit code 0, unless the script exits otherwise
    return run_in_process(run, *args, env=env, prog=f'bench/{name}.py')

@pytest.fixture(scope='session')
def trained(tmp_path_factory):
    """A small generated set (50 per painter, 64 px: 20 validation paintings, enough for the out-of-domain guard) and a model
    trained on it by `painters train` (1 epoch, 64 px), made once for the whole suite: every test that needs a trained model uses this one"""
    from types import SimpleNamespace
    tmp = tmp_path_factory.mktemp('trained')
    r = painters_cli('sample', '--dest', tmp/'paintings', '--n', 50, '--size', 64)
    assert r.returncode == 0, r.stderr
    r = painters_cli('train', tmp/'paintings', '--epochs', 1, '--size', 64, '--backbone', 'efficientnet_lite0', '--out', tmp/'model.pkl')
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    return SimpleNamespace(dir=tmp, paintings=tmp/'paintings', model=tmp/'model.pkl', train=r)

def venv_tool(name:str)->str:
    "Path of a console script installed beside the running Python (the .venv's)"
    p = VENV_BIN/name
    if not p.exists(): pytest.fail(f"{p} is missing: run `make setup`")
    return str(p)

def free_port()->int:
    "A TCP port on 127.0.0.1 that nothing listens on now"
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def group_gone(pgid:int)->bool:
    "True when no process of process group `pgid` is left"
    try: os.killpg(pgid, 0)
    except ProcessLookupError: return True
    return False

@contextmanager
def make_target_server(target:str, make_vars:dict, env:dict, log_path:Path, probe_url:str, log_tail:int=3000):
    "Run `make <target>` in a process group of its own until `probe_url` answers; yield the log file; stop the whole group after"
    import requests
    log = open(log_path, 'w+')
    proc = subprocess.Popen(['make', '--no-print-directory', target, *(f'{k}={v}' for k,v in make_vars.items())],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pgid = proc.pid  # start_new_session: the group's id is make's pid
    try:
        for _ in range(240):
            if proc.poll() is not None: break
            try: requests.head(probe_url, timeout=1); break  # HEAD: any answer means it is up; a GET could start a kernel
            except requests.ConnectionError: time.sleep(0.25)
        log.seek(0)
        assert proc.poll() is None, f"make {target} exited: {log.read()[-log_tail:]}"
        yield log
    finally:
        try: os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: proc.wait(timeout=20)
        except subprocess.TimeoutExpired: os.killpg(pgid, signal.SIGKILL); proc.wait()
        for _ in range(40):
            if group_gone(pgid): break
            time.sleep(0.25)
        log.close()
        assert group_gone(pgid), f"make {target} left processes behind"


# ---- a browser for the app's browser test

BROWSER_NAMES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome') # on PATH
BROWSER_PLACES = ('/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/opt/google/chrome/chrome', '/snap/bin/chromium',
                  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', '/Applications/Chromium.app/Contents/MacOS/Chromium')
PLAYWRIGHT_GLOBS = ('chromium-*/chrome-linux*/chrome', 'chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium',
                    'chromium_headless_shell-*/chrome-linux*/headless_shell', 'chromium-*/chrome-win*/chrome.exe')
NO_BROWSER = ("no Chromium or Chrome for the app's browser test: install one (Debian/Ubuntu: `apt-get install chromium`; "
              "with internet: `pip install playwright && playwright install chromium`), or leave this test skipped")

def playwright_browsers()->list:
    "Chromium builds that `playwright install` left in its cache, newest first"
    roots = [os.environ.get('PLAYWRIGHT_BROWSERS_PATH'), '~/.cache/ms-playwright', '~/Library/Caches/ms-playwright']
    found = [f for r in roots if r for g in PLAYWRIGHT_GLOBS for f in glob.glob(os.path.join(os.path.expanduser(r), g))]
    return sorted(found, reverse=True)

def find_browser(
    debian:str='/usr/bin/chromium', # Debian's package, the first choice
    names=BROWSER_NAMES, places=BROWSER_PLACES, # then a Chrome or Chromium on PATH, or in the usual places
    playwright=playwright_browsers, # then one that Playwright installed
)->str|None: # the browser's executable, or None
    "A Chromium-family browser, in the order: Debian's chromium, one on PATH or in the usual places, Playwright's"
    for f in [debian, *(shutil.which(n) for n in names), *places, *playwright()]:
        if f and os.path.isfile(f) and os.access(f, os.X_OK): return f
    return None

def require_browser(browser:str|None)->str:
    "`browser`, or: skip with how to get one; under CI (`CI` set), fail, so CI is never green without the browser check"
    if browser: return browser
    if os.environ.get('CI'): pytest.fail(f"{NO_BROWSER} (CI is set: the browser check must run here)", pytrace=False)
    pytest.skip(NO_BROWSER)
