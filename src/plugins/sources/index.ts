import type { AnyPluginDefinition } from '../../core/registry.js';
import { backgroundsSource, imageFolderSource } from './image-folder.js';
import { npyCropsSource } from './npy-crops.js';

/** Built-in sources, registered by registerBuiltins. */
export const SOURCES: AnyPluginDefinition[] = [imageFolderSource, backgroundsSource, npyCropsSource];
