#!/usr/bin/env python3
"""How much the pytest suite checks: the same count before and after a change to the tests (`make bench BENCH=pytest`
prints it for both trees). Usage: python tools/count_assertions.py [ROOT] [--per-test]

- cases: the test items pytest collects (each parametrized case is one), from `pytest --collect-only -q` in ROOT;
- sites: the checks written in tests/*.py: `assert` statements, fastcore's `test_eq`, `test_ne`, `test_fail`,
  `test_close`, `test_is` and `test_stdout` calls, `pytest.raises`/`pytest.warns` and Playwright's `expect(...)`;
  those in test functions, and those in helpers and fixtures (a helper's checks run wherever it is called);
- checks: over the collected cases, the sites of each case's own test function, summed (a test with 3 sites and
  5 parametrized cases makes 15).
A change that keeps every test's checks keeps all three numbers (or grows them); `--per-test` lists sites and cases
per test function, to diff two trees' lists.
"""
from __future__ import annotations
import argparse, ast, os, re, subprocess, sys
from collections import Counter
from pathlib import Path

CHECK_CALLS = {'test_eq', 'test_ne', 'test_fail', 'test_close', 'test_is', 'test_stdout', 'raises', 'warns', 'expect'}

def _called(node:ast.Call)->str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ''

def sites(node:ast.AST)->int:
    "Checks written inside `node`: assert statements and calls of the checking functions"
    return sum(isinstance(n, ast.Assert) or (isinstance(n, ast.Call) and _called(n) in CHECK_CALLS) for n in ast.walk(node))

def file_sites(path:Path)->tuple: # ({test function name: sites}, sites outside test functions)
    "Sites in each test function of a test file, and in the rest of it (helpers, fixtures, classes)"
    tree = ast.parse(path.read_text(encoding='utf-8'))
    tests, rest = {}, 0
    for node in tree.body:
        defs = [(node.name, node)] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
               [(f"{node.name}::{m.name}", m) for m in node.body if isinstance(m, ast.FunctionDef)] if isinstance(node, ast.ClassDef) else []
        for name, d in defs:
            if name.split('::')[-1].startswith('test'): tests[name] = sites(d)
            else: rest += sites(d)
        if not defs: rest += sites(node)
    return tests, rest

def collected(root:Path)->Counter: # 'tests/test_x.py::test_y' -> number of cases
    "The test items pytest collects in `root`, counted per test function (parametrized cases together)"
    env = {**{k: v for k, v in os.environ.items() if k != 'IN_TEST'}, 'PYTHONPATH': str(root)}
    r = subprocess.run([sys.executable, '-m', 'pytest', '--collect-only', '-q', '-p', 'no:cacheprovider', 'tests'],
                       cwd=root, capture_output=True, text=True, env=env)
    ids = [l for l in r.stdout.splitlines() if '::' in l]
    if r.returncode != 0 or not ids: raise RuntimeError(f"pytest --collect-only failed in {root}: {(r.stdout + r.stderr)[-2000:]}")
    return Counter(re.sub(r'\[.*\]$', '', i) for i in ids)

def count(root:Path)->dict:
    "cases, test sites, helper sites and checks of the suite in `root`; per_test: test id -> (sites, cases)"
    root = Path(root)
    cases = collected(root)
    per_test, helper_sites = {}, 0
    for f in sorted((root/'tests').glob('*.py')):
        tests, rest = file_sites(f)
        helper_sites += rest
        for name, n in tests.items(): per_test[f"tests/{f.name}::{name}"] = (n, cases.get(f"tests/{f.name}::{name}", 0))
    return dict(cases=sum(cases.values()), test_sites=sum(n for n, _ in per_test.values()), helper_sites=helper_sites,
                checks=sum(n * c for n, c in per_test.values()), per_test=per_test)

def summary(c:dict)->str:
    return (f"{c['cases']} cases, {c['test_sites']} checks written in tests + {c['helper_sites']} in helpers and fixtures, "
            f"{c['checks']} checks over the cases")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('root', nargs='?', default=Path(__file__).resolve().parent.parent, type=Path, help="the project (default: this one)")
    ap.add_argument('--per-test', action='store_true', help="also list sites and cases of each test function")
    a = ap.parse_args()
    c = count(a.root)
    if a.per_test:
        for name, (n, k) in sorted(c['per_test'].items()): print(f"{name}\t{n} sites\t{k} cases")
    print(summary(c))
