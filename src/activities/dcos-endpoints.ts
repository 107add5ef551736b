/** Where a DC/OS endpoint of a node answers: asked from the worker (probes: http) or on the node itself (probes: ssh). */
import { DEFAULT_PORTS, type HttpAuth, type NodeSpec } from '../shared/plan';

export type DcosEndpoint = 'exhibitor' | 'mesosMaster' | 'mesosAgent' | 'marathon' | 'mesosDns';

/**
 * The URL of an endpoint. On the node, Exhibitor is asked at `localhost` (the runbook's command)
 * with the master's own TLS files; Mesos, Marathon and Mesos-DNS listen on the node's own address either way.
 */
export function endpointUrl(
  node: Pick<NodeSpec, 'address' | 'ports'>,
  http: HttpAuth,
  which: DcosEndpoint,
  path: string,
  askedFrom: 'worker' | 'node'
): string {
  const host = node.address.includes(':') ? `[${node.address}]` : node.address;
  if (which === 'exhibitor') {
    const tls = askedFrom === 'node' ? http.exhibitorTlsOnNode : http.exhibitorTls !== undefined;
    return `${tls ? 'https' : 'http'}://${askedFrom === 'node' ? 'localhost' : host}:${node.ports.exhibitor}${path}`;
  }
  if (which === 'marathon') return `http://${host}:${node.ports.marathon}${path}`;
  if (which === 'mesosDns') return `http://${host}:${node.ports.mesosDns ?? DEFAULT_PORTS.mesosDns}${path}`;
  const port = which === 'mesosMaster' ? node.ports.mesosMaster : node.ports.mesosAgent;
  return `${http.mesosHttps ? 'https' : 'http'}://${host}:${port}${path}`;
}
