"""Keras peer of bench/train.ts: trains the six cascade nets on random crops and reports samples/s.

Reads one request per line on stdin, `<net> <steps> <batch_size>`, and writes one JSON line for each
on stdout. Run by bench/train.ts with the Python of a venv that has tensorflow-cpu installed.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

# The same architectures as src/plugins/models/architectures.ts (Li et al., CVPR 2015).
NET12 = dict(size=12, trunk=[("conv", 3, 16), "pool"], fc=16)
NET24 = dict(size=24, trunk=[("conv", 5, 64), "pool"], fc=128)
NET48 = dict(size=48, trunk=[("conv", 5, 64), "pool", "norm", ("conv", 5, 64), "norm", "pool"], fc=256)
CALIB12 = dict(size=12, trunk=[("conv", 3, 16), "pool"], fc=128)
CALIB24 = dict(size=24, trunk=[("conv", 5, 32), "pool"], fc=64)
CALIB48 = dict(size=48, trunk=[("conv", 5, 64), "pool", "norm", ("conv", 5, 64), "norm"], fc=256)

NETS = {
    "net12": (NET12, [], 2),
    "net24": (NET24, [NET12], 2),
    "net48": (NET48, [NET24, NET12], 2),
    "calib12": (CALIB12, [], 45),
    "calib24": (CALIB24, [], 45),
    "calib48": (CALIB48, [], 45),
}


def lrn(x):
    # Same constants as the LocalResponseNormalization layer of the TypeScript nets.
    return tf.nn.local_response_normalization(x, depth_radius=4, bias=1.0, alpha=1.0 / 9, beta=0.75)


def trunk(x, arch, prefix, trainable=True):
    convs = pools = norms = 0
    for layer in arch["trunk"]:
        if layer == "pool":
            pools += 1
            x = layers.MaxPooling2D(3, 2, name=f"{prefix}pool{pools}", trainable=trainable)(x)
        elif layer == "norm":
            norms += 1
            x = layers.Lambda(lrn, name=f"{prefix}norm{norms}", trainable=trainable)(x)
        else:
            _, kernel, filters = layer
            convs += 1
            x = layers.Conv2D(filters, kernel, activation="relu", name=f"{prefix}conv{convs}", trainable=trainable)(x)
    x = layers.Flatten(name=f"{prefix}flatten", trainable=trainable)(x)
    return layers.Dense(arch["fc"], activation="relu", name=f"{prefix}fc1", trainable=trainable)(x)


def build(name):
    arch, chain, classes = NETS[name]
    inputs = keras.Input((arch["size"], arch["size"], 3), name="input")
    features = [trunk(inputs, arch, "")]
    x = inputs
    for frozen in chain:
        prefix = f"net{frozen['size']}_"
        x = layers.AveragePooling2D(2, 2, name=f"{prefix}downscale")(x)
        features.append(trunk(x, frozen, prefix, trainable=False))
    joined = features[0] if len(features) == 1 else layers.Concatenate(name="concat")(features)
    outputs = layers.Dense(classes, activation="softmax", name="output")(joined)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(
        optimizer=keras.optimizers.Adadelta(learning_rate=1.0, rho=0.95, epsilon=1e-8),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def measure(name, steps, batch_size):
    arch, _, classes = NETS[name]
    size = arch["size"]
    rng = np.random.default_rng(1)
    model = build(name)
    x = (rng.integers(0, 256, (steps * batch_size, size, size, 3), dtype=np.uint8) / 255.0).astype(np.float32)
    y = keras.utils.to_categorical(rng.integers(0, classes, steps * batch_size), classes)
    warmup = min(steps, 10) * batch_size
    model.fit(x[:warmup], y[:warmup], batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    started = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    seconds = time.perf_counter() - started
    return {"net": name, "samples": steps * batch_size, "seconds": seconds, "samples_per_second": steps * batch_size / seconds}


def main():
    print(json.dumps({"ready": True, "tensorflow": tf.__version__, "keras": keras.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        name, steps, batch_size = line.split()
        print(json.dumps(measure(name, int(steps), int(batch_size))), flush=True)


if __name__ == "__main__":
    main()
