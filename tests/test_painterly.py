"Tests of the generated set (painters.painterly): determinism, safe re-runs, the user's files, clear errors"
import json, hashlib
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from painters.painterly import (make_sample_paintings, paint_scene, random_scene, sample_scenes, scene_from_number,
                                painting_name, colour_statistics, PainterlyError, MANIFEST, Scene, NEUTRAL_STYLES, MOTIFS)

N, SIZE = 3, 64 # small: these tests check behaviour, not looks

def digests(path:Path)->dict:
    "Relative path -> sha256 of every file under `path`"
    return {str(f.relative_to(path)): hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(path.rglob('*')) if f.is_file()}

def test_same_bytes_twice(tmp_path):
    a = make_sample_paintings(tmp_path/'a', n_per_painter=N, size=SIZE, seed=7)
    b = make_sample_paintings(tmp_path/'b', n_per_painter=N, size=SIZE, seed=7)
    da, db = digests(a), digests(b)
    assert len([k for k in da if k.endswith('.jpg')]) == 2 * N
    assert da == db
    c = make_sample_paintings(tmp_path/'c', n_per_painter=N, size=SIZE, seed=8)
    assert digests(c)['monet/monet_000.jpg'] != da['monet/monet_000.jpg']

def test_layout_and_images(tmp_path):
    path = make_sample_paintings(tmp_path/'set', n_per_painter=N, size=SIZE)
    assert path == tmp_path/'set'
    for p in ('monet', 'vangogh'):
        files = sorted((path/p).iterdir())
        assert [f.name for f in files] == [painting_name(p, i, N) for i in range(N)]
        for f in files:
            with Image.open(f) as im: assert im.format == 'JPEG' and im.size == (SIZE, SIZE) and im.mode == 'RGB'

def test_rerun_is_a_no_op(tmp_path):
    path = make_sample_paintings(tmp_path/'set', n_per_painter=N, size=SIZE)
    before = {f: f.stat().st_mtime_ns for f in path.rglob('*')}
    make_sample_paintings(path, n_per_painter=N, size=SIZE)
    assert {f: f.stat().st_mtime_ns for f in path.rglob('*')} == before

def test_missing_file_is_repainted(tmp_path):
    path = make_sample_paintings(tmp_path/'set', n_per_painter=N, size=SIZE)
    want = digests(path)
    (path/'vangogh'/painting_name('vangogh', 1, N)).unlink()
    make_sample_paintings(path, n_per_painter=N, size=SIZE)
    assert digests(path) == want

def test_other_arguments_replace_only_our_files(tmp_path):
    path = tmp_path/'set'; path.mkdir()
    (path/'notes.txt').write_text('mine')
    make_sample_paintings(path, n_per_painter=4, size=SIZE)
    (path/'monet'/'my_sketch.png').write_bytes(b'not touched')
    make_sample_paintings(path, n_per_painter=2, size=SIZE)
    assert sorted(f.name for f in (path/'monet').iterdir()) == ['monet_000.jpg', 'monet_001.jpg', 'my_sketch.png']
    assert (path/'notes.txt').read_text() == 'mine'
    assert (path/'monet'/'my_sketch.png').read_bytes() == b'not touched'
    assert json.loads((path/MANIFEST).read_text())['args']['n_per_painter'] == 2

def test_refuses_to_overwrite_a_user_file(tmp_path):
    path = tmp_path/'set'; (path/'vangogh').mkdir(parents=True)
    mine = path/'vangogh'/painting_name('vangogh', 0, N)
    mine.write_bytes(b'my own picture')
    with pytest.raises(PainterlyError, match='did not write'): make_sample_paintings(path, n_per_painter=N, size=SIZE)
    assert mine.read_bytes() == b'my own picture'
    assert not (path/'monet').exists() and not (path/MANIFEST).exists()

def test_refuses_a_foreign_manifest(tmp_path):
    (tmp_path/MANIFEST).write_text('{"something": "else"}')
    with pytest.raises(PainterlyError, match='not written by make_sample_paintings'): make_sample_paintings(tmp_path, n_per_painter=N, size=SIZE)
    (tmp_path/MANIFEST).write_text('not json')
    with pytest.raises(PainterlyError, match='move it away'): make_sample_paintings(tmp_path, n_per_painter=N, size=SIZE)
    assert (tmp_path/MANIFEST).read_text() == 'not json'

def test_path_is_a_file(tmp_path):
    f = tmp_path/'x.jpg'; f.write_bytes(b'x')
    with pytest.raises(PainterlyError, match='is a file'): make_sample_paintings(f, n_per_painter=N, size=SIZE)
    assert f.read_bytes() == b'x'

def test_shared_motifs_paint_the_same_scenes(tmp_path):
    path = make_sample_paintings(tmp_path/'shared', n_per_painter=5, size=SIZE, motifs='shared')
    files = json.loads((path/MANIFEST).read_text())['files']
    for i in range(5): assert files[f"monet/{painting_name('monet', i, 5)}"] == files[f"vangogh/{painting_name('vangogh', i, 5)}"]
    assert sample_scenes(5, motifs='shared', painter='monet') == sample_scenes(5, motifs='shared', painter='vangogh')
    assert digests(path)['monet/monet_000.jpg'] != digests(path)['vangogh/vangogh_000.jpg'] # same scene, other manner

def test_painter_motifs_follow_the_painter():
    from painters.painterly import MOTIFS
    for p in ('monet', 'vangogh'):
        assert {s.motif for s in sample_scenes(40, motifs='painter', painter=p, difficulty=0)} <= set(MOTIFS[p])
        typical = np.mean([s.motif in MOTIFS[p] for s in sample_scenes(200, motifs='painter', painter=p, difficulty=1)])
        assert 0.6 < typical < 0.95 # at difficulty 1 some scenes come from the common pool, as both painted wheat fields and the sea
    assert sample_scenes(5, painter='monet') != sample_scenes(5, painter='vangogh')

def test_paint_scene_deterministic_and_sized():
    a, b = paint_scene(3, 'vangogh', 80, 1), paint_scene(scene_from_number(3), 'vangogh', 80, 1)
    assert a.size == (80, 80) and a.mode == 'RGB' and a.tobytes() == b.tobytes()
    assert paint_scene(3, 'vangogh', 80, 2).tobytes() != a.tobytes()
    for p in NEUTRAL_STYLES: assert paint_scene(3, p, 80, 1).size == (80, 80)

def test_random_scene_is_a_scene():
    s = random_scene(np.random.default_rng(0), motifs='painter', painter='vangogh')
    assert isinstance(s, Scene) and s == random_scene(np.random.default_rng(0), motifs='painter', painter='vangogh')

@pytest.mark.parametrize('kwargs, message', [
    (dict(painters=('monet', 'cezanne')), "no painterly style for painter 'cezanne'"),
    (dict(painters=()), 'one or more different painters'),
    (dict(painters=('monet', 'monet')), 'one or more different painters'),
    (dict(motifs='mixed'), "'shared'"),
    (dict(n_per_painter=0), 'n_per_painter'),
    (dict(n_per_painter=2.5), 'n_per_painter'),
    (dict(size=8), '32 to 1024'),
    (dict(size='big'), '32 to 1024'),
    (dict(seed='x'), 'seed'),
])
def test_bad_arguments_are_clear_errors_and_write_nothing(tmp_path, kwargs, message):
    with pytest.raises(PainterlyError, match=message): make_sample_paintings(tmp_path/'set', **kwargs)
    assert not (tmp_path/'set').exists()
    assert issubclass(PainterlyError, ValueError)

def test_bad_scene_arguments():
    with pytest.raises(PainterlyError, match='Scene'): paint_scene('starry night', 'monet')
    with pytest.raises(PainterlyError, match='unknown'): random_scene(np.random.default_rng(0), motif='portrait')
    with pytest.raises(PainterlyError, match='cezanne'): paint_scene(1, 'cezanne')

def test_colour_statistics(tmp_path):
    f = tmp_path/'red.png'; Image.new('RGB', (8, 8), (255, 0, 0)).save(f)
    np.testing.assert_allclose(colour_statistics([f]), [[1, 0, 0, 0, 0, 0]])

# difficulty: how far the painters overlap, and how poor the reproductions are (the `difficulty` setting by default)

def test_difficulty_is_checked_with_a_clear_message(tmp_path):
    for bad in (-0.1, 1.5, 'hard', True):
        with pytest.raises(PainterlyError, match='from 0 .* to 1'): make_sample_paintings(tmp_path/'set', n_per_painter=N, size=SIZE, difficulty=bad)
    assert not (tmp_path/'set').exists()
    with pytest.raises(PainterlyError, match='difficulty=2'): paint_scene(2, 'monet', SIZE, difficulty=2)

def test_manifest_records_the_difficulty_and_a_change_regenerates(tmp_path):
    path = make_sample_paintings(tmp_path/'set', n_per_painter=N, size=SIZE, difficulty=0.)
    assert json.loads((path/MANIFEST).read_text())['args']['difficulty'] == 0.
    easy = digests(path)
    make_sample_paintings(path, n_per_painter=N, size=SIZE, difficulty=1.)
    assert json.loads((path/MANIFEST).read_text())['args']['difficulty'] == 1.
    hard = digests(path)
    assert set(hard) == set(easy)
    assert all(hard[f] != easy[f] for f in easy if f.endswith('.jpg')) # every painting repainted, none silently reused

def test_same_seed_same_images_at_any_difficulty(tmp_path):
    for d in (0.5, 1.):
        a = make_sample_paintings(tmp_path/f'a{d}', n_per_painter=N, size=SIZE, seed=3, difficulty=d)
        b = make_sample_paintings(tmp_path/f'b{d}', n_per_painter=N, size=SIZE, seed=3, difficulty=d)
        assert digests(a) == digests(b)

def test_difficulty_zero_paints_without_the_overlap_or_flaws():
    rng = lambda: np.random.default_rng(0)
    assert paint_scene(2, 'vangogh', SIZE, 5, difficulty=0).tobytes() != paint_scene(2, 'vangogh', SIZE, 5, difficulty=1).tobytes()
    assert [s.motif for s in sample_scenes(40, 1, 'painter', 'monet', 0.)] != [s.motif for s in sample_scenes(40, 1, 'painter', 'monet', 1.)]
    assert {s.motif for s in sample_scenes(40, 1, 'painter', 'monet', 0.)} <= set(MOTIFS['monet'])
    from painters.painterly import reproduce
    im = paint_scene(2, 'monet', SIZE, 5, difficulty=0)
    assert reproduce(im, 0, rng()) is im and reproduce(im, 1, rng()).size == im.size

def test_default_difficulty_comes_from_the_settings_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setenv('PAINTERS_DIFFICULTY', '0.25')
    path = make_sample_paintings(tmp_path/'set', n_per_painter=N, size=SIZE)
    assert json.loads((path/MANIFEST).read_text())['args']['difficulty'] == 0.25
    assert digests(path) == digests(make_sample_paintings(tmp_path/'same', n_per_painter=N, size=SIZE, difficulty=0.25))
    monkeypatch.setenv('PAINTERS_DIFFICULTY', 'very')
    from painters.settings import SettingsError
    with pytest.raises(SettingsError, match='PAINTERS_DIFFICULTY.*from 0 to 1'): make_sample_paintings(tmp_path/'bad', n_per_painter=N, size=SIZE)
