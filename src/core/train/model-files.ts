import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CascadeError } from '../errors.js';
// Registers the custom normalization layer, so that saved 48-nets deserialize.
import '../../plugins/models/lrn-layer.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** Joins tfjs weight data, which may come in several buffers, into one byte array. */
export function joinWeightData(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * Writes a model in the tfjs layers format (`model.json` and `weights.bin`), readable by
 * `tf.loadLayersModel('file://.../model.json')` and by `readModel`. The folder must exist.
 */
export async function writeModel(model: tf.LayersModel, dir: string): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) {
    throw new CascadeError(`Saving the model "${model.name}" produced no weights.`);
  }
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
  };
  await fs.writeFile(path.join(dir, WEIGHTS_BIN), joinWeightData(artifacts.weightData));
  await fs.writeFile(path.join(dir, MODEL_JSON), `${JSON.stringify(modelJson)}\n`);
}

interface ModelJsonFile {
  modelTopology: object;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
}

/** Reads a model written by `writeModel` (or any tfjs layers model folder with local weight files). */
export async function readModel(dir: string): Promise<tf.LayersModel> {
  const file = path.join(dir, MODEL_JSON);
  let json: ModelJsonFile;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as ModelJsonFile;
  } catch (error) {
    throw new CascadeError(`Failed to read the model ${file}: missing or not valid JSON.`, { cause: error });
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const weightPath of group.paths) {
      buffers.push(await fs.readFile(path.join(dir, weightPath)));
    }
  }
  const weightData = tf.io.CompositeArrayBuffer.join(buffers.map((buffer) => toArrayBuffer(buffer)));
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (error) {
    throw new CascadeError(`Failed to load the model ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Copies a byte view into an ArrayBuffer of exactly its length. */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
