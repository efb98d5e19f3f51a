export { createStreamServer, SPDY_TUNNEL_PROTOCOL, type StreamServerOptions } from './stream-server.js';
