#!/usr/bin/env python3
"""Render README.md from nbs/index.ipynb (markdown cells as they are, code cells as python blocks).

nbdev 3's `nbdev-readme` needs Quarto, which is not installable offline from PyPI, so the workshop renders its
README with this script instead: `python tools/readme.py` writes README.md, `--check` exits 1 when it is stale.
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def render(nb_path=ROOT/'nbs'/'index.ipynb')->str:
    "README text for the notebook at `nb_path`"
    nb, parts = json.loads(Path(nb_path).read_text(encoding='utf-8')), []
    for cell in nb['cells']:
        src = ''.join(cell['source']).strip()
        if cell['cell_type'] == 'markdown': parts.append(src)
        elif cell['cell_type'] == 'code':
            lines = [l for l in src.splitlines() if not l.startswith('#|')]
            if any(l.startswith('#| hide') for l in src.splitlines()) or not ''.join(lines).strip(): continue
            parts.append('```python\n' + '\n'.join(lines).strip() + '\n```')
    return '<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n' + '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text(encoding='utf-8') != text:
            sys.exit('README.md is out of date with nbs/index.ipynb: run `make export`')
    else: readme.write_text(text, encoding='utf-8')
