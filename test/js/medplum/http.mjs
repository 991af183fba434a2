// What both Node servers of the tests share: the Medplum upstream (server.mjs) and the Audit
// Record Repository (arr.mjs). Plain node:http helpers around Medplum's FHIR router.

import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { normalizeOperationOutcome } from '@medplum/core';

const fhirJSON = 'application/fhir+json; charset=utf-8';

// pageLinks returns absolute links repeating the search with each page's _count and _offset.
export function pageLinks(base, type, query, count, offset, total) {
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
export function authorized(ctx, req) {
  const got = Buffer.from(req.headers.authorization ?? '');
  return got.length === ctx.auth.length && timingSafeEqual(got, ctx.auth);
}

// queryObject turns URL parameters into the router's shape: a string, or an array when repeated.
export function queryObject(params) {
  const out = Object.create(null);
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

export function intParam(v) {
  const s = [v].flat().at(-1);
  if (s === undefined || !/^\d+$/.test(s)) {
    return undefined;
  }
  return parseInt(s, 10);
}

export async function readBody(req, maxBody) {
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
export function outcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

export function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': fhirJSON });
  res.end(JSON.stringify(body));
}

// exitWithStdin makes the process exit when its standard input closes, if MEDPLUM_EXIT_WITH_STDIN
// is set: the test that started us holds our stdin open, and when it dies without cleaning up (a
// test timeout, a closed pipe, SIGKILL) stdin closes and we go too, instead of lingering.
export function exitWithStdin() {
  if (process.env.MEDPLUM_EXIT_WITH_STDIN) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
}

// listen serves handle on 127.0.0.1 (portArg, else $MEDPLUM_PORT, else a free port) and returns
// the absolute FHIR base URL. An error handle throws is answered 500 with an OperationOutcome.
export async function listen(portArg, handle, name) {
  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(portArg ?? process.env.MEDPLUM_PORT ?? 0), '127.0.0.1', resolve);
  });
  server.on('request', (req, res) => {
    handle(req, res).catch((err) => {
      console.error(`${name}:`, err);
      send(res, 500, normalizeOperationOutcome(err));
    });
  });
  return `http://127.0.0.1:${server.address().port}/fhir`;
}
