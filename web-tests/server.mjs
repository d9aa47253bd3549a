// Starts the real `tremplin serve` on port 0 against a fresh database (a
// SQLite file, or a PostgreSQL database created for the run and dropped
// after), and seeds it with the CLI and the JSON API, as an operator would.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';

const root = resolve(import.meta.dirname, '..');
export const binary = process.env.TREMPLIN_BIN ?? join(root, 'target', 'debug', 'tremplin');
const referenceDir = resolve(root, '..', 'shared', 'data');

function postgresAdminArgs(serverUrl) {
  const url = new URL(serverUrl);
  return ['-h', url.hostname, '-p', url.port || '5432', '-U', url.username || 'postgres', '-d', 'postgres'];
}

function withDatabase(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh database: `{ url, drop() }`. */
export function freshDatabase(backend) {
  if (backend.kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tremplin-web-'));
    return {
      url: `sqlite://${join(dir, 'tremplin.db')}?mode=rwc`,
      drop: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `tremplin_web_${randomUUID().replaceAll('-', '')}`;
  const admin = postgresAdminArgs(backend.serverUrl);
  execFileSync('psql', [...admin, '-q', '-c', `CREATE DATABASE ${name}`]);
  return {
    url: withDatabase(backend.serverUrl, name),
    drop: () => execFileSync('psql', [...admin, '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
  };
}

/** `tremplin serve --bind 127.0.0.1:0`; resolves once it prints its address. */
export async function startServer(databaseUrl) {
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: build it (cargo test, or cargo build --bin tremplin) or set TREMPLIN_BIN`);
  }
  const work = mkdtempSync(join(tmpdir(), 'tremplin-serve-'));
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TREMPLIN__REFERENCE__DIR: referenceDir,
    TREMPLIN__EMAIL__OUTBOX_DIR: join(work, 'mail-out'),
    TREMPLIN__JOBS__POLL_INTERVAL_MS: '100',
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
  };
  // Its own working folder: no stray tremplin.toml is read.
  const child = spawn(binary, ['serve', '--bind', '127.0.0.1:0'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`no address after 120 s:\n${stderr}`)), 120_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const found = out.match(/listening on (http:\/\/\S+)/);
      if (found) { clearTimeout(timer); ok(found[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); fail(new Error(`tremplin serve exited with ${code}:\n${stderr}`)); });
  });
  return {
    url,
    databaseUrl,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((ok) => { if (child.exitCode !== null) ok(); else child.on('exit', ok); });
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** A collège of Seine-Saint-Denis with coordinates, from the reference data. */
function college093() {
  const lines = readFileSync(join(referenceDir, 'colleges_fr.csv'), 'utf8').split('\n');
  for (const line of lines) {
    const f = line.split(',');
    if (f.length > 9 && f[5] === '093' && f[7] !== '') return { uai: f[0], lat: Number(f[7]), lon: Number(f[8]) };
  }
  throw new Error('no collège of Seine-Saint-Denis in the reference data');
}

/** A SIRET with a valid Luhn key (random, never La Poste's). */
function siret() {
  const digits = [1 + Math.floor(Math.random() * 8), ...Array.from({ length: 12 }, () => Math.floor(Math.random() * 10))];
  for (let check = 0; check < 10; check++) {
    const all = [...digits, check];
    const sum = all.reverse().reduce((s, d, i) => s + (i % 2 ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d), 0);
    if (sum % 10 === 0) return [...digits, check].join('');
  }
  throw new Error('unreachable');
}

async function api(server, method, path, token, body) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export const PASSWORD = 'a long enough password';

async function member(server, admin, kind, name, extra) {
  const org = await api(server, 'POST', '/v1/organisations', admin, { kind, name, ...extra });
  const role = { company: 'company', school: 'school', mentoring_structure: 'coordinator' }[kind];
  const email = `${role}-${randomUUID().slice(0, 8)}@tremplin.test`;
  const invited = await api(server, 'POST', `/v1/organisations/${org.id}/users`, admin, { email, role });
  return { email, invitation: invited.invitation.token, organisation: org.id };
}

async function accept(server, user) {
  await api(server, 'POST', '/v1/auth/accept-invitation', null, { token: user.invitation, password: PASSWORD });
  const token = await api(server, 'POST', '/v1/auth/token', null, { grant_type: 'password', email: user.email, password: PASSWORD });
  return { ...user, token: token.access_token };
}

/**
 * What the journeys need: an admin (made with `tremplin admin create-user`),
 * a company whose user is invited but has not chosen a password, a company
 * and a school with a proposed placement between them, another company.
 */
export async function seed(server) {
  const adminEmail = 'admin@tremplin.test';
  const adminPassword = 'admin password 123';
  execFileSync(binary, ['admin', 'create-user', '--email', adminEmail, '--role', 'admin',
    '--database-url', server.databaseUrl], { input: `${adminPassword}\n`, cwd: tmpdir(), stdio: 'pipe' });
  const admin = (await api(server, 'POST', '/v1/auth/token', null,
    { grant_type: 'password', email: adminEmail, password: adminPassword })).access_token;
  const invited = await member(server, admin, 'company', 'Menuiserie Invitée', { siret: siret() });
  const company = await accept(server, await member(server, admin, 'company', 'Logistique du Nord', { siret: siret() }));
  const other = await accept(server, await member(server, admin, 'company', 'Autre entreprise', { siret: siret() }));
  const college = college093();
  const school = await accept(server, await member(server, admin, 'school', 'Collège test', { uai: college.uai }));
  const week = '2027-W05';
  await api(server, 'POST', '/v1/offers', company.token, {
    kind: 'stage_3e', title: 'Découverte de la logistique', sector: 'N', address: '12 rue de la Gare',
    commune_insee: '93066', location: { lat: college.lat, lon: college.lon },
    weeks: [{ week, seats: 1 }], tutor: { name: 'Camille Martin', email: 'camille.martin@example.fr' },
  });
  const pupil = await api(server, 'POST', '/v1/pupils', school.token,
    { first_name: 'Inès', last_name: 'Martin', birth_date: '2012-03-04', class_name: '3A' });
  const request = await api(server, 'POST', '/v1/match-requests', school.token, { kind: 'stage_3e', week, pupil_ids: [pupil.id] });
  for (let i = 0; i < 300; i++) {
    const done = await api(server, 'GET', `/v1/match-requests/${request.id}`, school.token);
    if (done.status === 'done') {
      if (!done.proposals.length) throw new Error(`no proposal: ${JSON.stringify(done)}`);
      return { invited, company, other, school, placementId: done.proposals[0].placement_id };
    }
    if (done.status !== 'queued' && done.status !== 'running') throw new Error(JSON.stringify(done));
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('the match request did not finish');
}
