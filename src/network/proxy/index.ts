export { ServiceProxy, type ServiceProxyOptions } from './proxier.js';
export { proxyChains } from './names.js';
export { clusterDnsIP, kubernetesServiceIP, nthServiceIP } from './service-cidr.js';
