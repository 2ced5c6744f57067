import type * as tf from '@tensorflow/tfjs';

/** Output kind of a net: face / non-face, or one of the 45 calibration patterns. */
export type ModelTask = 'detection' | 'calibration';

/** A net of the cascade. `build` returns a fresh Keras-style model; inputs are RGB in [0, 1], NHWC. */
export interface Model {
  readonly name: string;
  readonly task: ModelTask;
  /** Input side in pixels: 12, 24 or 48. */
  readonly inputSize: number;
  readonly numClasses: number;
  /** Builds the layers. Frozen sub-nets (the 24-net's 12-net branch) are loaded here. */
  build(): Promise<tf.LayersModel>;
}
