/** Types for scripts/build-wasm.mjs (used by the tests that check the committed binaries). */
export type WasmModuleName = 'simd' | 'tiny'
export declare const MODULES: Record<WasmModuleName, { source: string; target: string; constants: [string, string]; about: string }>
export declare const ASC_FLAGS: string[]
export declare function compile(name: WasmModuleName, options?: { relaxed?: boolean }): Promise<Buffer>
export declare function moduleText(name: WasmModuleName, binary: Buffer, relaxedBinary: Buffer): string
export declare function buildModuleText(name: WasmModuleName): Promise<string>
