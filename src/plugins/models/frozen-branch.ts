import type * as tf from '@tensorflow/tfjs';
import type { InitializerName } from '../../core/config/train-schema.js';
import { CascadeError } from '../../core/errors.js';
import type { Architecture } from './architectures.js';
import { applyDownscale, applyTrunk } from './trunk.js';

/** Layer name prefix of a frozen branch that runs the net of this input size: `net12_`, `net24_`. */
export function branchPrefix(architecture: Architecture): string {
  return `net${architecture.inputSize}_`;
}

/**
 * Applies the frozen branches of a multi-resolution net, largest first: each halves the previous
 * input with 2x2 average pooling (`<prefix>downscale`) and runs that net's trunk with prefixed layer
 * names. Returns the `fc1` outputs of the branches in the same order.
 */
export function applyBranches(
  input: tf.SymbolicTensor,
  chain: readonly Architecture[],
  initializer: InitializerName,
  seed: number,
): tf.SymbolicTensor[] {
  const features: tf.SymbolicTensor[] = [];
  let x = input;
  for (const [index, architecture] of chain.entries()) {
    const prefix = branchPrefix(architecture);
    x = applyDownscale(x, prefix);
    features.push(
      applyTrunk(x, {
        prefix,
        layers: architecture.trunk,
        fcUnits: architecture.fcUnits,
        initializer,
        seed: seed + 1000 * (index + 1),
      }),
    );
  }
  return features;
}

/**
 * Copies the weights of a trained earlier net into the branch layers of `target` and freezes them.
 * The trained net's own layers (`conv1`, `fc1`) map to `<prefix>conv1`, `<prefix>fc1`; its own
 * prefixed branch layers (`net12_conv1` inside a 24-net) keep their names. Its `output` layer is unused.
 */
export function copyFrozenWeights(target: tf.LayersModel, trained: tf.LayersModel, prefix: string): void {
  for (const layer of trained.layers) {
    if (layer.name === 'output' || layer.getWeights().length === 0) {
      continue;
    }
    const targetName = /^net\d+_/.test(layer.name) ? layer.name : `${prefix}${layer.name}`;
    let targetLayer: tf.layers.Layer;
    try {
      targetLayer = target.getLayer(targetName);
    } catch (error) {
      throw new CascadeError(
        `The trained net "${trained.name}" has a layer "${layer.name}" with no counterpart "${targetName}" in ` +
          `"${target.name}"; train the earlier net with the current model plugin.`,
        { cause: error },
      );
    }
    const weights = layer.getWeights();
    const expected = targetLayer.getWeights();
    for (const [index, weight] of weights.entries()) {
      const shape = expected[index]?.shape;
      if (!shape || shape.join('x') !== weight.shape.join('x')) {
        throw new CascadeError(
          `Layer "${layer.name}" of the trained net "${trained.name}" has weights of shape ${weight.shape.join('x')}, ` +
            `but "${targetName}" expects ${shape?.join('x') ?? 'none'}; the earlier net was trained with another architecture.`,
        );
      }
    }
    targetLayer.setWeights(weights);
  }
  for (const layer of target.layers) {
    if (layer.name.startsWith('net')) {
      layer.trainable = false;
    }
  }
}
