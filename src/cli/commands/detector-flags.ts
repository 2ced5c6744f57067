import type { Command } from 'commander';
import type { DetectorOptions } from '../../core/detect/detector-options.js';

/** Detector options shared by `cascade detect` and `cascade eval`; unset flags keep the run's saved values. */
export interface DetectorFlags {
  minFace?: number;
  pyramidFactor?: number;
  stride?: number;
  threshold12?: number;
  threshold24?: number;
  threshold48?: number;
  calibrationThreshold?: number;
  nms12?: number;
  nms24?: number;
  nms48?: number;
}

function number(name: string): (value: string) => number {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) {
      throw new Error(`${name} must be a number, received "${value}"`);
    }
    return parsed;
  };
}

/** Adds the detector flags to a command. */
export function detectorFlags(command: Command): Command {
  return command
    .option('--min-face <pixels>', 'smallest face side to find, in pixels (default 40)', number('--min-face'))
    .option(
      '--pyramid-factor <factor>',
      'scale between pyramid levels, in (0, 1) (default 0.8)',
      number('--pyramid-factor'),
    )
    .option(
      '--stride <pixels>',
      '12x12 window step on each scaled image, a multiple of 2 (default 4)',
      number('--stride'),
    )
    .option('--threshold12 <p>', '12-net face probability threshold', number('--threshold12'))
    .option('--threshold24 <p>', '24-net face probability threshold', number('--threshold24'))
    .option('--threshold48 <p>', '48-net face probability threshold', number('--threshold48'))
    .option(
      '--calibration-threshold <p>',
      'calibration patterns above this probability are averaged',
      number('--calibration-threshold'),
    )
    .option('--nms12 <iou>', 'NMS IoU after the 12-stage', number('--nms12'))
    .option('--nms24 <iou>', 'NMS IoU after the 24-stage', number('--nms24'))
    .option('--nms48 <iou>', 'NMS IoU across the image after the 48-net', number('--nms48'));
}

/** Merges the flags that were given over the detector options saved with the cascade. */
export function detectorOptionsFrom(flags: DetectorFlags, saved: DetectorOptions): DetectorOptions {
  const defined = <T extends object>(value: T) =>
    Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
  return {
    ...saved,
    ...defined({
      minFaceSize: flags.minFace,
      pyramidFactor: flags.pyramidFactor,
      stride: flags.stride,
      calibrationThreshold: flags.calibrationThreshold,
    }),
    thresholds: {
      ...saved.thresholds,
      ...defined({ net12: flags.threshold12, net24: flags.threshold24, net48: flags.threshold48 }),
    },
    nms: { ...saved.nms, ...defined({ net12: flags.nms12, net24: flags.nms24, net48: flags.nms48 }) },
  };
}
