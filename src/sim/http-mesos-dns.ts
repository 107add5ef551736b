/**
 * A master's Mesos-DNS HTTP API (:8123): `/v1/version` and `/v1/hosts/<name>` (its A records, as
 * `[{"host": "<name>.", "ip": "…"}]`, or `[{"host": "", "ip": ""}]` for a name it has no record of).
 * Closed while the master's dcos-mesos-dns is down.
 */
import type { Server } from 'node:http';
import type { MasterHttpOptions } from './http-master';
import { server } from './http-master';
import { applyEndpointFault, pathOf, sendJson } from './http-util';

export function createMesosDnsServer(o: Pick<MasterHttpOptions, 'host' | 'marathonApps'>): Server {
  return server((req, res) => {
    if (applyEndpointFault(o.host.faults, 'mesosDns', req, res)) return;
    const { path } = pathOf(req);
    if (path === '/v1/version') {
      sendJson(res, 200, { Service: 'Mesos-DNS', URL: 'https://github.com/mesosphere/mesos-dns', Version: 'v0.6.0' });
      return;
    }
    if (path.startsWith('/v1/hosts/')) {
      sendJson(res, 200, o.marathonApps.dnsAnswer(decodeURIComponent(path.slice('/v1/hosts/'.length))));
      return;
    }
    sendJson(res, 404, { message: `Not found: ${path}` });
  });
}
