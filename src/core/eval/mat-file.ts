import { inflateSync } from 'node:zlib';
import { CascadeError } from '../errors.js';

/**
 * A value read from a MATLAB v5 `.mat` file: numeric arrays as float64 in column-major order,
 * char arrays as strings, cell arrays and structs as nested values.
 */
export type MatValue =
  | { kind: 'numeric'; dims: number[]; data: Float64Array }
  | { kind: 'char'; dims: number[]; text: string }
  | { kind: 'cell'; dims: number[]; cells: MatValue[] }
  | { kind: 'struct'; dims: number[]; fields: Array<Record<string, MatValue>> };

// Data types of the MAT-file v5 format (MathWorks, "MAT-File Format", table 1-1).
const MI_INT8 = 1;
const MI_UINT8 = 2;
const MI_INT16 = 3;
const MI_UINT16 = 4;
const MI_INT32 = 5;
const MI_UINT32 = 6;
const MI_SINGLE = 7;
const MI_DOUBLE = 9;
const MI_INT64 = 12;
const MI_UINT64 = 13;
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
const MI_UTF8 = 16;
const MI_UTF16 = 17;

// Array classes (table 1-3).
const MX_CELL = 1;
const MX_STRUCT = 2;
const MX_CHAR = 4;

const HEADER_BYTES = 128;

interface Element {
  type: number;
  data: Buffer;
  /** Offset just past the element and its padding. */
  next: number;
}

function readElement(buffer: Buffer, offset: number): Element {
  const first = buffer.readUInt32LE(offset);
  // Small data element: the byte count sits in the upper 16 bits and the data in the next 4 bytes.
  if (first >>> 16 !== 0) {
    const size = first >>> 16;
    return { type: first & 0xffff, data: buffer.subarray(offset + 4, offset + 4 + size), next: offset + 8 };
  }
  const size = buffer.readUInt32LE(offset + 4);
  const start = offset + 8;
  const end = start + size;
  if (end > buffer.length) {
    throw new Error(`element of ${size} bytes at offset ${offset} runs past the end of the data`);
  }
  const padded = first === MI_COMPRESSED ? end : start + Math.ceil(size / 8) * 8;
  return { type: first, data: buffer.subarray(start, end), next: padded };
}

function numbers(element: Element): Float64Array {
  const { data } = element;
  const read = (width: number, get: (offset: number) => number): Float64Array => {
    const out = new Float64Array(Math.floor(data.length / width));
    for (let i = 0; i < out.length; i += 1) {
      out[i] = get(i * width);
    }
    return out;
  };
  switch (element.type) {
    case MI_INT8:
      return read(1, (o) => data.readInt8(o));
    case MI_UINT8:
    case MI_UTF8:
      return read(1, (o) => data.readUInt8(o));
    case MI_INT16:
      return read(2, (o) => data.readInt16LE(o));
    case MI_UINT16:
    case MI_UTF16:
      return read(2, (o) => data.readUInt16LE(o));
    case MI_INT32:
      return read(4, (o) => data.readInt32LE(o));
    case MI_UINT32:
      return read(4, (o) => data.readUInt32LE(o));
    case MI_SINGLE:
      return read(4, (o) => data.readFloatLE(o));
    case MI_DOUBLE:
      return read(8, (o) => data.readDoubleLE(o));
    case MI_INT64:
      return read(8, (o) => Number(data.readBigInt64LE(o)));
    case MI_UINT64:
      return read(8, (o) => Number(data.readBigUInt64LE(o)));
    default:
      throw new Error(`unsupported numeric data type ${element.type}`);
  }
}

function parseMatrix(data: Buffer): { name: string; value: MatValue } {
  if (data.length === 0) {
    return { name: '', value: { kind: 'numeric', dims: [0, 0], data: new Float64Array(0) } };
  }
  const flags = readElement(data, 0);
  const arrayClass = flags.data.readUInt32LE(0) & 0xff;
  const dimsElement = readElement(data, flags.next);
  const dims = Array.from(numbers(dimsElement));
  const nameElement = readElement(data, dimsElement.next);
  const name = nameElement.data.toString('latin1');
  const count = dims.reduce((product, dim) => product * dim, 1);
  let offset = nameElement.next;

  if (arrayClass === MX_CELL) {
    const cells: MatValue[] = [];
    for (let i = 0; i < count; i += 1) {
      const cell = readElement(data, offset);
      cells.push(parseMatrix(cell.data).value);
      offset = cell.next;
    }
    return { name, value: { kind: 'cell', dims, cells } };
  }

  if (arrayClass === MX_STRUCT) {
    const nameLength = readElement(data, offset);
    const fieldWidth = nameLength.data.readInt32LE(0);
    const namesElement = readElement(data, nameLength.next);
    const fieldNames: string[] = [];
    for (let start = 0; start + fieldWidth <= namesElement.data.length; start += fieldWidth) {
      fieldNames.push(
        namesElement.data
          .subarray(start, start + fieldWidth)
          .toString('latin1')
          .replace(/\0.*$/s, ''),
      );
    }
    offset = namesElement.next;
    const fields: Array<Record<string, MatValue>> = [];
    for (let i = 0; i < count; i += 1) {
      const record: Record<string, MatValue> = {};
      for (const field of fieldNames) {
        const element = readElement(data, offset);
        record[field] = parseMatrix(element.data).value;
        offset = element.next;
      }
      fields.push(record);
    }
    return { name, value: { kind: 'struct', dims, fields } };
  }

  const real = readElement(data, offset);
  if (arrayClass === MX_CHAR) {
    const codes = real.type === MI_UTF8 ? null : numbers(real);
    const text = codes ? String.fromCharCode(...codes) : real.data.toString('utf8');
    return { name, value: { kind: 'char', dims, text } };
  }
  // NOTE: imaginary parts and sparse arrays are not read; WIDER FACE's files have neither.
  return { name, value: { kind: 'numeric', dims, data: numbers(real) } };
}

/** Reads the named variables of a MATLAB v5 `.mat` file (compressed or not, little endian). */
export function readMatFile(buffer: Buffer, file: string): Record<string, MatValue> {
  const header = buffer.subarray(0, 116).toString('latin1');
  if (buffer.length < HEADER_BYTES || !header.startsWith('MATLAB 5.0 MAT-file')) {
    throw new CascadeError(
      `${file} is not a MATLAB v5 MAT-file (its header does not start with "MATLAB 5.0 MAT-file"); ` +
        'save it with MATLAB\'s "-v7" option or older, not "-v7.3" (HDF5).',
    );
  }
  if (buffer.toString('latin1', 126, 128) !== 'IM') {
    throw new CascadeError(
      `${file} is a big-endian MAT-file, which is not supported; re-save it on a little-endian machine.`,
    );
  }

  const variables: Record<string, MatValue> = {};
  let offset = HEADER_BYTES;
  try {
    while (offset + 8 <= buffer.length) {
      const element = readElement(buffer, offset);
      offset = element.next;
      const matrix = element.type === MI_COMPRESSED ? readElement(inflateSync(element.data), 0) : element;
      if (matrix.type !== MI_MATRIX) {
        continue;
      }
      const { name, value } = parseMatrix(matrix.data);
      variables[name] = value;
    }
  } catch (error) {
    throw new CascadeError(`Failed to read MAT-file ${file} at byte ${offset}: ${(error as Error).message}.`, {
      cause: error,
    });
  }
  return variables;
}
