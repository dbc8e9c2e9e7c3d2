"painters.sgd: the error paths of the hand-written training step, and the exported helpers used outside the lesson"
import matplotlib
matplotlib.use('Agg')
import pytest, torch
from painters.sgd import (GradientDescentError, apply_step, train_loop, mse, finite_difference, descent_path,
                          plot_function)

def linear(x, params): return x * params[0] + params[1]

@pytest.fixture
def data():
    x = torch.arange(6.)
    return dict(model=linear, x=x, y=3*x + 1, lr=0.01)

def leaf_params(): return [torch.tensor(0.5, requires_grad=True), torch.tensor(-0.5, requires_grad=True)]

def test_error_is_a_value_error(): assert issubclass(GradientDescentError, ValueError)

@pytest.mark.parametrize('bad, index', [
    (torch.randn(3), 0),                                                 # forgot requires_grad_()
    ([torch.tensor(1., requires_grad=True), torch.tensor(2.)], 1),       # the second one forgot it
    ([torch.tensor(1., requires_grad=True)*2, torch.tensor(2.)], 0),     # `p = p - ...`: no longer a leaf
    ([0.5, -0.5], 0),                                                    # plain numbers, not tensors
])
def test_params_that_gradients_cant_flow_to(data, bad, index):
    with pytest.raises(GradientDescentError, match=rf"Parameter {index} .*requires_grad_\(\).*not `p = p - \.\.\.`"):
        apply_step(bad, **data)

def test_loss_must_be_one_number_and_nothing_moves(data):
    params = leaf_params()
    before = [p.detach().clone() for p in params]
    with pytest.raises(GradientDescentError, match=r"one number, got shape \(6,\).*\.mean\(\)"):
        apply_step(params, **data, loss_func=lambda p, t: (p - t)**2)
    assert all(torch.equal(p, b) and p.grad is None for p, b in zip(params, before))

def test_apply_step_is_the_gradient_step(data):
    params, ref = leaf_params(), leaf_params()
    mse(linear(data['x'], ref), data['y']).backward()
    loss = apply_step(params, **data)
    for p, r in zip(params, ref):
        torch.testing.assert_close(p.detach(), (r - data['lr'] * r.grad).detach())
        assert p.grad is None and p.is_leaf
    torch.testing.assert_close(loss, mse(linear(data['x'], ref), data['y']).detach()) # the loss before the step
    assert not loss.requires_grad

def test_zero_grad_false_keeps_adding(data):
    params = leaf_params()
    apply_step(params, **data, zero_grad=False)
    g1 = [p.grad.clone() for p in params]
    apply_step(params, **data, zero_grad=False)
    assert all(p.grad is not None and not torch.equal(p.grad, g) for p, g in zip(params, g1))

def test_prn_prints_the_loss(data, capsys):
    loss = apply_step(leaf_params(), **data, prn=True)
    assert capsys.readouterr().out.strip() == str(loss.item())

def test_train_loop_one_loss_per_step(data):
    params = leaf_params()
    batches = [(data['x'][:3], data['y'][:3]), (data['x'][3:], data['y'][3:])]
    history = train_loop(params, linear, batches, lr=0.01, epochs=3)
    assert len(history) == 6 and all(isinstance(h, float) for h in history)
    assert history[-1] < history[0]

def test_train_loop_stops_at_a_bad_batch(data):
    with pytest.raises(GradientDescentError, match='one number'):
        train_loop(leaf_params(), linear, [(data['x'], data['y'])], lr=0.01, loss_func=lambda p, t: p - t)

def test_finite_difference_keeps_the_shape():
    x = torch.tensor([[1., -2.], [0.5, 3.]])
    g = finite_difference(lambda t: (t**3).sum(), x)
    assert g.shape == x.shape and g.dtype == torch.float32
    torch.testing.assert_close(g, 3*x**2, atol=1e-3, rtol=1e-4)

def test_descent_path():
    path = descent_path(lambda x: x**2, -1.5, lr=0.5, steps=3)
    torch.testing.assert_close(path, torch.tensor([-1.5, 0., 0., 0.])) # lr = 0.5 jumps to the bottom in one step
    assert len(descent_path(lambda x: x**2, 2., lr=0.1)) == 11

def test_plot_function_labels():
    import matplotlib.pyplot as plt
    def cube(x): return x**3
    ax = plot_function(cube)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ('cube', 'x', 'cube(x)')
    assert plot_function(lambda x: x, xlabel='t').get_ylabel() == 'f(t)'
    plt.close('all')
