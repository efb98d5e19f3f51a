export { ServiceProxy, type ServiceProxyOptions } from './proxier.js';
export { proxyChains } from './names.js';
