"""eriklindernoren/PyTorch-YOLOv3: the model definition the programs of tests/s21_yolo_progs*.py
share: a small cfg in yolov3-tiny's format (two YOLO heads, route, upsample, shortcut, the
size-2 stride-1 maxpool with its zero padding) for 3x32x32 images, utils/parse_config.py's
parse_model_config as users type it, and seeded image batches."""

import os
import tempfile

import numpy as np

CFG = """[net]
# Testing
batch=2
subdivisions=1
width=32
height=32
channels=3
momentum=0.9
decay=0.0005
angle=0
saturation = 1.5
exposure = 1.5
hue=.1

learning_rate=0.001
burn_in=4
max_batches = 500200
policy=steps
steps=400000,450000
scales=.1,.1

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
batch_normalize=1
filters=32
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=1

[convolutional]
batch_normalize=1
filters=32
size=3
stride=1
pad=1
activation=leaky

[convolutional]
batch_normalize=1
filters=16
size=1
stride=1
pad=1
activation=leaky

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask = 3,4,5
anchors = 3,4,  5,7,  8,6,  10,12,  16,14,  22,26
classes=2
num=6
jitter=.3
ignore_thresh = .7
truth_thresh = 1
random=1

[route]
layers = -3

[convolutional]
batch_normalize=1
filters=8
size=1
stride=1
pad=1
activation=leaky

[upsample]
stride=2

[route]
layers = -1, 2

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky

[shortcut]
from=-1
activation=linear

[convolutional]
size=1
stride=1
pad=1
filters=21
activation=linear

[yolo]
mask = 0,1,2
anchors = 3,4,  5,7,  8,6,  10,12,  16,14,  22,26
classes=2
num=6
jitter=.3
ignore_thresh = .7
truth_thresh = 1
random=1
"""


def cfg_path():
    d = tempfile.mkdtemp()
    path = os.path.join(d, "yolov3-tiny-small.cfg")
    with open(path, "w") as f:
        f.write(CFG)
    return path


def parse_model_config(path):
    """Parses the yolo-v3 layer configuration file and returns module definitions"""
    file = open(path, 'r')
    lines = file.read().split('\n')
    lines = [x for x in lines if x and not x.startswith('#')]
    lines = [x.rstrip().lstrip() for x in lines]  # get rid of fringe whitespaces
    module_defs = []
    for line in lines:
        if line.startswith('['):  # This marks the start of a new block
            module_defs.append({})
            module_defs[-1]['type'] = line[1:-1].rstrip()
            if module_defs[-1]['type'] == 'convolutional':
                module_defs[-1]['batch_normalize'] = 0
        else:
            key, value = line.split("=")
            value = value.strip()
            module_defs[-1][key.rstrip()] = value.strip()
    file.close()
    return module_defs


def images(L, n=2, seed=0):
    """A batch of ToTensor-like images (uint8 / 255), 3x32x32."""
    rng = np.random.default_rng(seed)
    return L.from_numpy(rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)).float() / 255
