// probes: ssh — the curl command a probe runs on the node: the node's own files, the token only on stdin.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nodeCurl } from '../../src/activities/node-curl';
import type { HttpAuth, NodeSpec } from '../../src/shared/plan';

const master: NodeSpec = {
  id: 'master-10.0.0.11',
  role: 'master',
  address: '10.0.0.11',
  sshPort: 22,
  ports: { exhibitor: 8181, mesosMaster: 5050, mesosAgent: 5051, marathon: 8080 },
};
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiJkY29zLXBhdGNoIn0.c2lnbmF0dXJl';
const strict: HttpAuth = {
  probes: 'ssh',
  exhibitorTlsOnNode: true,
  mesosHttps: true,
  tokenPath: '/home/ops/dcos-token',
};

describe('the curl a probe runs on the node', { timeout: 10_000 }, () => {
  test("Exhibitor on an Enterprise master: localhost, HTTPS with the master's own files, as root", () => {
    const c = nodeCurl(master, strict, 'exhibitor', '/exhibitor/v1/cluster/status', 5_000, TOKEN);
    assert.equal(c.url, 'https://localhost:8181/exhibitor/v1/cluster/status');
    assert.match(c.command, /^sudo -n curl /);
    for (const f of ['root-cert.pem', 'client-cert.pem', 'client-key.pem']) {
      assert.ok(c.command.includes(`/var/lib/dcos/exhibitor-tls-artifacts/${f}`), f);
    }
    assert.equal(c.stdin, undefined, 'Exhibitor takes no DC/OS token');
  });

  test("Mesos in strict mode: the node's address, its CA bundle, the token in curl's config on stdin only", () => {
    const c = nodeCurl(master, strict, 'mesosMaster', '/metrics/snapshot', 5_000, TOKEN);
    assert.equal(c.url, 'https://10.0.0.11:5050/metrics/snapshot');
    assert.ok(c.command.includes("--cacert '/run/dcos/pki/CA/ca-bundle.crt'"));
    assert.ok(!c.command.includes(TOKEN), 'the token never appears on a command line (ps on the node)');
    assert.ok(!c.command.startsWith('sudo'), 'no root needed for Mesos');
    assert.match(c.command, / -K - /);
    assert.equal(c.stdin, `header = "Authorization: token=${TOKEN}"\n`);
  });

  test('open DC/OS: plain HTTP, no sudo, no config on stdin', () => {
    const open: HttpAuth = { probes: 'ssh', mesosHttps: false };
    const agent: NodeSpec = { ...master, id: 'agent-10.0.1.1', role: 'agent', address: '10.0.1.1' };
    const c = nodeCurl(agent, open, 'mesosAgent', '/metrics/snapshot', 5_000);
    assert.equal(c.url, 'http://10.0.1.1:5051/metrics/snapshot');
    assert.equal(c.stdin, undefined);
    assert.match(
      c.command,
      /^curl -sS --max-time 5 -w '\\n%\{http_code\}' 'http:\/\/10\.0\.1\.1:5051\/metrics\/snapshot'$/
    );
  });

  test('an IPv6 node is bracketed in the URL', () => {
    const v6: NodeSpec = { ...master, address: 'fd00::11' };
    assert.equal(nodeCurl(v6, strict, 'marathon', '/v2/apps', 5_000).url, 'http://[fd00::11]:8080/v2/apps');
  });

  test('a token file that is not a token is refused before it reaches a curl config', () => {
    for (const bad of ['x"\nurl = "http://evil', 'two words', '']) {
      assert.throws(
        () => nodeCurl(master, strict, 'mesosMaster', '/state', 5_000, bad),
        (e: Error) => /does not hold a token/.test(e.message) && !e.message.includes(bad || '\u0000'),
        JSON.stringify(bad)
      );
    }
  });
});
