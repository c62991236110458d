// The http_server config: loopback by default, the token from ${ENV} or a file, unknown keys refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigText } from '../../../../core/config/load.js';
import { registerAll } from '../../../../cli/components.js';
import { bearerAuthorizer, loadToken } from '../../../../agent/sources/http/auth.js';
import type { HttpServerConfig } from '../../../../agent/sources/http/config.js';

registerAll();
const dir = mkdtempSync(join(tmpdir(), 'flowlog-http-cfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const yaml = (src: string) => `sources:\n  ingest:\n    type: http_server\n${src}sinks:\n  out:\n    type: console\n    inputs: [ingest]\n`;

describe('http_server config', () => {
  it('binds 127.0.0.1:8080 by default and takes the token from ${ENV}', () => {
    const cfg = loadConfigText(yaml('    auth:\n      token: ${INGEST_TOKEN}\n'), join(dir, 'a.yaml'), { env: { INGEST_TOKEN: 'from-the-environment-123' } });
    const opts = cfg.components[0]!.options as HttpServerConfig;
    expect(opts.address).toBe('127.0.0.1:8080');
    expect(opts.auth).toEqual({ token: 'from-the-environment-123' });
    expect(opts.max_body_bytes).toBe(10 * 1024 * 1024);
    expect(opts.decoding.codec).toBe('auto');
  });

  it('refuses unknown keys, short tokens and both token and token_file, naming the line', () => {
    expect(() => loadConfigText(yaml('    max_body_size: 10\n'), 'b.yaml')).toThrow(/b\.yaml:4:5: sources\.ingest\.max_body_size: unknown key/);
    expect(() => loadConfigText(yaml('    auth:\n      token: short\n'), 'c.yaml')).toThrow(/at least 16 characters/);
    expect(() => loadConfigText(yaml('    auth:\n      token: aaaaaaaaaaaaaaaaaaaa\n      token_file: t\n'), 'd.yaml')).toThrow(/exactly one of token or token_file/);
  });

  it('reads token_file relative to the config directory; the authorizer accepts only that token', () => {
    writeFileSync(join(dir, 'token'), 'file-token-abcdefghijkl\n', { mode: 0o600 });
    const token = loadToken({ token_file: 'token' }, dir);
    expect(token).toBe('file-token-abcdefghijkl');
    const auth = bearerAuthorizer(token);
    expect(auth('Bearer file-token-abcdefghijkl')).toBe(true);
    expect(auth('bearer file-token-abcdefghijkl')).toBe(true);
    expect(auth('Bearer file-token-abcdefghijk')).toBe(false);
    expect(auth(undefined)).toBe(false);
    expect(() => loadToken({ token_file: 'missing' }, dir)).toThrow(/cannot read/);
  });
});
