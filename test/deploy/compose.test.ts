import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

// No Docker engine runs here, so the deployment files are checked for what they must contain.
const root = join(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: string;
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
  command?: string[];
  volumes?: string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const searchAttributes = readFileSync(join(root, 'scripts/search-attributes.sh'), 'utf8');

test('docker-compose runs Temporal on PostgreSQL, the Web UI and the worker, wired to each other', {
  timeout: 30_000,
}, () => {
  const s = compose.services;
  assert.match(s.postgresql?.image ?? '', /^postgres:/);
  assert.equal(s.temporal?.environment?.POSTGRES_SEEDS, 'postgresql');
  assert.ok(s.temporal?.ports?.includes('7233:7233'), 'frontend gRPC published on 7233');
  assert.match(s['temporal-ui']?.image ?? '', /^temporalio\/ui:/);
  assert.equal(s['temporal-ui']?.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.ok(
    s['temporal-ui']?.ports?.some((p) => p.endsWith(':8080')),
    'Web UI published'
  );
  assert.equal(s.worker?.build, '.');
  assert.equal(s.worker?.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.ok(
    s.worker?.volumes?.some((v) => v.endsWith(':ro') && v.includes('/secrets')),
    'keys mounted read-only'
  );
  assert.ok(existsSync(join(root, 'Dockerfile')));
});

test('docker-compose registers every search attribute the workflows use (deploy/temporal/create-namespace.sh)', {
  timeout: 30_000,
}, () => {
  const names = [...searchAttributes.matchAll(/--search-attribute (\w+)=Keyword/g)].map((m) => m[1]);
  assert.ok(names.length >= 4);
  assert.deepEqual(compose.services['temporal-setup']?.command, ['/deploy/create-namespace.sh']);
  const setup = readFileSync(join(root, 'deploy/temporal/create-namespace.sh'), 'utf8');
  for (const n of names) assert.ok(setup.includes(n as string), `${n} registered by create-namespace.sh`);
});

test('no image the Temporal project deprecated; server and admin tools on the version test:cluster builds', {
  timeout: 30_000,
}, () => {
  const images = Object.values(compose.services).flatMap((s) => (s.image ? [s.image] : []));
  assert.ok(!images.some((i) => i.startsWith('temporalio/auto-setup')), 'auto-setup is deprecated');
  const pinned = /TEMPORAL_SERVER_VERSION="\$\{TEMPORAL_SERVER_VERSION:-v([\d.]+)\}"/.exec(
    readFileSync(join(root, 'scripts/temporal-server.sh'), 'utf8')
  )?.[1];
  assert.ok(pinned, 'scripts/temporal-server.sh pins the server version');
  assert.equal(compose.services.temporal?.image, `temporalio/server:${pinned}`);
  for (const name of ['temporal-schema', 'temporal-setup']) {
    assert.equal(compose.services[name]?.image, `temporalio/admin-tools:${pinned}`, name);
  }
  assert.deepEqual(compose.services['temporal-schema']?.command, ['/deploy/setup-postgres.sh']);
  assert.equal(compose.services.temporal?.environment?.DB, 'postgres12');
});

test('the worker image is Debian-based (the SDK native bridge needs glibc), compiled, non-root, with a health check', {
  timeout: 30_000,
}, () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^FROM node:20-(bookworm|bullseye)/m);
  assert.doesNotMatch(dockerfile, /alpine/);
  assert.match(dockerfile, /^RUN npm run build$/m);
  assert.match(dockerfile, /^RUN npm ci --omit=dev/m);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^HEALTHCHECK /m);
  assert.match(dockerfile, /^CMD \["node", "dist\/worker\.js"\]$/m);
  assert.doesNotMatch(dockerfile, /tsx/);
});
