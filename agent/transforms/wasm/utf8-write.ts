// Node's Buffer#utf8Write (undocumented, stable since Node 0.x): encodes a string into a buffer at an
// offset and returns the bytes written, without Buffer#write's argument parsing (hot path).
type Utf8Write = (this: Buffer, s: string, offset: number) => number;
const impl = (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write;

export const utf8Write: Utf8Write = impl ?? function (this: Buffer, s: string, offset: number) {
  return this.write(s, offset, 'utf8');
};
