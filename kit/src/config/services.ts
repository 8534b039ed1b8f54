/** The services and the ports the contract gives them. */
export const DEFAULT_PORTS = { router: 4000, user: 4001, product: 4002, order: 4003, security: 4004 } as const;
export type ServiceName = keyof typeof DEFAULT_PORTS;
export type SubgraphName = Exclude<ServiceName, 'router'>;
export const SERVICE_NAMES: ServiceName[] = ['router', 'user', 'product', 'order', 'security'];
export const SUBGRAPH_NAMES: SubgraphName[] = ['user', 'product', 'order', 'security'];

/** Subgraph URL in the supergraph → the variable that overrides it, e.g. USER_URL. */
export const subgraphUrlVar = (name: SubgraphName) => `${name.toUpperCase()}_URL`;
