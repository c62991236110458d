// kill -9 in the middle of tailing (and of a rotation): the source runs in a child process that
// commits each batch with its checkpoints in one append (as the spool commits events and
// checkpoints in one transaction). The child is killed with SIGKILL twice while a writer appends
// ~2,000 numbered lines/s and the file is rotated; each restart resumes from the last committed
// checkpoints. Every sequence number must be committed exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, until } from '../harness.js';

const script = fileURLToPath(new URL('./fixtures/commit-log-source.ts', import.meta.url));
let children: ChildProcess[] = [];
let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children = [];
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Committed batches: complete lines only (a torn last line is an uncommitted transaction). */
function readCommits(path: string): { seqs: number[]; checkpoints: Record<string, string> } {
  const seqs: number[] = [];
  const checkpoints: Record<string, string> = {};
  if (!existsSync(path)) return { seqs, checkpoints };
  const text = readFileSync(path, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const line of complete.split('\n')) {
    if (!line) continue;
    const rec = JSON.parse(line) as { s: number[]; c: Record<string, string> };
    seqs.push(...rec.s);
    Object.assign(checkpoints, rec.c);
  }
  return { seqs, checkpoints };
}

describe('file source across kill -9', () => {
  it('commits every line exactly once across two SIGKILLs and a rotation', async () => {
    const { dir, cleanup: rm } = tempDir();
    cleanup.push(rm);
    const path = join(dir, 'app.log');
    const commitLog = join(dir, 'commits.ndjson');
    let fd = openSync(path, 'a');
    let seq = 0;
    const timer = setInterval(() => {
      let s = '';
      for (let i = 0; i < 20; i++) s += `seq=${seq++} ${'k'.repeat(40)}\n`;
      writeSync(fd, s);
    }, 10);
    cleanup.push(() => clearInterval(timer));
    const startChild = async (cpFile: string) => {
      const c = spawn(process.execPath, ['--import', 'tsx', script, path, commitLog, cpFile], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(c);
      let out = '';
      c.stdout!.on('data', (d) => (out += d));
      await until(() => out.includes('ready'), 60_000, 'child ready');
      return c;
    };
    const killAndCheckpoint = async (c: ChildProcess, n: number) => {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
      const cpFile = join(dir, `cp-${n}.json`);
      writeFileSync(cpFile, JSON.stringify(readCommits(commitLog).checkpoints));
      return cpFile;
    };
    let child = await startChild('');
    await until(() => readCommits(commitLog).seqs.length > 1000, 60_000, 'first commits');
    let cp = await killAndCheckpoint(child, 1);
    // rotate while no source runs, then keep writing to the new file
    renameSync(path, path + '.1');
    closeSync(fd);
    fd = openSync(path, 'a');
    await sleep(300);
    child = await startChild(cp);
    const before = readCommits(commitLog).seqs.length;
    await until(() => readCommits(commitLog).seqs.length > before + 1000, 60_000, 'second commits');
    cp = await killAndCheckpoint(child, 2);
    child = await startChild(cp);
    await sleep(500);
    clearInterval(timer);
    closeSync(fd);
    const total = seq;
    await until(() => readCommits(commitLog).seqs.length >= total, 45_000, `${total} committed`).catch((e) => {
      const got = readCommits(commitLog).seqs.sort((a, b) => a - b);
      const have = new Set(got);
      const missing: number[] = [];
      for (let i = 0; i < total; i++) if (!have.has(i)) missing.push(i);
      process.stderr.write(`kill9 test: committed n=${got.length} total=${total} missing=${missing.length} first=${missing.slice(0, 5)} last=${missing.slice(-5)} dups=${got.filter((v, i) => i > 0 && got[i - 1] === v).length}\n`);
      process.stderr.write(`kill9 test: checkpoints ${readFileSync(join(dir, 'cp-2.json'), 'utf8')} ${readFileSync(join(dir, 'cp-1.json'), 'utf8')}\n`);
      throw e;
    });
    await sleep(300);
    child.kill('SIGKILL');
    const got = readCommits(commitLog).seqs.sort((a, b) => a - b);
    expect(total).toBeGreaterThan(3000);
    const dups = got.filter((v, i) => i > 0 && got[i - 1] === v);
    const have = new Set(got);
    const missing: number[] = [];
    for (let i = 0; i < total; i++) if (!have.has(i)) missing.push(i);
    expect({ dups: dups.slice(0, 10), missing: missing.slice(0, 10), n: got.length }).toEqual({ dups: [], missing: [], n: total });
  }, 90_000);
});
