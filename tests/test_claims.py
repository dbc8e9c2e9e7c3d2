"`make claims` (tools/claims.py) finds a claim that holds for some seeds and not others, and says in how many it held."
import json, shutil, sys
from conftest import ROOT
sys.path.insert(0, str(ROOT/'tools'))
import claims

def code(cid, *lines): return {'cell_type': 'code', 'id': cid, 'metadata': {}, 'outputs': [], 'execution_count': None, 'source': '\n'.join(lines)}

def test_a_claim_that_depends_on_the_seed_is_caught(tmp_path):
    shutil.copy(ROOT/'pyproject.toml', tmp_path) # nbdev's settings: which flags a test run skips
    (tmp_path/'nbs').mkdir()
    nb = {'cells': [code('a', 'import os', 'seed = int(os.environ["PAINTERS_SEED"])'),
                    {'cell_type': 'markdown', 'id': 'b', 'metadata': {}, 'source': 'An odd seed, always.'},
                    code('c', 'assert seed % 2 == 1, seed'),
                    code('d', '#| slow', 'assert False # skipped, as nbdev-test skips it'),
                    code('e', 'after = 1 # runs after the failure')],
          'metadata': {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}, 'nbformat': 4, 'nbformat_minor': 5}
    (path := tmp_path/'nbs'/'x.ipynb').write_text(json.dumps(nb))
    runs = {seed: claims.one_seed(seed, [path]) for seed in (1, 2, 3)}
    assert [r[0]['failed'] for r in runs.values()] == [[], [[2, 'AssertionError: 2  [assert seed % 2 == 1, seed]']], []], runs
    lines = claims.table(runs, 3).splitlines()
    assert len(lines) == 2 and lines[1].split()[:6] == ['x.ipynb', '2', '2', 'of', '3', '2'], lines
    assert claims.table({1: runs[1], 3: runs[3]}, 2) == 'every assertion held in every seed (2 seeds)'

def test_notebooks_are_those_nbdev_test_runs():
    names = [p.name for p in claims.notebooks([])]
    assert names == sorted(names) and '01_whole_game.ipynb' in names and '10_settings.ipynb' in names
    assert [p.name for p in claims.notebooks(['03', '10'])] == ['03_transfer_learning.ipynb', '10_settings.ipynb']
