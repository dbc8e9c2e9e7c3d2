"""Check the models the notebooks exported, after `make test-nbs` ran them: every file in the models folders must load
as a painter model, and there must be some (the lessons export models: none found means the check looked elsewhere).
Usage: python tools/check_models.py FOLDER [FOLDER ...]  (a FOLDER may be a models folder, or a folder of learner homes,
each with its own `models`, as `PAINTERS_LESSON_HOMES` leaves them); exit 1, naming each bad file, when one does not load."""
import sys
from pathlib import Path
from painters.inference import load_painter_model, ModelFileError

def model_files(folder:Path)->list:
    "The files of `folder`, a models folder; or of each `*/models` inside it, a folder of learner homes"
    folder = Path(folder)
    if not folder.is_dir(): return []
    if folder.name == 'models': return sorted(f for f in folder.iterdir() if f.is_file())
    return sorted(f for m in folder.glob('*/models') for f in m.iterdir() if f.is_file())

def main(folders:list)->int:
    files = [f for folder in folders for f in model_files(folder)]
    bad = []
    for f in files:
        try: load_painter_model(f)
        except ModelFileError as e: bad.append(f"{f.parent.parent.name}/{f.parent.name}/{f.name}: {e}")
    print(f"models the notebooks exported ({', '.join(map(str, folders))}): {len(files)} files, {len(files) - len(bad)} loadable models"
          + ''.join(f"\n  not a model: {b}" for b in bad))
    if not files: print("  none found: the lessons export models, so the check looked in the wrong place")
    return 1 if bad or not files else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1:]))
