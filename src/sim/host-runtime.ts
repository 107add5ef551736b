/**
 * One simulated host's network presence: its SSH server and the HTTP endpoints of its role
 * (master: Exhibitor, Mesos master, Marathon; agent: Mesos agent; bootstrap: the file server), and
 * which of those ports are open given its units, facts and faults.
 */

import type { Server } from 'node:http';
import type { ParsedKey } from 'ssh2';
import type { AuthMaterial } from './auth';
import { createBootstrapFileServer } from './bootstrap';
import type { HostExecContext } from './exec';
import type { HostProcess } from './host-process';
import { createMesosAgentServer } from './http-agent';
import { createMarathonServer } from './http-marathon';
import { createExhibitorServer, createMesosMasterServer, type MasterHttpOptions } from './http-master';
import { createMesosDnsServer } from './http-mesos-dns';
import { generateEd25519 } from './keys';
import { SwitchableListener } from './listener';
import type { MarathonApps } from './marathon-apps';
import type { ClusterModel, HostState } from './model';
import { HostSshServer } from './ssh-server';
import type { TlsMaterial } from './tls';
import type { MarathonApp, PortName, SimHost } from './types';
import { slaveUnit, UNIT_FOR_PORT } from './units';

export interface HostRuntime {
  spec: SimHost;
  state: HostState;
  ssh: HostSshServer;
  /** The host key known_hosts lists (restored when a host-key-change fault is cleared). */
  hostKey: string;
  hostKeyPublic: string;
  http: Partial<Record<PortName | 'bootstrap', SwitchableListener>>;
  /** ssh-refuse: SSH is refused until this time (epoch ms). */
  refuseSshUntil: number;
}

export interface HostRuntimeDeps {
  model: ClusterModel;
  controlUrl: string;
  user: string;
  clusterId: string;
  clientKey: ParsedKey;
  bootstrapHttpPort: number;
  bootstrapServeDir: string;
  tls?: TlsMaterial;
  enterprise: boolean;
  mesosHttps: boolean;
  auth?: AuthMaterial;
  marathon: { eventSubscriber: boolean; apps: MarathonApp[] };
  marathonVersion: string;
  marathonApps: MarathonApps;
  /** Lay out the host root before a session uses it. */
  beforeUse(spec: SimHost): void;
  track(child: HostProcess): void;
}

/** DC/OS default port → this host's port, for `localhost:<port>` in commands. */
function localPorts(spec: SimHost, bootstrapHttpPort: number): Record<number, number> {
  if (spec.role === 'bootstrap') return { 8080: bootstrapHttpPort };
  if (spec.role === 'master')
    return {
      8181: spec.ports.exhibitor,
      5050: spec.ports.mesosMaster,
      8080: spec.ports.marathon,
      8123: spec.ports.mesosDns ?? 8123,
    };
  return { 5051: spec.ports.mesosAgent };
}

export function createHostRuntime(spec: SimHost, d: HostRuntimeDeps): HostRuntime {
  const state = d.model.host(spec.id);
  const keys = generateEd25519();
  const exec: HostExecContext = {
    root: spec.root,
    nodeId: spec.id,
    address: spec.address,
    controlUrl: d.controlUrl,
    user: d.user,
    clusterId: d.clusterId,
    localPorts: localPorts(spec, d.bootstrapHttpPort),
  };
  const ssh = new HostSshServer({
    exec,
    address: spec.address,
    port: spec.sshPort,
    hostKey: keys.private,
    clientKey: d.clientKey,
    faults: state.faults,
    record: (command) => d.model.truth.command(spec.id, command),
    loggedIn: () => d.model.truth.sshLogin(spec.id),
    beforeUse: () => d.beforeUse(spec),
    track: d.track,
  });
  const http: HostRuntime['http'] = {};
  const listen = (port: PortName | 'bootstrap', server: Server, number: number): void => {
    server.on('clientError', (_e, socket) => socket.destroy());
    http[port] = new SwitchableListener(server, spec.address, number, `${port} ${spec.id}`);
  };
  if (spec.role === 'master') {
    const o: MasterHttpOptions = {
      model: d.model,
      host: state,
      tls: d.tls,
      exhibitorTls: d.enterprise,
      mesosHttps: d.mesosHttps,
      auth: d.auth,
      marathon: d.marathon,
      marathonVersion: d.marathonVersion,
      marathonApps: d.marathonApps,
    };
    listen('exhibitor', createExhibitorServer(o), spec.ports.exhibitor);
    listen('mesosMaster', createMesosMasterServer(o), spec.ports.mesosMaster);
    listen('marathon', createMarathonServer(o), spec.ports.marathon);
    listen('mesosDns', createMesosDnsServer(o), spec.ports.mesosDns ?? 8123);
  } else if (spec.role === 'bootstrap') {
    listen(
      'bootstrap',
      createBootstrapFileServer(
        () => d.bootstrapServeDir,
        state.faults,
        () => d.model.truth.bootstrapRequests
      ),
      d.bootstrapHttpPort
    );
  } else {
    const o = { model: d.model, host: state, tls: d.tls, mesosHttps: d.mesosHttps, auth: d.auth };
    listen('mesosAgent', createMesosAgentServer(o), spec.ports.mesosAgent);
  }
  return { spec, state, ssh, hostKey: keys.private, hostKeyPublic: keys.public, http, refuseSshUntil: 0 };
}

/**
 * Open or close each port to match the host: SSH while reachable and not refusing; a DC/OS port
 * while its unit is active and no `refuse` endpoint fault holds it closed.
 */
export function applyPortStates(r: HostRuntime, model: ClusterModel, onError: (err: Error) => void): void {
  const h = r.state;
  r.ssh.listener.set(h.facts.reachable && Date.now() >= r.refuseSshUntil).catch(onError);
  for (const [port, l] of Object.entries(r.http) as [PortName | 'bootstrap', SwitchableListener][]) {
    let up = true;
    if (port === 'exhibitor' || port === 'mesosMaster' || port === 'marathon' || port === 'mesosDns')
      up = model.unitActive(h, UNIT_FOR_PORT[port]);
    if (port === 'mesosAgent') up = model.unitActive(h, slaveUnit(h.role));
    l.set(up && !h.faults.refuses(port)).catch(onError);
  }
}

/** Every listener of the host, for start-up and stop. */
export function listenersOf(r: HostRuntime): SwitchableListener[] {
  return [r.ssh.listener, ...Object.values(r.http)];
}
