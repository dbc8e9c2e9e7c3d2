"Every package the library imports is declared in pyproject.toml, so `pip install painters` brings it."
import ast, re, sys, tomllib
from conftest import ROOT

DIST = {'sklearn': 'scikit-learn', 'PIL': 'pillow', 'yaml': 'pyyaml'} # import name -> distribution name, where they differ

def imported_packages(folder, at_import:bool=False)->set:
    "Top-level names of the modules the .py files in `folder` import (`at_import`: only those imported when the module is), less the standard library and the package"
    names = set()
    for f in folder.glob('*.py'):
        tree = ast.parse(f.read_text())
        for node in (tree.body if at_import else ast.walk(tree)):
            if isinstance(node, ast.Import): names |= {a.name.split('.')[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: names.add(node.module.split('.')[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ('painters', '__future__')}

def declared(requirements:list)->set:
    return {re.split(r'[\s<>=!~;\[]', r, maxsplit=1)[0].lower() for r in requirements}

def undeclared(names:set, deps:set)->set: return {n for n in names if DIST.get(n, n).lower().replace('_', '-') not in deps}

def test_library_imports_are_declared():
    "What a module imports when it is imported is a dependency; what a function imports on demand may be an extra's (accelerate)"
    project = tomllib.loads((ROOT/'pyproject.toml').read_text())['project']
    deps = declared(project['dependencies'])
    extras = deps | {d for reqs in project['optional-dependencies'].values() for d in declared(reqs)}
    missing = undeclared(imported_packages(ROOT/'painters', at_import=True), deps)
    assert not missing, f"painters imports {sorted(missing)} when imported, which pyproject.toml's dependencies do not declare"
    missing = undeclared(imported_packages(ROOT/'painters'), extras)
    assert not missing, f"painters imports {sorted(missing)}, which pyproject.toml declares nowhere"

def test_the_check_sees_an_import(tmp_path):
    (tmp_path/'m.py').write_text("import os, numpy as np\nfrom sklearn.linear_model import LogisticRegression\nfrom . import x\n"
                                 "def f():\n    import accelerate\n")
    assert imported_packages(tmp_path) == {'numpy', 'sklearn', 'accelerate'}
    assert imported_packages(tmp_path, at_import=True) == {'numpy', 'sklearn'}
    assert undeclared({'numpy', 'sklearn'}, {'numpy'}) == {'sklearn'}
