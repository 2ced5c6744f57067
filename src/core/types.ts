/** An axis-aligned rectangle in pixels: top-left corner, width and height. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** An FDDB-style face ellipse in pixels; `angle` is in radians, as in the FDDB annotation files. */
export interface Ellipse {
  majorRadius: number;
  minorRadius: number;
  angle: number;
  centerX: number;
  centerY: number;
}

/** Attribute values a source reads from its annotation (pose, blur, occlusion, ...). */
export type AttributeValue = number | string | boolean | null;

/** One annotated face. */
export interface Face {
  box: Box;
  /** The ground-truth ellipse, where the format has one (FDDB). */
  ellipse?: Ellipse;
  /** Faces marked invalid or filtered out: never positives, and never sampled as negatives either. */
  ignore?: boolean;
  attributes: Record<string, AttributeValue>;
}

/** An image on disk with its face annotations. */
export interface AnnotatedImage {
  /** Stable id inside its source, for example the FDDB name `2002/08/11/big/img_591`. */
  id: string;
  /** Name of the source that produced it (the `name` of its DataSource). */
  source: string;
  /** Absolute path of the image file. */
  path: string;
  width: number;
  height: number;
  faces: Face[];
  /** True when the image is known to contain no face, so every window is a negative. */
  faceFree?: boolean;
  /** True when the whole image is one face crop (a folder of crops). */
  crop?: boolean;
  /**
   * Decoded pixels for images that have no file of their own (crops read from a `.npy` array).
   * When set, image helpers use these instead of decoding `path`.
   */
  pixels?: { data: Uint8Array; width: number; height: number; channels: 3 };
}

/** Sample labels of the detection nets. */
export const LABEL_NON_FACE = 0;
export const LABEL_FACE = 1;

/** One training sample: a square RGB crop with its class label. */
export interface Sample {
  /** Side of the square crop in pixels (12, 24 or 48). */
  size: number;
  /** RGB bytes in row-major HWC order, `size * size * 3` long. */
  pixels: Uint8Array;
  /** Class index: LABEL_NON_FACE / LABEL_FACE for detection, the pattern index 0..44 for calibration. */
  label: number;
  /** Source image key (`source:id`), so that a validation split can keep all crops of one image on one side. */
  group: string;
}
