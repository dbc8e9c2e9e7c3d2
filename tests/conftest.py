import os, socket, sys
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
