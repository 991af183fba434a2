// A second, independent FHIR R4 server for the gateway's end-to-end tests: Medplum's FHIR router
// and in-memory repository (@medplum/fhir-router 4.5.2) behind a small node:http wrapper.
//
//   MEDPLUM_BEARER_TOKEN=secret node server.mjs RESOURCES.json [PORT]
//
// It listens on 127.0.0.1 (PORT, else $MEDPLUM_PORT, else a free port), serves the FHIR base
// /fhir and prints that absolute base URL on one stdout line once it is ready. RESOURCES.json is
// a JSON array of resources, created with their own ids. Every request except GET /fhir/metadata
// needs "Authorization: Bearer $MEDPLUM_BEARER_TOKEN". It answers read, vread, GET searches and
// POST [type]/_search; it is read-only. With MEDPLUM_EXIT_WITH_STDIN set it exits when its
// standard input closes.
//
// Answers are Medplum's own: the router's and MemoryRepository's Bundles (no fullUrl, no
// search.mode, always a total; a Medplum server would add fullUrl) and its OperationOutcomes. The wrapper adds only what a Medplum server adds around the router and the
// MemoryRepository lacks: a default and maximum _count, and absolute self/first/previous/next
// links paging with _count and _offset. "Prefer: handling=strict" refuses search parameters
// that Medplum's definitions do not know; without it they reach the router, which matches
// nothing for them. _include and _revinclude are accepted and not performed.

import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { DEFAULT_MAX_SEARCH_COUNT, DEFAULT_SEARCH_COUNT, getStatus, normalizeOperationOutcome, notFound, unauthorized } from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import { capabilityStatement } from './capability.mjs';
import { loadDefinitions, loadWorld, strictProblem } from './world.mjs';

const fhirJSON = 'application/fhir+json; charset=utf-8';
const maxBody = 1 << 20;

async function main() {
  const [file, portArg] = process.argv.slice(2);
  const token = process.env.MEDPLUM_BEARER_TOKEN ?? '';
  if (!file || token === '') {
    throw new Error('usage: MEDPLUM_BEARER_TOKEN=... node server.mjs RESOURCES.json [PORT]');
  }
  if (process.env.MEDPLUM_EXIT_WITH_STDIN) {
    // The test that started us holds our stdin open; when it dies without cleaning up (a test
    // timeout, a closed pipe, SIGKILL) stdin closes and we go too, instead of lingering.
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
  const started = performance.now();
  loadDefinitions();
  const world = await loadWorld(file);
  const router = new FhirRouter();
  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(portArg ?? process.env.MEDPLUM_PORT ?? 0), '127.0.0.1', resolve);
  });
  const base = `http://127.0.0.1:${server.address().port}/fhir`;
  const ctx = { base, router, repo: world.repo, auth: Buffer.from('Bearer ' + token), metadata: capabilityStatement(world.types) };
  server.on('request', (req, res) => {
    handle(ctx, req, res).catch((err) => {
      console.error('medplum wrapper:', err);
      send(res, 500, normalizeOperationOutcome(err));
    });
  });
  for (const [why, which] of Object.entries(world.invalid)) {
    console.error(`medplum: warning: loaded although not valid R4 (${why}): ${which.join(', ')}`);
  }
  console.error(`medplum: ${world.count} resources loaded in ${Math.round(performance.now() - started)} ms`);
  console.log(base);
}

// handle answers one request.
async function handle(ctx, req, res) {
  const url = new URL(req.url, ctx.base);
  if (url.pathname !== '/fhir' && !url.pathname.startsWith('/fhir/')) {
    return send(res, 404, notFound);
  }
  const path = url.pathname.slice('/fhir/'.length);
  if (path === 'metadata' && req.method === 'GET') {
    return send(res, 200, ctx.metadata);
  }
  if (!authorized(ctx, req)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="medplum"');
    return send(res, 401, unauthorized);
  }
  const segments = path.split('/').filter(Boolean);
  const isSearch = segments.length === 1 || (segments.length === 2 && segments[1] === '_search');
  const allowed = req.method === 'GET' || (req.method === 'POST' && segments[1] === '_search' && isSearch);
  if (!allowed) {
    res.setHeader('Allow', 'GET');
    return send(res, 405, outcome('not-supported', `Method ${req.method} is not allowed: this server is read-only`));
  }
  const query = queryObject(url.searchParams);
  if (req.method === 'POST') {
    Object.assign(query, queryObject(new URLSearchParams(await readBody(req))));
  }
  if (isSearch) {
    return search(ctx, req, res, segments[0], query);
  }
  const [result, resource] = await ctx.router.handleRequest(
    { method: 'GET', url: segments.join('/'), pathname: '', body: undefined, params: {}, query, headers: req.headers },
    ctx.repo
  );
  if (resource?.meta?.versionId) {
    res.setHeader('ETag', `W/"${resource.meta.versionId}"`);
  }
  return send(res, getStatus(result), resource ?? result);
}

// search runs a search through the router with Medplum's default and maximum page size and adds
// paging links.
async function search(ctx, req, res, type, query) {
  if (strictHandling(req)) {
    const problem = strictProblem(type, query);
    if (problem) {
      return send(res, getStatus(problem), problem);
    }
  }
  const count = Math.min(intParam(query._count) ?? DEFAULT_SEARCH_COUNT, DEFAULT_MAX_SEARCH_COUNT);
  const offset = intParam(query._offset) ?? 0;
  const paged = { ...query, _count: String(count), _offset: String(offset) };
  const [result, bundle] = await ctx.router.handleRequest(
    { method: 'GET', url: type, pathname: '', body: undefined, params: {}, query: paged, headers: req.headers },
    ctx.repo
  );
  if (bundle?.resourceType !== 'Bundle') {
    return send(res, getStatus(result), bundle ?? result);
  }
  bundle.link = pageLinks(ctx.base, type, paged, count, offset, bundle.total);
  return send(res, getStatus(result), bundle);
}

// pageLinks returns absolute links repeating the search with each page's _count and _offset.
function pageLinks(base, type, query, count, offset, total) {
  const page = (at) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      for (const one of [v].flat()) params.append(k, one);
    }
    params.set('_count', String(count));
    params.set('_offset', String(at));
    return `${base}/${type}?${params}`;
  };
  const links = [{ relation: 'self', url: page(offset) }];
  if (count === 0) {
    return links;
  }
  links.push({ relation: 'first', url: page(0) });
  if (offset > 0) {
    links.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
  }
  if (total !== undefined && offset + count < total) {
    links.push({ relation: 'next', url: page(offset + count) });
  }
  return links;
}

// authorized compares the Authorization header with the one credential in constant time.
function authorized(ctx, req) {
  const got = Buffer.from(req.headers.authorization ?? '');
  return got.length === ctx.auth.length && timingSafeEqual(got, ctx.auth);
}

// strictHandling reports whether the request carries "Prefer: handling=strict".
function strictHandling(req) {
  return String(req.headers.prefer ?? '')
    .split(',')
    .some((p) => p.trim().toLowerCase() === 'handling=strict');
}

// queryObject turns URL parameters into the router's shape: a string, or an array when repeated.
function queryObject(params) {
  const out = Object.create(null);
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

function intParam(v) {
  const s = [v].flat().at(-1);
  if (s === undefined || !/^\d+$/.test(s)) {
    return undefined;
  }
  return parseInt(s, 10);
}

async function readBody(req) {
  let size = 0;
  const chunks = [];
  for await (const chunk of req) {
    size += chunk.length;
    if (size > maxBody) {
      throw new Error('request body too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// outcome is an error OperationOutcome in Medplum's shape (details.text, no diagnostics).
function outcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': fhirJSON });
  res.end(JSON.stringify(body));
}

main().catch((err) => {
  console.error('medplum:', err.message ?? err);
  process.exit(1);
});
