// UTF-8 decoding that replaces invalid bytes with U+FFFD and reports that it did (never throws).
const strict = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes; `invalid` is true when any byte sequence had to be replaced. */
export function decodeUtf8(buf: Uint8Array): { text: string; invalid: boolean } {
  // Fast path: Buffer#toString is the quickest decoder; a U+FFFD in its output means either a
  // replaced sequence or a literal U+FFFD in the input, which the strict decoder tells apart.
  const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  if (text.indexOf('\uFFFD') < 0) return { text, invalid: false };
  try {
    strict.decode(buf);
    return { text, invalid: false };
  } catch {
    return { text, invalid: true };
  }
}
