// A real single-node Apache Kafka 4.3.1 broker (KRaft broker+controller) on loopback, for tests and
// benchmarks. The jars come from Maven Central through scripts/kafka-fetch.mjs; nothing here is a mock.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
export const KAFKA_LIB = join(root, '.cache', 'kafka', 'lib');

export interface BrokerOptions {
  /** Extra server.properties lines (e.g. a SASL listener). */
  extraProperties?: Record<string, string>;
  /** Extra listeners as NAME://127.0.0.1:PORT entries with their security protocol. */
  extraListeners?: { name: string; port: number; protocol: string }[];
  /** Fixed PLAINTEXT port (for restart tests); a free port is chosen otherwise. */
  port?: number;
  /** Reuse an existing data directory (restart of a stopped broker keeps its topics). */
  dataDir?: string;
  /** Extra arguments for `kafka-storage format` (e.g. --add-scram). */
  formatArgs?: string[];
  /** JVM heap, default 512m. */
  heap?: string;
}

export interface RunningBroker {
  bootstrap: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  logFile: string;
  pid: number;
  stop(opts?: { keepData?: boolean }): Promise<void>;
  kill(): void;
}

/** Why a broker cannot run here, or null when Java and the jars are present. */
export function brokerUnavailableReason(): string | null {
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error || java.status !== 0) return 'Java 17+ is not installed (apt-get install -y openjdk-17-jre-headless)';
  if (!existsSync(join(KAFKA_LIB, '.complete'))) return 'Kafka jars missing: run `node scripts/kafka-fetch.mjs` (needs Maven)';
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function java(args: string[], opts: { heap?: string } = {}): string[] {
  return [
    `-Xmx${opts.heap ?? '512m'}`,
    `-Xms128m`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j2.configurationFile=${join(here, 'log4j2.properties')}`,
    '-cp',
    `${KAFKA_LIB}/*`,
    ...args,
  ];
}

export async function startBroker(opts: BrokerOptions = {}): Promise<RunningBroker> {
  const reason = brokerUnavailableReason();
  if (reason) throw new Error(reason);
  const fresh = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'flowlog-kafka-'));
  const port = opts.port ?? (await freePort());
  const propsFile = join(dataDir, 'server.properties');
  let controllerPort: number;
  if (!fresh && existsSync(propsFile)) {
    controllerPort = Number(/CONTROLLER:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(propsFile, 'utf8'))?.[1]);
  } else {
    controllerPort = await freePort();
  }
  const listeners = [`PLAINTEXT://127.0.0.1:${port}`, `CONTROLLER://127.0.0.1:${controllerPort}`];
  const advertised = [`PLAINTEXT://127.0.0.1:${port}`];
  const protoMap = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT'];
  for (const l of opts.extraListeners ?? []) {
    listeners.push(`${l.name}://127.0.0.1:${l.port}`);
    advertised.push(`${l.name}://127.0.0.1:${l.port}`);
    protoMap.push(`${l.name}:${l.protocol}`);
  }
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: listeners.join(','),
    'advertised.listeners': advertised.join(','),
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': protoMap.join(','),
    'log.dirs': join(dataDir, 'logs'),
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'true',
    'log.flush.interval.messages': '9223372036854775807',
    ...opts.extraProperties,
  };
  writeFileSync(
    propsFile,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  if (fresh || !existsSync(join(dataDir, 'logs', 'meta.properties'))) {
    const id = spawnSync('java', java(['kafka.tools.StorageTool', 'random-uuid'], { heap: '128m' }), { encoding: 'utf8' });
    if (id.status !== 0) throw new Error(`kafka StorageTool random-uuid failed: ${id.stderr}`);
    const clusterId = id.stdout.trim().split('\n').pop()!.trim();
    const fmt = spawnSync(
      'java',
      java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, ...(opts.formatArgs ?? [])], { heap: '128m' }),
      { encoding: 'utf8' },
    );
    if (fmt.status !== 0) throw new Error(`kafka StorageTool format failed: ${fmt.stderr}${fmt.stdout}`);
  }
  const logFile = join(dataDir, 'broker.log');
  const out = createWriteStream(logFile, { flags: 'a' });
  const child: ChildProcess = spawn('java', java(['kafka.Kafka', propsFile], { heap: opts.heap }), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const deadline = Date.now() + 90_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`Kafka broker exited during start; see ${logFile}:\n${tail(logFile)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Kafka broker did not listen on ${port} within 90 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const broker: RunningBroker = {
    bootstrap: `127.0.0.1:${port}`,
    port,
    controllerPort,
    dataDir,
    logFile,
    pid: child.pid!,
    async stop({ keepData = false } = {}) {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exitPromise;
        clearTimeout(t);
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
  return broker;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}
