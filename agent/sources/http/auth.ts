// Bearer-token auth. The token comes from the config (`${ENV}` interpolated by the loader) or a file;
// it is compared in constant time (both sides hashed to equal length first) and never logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FlowlogError } from '../../../core/errors.js';

export type Authorizer = (header: string | undefined) => boolean;

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The token from config: inline or the first line of token_file (relative to the config dir). */
export function loadToken(auth: { token?: string; token_file?: string }, configDir: string): string {
  if (auth.token !== undefined) return auth.token;
  const file = resolve(configDir, auth.token_file!);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FlowlogError('CONFIG_READ', `http_server auth.token_file ${file}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (token.length < 16) throw new FlowlogError('CONFIG_INVALID', `http_server auth.token_file ${file}: the token must be at least 16 characters`);
  return token;
}

/** Checks `Authorization: Bearer <token>`; with no token configured every request passes. */
export function bearerAuthorizer(token: string | undefined): Authorizer {
  if (token === undefined) return () => true;
  const want = digest(token);
  return (header) => {
    if (!header) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m) return false;
    return timingSafeEqual(digest(m[1]!), want);
  };
}
