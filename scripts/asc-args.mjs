// The asc flags every flowlog transform is built with (ABI v1): SIMD, an imported memory (the host
// sets its maximum: the memory cap), the incremental GC (stays flat under allocation), and `abort`
// routed to the SDK so the only function import is `flowlog.log`.
import { join, relative } from 'node:path';

export function ascArgs(src, out, root) {
  const abortPath = relative(process.cwd(), join(root, 'transforms', 'sdk', 'host')).split('\\').join('/');
  return [
    src,
    '-o', out,
    '-O3',
    '--enable', 'simd',
    '--runtime', 'incremental',
    '--importMemory',
    '--initialMemory', '2',
    '--maximumMemory', '65536',
    '--noAssert',
    '--use', `abort=${abortPath}/flowlogAbort`,
  ];
}
