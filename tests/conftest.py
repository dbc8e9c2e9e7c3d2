import os, sys
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
