// The version the documents describe.
export const OPENAPI_TITLE = 'Kubernetes';
export const KUBERNETES_VERSION = 'v1.33.0';
