"""Check a learner's models folder after the notebooks ran: every file in it must load as a painter model.
Usage: python tools/check_models.py MODELS_FOLDER  (exit 1, naming each bad file, when one does not load)"""
import sys
from pathlib import Path
from painters.inference import load_painter_model, ModelFileError

def main(folder:str)->int:
    folder = Path(folder)
    files = sorted(f for f in folder.iterdir() if f.is_file()) if folder.is_dir() else []
    bad = []
    for f in files:
        try: load_painter_model(f)
        except ModelFileError as e: bad.append(f"{f.name}: {e}")
    print(f"learner's models folder {folder}: {len(files)} files, {len(files) - len(bad)} loadable models"
          + ''.join(f"\n  not a model: {b}" for b in bad))
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main(sys.argv[1]))
