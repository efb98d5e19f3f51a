// The flags of `up`, `server` and `agent`, as parseArgs takes them (README lists every one of them).

/** `up` and `server`; the node's flags are `up`'s only. */
export const clusterFlags = {
  address: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '6443' },
  'data-dir': { type: 'string' },
  store: { type: 'string', default: 'sqlite' },
  'etcd-endpoints': { type: 'string' },
  'etcd-prefix': { type: 'string' },
  'etcd-cafile': { type: 'string' },
  'etcd-certfile': { type: 'string' },
  'etcd-keyfile': { type: 'string' },
  'write-kubeconfig': { type: 'string', default: 'true' },
  'log-format': { type: 'string', default: 'text' },
  'node-name': { type: 'string' },
  'pod-cidr': { type: 'string' },
  'simulated-nodes': { type: 'string', default: '0' },
  'leader-elect': { type: 'string', default: 'true' },
  'pki-dir': { type: 'string' },
  'tls-san': { type: 'string', multiple: true },
  'cluster-cidr': { type: 'string', default: '10.244.0.0/16' },
  'node-cidr-mask-size': { type: 'string', default: '24' },
  'allocate-node-cidrs': { type: 'string', default: 'true' },
  'node-monitor-grace-period': { type: 'string', default: '50s' },
  runtime: { type: 'string' },
  'cri-endpoint': { type: 'string' },
} as const;

/** The flags of `up` that configure its node: `server` refuses them. */
export const NODE_FLAGS = ['node-name', 'pod-cidr', 'runtime', 'cri-endpoint'] as const;

export const agentFlags = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  server: { type: 'string' },
  token: { type: 'string' },
  'certificate-authority': { type: 'string' },
  'discovery-token-ca-cert-hash': { type: 'string', multiple: true },
  'discovery-token-unsafe-skip-ca-verification': { type: 'boolean', default: false },
  'node-name': { type: 'string' },
  address: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '10250' },
  'data-dir': { type: 'string' },
  'pod-cidr': { type: 'string' },
  runtime: { type: 'string', default: 'process' },
  'cri-endpoint': { type: 'string' },
  'log-format': { type: 'string', default: 'text' },
} as const;
