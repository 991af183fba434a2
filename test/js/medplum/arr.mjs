// An Audit Record Repository for the gateway's end-to-end tests: Medplum's FHIR router and
// in-memory repository (@medplum/fhir-router 4.5.2) behind a small node:http wrapper, accepting
// AuditEvents as IHE RESTful ATNA's Record Audit Event [ITI-20] does (a FHIR create, or a batch
// or transaction Bundle of creates, honouring If-None-Exist) and answering searches and reads of
// them (Retrieve Audit Event [ITI-81]).
//
//   MEDPLUM_BEARER_TOKEN=secret node arr.mjs [PORT]
//
// It listens on 127.0.0.1 and prints its FHIR base URL on one stdout line once ready. Every
// request except GET /fhir/metadata needs "Authorization: Bearer $MEDPLUM_BEARER_TOKEN". Every
// AuditEvent is checked with Medplum's validateResource against the R4 structure definitions
// before it is stored, as a Medplum server validates on create (the MemoryRepository alone does
// not): an invalid one is refused with 400 and Medplum's issues, and a Bundle holding one is
// refused whole. With MEDPLUM_EXIT_WITH_STDIN set it exits when its standard input closes.

import { badRequest, getStatus, notFound, OperationOutcomeError, unauthorized, validateResource } from '@medplum/core';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { authorized, exitWithStdin, intParam, listen, outcome, pageLinks, queryObject, readBody, send } from './http.mjs';
import { loadDefinitions } from './world.mjs';

const maxBody = 32 << 20;
const maxCount = 1000;

async function main() {
  const token = process.env.MEDPLUM_BEARER_TOKEN ?? '';
  if (token === '') {
    throw new Error('usage: MEDPLUM_BEARER_TOKEN=... node arr.mjs [PORT]');
  }
  exitWithStdin();
  loadDefinitions();
  const ctx = { router: new FhirRouter(), repo: new MemoryRepository(), auth: Buffer.from('Bearer ' + token) };
  ctx.base = await listen(process.argv[2], (req, res) => handle(ctx, req, res), 'medplum ARR');
  console.error('medplum ARR: ready');
  console.log(ctx.base);
}

// handle answers one request.
async function handle(ctx, req, res) {
  const url = new URL(req.url, ctx.base);
  const path = url.pathname.replace(/^\/fhir\/?/, '');
  if (path === url.pathname) {
    return send(res, 404, notFound);
  }
  if (path === 'metadata' && req.method === 'GET') {
    return send(res, 200, capability);
  }
  if (!authorized(ctx, req)) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="arr"');
    return send(res, 401, unauthorized);
  }
  if (req.method === 'POST' && (path === '' || path === 'AuditEvent')) {
    return record(ctx, req, res, path);
  }
  const segments = path.split('/');
  if (req.method === 'GET' && segments[0] === 'AuditEvent' && segments.length <= 2) {
    return segments.length === 1 ? search(ctx, res, url.searchParams) : route(ctx, res, 'GET', path);
  }
  res.setHeader('Allow', 'GET, POST');
  return send(res, 405, outcome('not-supported', `${req.method} /${path} is not supported by this Audit Record Repository`));
}

// record stores one AuditEvent (POST /AuditEvent, with If-None-Exist) or a Bundle of them.
async function record(ctx, req, res, path) {
  let body;
  try {
    body = JSON.parse(await readBody(req, maxBody));
  } catch (err) {
    return send(res, 400, outcome('invalid', `The body is not JSON: ${err.message}`));
  }
  const problem = path === '' ? checkBundle(body) : checkAuditEvent(body, 'AuditEvent');
  if (problem) {
    return send(res, 400, problem);
  }
  const headers = { 'if-none-exist': req.headers['if-none-exist'] };
  return route(ctx, res, 'POST', path, body, headers);
}

// checkBundle refuses a Bundle that is not a batch or transaction of AuditEvent creates, or that
// holds an invalid AuditEvent.
function checkBundle(bundle) {
  if (bundle?.resourceType !== 'Bundle' || !['batch', 'transaction'].includes(bundle.type) || !bundle.entry?.length) {
    return badRequest('Want a batch or transaction Bundle of AuditEvent creates');
  }
  for (const [i, entry] of bundle.entry.entries()) {
    if (entry.request?.method !== 'POST' || entry.request?.url !== 'AuditEvent') {
      return badRequest(`Bundle.entry[${i}]: only POST AuditEvent is accepted`);
    }
    const problem = checkAuditEvent(entry.resource, `Bundle.entry[${i}].resource`);
    if (problem) {
      return problem;
    }
  }
  return undefined;
}

// checkAuditEvent validates one resource against the R4 AuditEvent structure.
function checkAuditEvent(resource, where) {
  if (resource?.resourceType !== 'AuditEvent') {
    return badRequest(`${where}: not an AuditEvent`);
  }
  try {
    validateResource(resource);
    return undefined;
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      for (const issue of err.outcome.issue) {
        issue.details = { text: `${where}: ${issue.details?.text ?? ''} (${(issue.expression ?? []).join(', ')})` };
      }
      return err.outcome;
    }
    throw err;
  }
}

// search answers GET /AuditEvent?… with paging links, up to 1000 a page.
async function search(ctx, res, params) {
  const query = queryObject(params);
  const count = Math.min(intParam(query._count) ?? 20, maxCount);
  const offset = intParam(query._offset) ?? 0;
  const paged = { ...query, _count: String(count), _offset: String(offset) };
  const [result, bundle] = await ctx.router.handleRequest(request('GET', 'AuditEvent', undefined, paged), ctx.repo);
  if (bundle?.resourceType === 'Bundle') {
    bundle.link = pageLinks(ctx.base, 'AuditEvent', paged, count, offset, bundle.total);
  }
  return send(res, getStatus(result), bundle ?? result);
}

// route hands a request to Medplum's router and sends its answer.
async function route(ctx, res, method, url, body, headers = {}) {
  const [result, resource] = await ctx.router.handleRequest(request(method, url, body, {}, headers), ctx.repo);
  return send(res, getStatus(result), resource ?? result);
}

function request(method, url, body, query = {}, headers = {}) {
  return { method, url, pathname: '', body, params: {}, query, headers };
}

const capability = {
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-11-24',
  kind: 'instance',
  fhirVersion: '4.0.1',
  format: ['json'],
  rest: [
    {
      mode: 'server',
      resource: [{ type: 'AuditEvent', interaction: [{ code: 'create' }, { code: 'read' }, { code: 'search-type' }], conditionalCreate: true }],
      interaction: [{ code: 'batch' }, { code: 'transaction' }],
    },
  ],
};

main().catch((err) => {
  console.error('medplum ARR:', err.message ?? err);
  process.exit(1);
});
