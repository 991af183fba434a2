// The CapabilityStatement of the Medplum upstream: the loaded types with the interactions the
// wrapper answers and the search parameters Medplum's definitions give each of them.

import { readFileSync } from 'node:fs';
import { getSearchParameters } from '@medplum/core';

const routerVersion = JSON.parse(
  readFileSync(new URL('./node_modules/@medplum/fhir-router/package.json', import.meta.url), 'utf8')
).version;

// capabilityStatement describes a read-only server of types.
export function capabilityStatement(types) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'Medplum fhir-router MemoryRepository (test upstream)', version: routerVersion },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        resource: types.map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'search-type' }],
          searchParam: Object.entries(getSearchParameters(type) ?? {}).map(([name, p]) => ({ name, type: p.type })),
        })),
      },
    ],
  };
}
