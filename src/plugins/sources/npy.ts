import fs from 'node:fs/promises';
import { CascadeError } from '../../core/errors.js';

/** A numeric array read from a `.npy` file, as float64 values in C order. */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float64Array;
}

const MAGIC = '\x93NUMPY';
// Bytes per element and DataView reader of each supported dtype kind and size.
const READERS: Record<string, { bytes: number; read: (view: DataView, offset: number, little: boolean) => number }> = {
  f4: { bytes: 4, read: (view, offset, little) => view.getFloat32(offset, little) },
  f8: { bytes: 8, read: (view, offset, little) => view.getFloat64(offset, little) },
  u1: { bytes: 1, read: (view, offset) => view.getUint8(offset) },
};

/**
 * Reads a NumPy `.npy` file (format versions 1, 2 and 3) with dtype float32, float64 or uint8
 * in C order. The format is described in NumPy's `numpy.lib.format` module.
 */
export async function readNpy(file: string): Promise<NpyArray> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new CascadeError(`Failed to read NumPy file ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseNpy(bytes, file);
}

/** Parses the bytes of a `.npy` file; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (problem: string): never => {
    throw new CascadeError(`Invalid NumPy file ${file}: ${problem}.`);
  };
  if (bytes.length < 10 || Buffer.from(bytes.subarray(0, 6)).toString('latin1') !== MAGIC) {
    fail('it does not start with the \\x93NUMPY magic string');
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLength = bytes.length >= 12 ? view.getUint32(8, true) : fail('its header is cut short');
    headerStart = 12;
  } else {
    return fail(`format version ${major} is not supported (expected 1, 2 or 3)`);
  }
  const header = Buffer.from(bytes.subarray(headerStart, headerStart + headerLength)).toString(
    major === 3 ? 'utf8' : 'latin1',
  );

  const descr =
    /'descr'\s*:\s*'([<>|=])([a-z])(\d+)'/.exec(header) ?? fail(`header has no plain dtype: ${header.trim()}`);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail('header has no shape');
  if (fortran !== 'False') {
    fail('arrays in Fortran order are not supported; save it with np.ascontiguousarray first');
  }
  const [, order, kind, size] = descr;
  const reader =
    READERS[`${kind}${size}`] ??
    fail(`dtype "${order}${kind}${size}" is not supported (expected float32, float64 or uint8)`);
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map(Number);

  const count = shape.reduce((product, dimension) => product * dimension, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length - dataStart < count * reader.bytes) {
    fail(
      `expected ${count * reader.bytes} data bytes for shape (${shape.join(', ')}), found ${bytes.length - dataStart}`,
    );
  }
  const little = order !== '>';
  const data = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    data[i] = reader.read(view, dataStart + i * reader.bytes, little);
  }
  return { dtype: `${kind}${size}`, shape, data };
}
