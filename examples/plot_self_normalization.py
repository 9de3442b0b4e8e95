"""
=======================================
Self-normalization in 32-layer networks
=======================================

A network of SELU units with LeCun-normal weights keeps the mean and variance
of its activations at a fixed point, ``(0, 1)``, at every depth (Klambauer et
al., 2017, "Self-Normalizing Neural Networks"). Here three 32-layer networks
with the *same* initial weights and the SELU, ReLU and tanh activations meet
real data, the handwritten digits that ship with scikit-learn: we look at the
activation statistics layer by layer and at the gradient norms, then train the
SELU and the ReLU network with plain SGD.

Run it as a script from the repository's root; this is how the figure of the
user guide is made::

    python examples/plot_self_normalization.py --output docs/images/self_normalization.png

Without ``--output`` the figure is shown, not saved.
"""

# %%
# Settings and data
# -----------------
# The 1,797 digits of :func:`sklearn.datasets.load_digits`, 8 × 8 pixels each
# and 10 classes, standardized pixel by pixel; a quarter is held out to
# validate.
import argparse
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_snn import SelfNormalizingNetwork
from sklearn_snn.diagnostics import gradient_statistics, layer_statistics, plot_layer_statistics

# The networks are small: one thread is as fast as several, and stays fast
# when other processes compete for the cores.
torch.set_num_threads(1)
start = time.perf_counter()
parser = argparse.ArgumentParser(
    description="Activation statistics and training of 32-layer SELU, ReLU and tanh networks."
)
parser.add_argument("--output", type=Path, default=None, help="save the figure to this file")
args, _ = parser.parse_known_args()  # known only: notebooks pass their own arguments

N_LAYERS, N_UNITS = 32, 128
EPOCHS, BATCH_SIZE, LEARNING_RATE = 15, 64, 0.01

X, y = load_digits(return_X_y=True)
X_train, X_valid, y_train, y_valid = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_valid = torch.tensor(scaler.transform(X_valid), dtype=torch.float32)
y_train, y_valid = torch.tensor(y_train), torch.tensor(y_valid)
n_classes = int(y.max()) + 1
print(
    f"digits: {len(y)} images, {X.shape[1]} pixels, {n_classes} classes; "
    f"{len(y_train)} to train on, {len(y_valid)} to validate"
)


# %%
# Three networks with the same weights
# ------------------------------------
# :class:`~sklearn_snn.SelfNormalizingNetwork` draws LeCun-normal weights,
# ``N(0, 1 / fan_in)``. Swapping the SELU modules for ReLU or tanh keeps those
# weights, so the activation function is the only difference.
ACTIVATIONS = {"SELU": None, "ReLU": nn.ReLU, "tanh": nn.Tanh}


def make_network(activation):
    network = SelfNormalizingNetwork(
        X.shape[1],
        n_classes,
        n_layers=N_LAYERS,
        n_units=N_UNITS,
        generator=torch.Generator().manual_seed(0),
    )
    if activation is not None:
        for block in network.hidden:
            block[1] = activation()
    return network


networks = {name: make_network(activation) for name, activation in ACTIVATIONS.items()}

# %%
# Activation mean and variance by depth
# -------------------------------------
# :func:`~sklearn_snn.diagnostics.layer_statistics` reports, per hidden layer,
# the mean and variance of every unit over the samples, averaged over units.
# SELU stays at ``(0, 1)``; ReLU halves the variance at each layer (it was
# made for He initialization, ``N(0, 2 / fan_in)``) and tanh lets it decay
# more slowly, so 32 layers deep their signal has all but vanished.
statistics = {name: layer_statistics(net, X_train) for name, net in networks.items()}
shown = [1, 2, 4, 8, 16, 32]
print("\nActivations at initialization (mean / variance over samples, averaged over units)")
print("layer" + "".join(f"{name:>22}" for name in statistics))
for depth in shown:
    cells = [
        f"{table['activation_mean'][depth - 1]:+.3f} / {table['activation_var'][depth - 1]:.3g}"
        for table in statistics.values()
    ]
    print(f"{depth:>5}" + "".join(f"{cell:>22}" for cell in cells))

# %%
# Gradient norms by layer
# -----------------------
# :func:`~sklearn_snn.diagnostics.gradient_statistics` back-propagates the
# loss of one batch. With SELU the gradients of the first and the last
# layer are of the same order; with ReLU every gradient is tiny, because the
# signal that reaches the output (and multiplies into each weight gradient)
# has shrunk by a factor of about two per layer.
gradients = {
    name: gradient_statistics(net, X_train[:512], y_train[:512]) for name, net in networks.items()
}
print("\nWeight-gradient norms at initialization (one batch of 512 rows)")
print(f"{'':>6}{'layer 1':>12}{'layer 16':>12}{'layer 32':>12}{'output':>12}{'1 / 32':>10}")
for name, table in gradients.items():
    norms = np.asarray(table["weight_grad_norm"])
    print(
        f"{name:>6}{norms[0]:>12.3g}{norms[15]:>12.3g}{norms[31]:>12.3g}{norms[32]:>12.3g}"
        f"{norms[0] / norms[31]:>10.2f}"
    )

# %%
# Training SELU and ReLU with SGD
# -------------------------------
# Plain mini-batch SGD with the same learning rate, batches and initial
# weights, as in the paper. Adaptive optimizers such as Adam rescale small
# gradients and so hide part of the ReLU network's trouble.


def train(network, epochs):
    optimizer = torch.optim.SGD(network.parameters(), lr=LEARNING_RATE)
    generator = torch.Generator().manual_seed(1)
    losses, accuracies = [], []
    for _ in range(epochs):
        network.train()
        total = 0.0
        for batch in torch.randperm(len(y_train), generator=generator).split(BATCH_SIZE):
            loss = nn.functional.cross_entropy(network(X_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(y_train))
        network.eval()
        with torch.no_grad():
            predicted = network(X_valid).argmax(dim=1)
        accuracies.append((predicted == y_valid).double().mean().item())
    return losses, accuracies


curves = {name: train(networks[name], EPOCHS) for name in ("SELU", "ReLU")}
print(f"\nTraining loss and validation accuracy by epoch (SGD, lr={LEARNING_RATE})")
for name, (losses, accuracies) in curves.items():
    print(f"{name:>5} loss     " + " ".join(f"{value:.3f}" for value in losses[::2]))
    print(f"{'':>5} accuracy " + " ".join(f"{value:.3f}" for value in accuracies[::2]))
trained = layer_statistics(networks["SELU"], X_valid)  # a DataFrame, or without pandas an array
last_mean, last_var = (
    np.asarray(trained[name])[-1] for name in ("activation_mean", "activation_var")
)
print(f"\nTrained SELU network, last hidden layer: mean {last_mean:+.3f}, variance {last_var:.3f}")

# %%
# The figure
# ----------
figure, axes = plt.subplots(2, 2, figsize=(11, 8), layout="constrained")
plot_layer_statistics(statistics, fixed_point=(0, 1), axes=axes[0])
axes[0, 0].set_title("activation mean at initialization")
axes[0, 1].set_title("activation variance at initialization")
for name, table in gradients.items():
    axes[1, 0].semilogy(table["layer"], table["weight_grad_norm"], marker=".", label=name)
axes[1, 0].set(xlabel="layer (33 = output)", ylabel="weight-gradient norm")
axes[1, 0].set_title("gradient norms at initialization")
axes[1, 0].legend()
epochs = np.arange(1, EPOCHS + 1)
score_axis = axes[1, 1].twinx()
for (name, (losses, accuracies)), color in zip(curves.items(), ["C0", "C1"], strict=True):
    axes[1, 1].plot(epochs, losses, color=color, marker=".", label=f"{name} training loss")
    score_axis.plot(epochs, accuracies, color=color, linestyle="--", label=f"{name} validation")
# Separate ranges keep the ReLU network's flat loss, ln(10), apart from the SELU accuracy.
axes[1, 1].set(xlabel="epoch", ylabel="training loss (solid)", ylim=(0, 3.5))
score_axis.set(ylabel="validation accuracy (dashed)", ylim=(0, 1))
axes[1, 1].set_title(f"{N_LAYERS} layers trained with SGD on the digits")
lines = axes[1, 1].get_lines() + score_axis.get_lines()
axes[1, 1].legend(
    lines, [line.get_label() for line in lines], loc="center right", bbox_to_anchor=(1, 0.35)
)
figure.suptitle(f"{N_LAYERS} layers of {N_UNITS} units, LeCun-normal weights, digits")
print(f"\nRan in {time.perf_counter() - start:.1f} s")
if args.output is None:
    plt.show()
else:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.output, dpi=100)
    print(f"Figure saved to {args.output}")
