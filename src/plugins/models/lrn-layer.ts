import * as tf from '@tensorflow/tfjs';

export interface LocalResponseNormalizationArgs {
  name?: string;
  /** Channels on each side of the center channel: 4 gives the 9-channel window of Li et al. (2015). */
  depthRadius?: number;
  bias?: number;
  alpha?: number;
  beta?: number;
  trainable?: boolean;
}

// NOTE: Li et al. (2015) give only the 9-channel window. The bias, alpha and beta here are assumed
// (alpha 1 divided by the window size, beta 0.75, bias 1), not taken from the paper.
const DEFAULT_DEPTH_RADIUS = 4;
const DEFAULT_BIAS = 1;
const DEFAULT_ALPHA = 1 / 9;
const DEFAULT_BETA = 0.75;

/**
 * Local response normalization across channels ("norm" in the 48-nets). tfjs has no such layer, so
 * this wraps `tf.localResponseNormalization`; it is registered for serialization so saved nets reload.
 */
export class LocalResponseNormalization extends tf.layers.Layer {
  static className = 'LocalResponseNormalization';
  readonly depthRadius: number;
  readonly bias: number;
  readonly alpha: number;
  readonly beta: number;

  constructor(args: LocalResponseNormalizationArgs = {}) {
    super(args);
    this.depthRadius = args.depthRadius ?? DEFAULT_DEPTH_RADIUS;
    this.bias = args.bias ?? DEFAULT_BIAS;
    this.alpha = args.alpha ?? DEFAULT_ALPHA;
    this.beta = args.beta ?? DEFAULT_BETA;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!input) {
      throw new Error(`Error in ${this.name}: expected one input tensor, received none.`);
    }
    return tf.tidy(() =>
      tf.localResponseNormalization(input as tf.Tensor4D, this.depthRadius, this.bias, this.alpha, this.beta),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      depthRadius: this.depthRadius,
      bias: this.bias,
      alpha: this.alpha,
      beta: this.beta,
    };
  }
}

tf.serialization.registerClass(LocalResponseNormalization);
