// A real S3 API server for tests: S3Proxy (Maven Central org.gaul:s3proxy, filesystem backend) on a
// loopback port, with AWS SigV4 authentication on. Jars come from scripts/s3proxy-fetch.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../kafka/broker.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const S3PROXY_LIB = join(root, '.cache', 's3proxy', 'lib');

export interface RunningS3 {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  baseDir: string;
  port: number;
  dir: string;
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export function s3proxyUnavailableReason(): string | null {
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0) return 'Java 17+ is not installed';
  if (!existsSync(join(S3PROXY_LIB, '.complete'))) return 'S3Proxy jars missing: run `node scripts/s3proxy-fetch.mjs` (needs Maven)';
  return null;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

export interface S3ProxyOptions {
  /** Restart on the same port and data (after stop({keepData: true})). */
  port?: number;
  dir?: string;
  secretKey?: string;
}

export async function startS3Proxy(opts: S3ProxyOptions = {}): Promise<RunningS3> {
  const reason = s3proxyUnavailableReason();
  if (reason) throw new Error(reason);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'flowlog-s3proxy-'));
  const baseDir = join(dir, 'data');
  mkdirSync(baseDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const accessKey = 'flowlog-test-access';
  const secretKey = opts.secretKey ?? 'flowlog-test-secret-' + Math.random().toString(36).slice(2);
  const props = join(dir, 's3proxy.properties');
  writeFileSync(
    props,
    [
      's3proxy.authorization=aws-v4',
      `s3proxy.identity=${accessKey}`,
      `s3proxy.credential=${secretKey}`,
      `s3proxy.endpoint=http://127.0.0.1:${port}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${baseDir}`,
    ].join('\n') + '\n',
  );
  const log = join(dir, 's3proxy.log');
  // output straight to a file: a pipe would block S3Proxy whenever the test's event loop is busy
  // (e.g. in spawnSync), and its default logging is verbose
  const fd = openSync(log, 'a');
  const child = spawn('java', ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', `${S3PROXY_LIB}/*`, 'org.gaul.s3proxy.Main', '--properties', props], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  closeSync(fd);
  let exited = false;
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const deadline = Date.now() + 60_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`S3Proxy exited during start:\n${readFileSync(log, 'utf8').slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`S3Proxy did not listen within 60 s; see ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKey,
    secretKey,
    baseDir,
    port,
    dir,
    async stop({ keepData = false } = {}) {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(t);
      }
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
}
