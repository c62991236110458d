// Sequence-numbered log lines written to rotating files, and a running Kafka reader that counts which
// sequence numbers arrived (and how often), for the end-to-end "nothing lost" tests.
import { appendFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { registerCodecs } from '../../agent/sinks/kafka/codecs.js';

const { Kafka, logLevel } = kafkajs;

const PAD = 'p'.repeat(150);

/** Writes lines `seq=<n> ...` into dir/app.log, renaming it to app.log.<k> every `rotateEvery` lines. */
export class SeqWriter {
  next = 0;
  rotations = 0;
  private inFile = 0;

  constructor(
    private readonly dir: string,
    private readonly rotateEvery: number,
  ) {}

  get current(): string {
    return join(this.dir, 'app.log');
  }

  /** Appends `n` lines (in chunks, rotating when due). */
  write(n: number): void {
    let left = n;
    while (left > 0) {
      const take = Math.min(left, this.rotateEvery - this.inFile, 5000);
      let s = '';
      for (let i = 0; i < take; i++) s += `ts=${Date.now()} level=info seq=${this.next++} msg="${PAD}"\n`;
      appendFileSync(this.current, s);
      left -= take;
      this.inFile += take;
      if (this.inFile >= this.rotateEvery) {
        renameSync(this.current, join(this.dir, `app.log.${++this.rotations}`));
        this.inFile = 0;
      }
    }
  }

  /** Writes `total` lines at about `perSecond`, yielding between chunks so the test can do other things. */
  async writePaced(total: number, perSecond: number, signal?: AbortSignal): Promise<void> {
    const start = Date.now();
    const chunk = Math.max(100, Math.floor(perSecond / 20));
    const end = this.next + total;
    while (this.next < end && !signal?.aborted) {
      this.write(Math.min(chunk, end - this.next));
      const due = start + ((this.next - (end - total)) / perSecond) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    }
  }
}

/** Counts `seq=<n>` occurrences in every message of a topic, from the beginning, while it runs. */
export class SeqReader {
  readonly counts: Uint16Array;
  distinct = 0;
  total = 0;
  private consumer: ReturnType<InstanceType<typeof Kafka>['consumer']>;
  private readonly kafka: InstanceType<typeof Kafka>;

  constructor(bootstrap: string, private readonly topic: string, size: number) {
    registerCodecs();
    this.counts = new Uint16Array(size);
    const kafka = (this.kafka = new Kafka({ clientId: 'seq-reader', brokers: [bootstrap], logLevel: logLevel.NOTHING }));
    this.consumer = kafka.consumer({ groupId: `seq-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`, maxBytes: 32 << 20 });
  }

  /** Creates the topic (2 partitions) when missing, then reads it from the beginning. */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: this.topic, numPartitions: 2 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    const re = / seq=(\d+) /g;
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const s = m.value?.toString('utf8') ?? '';
          re.lastIndex = 0;
          for (let r = re.exec(s); r; r = re.exec(s)) {
            const n = Number(r[1]);
            if (n >= this.counts.length) continue;
            if (this.counts[n] === 0) this.distinct++;
            if (this.counts[n]! < 65535) this.counts[n]!++;
            this.total++;
          }
        }
      },
    });
  }

  /** Waits until `n` distinct sequence numbers arrived or `timeoutMs` passed; returns whether they did. */
  async waitFor(n: number, timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.distinct < n && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    return this.distinct >= n;
  }

  missing(upTo: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < upTo; i++) if (this.counts[i] === 0) out.push(i);
    return out;
  }

  duplicates(): number {
    let d = 0;
    for (let i = 0; i < this.counts.length; i++) if (this.counts[i]! > 1) d += this.counts[i]! - 1;
    return d;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
