// The programmatic API: start a real cluster in-process for tests, like envtest but with pods.
export { startCluster, defaultDataDir, type Cluster, type ClusterOptions } from './cluster.js';
export { ApiClient, type ClientConfig } from './client/client.js';
export { Informer } from './client/informer.js';
// Building OCI images offline (docs/images.md).
export {
  buildImage,
  buildLayer,
  buildBusyboxImage,
  buildPauseImage,
  entriesFromDirectory,
  ociArchive,
  dockerArchive,
  writeOciLayout,
  pushImage,
  type OciImage,
  type TarEntry,
  type ImageRuntimeConfig,
} from './images/index.js';
