// The asc flags every flowlog transform is built with (ABI v1): SIMD, an imported memory (the host
// sets its maximum: the memory cap), the incremental GC (stays flat under allocation). Imports left:
// env.memory, flowlog.log and AssemblyScript's env.abort (the host logs the message and traps).
// Keep in sync with agent/transforms/wasm/compile.ts.
export function ascArgs(src, out, kind) {
  if (kind === 'kernel') {
    // a host kernel: SIMD, its own memory exported, no runtime (it allocates nothing), no imports
    return [src, '-o', out, '-O3', '--enable', 'simd', '--runtime', 'stub', '--noAssert', '--use', 'abort='];
  }
  if (kind === 'component') {
    // the component glue: memory exported (the component owns it), abort routed to the SDK (no env imports)
    return [src, '-o', out, '-O3', '--enable', 'simd', '--runtime', 'incremental', '--noAssert', '--use', 'abort=transforms/sdk/component/componentAbort'];
  }
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
  ];
}
