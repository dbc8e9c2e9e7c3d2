import os, signal, socket, subprocess, sys, time
from contextlib import contextmanager
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

@pytest.fixture
def root(): return ROOT

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
