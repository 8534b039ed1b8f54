import { Agent } from 'undici';

/**
 * Kept-alive connections for calls between our services (the router's subgraph fetch, the service client):
 * a call reuses an open socket instead of paying a TCP handshake, and idle sockets close after 30 s.
 */
export const keepAliveAgent = (connections: number) => new Agent({ connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000 });
