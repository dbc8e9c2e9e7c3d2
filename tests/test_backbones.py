"The pretrained backbones: EfficientNet-Lite0's weights checked tensor by tensor, the choice of backbone, one constructor switch (painters.backbones)"
import pytest, torch
from torchvision.models import resnet18
from painters import backbones as B


def test_every_lite0_tensor_comes_from_the_file():
    raw = torch.load(B.lite0_weights_file(), map_location='cpu', weights_only=True)
    model = B.efficientnet_lite0(pretrained=True)
    sd = model.state_dict()
    depths = [len(s) for s in model.blocks]
    assert len(raw) == len(sd) == len(B.lite0_state_dict())
    for k, v in raw.items(): assert torch.equal(sd[B.lite0_key(k, depths)], v), k
    assert not torch.equal(B.efficientnet_lite0(pretrained=False).conv_stem.weight, raw['_conv_stem.weight'])


def test_a_partial_load_is_an_error(monkeypatch, tmp_path):
    raw = torch.load(B.lite0_weights_file(), map_location='cpu', weights_only=True)
    raw.pop('_blocks.3._bn0.weight')
    torch.save(raw, tmp_path/'partial.pth')
    monkeypatch.setattr(B, 'lite0_weights_file', lambda: tmp_path/'partial.pth')
    B.lite0_state_dict.cache_clear()
    try:
        with pytest.raises(B.BackboneError, match="1 tensors missing"): B.lite0_state_dict()
    finally: B.lite0_state_dict.cache_clear()


def test_backbone_choice(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path/'hub'))
    bb = B.pretrained_backbone('auto', offline='yes')
    assert bb.name == 'efficientnet_lite0' and 'offline = yes' in bb.why
    assert capsys.readouterr().out.startswith('Backbone: efficientnet_lite0, because')
    with pytest.raises(B.BackboneError, match="efficientnet_lite0"): B.pretrained_backbone('resnet18', offline='yes', verbose=False)
    with pytest.raises(B.BackboneError, match="Unknown backbone"): B.pretrained_backbone('vgg', verbose=False)
    (tmp_path/'hub'/'checkpoints').mkdir(parents=True)
    (tmp_path/'hub'/'checkpoints'/'resnet18-f37072fd.pth').write_bytes(b'')
    bb = B.pretrained_backbone('auto', offline='yes', verbose=False)
    assert bb.name == 'resnet18' and 'torch cache' in bb.why and bb.stats[0][0] == pytest.approx(0.485)


def test_backbone_builds_each_arch_its_own_way():
    "`Backbone.model` passes `weights=` to torchvision's resnet18 and `pretrained=` to the others; `body` cuts before the pooling"
    r18 = B.Backbone('resnet18', resnet18, 'a test')
    model = r18.model(pretrained=False) # random weights: no download
    assert not model.training and model.fc.out_features == 1000
    assert r18.body(pretrained=False)(torch.zeros(1, 3, 64, 64)).shape == (1, 512, 2, 2)
    lite0 = B.pretrained_backbone('efficientnet_lite0', verbose=False)
    assert torch.equal(lite0.model().conv_stem.weight, B.lite0_state_dict()['conv_stem.weight'])
    assert lite0.body()(torch.zeros(1, 3, 64, 64)).shape == (1, 1280, 2, 2)
