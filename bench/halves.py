"""The half of a folder of paintings that a CSV names (columns `file`, relative to the folder, and `half`): choose a
recipe on one half, confirm it once on the other. `--half CSV:NAME` in probe_cv.py, recipe_cv.py and confirm.py."""
import csv, sys
from pathlib import Path

def half_files(path:Path, spec:str)->list:
    "The files of folder `path` in half NAME of the CSV, `spec` = 'CSV:NAME', sorted; exits with a message when it can't"
    csv_file, _, name = str(spec).rpartition(':')
    if not csv_file or not name: sys.exit(f"--half takes CSV:NAME, e.g. halves.csv:choose; not {spec!r}")
    try:
        with open(csv_file, newline='') as f: rows = list(csv.DictReader(f))
    except OSError as e: sys.exit(f"--half: can't read {csv_file}: {e.strerror}")
    if rows and not {'file', 'half'} <= set(rows[0]): sys.exit(f"--half: {csv_file} needs the columns file and half")
    files = sorted(Path(path)/r['file'] for r in rows if r['half'] == name)
    if not files: sys.exit(f"--half: {csv_file} names no file in half {name!r} (its halves: {', '.join(sorted({r['half'] for r in rows}))})")
    if missing := [f for f in files if not f.is_file()]: sys.exit(f"--half: {len(missing)} files of half {name!r} are not in {path}, e.g. {missing[0]}")
    return files

def link_folder(files:list, dest:Path)->Path:
    "A folder `dest` of links to `files`, each in a sub-folder named after its painter (its own folder's name), as a learner reads them"
    for f in files:
        link = Path(dest)/f.parent.name/f.name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path(f).resolve())
    return Path(dest)

def main(argv=None):
    "How many paintings of each painter a half holds: `python bench/halves.py PATH CSV:NAME`"
    import argparse
    from collections import Counter
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('path', type=Path, help="folder with one sub-folder of images per painter")
    p.add_argument('half', metavar='CSV:NAME', help="e.g. halves.csv:choose")
    a = p.parse_args(argv)
    files = half_files(a.path, a.half)
    print(f"{a.half}: {len(files)} paintings ({', '.join(f'{k} {n}' for k, n in sorted(Counter(f.parent.name for f in files).items()))})")

if __name__ == '__main__': main()
