// The `file` source: tails files matching include globs (minus exclude globs) through the shared
// tailing engine; plain-text lines, optionally joined into multiline events.
import type { Source, SourceContext } from '../../../core/component.js';
import type { FileConfig } from './config.js';
import { PlainDecoder, type LineDecoder } from './decoder.js';
import { GlobProvider, HOST_NAME } from './discovery.js';
import { TailEngine } from './engine.js';
import { MultilineDecoder } from './multiline.js';
import { Attr } from '../../../core/event.js';
import { basename } from 'node:path';

export class FileSource implements Source {
  constructor(private readonly cfg: FileConfig) {}

  async run(ctx: SourceContext): Promise<void> {
    const ml = this.cfg.multiline;
    const decoder = (): LineDecoder => (ml ? new MultilineDecoder(new PlainDecoder(), ml, this.cfg.max_line_bytes) : new PlainDecoder());
    const provider = new GlobProvider(this.cfg.include, this.cfg.exclude, decoder);
    const engine = new TailEngine(provider, {
      ...this.cfg,
      held_timeout_ms: ml?.timeout_ms ?? 1000,
      recoverTarget: (path) => {
        const attrs = { [Attr.filePath]: path, [Attr.fileName]: basename(path), [Attr.hostName]: HOST_NAME };
        return { path, decoder, attributes: () => attrs };
      },
    });
    await engine.run(ctx);
  }
}
