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

test('docker-compose runs Temporal on PostgreSQL, the Web UI and the worker, wired to each other', () => {
  const s = compose.services;
  assert.match(s.postgresql?.image ?? '', /^postgres:/);
  assert.equal(s.temporal?.environment?.DB, 'postgres12');
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

test('docker-compose registers every search attribute the workflows use', () => {
  const names = [...searchAttributes.matchAll(/--search-attribute (\w+)=Keyword/g)].map((m) => m[1]);
  assert.ok(names.length >= 4);
  const setup = (compose.services['temporal-setup']?.command ?? []).join(' ');
  for (const n of names) assert.ok(setup.includes(n as string), `${n} registered in docker-compose`);
});

test('the worker image is Debian-based (the SDK native bridge needs glibc) and runs the worker', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.match(dockerfile, /^FROM node:20-(bookworm|bullseye)/m);
  assert.doesNotMatch(dockerfile, /alpine/);
  assert.match(dockerfile, /src\/worker\.ts/);
});
