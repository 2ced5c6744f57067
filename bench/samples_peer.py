"""Peer of bench/samples.ts: the same positive and calibration crops with OpenCV and NumPy.

Reads a job file written by samples.ts (image paths, face boxes, calibration patterns, sizes) and
prints one JSON object with the samples per second of each task, or of the one task named by the
second argument (such as "calibration-24").
"""

import json
import math
import sys
import time

import cv2
import numpy as np


def square_around(box):
    x, y, w, h = box
    side = max(w, h)
    return (x + (w - side) / 2, y + (h - side) / 2, side, side)


def crop_and_resize(image, box, size):
    """Crops an integer-rounded window, pads with black past the image, and resizes it."""
    x, y, w, h = box
    x0, y0 = int(math.floor(x)), int(math.floor(y))
    x1, y1 = int(math.ceil(x + w)), int(math.ceil(y + h))
    height, width = image.shape[:2]
    crop = image[max(y0, 0):min(y1, height), max(x0, 0):min(x1, width)]
    top, left = max(-y0, 0), max(-x0, 0)
    bottom, right = max(y1 - height, 0), max(x1 - width, 0)
    if top or left or bottom or right:
        crop = cv2.copyMakeBorder(crop, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    interpolation = cv2.INTER_AREA if crop.shape[1] >= size else cv2.INTER_LINEAR
    resized = cv2.resize(crop, (size, size), interpolation=interpolation)
    return cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)


def positives(job, size):
    count = 0
    for entry in job["images"]:
        image = cv2.imread(entry["path"], cv2.IMREAD_COLOR)
        for box in entry["boxes"]:
            sample = crop_and_resize(image, square_around(box), size)
            count += sample.shape[0] > 0
    return count


def calibration(job, size):
    count = 0
    for entry in job["images"]:
        image = cv2.imread(entry["path"], cv2.IMREAD_COLOR)
        for box in entry["boxes"]:
            x, y, w, h = square_around(box)
            for scale, offset_x, offset_y in job["patterns"]:
                window = (x + offset_x * w, y + offset_y * h, w * scale, h * scale)
                sample = crop_and_resize(image, window, size)
                count += sample.shape[0] > 0
    return count


def main():
    with open(sys.argv[1], encoding="utf8") as handle:
        job = json.load(handle)
    cv2.setNumThreads(1)
    only = sys.argv[2] if len(sys.argv) > 2 else None
    results = {}
    for size in job["sizes"]:
        for name, task in (("positives", positives), ("calibration", calibration)):
            if only is not None and only != f"{name}-{size}":
                continue
            best = 0.0
            for _ in range(job["repeats"]):
                started = time.perf_counter()
                count = task(job, size)
                best = max(best, count / (time.perf_counter() - started))
            results[f"{name}-{size}"] = {"count": count, "samplesPerSecond": best}
    results["versions"] = {"opencv": cv2.__version__, "numpy": np.__version__}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
