"""OpenCV's Haar frontal-face cascade as the peer of the CNN cascade.

Needs opencv-python-headless 4.x, whose wheel ships haarcascade_frontalface_default.xml under
cv2/data/ (the 5.x wheels ship no cascade files):

    python3 -m venv ~/.cache/cascade/cv-venv
    ~/.cache/cascade/cv-venv/bin/pip install "opencv-python-headless<5" numpy

Modes:
    fddb <fddb-root> <folds> <out-file> [min-face]
        Detects faces on the FDDB images of the folds (such as 6-10) and writes them in FDDB's
        output format, with OpenCV's level weight as the score, for `cascade eval --detections`.
    bench <min-face> <repeats> <image>...
        Times detectMultiScale on each image (decoded and converted to grey beforehand) and
        prints one JSON line with images per second.
"""

import json
import os
import sys
import time

import cv2

SCALE_FACTOR = 1.1  # OpenCV's default step between scales
MIN_NEIGHBORS = 3  # OpenCV's default grouping threshold


def load_cascade():
    path = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        sys.exit(f"failed to load {path}; install opencv-python-headless<5, whose wheel ships it")
    return cascade


def parse_folds(text):
    folds = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        folds.extend(range(int(first), int(last or first) + 1))
    return folds


def detect(cascade, grey, min_face):
    rects, _levels, weights = cascade.detectMultiScale3(
        grey,
        scaleFactor=SCALE_FACTOR,
        minNeighbors=MIN_NEIGHBORS,
        minSize=(min_face, min_face),
        outputRejectLevels=True,
    )
    return [(tuple(int(v) for v in rect), float(weight)) for rect, weight in zip(rects, weights)]


def run_fddb(root, folds, out_file, min_face):
    cascade = load_cascade()
    lines = []
    for fold in parse_folds(folds):
        with open(os.path.join(root, "FDDB-folds", f"FDDB-fold-{fold:02d}.txt")) as names:
            for name in (line.strip() for line in names):
                if not name:
                    continue
                grey = cv2.imread(os.path.join(root, "originalPics", name + ".jpg"), cv2.IMREAD_GRAYSCALE)
                if grey is None:
                    sys.exit(f"failed to read image {name}.jpg under {root}/originalPics")
                found = detect(cascade, grey, min_face)
                lines.append(name)
                lines.append(str(len(found)))
                lines.extend(f"{x} {y} {w} {h} {score}" for (x, y, w, h), score in found)
    with open(out_file, "w") as out:
        out.write("\n".join(lines) + "\n")


def run_bench(min_face, repeats, files):
    cascade = load_cascade()
    greys = []
    for file in files:
        image = cv2.imread(file, cv2.IMREAD_GRAYSCALE)
        if image is None:
            sys.exit(f"failed to read image {file}")
        greys.append(image)
    detect(cascade, greys[0], min_face)  # warm-up
    started = time.perf_counter()
    faces = 0
    for _ in range(repeats):
        for grey in greys:
            faces += len(detect(cascade, grey, min_face))
    seconds = time.perf_counter() - started
    count = repeats * len(greys)
    print(json.dumps({"peer": "opencv-haar", "opencv": cv2.__version__, "minFace": min_face,
                      "threads": cv2.getNumThreads(), "images": count, "seconds": seconds, "imagesPerSecond": count / seconds,
                      "facesPerImage": faces / count}))


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "fddb":
        run_fddb(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 20)
    elif len(sys.argv) >= 5 and sys.argv[1] == "bench":
        run_bench(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:])
    else:
        sys.exit(__doc__)
