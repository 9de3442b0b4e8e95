"""Float64 inference: chunk sizes, the inference copy, outputs independent of chunking."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sklearn_snn import SelfNormalizingNetwork, SNNClassifier
from sklearn_snn.nn import inference
from sklearn_snn.nn.ensemble import SelfNormalizingEnsemble
from sklearn_snn.nn.inference import InferenceCopy, chunk_rows, predict_raw, prediction_rows


@pytest.fixture
def network():
    """A float32 network in training mode, with dropout and a dropout generator."""
    net = SelfNormalizingNetwork(
        6, 3, n_layers=3, n_units=16, dropout=0.2, generator=torch.Generator().manual_seed(0)
    )
    net.set_dropout_generator(torch.Generator().manual_seed(1))
    return net.train()


@pytest.fixture
def data(rng):
    """Rows on another scale than the network's, and their standardization."""
    X = rng.normal(loc=5.0, scale=3.0, size=(100, 6))
    return X, X.mean(axis=0), X.std(axis=0)


def _float64_forward(net, X):
    """The network's outputs computed by hand in float64, without dropout."""
    h = torch.from_numpy(X)
    with torch.no_grad():
        for linear, selu, _ in net.hidden:
            h = selu(h @ linear.weight.double().T + linear.bias.double())
        return (h @ net.output.weight.double().T + net.output.bias.double()).numpy()


def test_prediction_chunks_are_sized_by_the_widest_activations():
    # Four members of 1,024 units: 4,096 float64 activations a row per layer.
    ensemble = SelfNormalizingEnsemble(10, 1, 4, n_layers=2, n_units=1024)
    assert prediction_rows(ensemble, 10) == chunk_rows(4 * 1024) == 1024
    assert prediction_rows(SelfNormalizingNetwork(10, 1, n_units=16), 10) == 16384
    assert prediction_rows(SelfNormalizingNetwork(5000, 1, n_units=16), 5000) == chunk_rows(5000)


def test_chunk_rows_hold_about_32_mib_of_float64_values():
    assert chunk_rows(20) == 16384 and chunk_rows(256) == 16384
    assert chunk_rows(257) == 16320 < 16384  # 32 MiB / (8 bytes * 257 features)
    assert chunk_rows(50_000) == 83
    for n_features in (257, 1000, 50_000, 2**20):
        assert chunk_rows(n_features) * 8 * n_features <= 32 * 2**20
        assert (chunk_rows(n_features) + 1) * 8 * n_features > 32 * 2**20
    assert chunk_rows(10, most=5) == 5
    assert chunk_rows(0) == 16384  # no columns: the row bound alone
    assert chunk_rows(2**30) == 1  # wider than 32 MiB a row: still one row


def test_predict_raw_is_the_float64_forward_of_the_module(network, data):
    X, mean, scale = data
    raw = predict_raw(InferenceCopy(network).module(), X, mean, scale)
    assert raw.dtype == np.float64 and raw.shape == (100, 3)
    expected = _float64_forward(network, (X - mean) / scale)
    np.testing.assert_allclose(raw, expected, rtol=1e-12, atol=1e-12)
    # float32 outputs are about 1e-7 away: the tolerance above tells them apart.
    with torch.no_grad():
        single = network.eval()(torch.from_numpy((X - mean) / scale).float()).double().numpy()
    assert np.abs(single - expected).max() > 1e-9


def test_rows_do_not_depend_on_their_chunk(monkeypatch, network, data):
    X, mean, scale = data
    module = InferenceCopy(network).module()
    whole = predict_raw(module, X, mean, scale)
    monkeypatch.setattr(inference, "_CHUNK_BYTES", 8 * 6 * 7)  # 7 rows per chunk
    assert chunk_rows(6) == 7
    np.testing.assert_allclose(predict_raw(module, X, mean, scale), whole, rtol=0, atol=1e-13)
    alone = np.vstack([predict_raw(module, X[i : i + 1], mean, scale) for i in (0, 50, 99)])
    np.testing.assert_allclose(alone, whole[[0, 50, 99]], rtol=0, atol=1e-13)


def test_features_are_derived_one_chunk_at_a_time(monkeypatch, network, data):
    # Derived columns (the spline features) are made per chunk, and the chunk
    # is sized for the width the network sees, not the 2 columns given: its 6
    # inputs and its 16-unit layers.
    X, mean, scale = data
    module = InferenceCopy(network).module()
    seen = []

    def widen(chunk):
        seen.append(len(chunk))
        return np.hstack([chunk, 2 * chunk, 3 * chunk])

    monkeypatch.setattr(inference, "_CHUNK_BYTES", 8 * 16 * 7)  # 7 rows of 16 units
    narrow = X[:, :2]
    X_wide = np.hstack([narrow, 2 * narrow, 3 * narrow])
    expected = predict_raw(module, X_wide, mean, scale)
    raw = predict_raw(module, narrow, mean, scale, features=widen)
    np.testing.assert_allclose(raw, expected, rtol=0, atol=1e-13)
    assert seen == [7] * 14 + [2]


def test_sparse_rows_predict_as_dense(network, data):
    X, mean, scale = data
    X = np.where(np.abs(X - 5.0) < 2.0, 0.0, X)
    module = InferenceCopy(network).module()
    dense = predict_raw(module, X, mean, scale)
    for container in (sp.csr_matrix, sp.csc_matrix):
        sparse = predict_raw(module, container(X), mean, scale)
        np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-13)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
def test_no_rows_give_no_outputs(network, container):
    raw = predict_raw(InferenceCopy(network).module(), container(np.empty((0, 6))), 0.0, 1.0)
    assert raw.shape == (0, 3) and raw.dtype == np.float64


def test_inference_copy_leaves_the_trained_module_as_it_was(network, data):
    X, mean, scale = data
    generator = network.hidden[0][2].generator
    before = {name: tensor.clone() for name, tensor in network.state_dict().items()}
    copy = InferenceCopy(network)
    module = copy.module()
    assert next(module.parameters()).dtype == torch.float64
    assert not module.training and not any(p.requires_grad for p in module.parameters())
    assert all(block[2].generator is None for block in module.hidden)
    # The dropout masks are off: two calls agree, and the trained module keeps its
    # float32 weights, its training mode and its dropout generator.
    np.testing.assert_array_equal(
        predict_raw(module, X, mean, scale), predict_raw(copy.module(), X, mean, scale)
    )
    assert network.training and network.hidden[0][2].generator is generator
    for name, tensor in network.state_dict().items():
        assert tensor.dtype == torch.float32 and torch.equal(tensor, before[name])


def test_inference_copy_follows_changed_weights(network, data):
    X, mean, scale = data
    copy = InferenceCopy(network)
    kept = copy.module()
    assert copy.module() is kept, "unchanged weights reuse the copy"
    before = predict_raw(kept, X, mean, scale)
    with torch.no_grad():
        network.output.bias.add_(1.0)  # an in-place step, as an optimizer takes
    moved = predict_raw(copy.module(), X, mean, scale)
    np.testing.assert_allclose(moved, before + 1.0, rtol=0, atol=1e-12)
    other = SelfNormalizingNetwork(6, 3, n_layers=3, n_units=16, dropout=0.2)
    network.load_state_dict(other.state_dict())  # loaded weights
    np.testing.assert_allclose(
        predict_raw(copy.module(), X, mean, scale),
        _float64_forward(other, (X - mean) / scale),
        rtol=1e-12,
        atol=1e-12,
    )


def test_inference_copy_is_not_pickled(network):
    with pytest.raises(TypeError, match="rebuilt from the trained module"):
        pickle.dumps(InferenceCopy(network))


@pytest.mark.usefixtures("quiet_convergence")
def test_wide_sparse_data_is_densified_in_small_chunks(monkeypatch, small_params):
    # 50,000 columns: a chunk of about 32 MiB of float64 values is 83 rows.
    assert inference.chunk_rows(50_000) == 83 and inference.chunk_rows(10) == 16384
    X = sp.random(300, 2_000, density=0.01, format="csr", random_state=0)
    y = np.arange(300) % 2
    clf = SNNClassifier(**small_params).fit(X, y)
    whole = clf.predict_proba(X)
    widths = []
    dense = sp.csr_matrix.toarray
    monkeypatch.setattr(inference, "_CHUNK_BYTES", 8 * 2_000 * 7)  # 7 rows per chunk
    monkeypatch.setattr(
        sp.csr_matrix, "toarray", lambda self, *a, **k: widths.append(self.shape[0]) or dense(self)
    )
    np.testing.assert_allclose(clf.predict_proba(X), whole, rtol=0, atol=1e-12)
    assert max(widths) == 7 and sum(widths) == 300
