// A certified OpenID Provider this project did not write, panva oidc-provider 9, for the
// gateway's production-mode tests:
//
//   node server.mjs CONFIG.json
//
// CONFIG.json: {"port": 0, "clients": [...oidc-provider client metadata...],
// "accounts": {"<login>": {<claims>}}, "scopes": [...], "claims": {"<scope>": ["<claim>"]},
// "ttl": {"ClientCredentials": 300}}. It listens on 127.0.0.1 and prints its issuer URL on
// one stdout line once ready; it exits when its standard input closes.
//
// The same program plays two parts: the clinicians' identity provider (authorization code with
// its own development login and consent forms; any password is accepted for a configured
// login) and the EHR's authorization server for SMART Backend Services (client_credentials
// with private_key_jwt, opaque tokens checked through introspection).

import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

const server = http.createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients,
  scopes: config.scopes ?? ['openid'],
  claims: { openid: ['sub'], ...(config.claims ?? {}) },
  async findAccount(_ctx, sub) {
    const claims = config.accounts?.[sub];
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
  },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  enabledJWA: { clientAuthSigningAlgValues: ['RS384', 'ES384', 'RS256'] },
  pkce: { required: () => true },
  // Claims of the granted scopes go into the ID token too (as hospital IdPs commonly send an
  // NPI or employee number), not only to the userinfo endpoint.
  conformIdTokenClaims: false,
  ttl: { ClientCredentials: 300, ...(config.ttl ?? {}) },
  cookies: { keys: ['mypatients-test-cookie-key-not-a-secret'] },
});
provider.on('server_error', (_ctx, err) => console.error('oidc-provider: server error:', err));
provider.on('grant.error', (_ctx, err) => console.error('oidc-provider: grant error:', err.message, err.error_description ?? ''));
server.on('request', provider.callback());
console.error(`oidc-provider: listening at ${issuer}`);
console.log(issuer);
