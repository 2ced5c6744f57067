/** One level of an image pyramid: the scale and the scaled image size in pixels. */
export interface PyramidLevel {
  scale: number;
  width: number;
  height: number;
}

/**
 * Lists the pyramid levels for an image. The first level scales the image by
 * `windowSize / minFaceSize`, so that a face of `minFaceSize` pixels fills one window. Each
 * further level multiplies the scale by `factor` until the scaled image is smaller than a window.
 * Levels above scale 1 are kept, so faces smaller than 12 pixels are found on an enlarged image.
 */
export function pyramidLevels(
  width: number,
  height: number,
  options: { minFaceSize: number; factor: number; windowSize: number },
): PyramidLevel[] {
  const levels: PyramidLevel[] = [];
  let scale = options.windowSize / options.minFaceSize;
  for (;;) {
    const scaledWidth = Math.round(width * scale);
    const scaledHeight = Math.round(height * scale);
    if (scaledWidth < options.windowSize || scaledHeight < options.windowSize) {
      break;
    }
    levels.push({ scale, width: scaledWidth, height: scaledHeight });
    scale *= options.factor;
  }
  return levels;
}
