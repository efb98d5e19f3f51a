export { createProcessRuntime, ProcessRuntime, type ProcessRuntimeOptions } from './runtime.js';
export {
  ImageCatalog,
  addImage,
  listImages,
  removeImage,
  normalizeImageName,
  imageRef,
  type ImageConfig,
  type ImageRecord,
} from './images.js';
