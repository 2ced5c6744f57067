import type { Box, Ellipse } from '../types.js';

/**
 * A region rasterized on an image's pixel grid, the way the official FDDB evaluation draws
 * its masks with OpenCV: filled ellipses for the ground truth, filled rectangles for detections.
 */
export interface PixelRegion {
  /** Bounding rows and columns of the region, clipped to the image, inclusive. */
  left: number;
  top: number;
  right: number;
  bottom: number;
  contains(x: number, y: number): boolean;
}

/** Image size in pixels, used to clip regions as the mask images of the official evaluation do. */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Rasterizes an FDDB ellipse. The official evaluation rounds the center to the nearest pixel,
 * truncates both radii to integers and rotates the major axis by the annotation angle (radians,
 * measured from the x axis towards the y axis, which points down).
 */
export function ellipseRegion(ellipse: Ellipse, size: ImageSize): PixelRegion {
  const centerX = Math.round(ellipse.centerX);
  const centerY = Math.round(ellipse.centerY);
  const major = Math.max(Math.trunc(ellipse.majorRadius), 0);
  const minor = Math.max(Math.trunc(ellipse.minorRadius), 0);
  const cos = Math.cos(ellipse.angle);
  const sin = Math.sin(ellipse.angle);
  // Half extents of the rotated ellipse's bounding box.
  const halfWidth = Math.ceil(Math.sqrt((major * cos) ** 2 + (minor * sin) ** 2));
  const halfHeight = Math.ceil(Math.sqrt((major * sin) ** 2 + (minor * cos) ** 2));
  const majorSquared = Math.max(major * major, 1e-9);
  const minorSquared = Math.max(minor * minor, 1e-9);

  return {
    left: Math.max(centerX - halfWidth, 0),
    top: Math.max(centerY - halfHeight, 0),
    right: Math.min(centerX + halfWidth, size.width - 1),
    bottom: Math.min(centerY + halfHeight, size.height - 1),
    contains(x, y) {
      const dx = x - centerX;
      const dy = y - centerY;
      const along = dx * cos + dy * sin;
      const across = -dx * sin + dy * cos;
      return (along * along) / majorSquared + (across * across) / minorSquared <= 1;
    },
  };
}

/**
 * Rasterizes a detection rectangle. The official evaluation rounds both corners, (x, y) and
 * (x + w, y + h), to the nearest pixel and fills every pixel between them, both corners included.
 */
export function rectangleRegion(box: Box, size: ImageSize): PixelRegion {
  const x1 = Math.round(box.x);
  const y1 = Math.round(box.y);
  const x2 = Math.round(box.x + box.w);
  const y2 = Math.round(box.y + box.h);
  const left = Math.max(Math.min(x1, x2), 0);
  const top = Math.max(Math.min(y1, y2), 0);
  const right = Math.min(Math.max(x1, x2), size.width - 1);
  const bottom = Math.min(Math.max(y1, y2), size.height - 1);
  return {
    left,
    top,
    right,
    bottom,
    contains(x, y) {
      return x >= left && x <= right && y >= top && y <= bottom;
    },
  };
}

/**
 * Overlap ratio of two rasterized regions: pixels in both divided by pixels in either, counted
 * on the pixel grid as the official FDDB evaluation counts its mask images. 0 when both are empty.
 */
export function regionOverlap(a: PixelRegion, b: PixelRegion): number {
  // Regions whose bounds do not meet share no pixel, so the ratio is 0 without counting.
  if (a.left > b.right || b.left > a.right || a.top > b.bottom || b.top > a.bottom) {
    return 0;
  }
  const left = Math.min(a.left, b.left);
  const top = Math.min(a.top, b.top);
  const right = Math.max(a.right, b.right);
  const bottom = Math.max(a.bottom, b.bottom);
  let intersection = 0;
  let union = 0;
  for (let y = top; y <= bottom; y += 1) {
    for (let x = left; x <= right; x += 1) {
      const inA = x >= a.left && x <= a.right && y >= a.top && y <= a.bottom && a.contains(x, y);
      const inB = x >= b.left && x <= b.right && y >= b.top && y <= b.bottom && b.contains(x, y);
      if (inA && inB) {
        intersection += 1;
      }
      if (inA || inB) {
        union += 1;
      }
    }
  }
  return union > 0 ? intersection / union : 0;
}
