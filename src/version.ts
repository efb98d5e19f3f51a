// The Kubernetes version k8ts implements and reports: /version, the Node's kubelet version,
// OpenAPI documents, and the probes' User-Agent (kube-probe/1.33).

export const KUBERNETES_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.1+k8ts' } as const;

/** `1.33`, as user agents carry it. */
export const KUBERNETES_MINOR_VERSION = `${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}`;
