export { cropAndResizeMany } from './area-crops.js';
export { type CropOptions, cropAndResize, resampleBox } from './crop-resize.js';
export { decodeRgbFile, loadRgb, type RgbImage, readImageSize } from './rgb-image.js';
export { isImageFile, listImageFiles } from './walk.js';
