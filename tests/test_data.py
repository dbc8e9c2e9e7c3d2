"painters.data and painters.paintings: a folder `painter_dls` can't use fails early (`check_paintings_folder`), with a message naming the folder or files and the fix"
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from painters.data import painter_dls, painter_block, get_painting_files
from painters.paintings import PaintingsFolderError, check_paintings_folder

def _image(f:Path, size=(96, 72), seed=0):
    "Write a small noisy JPEG to `f`"
    f.parent.mkdir(parents=True, exist_ok=True)
    px = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(px).save(f, quality=85)
    return f

def _paintings(path:Path, n=12, painters=('monet', 'vangogh'), size=(96, 72)):
    "A folder with `n` images in a sub-folder per painter"
    for p in painters:
        for i in range(n): _image(path/p/f'{p}_{i:02d}.jpg', size=size, seed=i)
    return path

def _snapshot(path:Path): return {f: f.read_bytes() for f in sorted(path.rglob('*')) if f.is_file()}

def _error(path, **kwargs)->str:
    "The message `painter_dls` raises for `path`; the folder must be left exactly as it was"
    before = _snapshot(path) if path.is_dir() else None
    with pytest.raises(PaintingsFolderError) as e: painter_dls(path, **kwargs)
    if before is not None: assert _snapshot(path) == before, "painter_dls changed the user's folder"
    return str(e.value)

def test_error_is_a_value_error(): assert issubclass(PaintingsFolderError, ValueError)

def test_good_folder(tmp_path):
    path = _paintings(tmp_path/'paintings')
    assert check_paintings_folder(path, 128) == {'monet': 12, 'vangogh': 12}
    dls = painter_dls(path, bs=4)
    assert dls.vocab == ['monet', 'vangogh']
    assert (len(dls.train_ds), len(dls.valid_ds)) == (20, 4)
    assert dls.one_batch()[0].shape == (4, 3, 128, 128)

def test_missing_folder(tmp_path):
    msg = _error(tmp_path/'paintngs')
    assert str(tmp_path/'paintngs') in msg and 'does not exist' in msg and 'get_paintings()' in msg

def test_a_file_not_a_folder(tmp_path):
    f = _image(tmp_path/'one.jpg')
    msg = _error(f)
    assert str(f) in msg and 'not a folder' in msg

def test_folder_without_images(tmp_path):
    (tmp_path/'monet').mkdir(); (tmp_path/'notes.txt').write_text('my paintings go here')
    msg = _error(tmp_path)
    assert str(tmp_path) in msg and 'has no images' in msg and str(tmp_path/'monet') in msg

def test_one_painters_folder_given(tmp_path):
    path = _paintings(tmp_path/'paintings')
    msg = _error(path/'monet')
    assert 'no painter sub-folders' in msg and f"give the folder that holds it ({path})" in msg

def test_loose_images_beside_painter_folders(tmp_path):
    path = _paintings(tmp_path/'paintings')
    _image(path/'stray.jpg')
    msg = _error(path)
    assert 'stray.jpg' in msg and "not in a painter's sub-folder" in msg and 'Move them' in msg

def test_only_one_painter(tmp_path):
    path = _paintings(tmp_path/'paintings', painters=('monet',))
    (path/'vangogh').mkdir()  # an empty painter folder is no painter
    msg = _error(path)
    assert str(path) in msg and 'only one painter (monet)' in msg and 'at least two' in msg

def test_web_page_saved_as_jpg(tmp_path):
    path = _paintings(tmp_path/'paintings')
    page = path/'vangogh'/'Starry_Night.jpg'
    page.write_text('<!DOCTYPE html><html><head><title>Error 403</title></head><body>Forbidden</body></html>')
    msg = _error(path)
    assert 'vangogh/Starry_Night.jpg' in msg and 'not images' in msg
    assert f"verify_paintings('{path}', delete=True)" in msg and 'Nothing was deleted' in msg
    assert page.exists()

def test_truncated_jpeg_is_named(tmp_path):
    path = _paintings(tmp_path/'paintings')
    f = _image(path/'monet'/'cut_short.jpg', size=(400, 300))
    f.write_bytes(f.read_bytes()[:len(f.read_bytes())//3])
    msg = _error(path)
    assert 'monet/cut_short.jpg' in msg and 'not images' in msg

def test_many_bad_files_are_summarised(tmp_path):
    path = _paintings(tmp_path/'paintings')
    for i in range(8): (path/'monet'/f'page{i}.jpg').write_text('<html></html>')
    msg = _error(path)
    assert msg.startswith('8 of the 32 files') and 'and 3 more' in msg

def test_images_too_small_for_size(tmp_path):
    path = _paintings(tmp_path/'paintings')
    _image(path/'monet'/'thumbnail.jpg', size=(40, 30))
    msg = _error(path, size=128)
    assert 'monet/thumbnail.jpg (40x30)' in msg and 'size=128' in msg and 'smaller than 64' in msg
    assert 'size=60' in msg  # the size every image fits
    dls = painter_dls(path, size=60, bs=4)  # and it does
    assert dls.one_batch()[0].shape[-2:] == (60, 60)

def test_fewer_training_images_than_batch_size(tmp_path):
    path = _paintings(tmp_path/'paintings', n=5)
    msg = _error(path, bs=16)
    assert '8 training images' in msg and 'bs=16' in msg and 'smaller bs' in msg

def test_bad_method_and_valid_pct():
    with pytest.raises(ValueError, match="use one of 'crop', 'squish', 'pad'"): painter_block(method='stretch')
    with pytest.raises(ValueError, match='between 0 and 1'): painter_block(valid_pct=20)

def test_painting_files_are_sorted(tmp_path):
    path = _paintings(tmp_path/'paintings', n=4)
    files = get_painting_files(path)
    assert len(files) == 8 and list(files) == sorted(files)
