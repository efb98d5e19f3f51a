// The version the documents describe.
import { KUBERNETES_VERSION as BUILD_VERSION } from '../../version.js';

export const OPENAPI_TITLE = 'Kubernetes';
export const KUBERNETES_VERSION = BUILD_VERSION.gitVersion;
