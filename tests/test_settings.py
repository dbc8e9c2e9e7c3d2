"Workshop settings: defaults without a file, file values, environment overrides, and a clear message for each bad value."
from pathlib import Path
import os, pytest
from painters.settings import read_settings, find_settings_file, SettingsError, DEFAULTS, env_var
from conftest import ROOT

def _ini(tmp_path, body): 
    f = tmp_path/'settings.ini'; f.write_text(body, encoding='utf-8'); return f

def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('PAINTERS_SETTINGS', raising=False)
    assert find_settings_file(tmp_path) is None
    s = read_settings(env={})
    assert s.file is None and set(s.sources.values()) == {'default'}
    assert (s.painters, s.images_per_painter, s.image_size, s.backbone, s.offline) == (('monet','vangogh'), 150, 128, 'auto', 'auto')
    assert s.data == Path('~/.painters/data').expanduser().resolve()

def test_project_file_is_found_from_a_subfolder(monkeypatch):
    monkeypatch.delenv('PAINTERS_SETTINGS', raising=False)
    assert find_settings_file(ROOT/'nbs') == ROOT/'settings.ini'
    s = read_settings(ROOT/'settings.ini', env={})
    assert s.data == ROOT/'data' and s.models == ROOT/'models'

def test_unrelated_settings_ini_is_ignored(tmp_path, monkeypatch):
    monkeypatch.delenv('PAINTERS_SETTINGS', raising=False)
    _ini(tmp_path, "[DEFAULT]\nlib_name = somebody_else\n")
    (tmp_path/'sub').mkdir()
    found = find_settings_file(tmp_path/'sub')
    assert found is None or found != tmp_path/'settings.ini'

def test_file_values_and_relative_folders(tmp_path):
    f = _ini(tmp_path, "[painters]\nimages_per_painter = 40\nimage_size = 96\nbackbone = efficientnet_lite0\n"
                       "data = d\nmodels = /tmp/m\noffline = true\n")
    s = read_settings(f, env={})
    assert (s.images_per_painter, s.image_size, s.backbone, s.offline) == (40, 96, 'efficientnet_lite0', 'yes')
    assert s.data == (tmp_path/'d').resolve() and s.models == Path('/tmp/m').resolve()
    assert s.sources['image_size'] == str(f) and s.sources['painters'] == 'default'

@pytest.mark.parametrize('key,value,expected', [
    ('painters', 'vangogh monet', ('vangogh','monet')), ('images_per_painter', '12', 12), ('image_size', '224', 224),
    ('backbone', 'resnet18', 'resnet18'), ('offline', 'no', 'no')])
def test_environment_overrides_file(tmp_path, key, value, expected):
    f = _ini(tmp_path, "[painters]\nimage_size = 160\nbackbone = efficientnet_lite0\noffline = yes\n")
    s = read_settings(f, env={env_var(key): value})
    assert getattr(s, key) == expected and s.sources[key] == env_var(key)

def test_env_folder_is_relative_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = read_settings(_ini(tmp_path, "[painters]\n"), env={'PAINTERS_DATA': 'here'})
    assert s.data == (tmp_path/'here').resolve()

@pytest.mark.parametrize('body,words', [
    ("backbone = resnet50", ['backbone', "'resnet50'", 'auto, resnet18, efficientnet_lite0']),
    ("image_size = -128", ['image_size', "'-128'", 'from 32 to 1024']),
    ("image_size = big", ['image_size', 'whole number']),
    ("images_per_painter = 0", ['images_per_painter', 'from 1 to']),
    ("painters = monet", ['painters', 'two or more']),
    ("painters = monet picasso", ['painters', 'picasso', '[painter:<key>]']),
    ("offline = maybe", ['offline', 'auto, yes, no']),
    ("imagesize = 128", ['imagesize', 'image_size']),
])
def test_bad_values_name_key_file_and_allowed(tmp_path, body, words):
    f = _ini(tmp_path, f"[painters]\n{body}\n")
    with pytest.raises(SettingsError) as e: read_settings(f, env={})
    msg = str(e.value)
    assert str(f) in msg, msg
    for w in words: assert w in msg, (w, msg)

def test_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(SettingsError, match='PAINTERS_IMAGE_SIZE'):
        read_settings(_ini(tmp_path, "[painters]\n"), env={'PAINTERS_IMAGE_SIZE': '0'})

def test_unreadable_or_non_folder_data(tmp_path):
    (tmp_path/'afile').write_text('x')
    with pytest.raises(SettingsError, match='not a folder'):
        read_settings(_ini(tmp_path, "[painters]\ndata = afile\n"), env={})
    with pytest.raises(SettingsError, match='is a file, not a folder'):
        read_settings(_ini(tmp_path, "[painters]\nmodels = afile/models\n"), env={})
    locked = tmp_path/'locked'; locked.mkdir(); locked.chmod(0)
    try:
        if os.access(locked, os.R_OK): pytest.skip('running as a user who can read any folder (root)')
        with pytest.raises(SettingsError, match='not readable'):
            read_settings(_ini(tmp_path, "[painters]\ndata = locked\n"), env={})
    finally: locked.chmod(0o755)

def test_broken_file_and_missing_explicit_file(tmp_path, monkeypatch):
    with pytest.raises(SettingsError, match="can't be read"):
        read_settings(_ini(tmp_path, "this is not ini\n"), env={})
    with pytest.raises(SettingsError, match='does not exist'):
        read_settings(tmp_path/'nope.ini', env={})

def test_extra_painter_section(tmp_path):
    f = _ini(tmp_path, "[painters]\npainters = monet cezanne\n[painter:cezanne]\nname = Paul Cézanne\ncategory = Paintings by Paul Cézanne\n")
    s = read_settings(f, env={})
    assert s.painters == ('monet','cezanne') and s.extra_painters['cezanne']['name'] == 'Paul Cézanne'
    bad = _ini(tmp_path, "[painters]\n[painter:cezanne]\nname = Paul Cézanne\n")
    with pytest.raises(SettingsError, match='category'): read_settings(bad, env={})
