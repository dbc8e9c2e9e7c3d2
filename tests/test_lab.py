"`make lab` really serves the workshop: JupyterLab on 127.0.0.1 with token auth, and index.ipynb runs in a real kernel."
import os, secrets
import pytest, requests
import nbformat
from nbclient import NotebookClient
from conftest import ROOT, free_port, make_target_server


@pytest.fixture
def lab(tmp_path):
    "`make lab` on a free port with a random token; stopped, with every process it started, afterwards"
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path/'runtime'), JUPYTER_CONFIG_DIR=str(tmp_path/'config'),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path/'lab-settings'), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path/'ws'))
    args = f"--ServerApp.port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    url = f'http://127.0.0.1:{port}'
    with make_target_server('lab', {'LAB_ARGS': args}, env, tmp_path/'lab.log', f'{url}/api/status', log_tail=2000):
        yield url, token, tmp_path/'lab.log'

def test_lab_serves_the_workshop_with_token_auth(lab):
    url, token, log = lab
    ok = requests.get(f'{url}/api/status', headers={'Authorization': f'token {token}'}, timeout=5)
    assert ok.status_code == 200, ok.text
    assert requests.get(f'{url}/api/status', timeout=5).status_code == 403
    assert requests.get(f'{url}/api/status', headers={'Authorization': 'token wrong'}, timeout=5).status_code == 403
    files = requests.get(f'{url}/api/contents', headers={'Authorization': f'token {token}'}, timeout=5).json()
    names = {f['name'] for f in files['content']}
    assert {'index.ipynb', '02_datablock.ipynb'} <= names, names
    assert '127.0.0.1' in log.read_text() and token in log.read_text(), "the URL with its token is printed"

def test_index_notebook_runs_in_a_real_kernel():
    nb = nbformat.read(ROOT/'nbs'/'index.ipynb', as_version=4)
    NotebookClient(nb, timeout=120, kernel_name='python3', resources={'metadata': {'path': str(ROOT/'nbs')}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == 'code' for o in c.outputs]
    assert not [o for o in outputs if o.output_type == 'error']
    assert any("('monet', 'vangogh')" in str(o.get('data', {}).get('text/plain', '')) for o in outputs)
