// Checks an OIDC access token (a JWT) against one issuer: the codec server decrypts for whoever it
// believes, so in production it believes only tokens its issuer signed for its audience. Discovery gives
// the issuer's JWKS; RS256 and ES256 only (never `none`, never HMAC: a public key is not a shared secret).
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface OidcOptions {
  issuer: string;
  audience: string;
  /** Clock skew tolerated on exp/nbf. */
  leewaySeconds?: number;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface TokenClaims {
  iss: string;
  sub?: string;
  email?: string;
  aud: string | string[];
  exp: number;
  [claim: string]: unknown;
}

/** Why a token was refused; the message is safe to log and to return (it holds no token). */
export class TokenRejected extends Error {}

interface Jwk extends JsonWebKey {
  kid?: string;
  use?: string;
  alg?: string;
}

const algorithms: Record<string, { kty: string; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { kty: 'RSA' },
  // JWS carries ECDSA signatures as r ‖ s, not DER.
  ES256: { kty: 'EC', dsaEncoding: 'ieee-p1363' },
};

function base64urlJson(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new TokenRejected(`token ${what} is not a base64url JSON object`);
}

export class OidcVerifier {
  private readonly issuer: string;
  private readonly leeway: number;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private jwks?: Promise<Map<string, { jwk: Jwk; key: KeyObject }>>;
  private jwksFetchedAt = 0;

  constructor(private readonly options: OidcOptions) {
    this.issuer = options.issuer.replace(/\/+$/, '');
    this.leeway = options.leewaySeconds ?? 60;
    this.now = options.now ?? (() => Date.now() / 1000);
    this.fetch = options.fetch ?? fetch;
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    const response = await this.fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  }

  private async loadKeys(): Promise<Map<string, { jwk: Jwk; key: KeyObject }>> {
    const discovery = await this.getJson(`${this.issuer}/.well-known/openid-configuration`);
    // The discovery document must be the issuer's own (OpenID Connect Discovery §4.3).
    if (String(discovery.issuer ?? '').replace(/\/+$/, '') !== this.issuer)
      throw new Error(`discovery document names issuer ${String(discovery.issuer)}, not ${this.issuer}`);
    if (typeof discovery.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    const { keys } = (await this.getJson(discovery.jwks_uri)) as { keys?: Jwk[] };
    const byKid = new Map<string, { jwk: Jwk; key: KeyObject }>();
    for (const jwk of keys ?? []) {
      if (jwk.use && jwk.use !== 'sig') continue;
      try {
        byKid.set(jwk.kid ?? '', { jwk, key: createPublicKey({ key: jwk, format: 'jwk' }) });
      } catch {
        // A key this runtime cannot read is skipped; tokens naming it are refused as unknown.
      }
    }
    return byKid;
  }

  /** The issuer's keys; fetched again when a token names an unknown kid (key rotation), at most every 30 s. */
  private async keyFor(kid: string): Promise<{ jwk: Jwk; key: KeyObject } | undefined> {
    const stale = this.now() - this.jwksFetchedAt > 30;
    if (!this.jwks || (stale && !(await this.jwks.catch(() => new Map())).has(kid))) {
      this.jwksFetchedAt = this.now();
      this.jwks = this.loadKeys();
    }
    let keys: Map<string, { jwk: Jwk; key: KeyObject }>;
    try {
      keys = await this.jwks;
    } catch (err) {
      this.jwks = undefined; // try again on the next request rather than caching the failure
      throw new TokenRejected(`cannot read the issuer's keys: ${(err as Error).message}`);
    }
    return keys.get(kid);
  }

  /** The token's claims when it is valid now for this issuer and audience; TokenRejected otherwise. */
  async verify(token: string): Promise<TokenClaims> {
    const parts = token.split('.');
    if (parts.length !== 3) throw new TokenRejected('not a JWT (expected three dot-separated parts)');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = base64urlJson(headerPart, 'header');
    const alg = String(header.alg);
    const algorithm = algorithms[alg];
    if (!algorithm) throw new TokenRejected(`token algorithm ${alg} is not accepted (RS256 or ES256)`);
    const kid = typeof header.kid === 'string' ? header.kid : '';
    const found = await this.keyFor(kid);
    if (!found) throw new TokenRejected(`token key ${kid || '(no kid)'} is not one of the issuer's keys`);
    if (found.jwk.kty !== algorithm.kty || (found.jwk.alg && found.jwk.alg !== alg))
      throw new TokenRejected(`token algorithm ${alg} does not match key ${kid}`);
    const signed = verify(
      'sha256',
      Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'),
      algorithm.dsaEncoding ? { key: found.key, dsaEncoding: algorithm.dsaEncoding } : found.key,
      Buffer.from(signaturePart, 'base64url'),
    );
    if (!signed) throw new TokenRejected('token signature does not verify');
    const claims = base64urlJson(payloadPart, 'payload');
    if (String(claims.iss ?? '').replace(/\/+$/, '') !== this.issuer)
      throw new TokenRejected(`token issuer ${String(claims.iss)} is not ${this.issuer}`);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(this.options.audience))
      throw new TokenRejected(`token audience is not ${this.options.audience}`);
    const now = this.now();
    if (typeof claims.exp !== 'number') throw new TokenRejected('token has no expiry (exp)');
    if (claims.exp <= now - this.leeway) throw new TokenRejected('token has expired');
    if (typeof claims.nbf === 'number' && claims.nbf > now + this.leeway)
      throw new TokenRejected('token is not valid yet (nbf)');
    return claims as TokenClaims;
  }
}
