import type { TrunkLayer } from './trunk.js';

/** The layers of one net as Li et al. (CVPR 2015), table 1, lists them. */
export interface Architecture {
  inputSize: number;
  trunk: readonly TrunkLayer[];
  fcUnits: number;
}

export const NET12: Architecture = {
  inputSize: 12,
  trunk: [{ conv: { kernel: 3, filters: 16 } }, 'pool'],
  fcUnits: 16,
};

export const NET24: Architecture = {
  inputSize: 24,
  trunk: [{ conv: { kernel: 5, filters: 64 } }, 'pool'],
  fcUnits: 128,
};

export const NET48: Architecture = {
  inputSize: 48,
  trunk: [{ conv: { kernel: 5, filters: 64 } }, 'pool', 'norm', { conv: { kernel: 5, filters: 64 } }, 'norm', 'pool'],
  fcUnits: 256,
};

export const CALIB12: Architecture = {
  inputSize: 12,
  trunk: [{ conv: { kernel: 3, filters: 16 } }, 'pool'],
  fcUnits: 128,
};

export const CALIB24: Architecture = {
  inputSize: 24,
  trunk: [{ conv: { kernel: 5, filters: 32 } }, 'pool'],
  fcUnits: 64,
};

// The 48-calib net has no pooling after its second convolution.
export const CALIB48: Architecture = {
  inputSize: 48,
  trunk: [{ conv: { kernel: 5, filters: 64 } }, 'pool', 'norm', { conv: { kernel: 5, filters: 64 } }, 'norm'],
  fcUnits: 256,
};

/** Classes of the detection nets (non-face, face) and of the calibration nets (45 patterns). */
export const DETECTION_CLASSES = 2;
export const CALIBRATION_CLASSES = 45;
