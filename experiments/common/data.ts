// Data sources shared by the net experiments: every annotated set under the data root, face crops and
// face-free backgrounds. Relative roots resolve against `dataRoot` in cascade.config.ts.
import type { SourceSpec } from '../../src/index.js';

/** Annotated photographs: faces give positives, the rest of each photograph gives negatives. */
export const FACE_SOURCES: SourceSpec[] = [
  { type: 'fddb', root: 'fddb' },
  { type: 'wider-face', root: 'wider-face-val' },
  { type: 'imglab', root: 'dlib-imglab/training.xml' },
];

/** Whole-image face crops: positives only. */
export const CROP_SOURCES: SourceSpec[] = [
  { type: 'image-folder', name: 'orl', root: 'face-crops/orl' },
  { type: 'image-folder', name: 'lfw-crops', root: 'face-crops/lfw-subset-25px' },
];

/** Face-free images: negatives only. */
export const BACKGROUND_SOURCES: SourceSpec[] = [{ type: 'backgrounds', root: 'backgrounds' }];

export const ALL_SOURCES: SourceSpec[] = [...FACE_SOURCES, ...CROP_SOURCES, ...BACKGROUND_SOURCES];

/** Sources with face boxes, for the calibration nets (background images have no faces to shift). */
export const CALIBRATION_SOURCES: SourceSpec[] = [...FACE_SOURCES, ...CROP_SOURCES];
