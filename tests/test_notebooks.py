"Every notebook in nbs/ is a valid notebook: JupyterLab, nbconvert and GitHub open it as it is."
import json
from pathlib import Path
import nbformat, pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT/'nbs').glob('*.ipynb'))

def schema_errors(path:Path)->list:
    "What nbformat's schema says is wrong with the notebook at `path` (empty when it is valid)"
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in nbformat.validator.iter_validate(nb)]

def test_notebooks_found(): assert len(NOTEBOOKS) >= 10

@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_valid_nbformat(path):
    errors = schema_errors(path)
    assert not errors, f"{path.name} is not a valid notebook: " + '; '.join(errors[:5])

def test_the_check_fails_on_an_md_cell(tmp_path):
    "A cell of type `md` (nbformat knows markdown, code and raw) is reported, with the cell it is in"
    nb = json.loads(NOTEBOOKS[0].read_text())
    i = next(i for i, c in enumerate(nb['cells']) if c['cell_type'] == 'markdown')
    nb['cells'][i]['cell_type'] = 'md'
    (bad := tmp_path/'bad.ipynb').write_text(json.dumps(nb))
    errors = schema_errors(bad)
    assert errors and any(e.startswith(f'cells/{i}') for e in errors), errors
