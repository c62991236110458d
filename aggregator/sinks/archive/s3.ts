// S3-compatible backend: each file is published with a multipart upload (CreateMultipartUpload,
// UploadPart × n, CompleteMultipartUpload) over undici, signed with AWS Signature V4 by the `aws4`
// library. An object appears only when the upload completes, so readers never see half a file.
// Errors are retried with backoff here a few times; the sink retries the whole publish after that.
import aws4 from 'aws4';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { request } from 'undici';
import { FlowlogError } from '../../../core/errors.js';
import type { S3Config } from './config.js';
import type { ArchiveStore } from './local.js';

export interface S3Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class S3Client {
  private readonly url: URL;
  constructor(readonly cfg: S3Config) {
    this.url = new URL(cfg.endpoint);
  }

  /** The object key for a relative archive path. */
  key(rel: string): string {
    const p = this.cfg.prefix.replace(/^\/+|\/+$/g, '');
    return p ? `${p}/${rel}` : rel;
  }

  /** One signed request (path-style: /bucket/key). */
  async send(method: string, key: string, query: Record<string, string> = {}, body?: Buffer, extraHeaders: Record<string, string> = {}): Promise<S3Response> {
    const qs = Object.entries(query)
      .map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
      .join('&');
    const path = `/${this.cfg.bucket}${key ? '/' + key.split('/').map(encodeURIComponent).join('/') : ''}${qs ? '?' + qs : ''}`;
    const headers: Record<string, string> = {
      ...extraHeaders,
      'x-amz-content-sha256': createHash('sha256').update(body ?? '').digest('hex'),
    };
    if (body) headers['content-length'] = String(body.length);
    const opts: aws4.Request & { headers: Record<string, string> } = {
      host: this.url.host,
      path,
      method,
      service: 's3',
      region: this.cfg.region,
      headers,
      body,
    };
    if (this.cfg.access_key_id) aws4.sign(opts, { accessKeyId: this.cfg.access_key_id, secretAccessKey: this.cfg.secret_access_key });
    const res = await request(`${this.url.protocol}//${this.url.host}${path}`, {
      method: method as 'GET',
      headers: opts.headers as Record<string, string>,
      body,
      headersTimeout: 60_000,
      bodyTimeout: 300_000,
    });
    const buf = Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers as S3Response['headers'], body: buf };
  }

  async ok(method: string, key: string, query: Record<string, string> = {}, body?: Buffer, headers: Record<string, string> = {}): Promise<S3Response> {
    for (let attempt = 0; ; attempt++) {
      let res: S3Response | undefined;
      let err: unknown;
      try {
        res = await this.send(method, key, query, body, headers);
        if (res.status < 300) return res;
        if (res.status < 500 && res.status !== 429 && res.status !== 408) {
          throw new FlowlogError('ARCHIVE_IO', `S3 ${method} ${key}: HTTP ${res.status}: ${s3Message(res.body)}`, { retryable: res.status === 404 ? false : true });
        }
      } catch (e) {
        if (e instanceof FlowlogError) throw e;
        err = e;
      }
      if (attempt >= 4) {
        throw new FlowlogError('ARCHIVE_IO', `S3 ${method} ${key} failed: ${res ? `HTTP ${res.status}: ${s3Message(res.body)}` : (err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }

  async createBucketIfMissing(): Promise<void> {
    const head = await this.send('HEAD', '');
    if (head.status === 200) return;
    await this.ok('PUT', '');
  }

  /** Keys under a prefix (ListObjectsV2, all pages). */
  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const q: Record<string, string> = { 'list-type': '2', prefix };
      if (token) q['continuation-token'] = token;
      const res = await this.ok('GET', '', q);
      const xml = res.body.toString('utf8');
      for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = xmlText(/<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1] ?? '');
        out.push({ key, size: Number(/<Size>(\d+)<\/Size>/.exec(m[1]!)?.[1] ?? 0) });
      }
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? xmlText(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '') : undefined;
    } while (token);
    return out;
  }

  async get(key: string): Promise<Buffer> {
    return (await this.ok('GET', key)).body;
  }

  /** Uploads a local file with a multipart upload; aborts the upload on failure. */
  async uploadFile(file: string, key: string): Promise<void> {
    const size = statSync(file).size;
    const created = await this.ok('POST', key, { uploads: '' }, undefined, { 'content-type': 'application/vnd.apache.parquet' });
    const uploadId = xmlText(/<UploadId>([\s\S]*?)<\/UploadId>/.exec(created.body.toString('utf8'))?.[1] ?? '');
    if (!uploadId) throw new FlowlogError('ARCHIVE_IO', `S3 CreateMultipartUpload for ${key} returned no UploadId`);
    const etags: string[] = [];
    const fd = openSync(file, 'r');
    try {
      const partSize = this.cfg.part_size_bytes;
      for (let off = 0, n = 1; off < size || n === 1; off += partSize, n++) {
        const len = Math.min(partSize, size - off);
        const buf = Buffer.allocUnsafe(len);
        readSync(fd, buf, 0, len, off);
        const res = await this.ok('PUT', key, { partNumber: String(n), uploadId }, buf);
        const etag = res.headers.etag;
        etags.push(String(Array.isArray(etag) ? etag[0] : etag ?? ''));
        if (len === 0) break;
      }
      const xml =
        '<CompleteMultipartUpload>' + etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(e)}</ETag></Part>`).join('') + '</CompleteMultipartUpload>';
      const done = await this.ok('POST', key, { uploadId }, Buffer.from(xml), { 'content-type': 'application/xml' });
      if (/<Error>/.test(done.body.toString('utf8'))) throw new FlowlogError('ARCHIVE_IO', `S3 CompleteMultipartUpload ${key}: ${s3Message(done.body)}`);
    } catch (e) {
      await this.send('DELETE', key, { uploadId }).catch(() => {});
      throw e;
    } finally {
      closeSync(fd);
    }
  }
}

export class S3Store implements ArchiveStore {
  readonly where: string;
  private readonly client: S3Client;
  private bucketChecked = false;
  constructor(cfg: S3Config) {
    this.client = new S3Client(cfg);
    this.where = `s3 ${cfg.endpoint} bucket ${cfg.bucket}${cfg.prefix ? ' prefix ' + cfg.prefix : ''}`;
  }

  async publish(stagedFile: string, relPath: string): Promise<void> {
    if (!this.bucketChecked) {
      await this.client.createBucketIfMissing();
      this.bucketChecked = true;
    }
    await this.client.uploadFile(stagedFile, this.client.key(relPath));
  }

  async exists(relPath: string): Promise<boolean> {
    const r = await this.client.send('HEAD', this.client.key(relPath));
    return r.status === 200;
  }
}

function s3Message(body: Buffer): string {
  const s = body.toString('utf8');
  return xmlText(/<Message>([\s\S]*?)<\/Message>/.exec(s)?.[1] ?? /<Code>([\s\S]*?)<\/Code>/.exec(s)?.[1] ?? s.slice(0, 200));
}

function xmlText(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
