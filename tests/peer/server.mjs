// panva's oidc-provider (OpenID Certified) configured as the peer of the client tests.
//
//   PORT=8765 node server.mjs
//
// The fixed clients below use secrets (or none); the tests register the clients that
// sign with keys (private_key_jwt, JAR, FAPI 2.0) through dynamic registration, with
// keys they generate, so no private key lives in the repository. The provider's own
// signing keys are generated at start. Users log in through the provider's
// devInteractions pages (any login, any password); consent is granted automatically,
// so tests drive the login form only.
import { generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';

// Node 18 (Debian bookworm's) has WebCrypto only under node:crypto; jose, which
// oidc-provider signs with, wants it global. Newer Node has it already.
globalThis.crypto ??= webcrypto;
const { default: Provider } = await import('oidc-provider');

const port = Number(process.env.PORT || 0);
if (!port) throw new Error('PORT is required');
const issuer = `http://127.0.0.1:${port}`;

const signingKey = (type, options, kid, alg) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig',
});
const providerKeys = [
  signingKey('ec', { namedCurve: 'P-256' }, 'peer-es256', 'ES256'),
  signingKey('rsa', { modulusLength: 2048 }, 'peer-rs256', 'RS256'),
];

const redirect = 'http://127.0.0.1/cb';
const codeFlow = {
  redirect_uris: [redirect],
  grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
  response_types: ['code'],
  scope: 'openid email profile offline_access api',
};
const secret = 'peer-secret-that-is-long-enough-for-hs256-0123456789';

const clients = [
  { client_id: 'basic', client_secret: secret, token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'post', client_secret: secret, token_endpoint_auth_method: 'client_secret_post' },
  { client_id: 'secret-jwt', client_secret: secret, token_endpoint_auth_method: 'client_secret_jwt' },
  {
    client_id: 'public',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
  },
  {
    client_id: 'par-only', client_secret: secret, token_endpoint_auth_method: 'client_secret_basic',
    require_pushed_authorization_requests: true,
  },
  {
    // A public client's refresh tokens are DPoP-bound (RFC 9449 §5); a confidential one's are not.
    client_id: 'dpop-public', token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'], dpop_bound_access_tokens: true,
  },
].map((client) => ({ ...codeFlow, ...client }));

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: providerKeys },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true, name: sub }),
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile', 'offline_access', 'api'],
  // Consent is not what the tests are about: grant what was asked, once logged in.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.requestParamScopes ? [...ctx.oidc.requestParamScopes].join(' ') : 'openid');
    grant.addOIDCClaims(['sub', 'email', 'email_verified', 'name']);
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  pkce: { required: () => true },
  // oidc-provider refuses to call special-use addresses (SSRF protection); the test
  // receivers of back-channel logouts are on 127.0.0.1, so this peer may call them.
  fetch: (url, { dispatcher, ...options }) => fetch(url, options),
  features: {
    devInteractions: { enabled: true },
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
    pushedAuthorizationRequests: { enabled: true },
    requestObjects: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    deviceFlow: { enabled: true },
    registration: { enabled: true },
    clientCredentials: { enabled: true },
    // The provider enforces FAPI 2.0 for clients registered with client_name fapi2.
    fapi: { enabled: true, profile: (_ctx, client) => (client?.clientName === 'fapi2' ? '2.0' : undefined) },
  },
  enabledJWA: {
    clientAuthSigningAlgValues: ['HS256', 'ES256', 'PS256', 'RS256', 'EdDSA'],
    requestObjectSigningAlgValues: ['ES256', 'PS256', 'EdDSA'],
    idTokenSigningAlgValues: ['ES256', 'RS256', 'PS256'],
    dPoPSigningAlgValues: ['ES256', 'EdDSA', 'PS256'],
  },
  clientDefaults: { id_token_signed_response_alg: 'RS256' },
});

// Failures the tests would otherwise only see as a missing request.
provider.on('backchannel.error', (_ctx, err, client) => {
  console.error(`backchannel.error ${client.clientId}: ${err} ${err.cause ?? ""}`);
});
provider.on('server_error', (_ctx, err) => console.error(`server_error: ${err.stack}`));

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ${issuer} ready`);
});
