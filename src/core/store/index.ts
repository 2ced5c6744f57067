export { type BuildStoreOptions, buildSampleStore } from './build-store.js';
export { type ContactSheetOptions, pickRandomSamples, writeContactSheet } from './contact-sheet.js';
export { type StoreManifest, stableStringify, storeKeyDigest } from './format.js';
export { openSampleStore, type SampleStore } from './sample-store.js';
