import type { AnyPluginDefinition } from '../../core/registry.js';
import { aflwSource } from './aflw.js';
import { fddbSource } from './fddb.js';
import { backgroundsSource, imageFolderSource } from './image-folder.js';
import { imglabSource } from './imglab.js';
import { npyCropsSource } from './npy-crops.js';
import { widerFaceSource } from './wider-face.js';

/** Built-in sources, registered by registerBuiltins. */
export const SOURCES: AnyPluginDefinition[] = [
  aflwSource,
  widerFaceSource,
  fddbSource,
  imglabSource,
  imageFolderSource,
  backgroundsSource,
  npyCropsSource,
];
