"""GPU training; every test here skips cleanly without CUDA."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from sklearn_snn import SNNClassifier, SNNRegressor

pytestmark = [
    pytest.mark.usefixtures("quiet_convergence"),
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_cuda_training_fits_and_lives_on_the_gpu(classification_data, small_params):
    X, y = classification_data
    clf = SNNClassifier(**small_params, device="cuda").fit(X, y)
    assert next(clf.module_.parameters()).is_cuda
    assert clf.score(X, y) > 0.85
    cpu = SNNClassifier(**small_params).fit(X, y)
    assert abs(clf.score(X, y) - cpu.score(X, y)) < 0.05


def test_auto_device_picks_cuda(regression_data, small_params):
    X, y = regression_data
    reg = SNNRegressor(**small_params, device="auto").fit(X, y)
    assert next(reg.module_.parameters()).is_cuda
    assert reg.score(X, y) > 0.9


def test_cuda_training_is_repeatable_with_random_state(classification_data, small_params):
    X, y = classification_data
    params = dict(small_params, dropout=0.05, device="cuda")
    first = SNNClassifier(**params).fit(X, y).predict_proba(X)
    second = SNNClassifier(**params).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(first, second, rtol=1e-6, atol=1e-9)


def test_gpu_model_predicts_on_a_cpu_only_machine(classification_data, small_params, tmp_path):
    X, y = classification_data
    clf = SNNClassifier(**small_params, device="cuda").fit(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    script = f"""
import pickle, warnings, numpy as np, torch
assert not torch.cuda.is_available()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = pickle.loads(open({str(path)!r}, "rb").read())
assert not next(model.module_.parameters()).is_cuda
proba = model.predict_proba(np.load({str(tmp_path / "X.npy")!r}))
expected = np.load({str(tmp_path / "expected.npy")!r})
np.testing.assert_allclose(proba, expected, rtol=1e-9, atol=1e-12)
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_cuda_training_uses_tf32_and_restores_the_setting(
    matmul_precision_per_epoch, classification_data, small_params
):
    before = torch.backends.cuda.matmul.fp32_precision
    SNNClassifier(**small_params, device="cuda").fit(*classification_data)
    assert matmul_precision_per_epoch and set(matmul_precision_per_epoch) == {"tf32"}
    assert torch.backends.cuda.matmul.fp32_precision == before


def test_cuda_ensemble_trains_on_the_gpu_and_predicts_the_members_mean(
    classification_data, small_params
):
    X, y = classification_data
    params = dict(small_params, n_ensemble=4, dropout=0.05)
    clf = SNNClassifier(**params, device="cuda").fit(X, y)
    assert next(clf.module_.parameters()).is_cuda and clf.module_.n_members == 4
    inputs = torch.from_numpy(clf._prepare_input(X)).cuda()
    with torch.no_grad():
        members = [
            torch.softmax(clf.module_.member(index).double().eval()(inputs), dim=1)
            for index in range(4)
        ]
    expected = torch.stack(members).mean(0).cpu().numpy()
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=0, atol=1e-10)
    assert clf.score(X, y) > 0.85
    cpu = SNNClassifier(**params).fit(X, y)
    assert abs(clf.score(X, y) - cpu.score(X, y)) < 0.05
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
