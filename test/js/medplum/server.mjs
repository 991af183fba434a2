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
// Guarded by a real authorization server instead: with MEDPLUM_INTROSPECTION_URL (and
// MEDPLUM_INTROSPECTION_CLIENT / _SECRET, its own client at that server) every bearer token is
// checked by RFC 7662 introspection and must be active with a system/ scope, and with
// MEDPLUM_TOKEN_ENDPOINT it serves /fhir/.well-known/smart-configuration naming it, as an EHR
// offering SMART Backend Services does.
//
// Answers are Medplum's own: the router's and MemoryRepository's Bundles (no fullUrl, no
// search.mode, always a total; a Medplum server would add fullUrl) and its OperationOutcomes. The wrapper adds only what a Medplum server adds around the router and the
// MemoryRepository lacks: a default and maximum _count, and absolute self/first/previous/next
// links paging with _count and _offset. "Prefer: handling=strict" refuses search parameters
// that Medplum's definitions do not know; without it they reach the router, which matches
// nothing for them. _include and _revinclude are accepted and not performed.

import { DEFAULT_MAX_SEARCH_COUNT, DEFAULT_SEARCH_COUNT, getStatus, notFound, unauthorized } from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import { capabilityStatement } from './capability.mjs';
import { authorized, exitWithStdin, intParam, listen, outcome, pageLinks, queryObject, readBody, send } from './http.mjs';
import { loadDefinitions, loadWorld, strictProblem } from './world.mjs';

const maxBody = 1 << 20;

async function main() {
  const [file, portArg] = process.argv.slice(2);
  const token = process.env.MEDPLUM_BEARER_TOKEN ?? '';
  const introspection = process.env.MEDPLUM_INTROSPECTION_URL;
  if (!file || (token === '' && !introspection)) {
    throw new Error('usage: MEDPLUM_BEARER_TOKEN=... node server.mjs RESOURCES.json [PORT]');
  }
  exitWithStdin();
  const started = performance.now();
  loadDefinitions();
  const world = await loadWorld(file);
  const router = new FhirRouter();
  const ctx = { router, repo: world.repo, auth: Buffer.from('Bearer ' + token), metadata: capabilityStatement(world.types) };
  const base = await listen(portArg, (req, res) => handle(ctx, req, res), 'medplum wrapper');
  ctx.base = base;
  if (introspection) {
    const basic = Buffer.from(`${process.env.MEDPLUM_INTROSPECTION_CLIENT}:${process.env.MEDPLUM_INTROSPECTION_SECRET}`);
    ctx.introspect = { url: introspection, auth: 'Basic ' + basic.toString('base64') };
  }
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
  if (path === '.well-known/smart-configuration' && process.env.MEDPLUM_TOKEN_ENDPOINT) {
    return send(res, 200, {
      token_endpoint: process.env.MEDPLUM_TOKEN_ENDPOINT, grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'], capabilities: ['client-confidential-asymmetric'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'], scopes_supported: ['system/*.rs'],
    });
  }
  if (!(ctx.introspect ? await introspected(ctx, req) : authorized(ctx, req))) {
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
    Object.assign(query, queryObject(new URLSearchParams(await readBody(req, maxBody))));
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


// introspected asks the authorization server whether the bearer token is active with a
// system/ scope.
async function introspected(ctx, req) {
  const [scheme, token] = String(req.headers.authorization ?? '').split(' ');
  if (scheme !== 'Bearer' || !token) return false;
  const answer = await fetch(ctx.introspect.url, {
    method: 'POST', body: new URLSearchParams({ token }),
    headers: { authorization: ctx.introspect.auth, 'content-type': 'application/x-www-form-urlencoded' },
  });
  const info = answer.ok ? await answer.json() : {};
  return info.active === true && String(info.scope ?? '').split(' ').some((s) => s.startsWith('system/'));
}

// strictHandling reports whether the request carries "Prefer: handling=strict".
function strictHandling(req) {
  return String(req.headers.prefer ?? '')
    .split(',')
    .some((p) => p.trim().toLowerCase() === 'handling=strict');
}






main().catch((err) => {
  console.error('medplum:', err.message ?? err);
  process.exit(1);
});
